//! Image commands: `images`, `tag`, `rmi`, `image inspect|ls|rm`, `save`, `load`, `import`,
//! `commit`, `diff`, `toolbox install`.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;

use super::inspect::Kind;
use super::sizes::human_size;
use crate::build::glob;
use crate::container::{store as containers, StateRoot};
use crate::image::{
    create, digest, load, remove, save, time, toolbox, Image, ImageConfig, ImageStore, Reference,
};
use crate::{Error, Result};

/// `ferry import FILE|- [REPOSITORY[:TAG]]`.
#[derive(Debug, clap::Args)]
pub(super) struct ImportArgs {
    /// The root filesystem tarball, plain or gzip ("-" for standard input).
    file: String,
    /// The image name, `NAME[:TAG]`.
    reference: Option<String>,
}

/// `ferry images [-q] [REPOSITORY[:TAG]]`.
#[derive(Debug, clap::Args)]
pub(super) struct ImagesArgs {
    /// Only show image ids.
    #[arg(short, long)]
    quiet: bool,
    /// Only images named like this: `NAME` (every tag) or `NAME:TAG`, wildcards allowed (`cf-*`).
    reference: Option<String>,
}

/// `ferry tag SOURCE TARGET`.
#[derive(Debug, clap::Args)]
pub(super) struct TagArgs {
    /// The image: a name or an id.
    source: String,
    /// The new name, `NAME[:TAG]`.
    target: String,
}

/// `ferry rmi [-f] IMAGE…`.
#[derive(Debug, clap::Args)]
pub(super) struct RmiArgs {
    /// Remove the image even if stopped containers use it (their layers stay until they go).
    #[arg(short, long)]
    force: bool,
    /// Names or ids.
    #[arg(required = true)]
    images: Vec<String>,
}

/// `ferry save [-o FILE] IMAGE…`.
#[derive(Debug, clap::Args)]
pub(super) struct SaveArgs {
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Names or ids.
    #[arg(required = true)]
    images: Vec<String>,
}

/// `ferry load [-i FILE]`.
#[derive(Debug, clap::Args)]
pub(super) struct LoadArgs {
    /// Read from this file instead of standard input.
    #[arg(short, long)]
    input: Option<PathBuf>,
}

/// `ferry commit CONTAINER [REPOSITORY[:TAG]]`.
#[derive(Debug, clap::Args)]
pub(super) struct CommitArgs {
    /// Commit message, recorded in the image's history.
    #[arg(short, long)]
    message: Option<String>,
    /// Name or id of the container.
    container: String,
    /// The new image's name.
    reference: Option<String>,
}

/// `ferry diff CONTAINER`.
#[derive(Debug, clap::Args)]
pub(super) struct DiffArgs {
    /// Name or id of the container.
    container: String,
}

/// `ferry image …`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum ImageAction {
    /// Display detailed information on images, as JSON.
    Inspect {
        /// Format the output using a Go template, e.g. '{{.Id}}'.
        #[arg(short, long)]
        format: Option<String>,
        /// Names or ids.
        #[arg(required = true)]
        images: Vec<String>,
    },
    /// List images (same as `ferry images`).
    Ls(ImagesArgs),
    /// Remove images (same as `ferry rmi`).
    Rm(RmiArgs),
}

/// `ferry toolbox …`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum ToolboxAction {
    /// (Re)install the `toolbox` image from the binary embedded in ferry; needs no network.
    Install,
}

/// Stores a root filesystem tarball as a one-layer image and prints its id.
pub(super) fn import(root: &StateRoot, args: ImportArgs) -> Result<i32> {
    let reference = args
        .reference
        .as_deref()
        .map(Reference::parse)
        .transpose()?;
    let store = ImageStore::open(root)?;
    let defaults = ImageConfig::default();
    let image = if args.file == "-" {
        create::import(
            &store,
            std::io::stdin().lock(),
            reference.as_ref(),
            &defaults,
            "ferry import",
        )?
    } else {
        let tarball = File::open(&args.file).map_err(Error::io("open", &args.file))?;
        create::import(
            &store,
            BufReader::new(tarball),
            reference.as_ref(),
            &defaults,
            "ferry import",
        )?
    };
    println!("{}", image.id);
    Ok(0)
}

/// Lists images as `docker images` does: one row per name, newest first; with a `REPOSITORY[:TAG]`
/// argument, only the names it matches (and no untagged image).
pub(super) fn images(root: &StateRoot, args: ImagesArgs) -> Result<i32> {
    let store = ImageStore::open(root)?;
    let mut images = store.list()?;
    images.sort_by_key(|i| std::cmp::Reverse(i.created().unwrap_or(0)));
    let mut rows = vec![["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"].map(String::from)];
    for image in &images {
        let Some(names) = shown_names(image, args.reference.as_deref()) else {
            continue;
        };
        let created = image
            .created()
            .map(|t| format!("{} ago", time::human_duration(time::now() - t)))
            .unwrap_or_default();
        let size = human_size(store.size(image)?);
        for (repository, tag) in names {
            if args.quiet {
                println!("{}", image.short_id());
                continue;
            }
            rows.push([
                repository,
                tag,
                image.short_id().to_string(),
                created.clone(),
                size.clone(),
            ]);
        }
    }
    if !args.quiet {
        print!("{}", table(&rows));
    }
    Ok(0)
}

/// The (REPOSITORY, TAG) rows `images` shows for `image`, or `None` when it shows none. Without a
/// filter every name is shown (`<none>` for an untagged image); with one, the names it matches as
/// Docker's `reference` filter does: a shell pattern over `name:tag`, or over the name alone.
fn shown_names(image: &Image, filter: Option<&str>) -> Option<Vec<(String, String)>> {
    let row = |t: &Reference| (t.repository(), t.tag().unwrap_or("<none>").to_string());
    let names: Vec<(String, String)> = match filter {
        None if image.tags.is_empty() => vec![("<none>".into(), "<none>".into())],
        None => image.tags.iter().map(row).collect(),
        Some(pattern) => image
            .tags
            .iter()
            .filter(|t| {
                glob::matches(pattern, &t.familiar()) || glob::matches(pattern, &t.repository())
            })
            .map(row)
            .collect(),
    };
    (!names.is_empty()).then_some(names)
}

/// Gives an image another name.
pub(super) fn tag(root: &StateRoot, args: TagArgs) -> Result<i32> {
    let store = ImageStore::open(root)?;
    let image = store
        .find(&args.source)
        .map_err(|e| no_such_image(e, &args.source))?;
    store.tag(&image, &Reference::parse(&args.target)?)?;
    Ok(0)
}

/// Removes names or images; reports each, and carries on past failures as `docker rmi` does.
pub(super) fn rmi(root: &StateRoot, args: RmiArgs) -> Result<i32> {
    let store = ImageStore::open(root)?;
    let mut failed = false;
    for name in &args.images {
        match remove::remove(&store, root, name, args.force).map_err(|e| no_such_image(e, name)) {
            Ok(report) => report.iter().for_each(|line| println!("{line}")),
            Err(e) => {
                eprintln!("ferry: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// `ferry image …`.
pub(super) fn image(root: &StateRoot, action: ImageAction) -> Result<i32> {
    match action {
        ImageAction::Inspect { format, images } => {
            super::inspect::inspect(root, &images, Some(Kind::Image), format.as_deref(), false)
        }
        ImageAction::Ls(args) => self::images(root, args),
        ImageAction::Rm(args) => rmi(root, args),
    }
}

/// Writes images as a docker-archive tarball, to a file (atomically) or to standard output.
pub(super) fn save(root: &StateRoot, args: SaveArgs) -> Result<i32> {
    let store = ImageStore::open(root)?;
    let mut images = Vec::new();
    for name in &args.images {
        let image = store.find(name).map_err(|e| no_such_image(e, name))?;
        let names = Reference::parse(name)
            .ok()
            .filter(|r| image.tags.contains(r))
            .into_iter()
            .collect();
        images.push((image, names));
    }
    match &args.output {
        Some(path) => {
            let tmp = path.with_file_name(format!(
                ".{}.tmp",
                path.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ));
            let file = File::create(&tmp).map_err(Error::io("create", &tmp))?;
            let written = save::save(&store, &images, std::io::BufWriter::new(&file))
                .and_then(|()| file.sync_all().map_err(Error::io("fsync", &tmp)))
                .and_then(|()| std::fs::rename(&tmp, path).map_err(Error::io("rename to", path)));
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written?;
        }
        None if std::io::stdout().is_terminal() => {
            return Err(Error::InvalidArgument(
                "cowardly refusing to save to a terminal. Use the -o flag or redirect".into(),
            ))
        }
        None => save::save(&store, &images, std::io::stdout().lock())?,
    }
    Ok(0)
}

/// Loads a docker-archive or OCI-layout tarball and says what it loaded.
pub(super) fn load(root: &StateRoot, args: LoadArgs) -> Result<i32> {
    let store = ImageStore::open(root)?;
    let input: Box<dyn Read> = match &args.input {
        Some(path) => Box::new(BufReader::new(
            File::open(path).map_err(Error::io("open", path))?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    for loaded in load::load(&store, input)? {
        if loaded.names.is_empty() {
            println!("Loaded image ID: {}", loaded.image.id);
        }
        for name in &loaded.names {
            println!("Loaded image: {}", name.familiar());
        }
    }
    Ok(0)
}

/// Makes a new image of a container's changes and prints its id.
pub(super) fn commit(root: &StateRoot, args: CommitArgs) -> Result<i32> {
    let container = containers::find(root, &args.container)?;
    let reference = args
        .reference
        .as_deref()
        .map(Reference::parse)
        .transpose()?;
    let store = ImageStore::open(root)?;
    let created_by = args
        .message
        .unwrap_or_else(|| format!("ferry commit {}", container.name()));
    let image = create::commit(&store, &container.dir, reference.as_ref(), &created_by)?;
    println!("{}", image.id);
    Ok(0)
}

/// Lists what a container changed in its image.
pub(super) fn diff(root: &StateRoot, args: DiffArgs) -> Result<i32> {
    let container = containers::find(root, &args.container)?;
    let layer = crate::image::driver::ContainerLayer::load(&container.dir).map_err(|_| {
        Error::InvalidArgument(format!(
            "container {} was not created from an image",
            args.container
        ))
    })?;
    let mut out = std::io::stdout().lock();
    for change in layer.changes(&container.dir)? {
        writeln!(out, "{change}").map_err(Error::io("write", "stdout"))?;
    }
    Ok(0)
}

/// Installs the embedded toolbox image.
pub(super) fn toolbox(root: &StateRoot, action: ToolboxAction) -> Result<i32> {
    match action {
        ToolboxAction::Install => {
            let image = toolbox::install(&ImageStore::open(root)?)?;
            println!(
                "Installed {} ({})",
                toolbox::IMAGE_NAME,
                digest::short(&image.id)
            );
            Ok(0)
        }
    }
}

/// Docker's wording for an unknown image outside `run` (where it would be pulled instead).
fn no_such_image(error: Error, name: &str) -> Error {
    match error {
        Error::ImageNotFound(_) => Error::InvalidArgument(format!("No such image: {name}")),
        other => other,
    }
}

/// Columns padded as Docker's tabwriter does: each at least 10 wide, 3 spaces after the longest.
pub(super) fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let widths: Vec<usize> = (0..N)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len() + 3)
                .max()
                .unwrap_or(0)
                .max(10)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == N {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}", width = widths[c]));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An image with no layers and these names (only its names matter to `images`).
    fn image_named(names: &[&str]) -> Image {
        use oci_spec::image::{Descriptor, ImageManifestBuilder, MediaType};
        let id = digest::parse(&format!("sha256:{}", "a".repeat(64))).unwrap();
        let manifest = ImageManifestBuilder::default()
            .schema_version(2u32)
            .config(Descriptor::new(MediaType::ImageConfig, 2, id.clone()))
            .layers(vec![])
            .build()
            .unwrap();
        let config = oci_spec::image::ImageConfigurationBuilder::default()
            .build()
            .unwrap();
        Image {
            id: id.clone(),
            manifest_digest: id,
            manifest,
            config,
            tags: names.iter().map(|n| Reference::parse(n).unwrap()).collect(),
        }
    }

    fn shown(names: &[&str], filter: Option<&str>) -> Option<Vec<String>> {
        shown_names(&image_named(names), filter)
            .map(|rows| rows.into_iter().map(|(r, t)| format!("{r} {t}")).collect())
    }

    #[test]
    fn images_filter_matches_a_repository_a_tag_or_a_pattern_as_dockers_reference_filter() {
        let names = ["bb:latest", "bb:v2", "127.0.0.1:5000/team/box:v1"];
        assert_eq!(
            shown(&names, None).unwrap(),
            ["bb latest", "bb v2", "127.0.0.1:5000/team/box v1"]
        );
        assert_eq!(shown(&names, Some("bb")).unwrap(), ["bb latest", "bb v2"]);
        assert_eq!(shown(&names, Some("bb:v2")).unwrap(), ["bb v2"]);
        assert_eq!(shown(&names, Some("b?:v*")).unwrap(), ["bb v2"]);
        assert_eq!(
            shown(&names, Some("127.0.0.1:5000/team/*")).unwrap(),
            ["127.0.0.1:5000/team/box v1"]
        );
        assert_eq!(shown(&names, Some("bb:v3")), None);
        assert_eq!(shown(&names, Some("b")), None, "a prefix is not a match");
        assert_eq!(
            shown(&names, Some("*")).unwrap(),
            ["bb latest", "bb v2"],
            "* stops at /"
        );
    }

    #[test]
    fn an_untagged_image_is_listed_as_none_and_never_matches_a_filter() {
        assert_eq!(shown(&[], None).unwrap(), ["<none> <none>"]);
        assert_eq!(shown(&[], Some("*")), None);
    }

    #[test]
    fn table_columns_are_padded_to_the_longest_cell() {
        let rows = [
            ["REPOSITORY".to_string(), "TAG".to_string()],
            ["toolbox".to_string(), "latest".to_string()],
        ];
        assert_eq!(table(&rows), "REPOSITORY   TAG\ntoolbox      latest\n");
    }
}
