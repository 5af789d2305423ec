//! Image commands: `images`, `tag`, `rmi`, `image inspect|ls|rm`, `save`, `load`, `import`,
//! `commit`, `diff`, `toolbox install`.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Write};
use std::path::PathBuf;

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

/// `ferry images [-q]`.
#[derive(Debug, clap::Args)]
pub(super) struct ImagesArgs {
    /// Only show image ids.
    #[arg(short, long)]
    quiet: bool,
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

/// Lists images as `docker images` does: one row per name, newest first.
pub(super) fn images(root: &StateRoot, args: ImagesArgs) -> Result<i32> {
    let store = ImageStore::open(root)?;
    let mut images = store.list()?;
    images.sort_by_key(|i| std::cmp::Reverse(i.created().unwrap_or(0)));
    let mut rows = vec![["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"].map(String::from)];
    for image in &images {
        let created = image
            .created()
            .map(|t| format!("{} ago", time::human_duration(time::now() - t)))
            .unwrap_or_default();
        let size = human_size(store.size(image)?);
        let names: Vec<(String, String)> = if image.tags.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            image
                .tags
                .iter()
                .map(|t| (t.repository(), t.tag().unwrap_or("<none>").to_string()))
                .collect()
        };
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
        ImageAction::Inspect { images } => inspect(root, &images),
        ImageAction::Ls(args) => self::images(root, args),
        ImageAction::Rm(args) => rmi(root, args),
    }
}

/// Prints Docker-shaped JSON for each image; unknown names are reported and make the exit code 1.
fn inspect(root: &StateRoot, names: &[String]) -> Result<i32> {
    let store = ImageStore::open(root)?;
    let mut found = Vec::new();
    let mut failed = false;
    for name in names {
        match store.find(name) {
            Ok(image) => found.push(inspect_json(&store, &image)?),
            Err(Error::ImageNotFound(_)) => {
                eprintln!("Error: No such image: {name}");
                failed = true;
            }
            Err(e) => return Err(e),
        }
    }
    let text = serde_json::to_string_pretty(&found)
        .map_err(|e| Error::Corrupt(format!("cannot encode JSON: {e}")))?;
    println!("{text}");
    Ok(if failed { 1 } else { 0 })
}

fn inspect_json(store: &ImageStore, image: &Image) -> Result<serde_json::Value> {
    let config = serde_json::to_value(&image.config)
        .map_err(|e| Error::Corrupt(format!("cannot encode config: {e}")))?;
    let layers = store.layers(image)?;
    let (upper, lower) = layers
        .split_first()
        .map(|(u, l)| (u.clone(), l.to_vec()))
        .unwrap_or_default();
    let lower: Vec<String> = lower.iter().map(|p| p.display().to_string()).collect();
    let mut data = serde_json::json!({ "UpperDir": upper.display().to_string() });
    if !lower.is_empty() {
        data["LowerDir"] = lower.join(":").into();
    }
    let repo_digests: Vec<String> = image
        .tags
        .iter()
        .map(|t| format!("{}@{}", t.repository(), image.manifest_digest))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    Ok(serde_json::json!({
        "Id": image.id.to_string(),
        "RepoTags": image.tags.iter().map(Reference::familiar).collect::<Vec<_>>(),
        "RepoDigests": repo_digests,
        "Created": config.get("created").cloned().unwrap_or_default(),
        "Config": config.get("config").cloned().unwrap_or_else(|| serde_json::json!({})),
        "Architecture": config.get("architecture").cloned().unwrap_or_default(),
        "Os": config.get("os").cloned().unwrap_or_default(),
        "Size": store.size(image)?,
        "RootFS": { "Type": "layers", "Layers": image.config.rootfs().diff_ids() },
        "GraphDriver": { "Name": "overlay", "Data": data },
        "Metadata": { "ManifestDigest": image.manifest_digest.to_string() },
    }))
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

/// A size as Docker prints it: decimal units, three significant digits (`4.86MB`, `512B`).
pub(super) fn human_size(bytes: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", units[unit])
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

    #[test]
    fn sizes_are_printed_like_dockers() {
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(7_800), "7.8kB");
        assert_eq!(human_size(4_864_000), "4.86MB");
        assert_eq!(human_size(123_456_789), "123MB");
        assert_eq!(human_size(1_000_000), "1MB");
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
