//! The toolbox image: ferry's embedded default image, made with no network at all.
//!
//! The `toolbox` crate (engine/toolbox) is a statically linked multi-call binary — `sh`, `ls`,
//! `ps`, `ip`, `httpd`, `alloc`… in one file, like busybox. The build script compiles it and this
//! module embeds it; installing the image writes a one-layer image into the store, so `ferry run
//! toolbox …` works on a machine that has never seen a registry, and `ferry save toolbox` gives an
//! image any engine can load.

use super::{create, Image, ImageConfig, ImageStore, Reference};
use crate::{Error, Result};

/// The static toolbox binary, embedded at build time.
pub const BINARY: &[u8] = include_bytes!(env!("FERRY_TOOLBOX_BINARY"));

/// The name the toolbox image is stored under.
pub const IMAGE_NAME: &str = "toolbox";

/// The PATH every container gets unless its image says otherwise (Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The modification time of every file in the layer: fixed, so the layer (and its diff id) is the
/// same on every install of the same ferry.
const MTIME: u64 = 1_704_067_200; // 2024-01-01T00:00:00Z

/// Whether `reference` names the toolbox image (`toolbox`, `toolbox:latest`, in any spelling).
pub fn is_toolbox(reference: &Reference) -> bool {
    Reference::parse(IMAGE_NAME).is_ok_and(|toolbox| &toolbox == reference)
}

/// Returns the toolbox image, installing it first if this store does not have it yet.
pub fn ensure(store: &ImageStore) -> Result<Image> {
    match store.resolve(&Reference::parse(IMAGE_NAME)?) {
        Err(Error::ImageNotFound(_)) => install(store),
        found => found,
    }
}

/// (Re)installs the toolbox image from the embedded binary and tags it `toolbox:latest`.
pub fn install(store: &ImageStore) -> Result<Image> {
    let defaults = ImageConfig {
        env: vec![format!("PATH={DEFAULT_PATH}")],
        cmd: vec!["sh".into()],
        ..ImageConfig::default()
    };
    let layer = layer_tarball()
        .map_err(|e| Error::Archive(format!("cannot build the toolbox layer: {e}")))?;
    create::import(
        store,
        &layer[..],
        Some(&Reference::parse(IMAGE_NAME)?),
        &defaults,
        "ferry toolbox install",
    )
}

// ANCHOR: toolbox_rootfs
/// The image's only layer: the binary, one symlink per applet, and the few files a process expects
/// (`/etc/passwd` for `id` and `ps`, empty mount points for /proc, /dev, /sys).
fn layer_tarball() -> std::io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for (dir, mode) in [
        ("bin", 0o755),
        ("dev", 0o755),
        ("etc", 0o755),
        ("proc", 0o555),
        ("sys", 0o555),
        ("root", 0o700),
        ("tmp", 0o1777),
    ] {
        append(&mut tar, tar::EntryType::Directory, dir, mode, b"", None)?;
    }
    append(
        &mut tar,
        tar::EntryType::Regular,
        "bin/toolbox",
        0o755,
        BINARY,
        None,
    )?;
    for applet in toolbox::APPLETS {
        append(
            &mut tar,
            tar::EntryType::Symlink,
            &format!("bin/{applet}"),
            0o777,
            b"",
            Some("toolbox"),
        )?;
    }
    let passwd =
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    append(
        &mut tar,
        tar::EntryType::Regular,
        "etc/passwd",
        0o644,
        passwd.as_bytes(),
        None,
    )?;
    append(
        &mut tar,
        tar::EntryType::Regular,
        "etc/group",
        0o644,
        b"root:x:0:\nnobody:x:65534:\n",
        None,
    )?;
    tar.into_inner()
}
// ANCHOR_END: toolbox_rootfs

fn append(
    tar: &mut tar::Builder<Vec<u8>>,
    kind: tar::EntryType,
    path: &str,
    mode: u32,
    data: &[u8],
    link: Option<&str>,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_path(path)?;
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(MTIME);
    header.set_size(data.len() as u64);
    if let Some(link) = link {
        header.set_link_name(link)?;
    }
    header.set_cksum();
    tar.append(&header, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toolbox_layer_is_the_same_bytes_every_time() {
        assert_eq!(layer_tarball().unwrap(), layer_tarball().unwrap());
    }

    #[test]
    fn only_the_name_toolbox_in_any_spelling_is_the_toolbox() {
        for name in ["toolbox", "toolbox:latest", "docker.io/library/toolbox"] {
            assert!(is_toolbox(&Reference::parse(name).unwrap()), "{name}");
        }
        assert!(!is_toolbox(&Reference::parse("toolbox:v2").unwrap()));
    }

    #[test]
    fn the_installed_image_has_the_binary_and_an_applet_per_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(dir.path()).unwrap();
        let image = ensure(&store).unwrap();
        assert_eq!(image.defaults().cmd, ["sh"]);
        let layers = store.layers(&image).unwrap();
        assert_eq!(layers.len(), 1);
        assert_eq!(
            std::fs::read(layers[0].join("bin/toolbox")).unwrap(),
            BINARY
        );
        assert_eq!(
            std::fs::read_link(layers[0].join("bin/sh")).unwrap(),
            std::path::Path::new("toolbox")
        );
        assert_eq!(
            ensure(&store).unwrap().id,
            image.id,
            "ensure reuses the installed image"
        );
    }
}
