//! Image commands: `ferry import`, `ferry toolbox install`.

use crate::container::StateRoot;
use crate::image::{toolbox, ImageConfig, ImageStore, Reference};
use crate::{Error, Result};

/// `ferry import FILE NAME[:TAG]`.
#[derive(Debug, clap::Args)]
pub(super) struct ImportArgs {
    /// The root filesystem tarball ("-" for standard input).
    file: String,
    /// The image name, `NAME[:TAG]`.
    reference: String,
}

/// `ferry toolbox …`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum ToolboxAction {
    /// (Re)install the `toolbox` image from the binary embedded in ferry; needs no network.
    Install,
}

/// Stores a root filesystem tarball as a one-directory image.
pub(super) fn import(root: &StateRoot, args: ImportArgs) -> Result<i32> {
    let reference = Reference::parse(&args.reference)?;
    let store = ImageStore::new(root);
    let image = if args.file == "-" {
        store.import(std::io::stdin().lock(), &reference, ImageConfig::default())?
    } else {
        let tarball = std::fs::File::open(&args.file).map_err(Error::io("open", &args.file))?;
        store.import(
            std::io::BufReader::new(tarball),
            &reference,
            ImageConfig::default(),
        )?
    };
    println!("Imported {}", image.reference);
    Ok(0)
}

/// Installs the embedded toolbox image.
pub(super) fn toolbox(root: &StateRoot, action: ToolboxAction) -> Result<i32> {
    match action {
        ToolboxAction::Install => {
            let image = toolbox::install(&ImageStore::new(root))?;
            println!("Installed {}", image.reference);
            Ok(0)
        }
    }
}
