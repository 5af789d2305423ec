//! Storage drivers: how a container's own writable layer sits on its image's read-only layers.
//!
//! - **overlay** (the default): the image's layer directories are OverlayFS `lowerdir`s, shared by
//!   every container of the image; each container gets its own `upper` (its writes) and `work`
//!   directory. Nothing is copied, and writes never reach a layer.
//! - **copy**: where OverlayFS cannot be used — the kernel lacks it, or the state root is itself on
//!   OverlayFS, which cannot hold an upper directory — the image's merged view is copied into the
//!   container's own `rootfs` directory. Slower to create and bigger, same behaviour.
//!
//! The choice is made per container, explicitly (`FERRY_STORAGE_DRIVER=overlay|copy` forces it),
//! reported to the user when it falls back, and recorded in `containers/<id>/layer.json` with the
//! image id and layers, so `diff`, `commit`, `rmi` and `ps -s` know what the container is made of.

use std::fs;
use std::path::{Path, PathBuf};

use nix::sys::statfs::{statfs, OVERLAYFS_SUPER_MAGIC};
use serde::{Deserialize, Serialize};

use super::blobs::write_atomically;
use super::changes::{self, Change};
use super::digest::{self, Digest};
use super::view::{self, LayeredView};
use super::{Image, ImageStore};
use crate::runtime::RootfsSource;
use crate::{Error, Result};

/// The environment variable that forces a storage driver.
pub const DRIVER_ENV: &str = "FERRY_STORAGE_DRIVER";
/// The file in a container's directory that records its layer.
pub const LAYER_FILE: &str = "layer.json";

/// A storage driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    /// OverlayFS: upper and work directories over the shared layer directories.
    Overlay,
    /// A full copy of the image's files per container.
    Copy,
}

impl Driver {
    /// The name of Docker's driver that works the same way, for `info` and `inspect`: `overlay2`
    /// (OverlayFS over shared layer directories) or `vfs` (a full copy per container).
    pub fn docker_name(self) -> &'static str {
        match self {
            Driver::Overlay => "overlay2",
            Driver::Copy => "vfs",
        }
    }
}

/// The driver to use and, when it is not the default, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The driver.
    pub driver: Driver,
    /// Why overlay is not used (`None` for overlay).
    pub reason: Option<String>,
}

/// Chooses the driver for containers stored in `containers_dir`.
pub fn choose(containers_dir: &Path) -> Result<Choice> {
    let forced = std::env::var(DRIVER_ENV).ok();
    let overlay_in_kernel =
        fs::read_to_string("/proc/filesystems").is_ok_and(|f| f.contains("\toverlay\n"));
    let on_overlay =
        statfs(containers_dir).is_ok_and(|s| s.filesystem_type() == OVERLAYFS_SUPER_MAGIC);
    choose_from(forced.as_deref(), overlay_in_kernel, on_overlay)
}

fn choose_from(forced: Option<&str>, overlay_in_kernel: bool, on_overlay: bool) -> Result<Choice> {
    let copy = |why: &str| {
        Ok(Choice {
            driver: Driver::Copy,
            reason: Some(why.to_string()),
        })
    };
    match forced {
        Some("overlay") => Ok(Choice {
            driver: Driver::Overlay,
            reason: None,
        }),
        Some("copy") => copy(&format!("{DRIVER_ENV}=copy")),
        Some(other) => Err(Error::InvalidArgument(format!(
            "{DRIVER_ENV}={other}: unknown storage driver (overlay, copy)"
        ))),
        None if !overlay_in_kernel => copy("the kernel has no OverlayFS"),
        None if on_overlay => {
            copy("the state root is on OverlayFS, which cannot hold an overlay upper directory")
        }
        None => Ok(Choice {
            driver: Driver::Overlay,
            reason: None,
        }),
    }
}

/// What ferry records about a container's layer, in `containers/<id>/layer.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerLayer {
    /// The image id (config digest) the container was created from.
    pub image_id: String,
    /// The storage driver that holds its files.
    pub driver: Driver,
    /// The image's layer diff ids, bottom first: they must outlive the image while the container exists.
    pub layers: Vec<String>,
    /// The image's layer directories, top first (OverlayFS `lowerdir` order).
    pub lower: Vec<PathBuf>,
}

impl ContainerLayer {
    /// Reads a container's layer record.
    pub fn load(container_dir: &Path) -> Result<Self> {
        let path = container_dir.join(LAYER_FILE);
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("corrupt layer record {}: {e}", path.display())))
    }

    /// The image id as a digest.
    pub fn image_id(&self) -> Result<Digest> {
        digest::parse(&self.image_id)
    }

    /// The diff ids of the layers the container needs.
    pub fn diff_ids(&self) -> Vec<Digest> {
        self.layers
            .iter()
            .filter_map(|d| digest::parse(d).ok())
            .collect()
    }

    /// Where the root filesystem is assembled and how, for the runtime.
    pub fn mount(&self, container_dir: &Path) -> (PathBuf, RootfsSource) {
        match self.driver {
            Driver::Overlay => (
                container_dir.join("merged"),
                RootfsSource::Overlay {
                    lower: self.lower.clone(),
                    upper: container_dir.join("upper"),
                    work: container_dir.join("work"),
                },
            ),
            Driver::Copy => (container_dir.join("rootfs"), RootfsSource::Directory),
        }
    }

    /// What the container changed in its image, sorted by path (`ferry diff`).
    pub fn changes(&self, container_dir: &Path) -> Result<Vec<Change>> {
        let image = LayeredView::new(self.lower.clone());
        match self.driver {
            Driver::Overlay => changes::from_upper(&container_dir.join("upper"), &image),
            Driver::Copy => changes::from_copy(&container_dir.join("rootfs"), &image),
        }
    }

    /// The directory the changed files are read from (for `commit`).
    pub fn changed_files(&self, container_dir: &Path) -> PathBuf {
        match self.driver {
            Driver::Overlay => container_dir.join("upper"),
            Driver::Copy => container_dir.join("rootfs"),
        }
    }
}

// ANCHOR: create_layer
/// Gives a new container its own layer over `image`: `upper` and `work` directories (overlay) or a
/// copy of the image's files (copy), and records it. Returns the record and, when the driver is
/// not overlay, a one-line notice saying why, for the user.
pub fn create_layer(
    store: &ImageStore,
    image: &Image,
    container_dir: &Path,
) -> Result<(ContainerLayer, Option<String>)> {
    let choice = choose(container_dir.parent().unwrap_or(container_dir))?;
    create_layer_with(store, image, container_dir, choice)
}
// ANCHOR_END: create_layer

fn create_layer_with(
    store: &ImageStore,
    image: &Image,
    container_dir: &Path,
    choice: Choice,
) -> Result<(ContainerLayer, Option<String>)> {
    let mut lower = store.layers(image)?;
    if lower.is_empty() {
        lower.push(empty_layer(store)?); // OverlayFS needs at least one lowerdir
    }
    fs::create_dir_all(container_dir)
        .map_err(Error::io("create container directory", container_dir))?;
    match choice.driver {
        Driver::Overlay => {
            for dir in ["upper", "work"] {
                let path = container_dir.join(dir);
                fs::create_dir(&path).map_err(Error::io("create directory", &path))?;
            }
        }
        Driver::Copy => {
            let rootfs = container_dir.join("rootfs");
            fs::create_dir(&rootfs).map_err(Error::io("create directory", &rootfs))?;
            view::flatten(&LayeredView::new(lower.clone()), &rootfs)?;
        }
    }
    let layers = image.diff_ids()?.iter().map(|d| d.to_string()).collect();
    let record = ContainerLayer {
        image_id: image.id.to_string(),
        driver: choice.driver,
        layers,
        lower,
    };
    let json = serde_json::to_vec_pretty(&record).expect("a layer record serializes");
    write_atomically(&container_dir.join(LAYER_FILE), &json)?;
    let notice = choice
        .reason
        .map(|why| format!("storage driver: copy (not overlay: {why})"));
    Ok((record, notice))
}

/// An empty directory to stand in as the only lower layer of an image without layers.
fn empty_layer(store: &ImageStore) -> Result<PathBuf> {
    let dir = store.dir().join("empty-layer");
    fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
    Ok(dir)
}

/// A container's sizes as `ps -s` shows them: its own layer, and that plus its image's layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Bytes the container wrote (files added or changed): Docker's `SizeRw`.
    pub rw: u64,
    /// `rw` plus the image's size: Docker's `SizeRootFs` ("virtual").
    pub virtual_size: u64,
}

// ANCHOR: sizes
/// The sizes of the container stored in `container_dir`, for `ps -s` and `inspect -s`.
pub fn container_sizes(store: &ImageStore, container_dir: &Path) -> Result<Sizes> {
    let layer = ContainerLayer::load(container_dir)?;
    let rw = match layer.driver {
        Driver::Overlay => changes::disk_usage(&container_dir.join("upper")),
        Driver::Copy => changes::changed_bytes(
            &layer.changes(container_dir)?,
            &container_dir.join("rootfs"),
        ),
    };
    let image_size: u64 = layer
        .diff_ids()
        .iter()
        .filter_map(|d| store.layer_store().size(d).ok())
        .sum();
    Ok(Sizes {
        rw,
        virtual_size: rw + image_size,
    })
}
// ANCHOR_END: sizes

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_is_the_default_and_every_fallback_says_why() {
        assert_eq!(
            choose_from(None, true, false).unwrap(),
            Choice {
                driver: Driver::Overlay,
                reason: None
            }
        );
        let no_kernel = choose_from(None, false, false).unwrap();
        assert_eq!(no_kernel.driver, Driver::Copy);
        assert!(no_kernel.reason.unwrap().contains("no OverlayFS"));
        let nested = choose_from(None, true, true).unwrap();
        assert_eq!(nested.driver, Driver::Copy);
        assert!(nested.reason.unwrap().contains("on OverlayFS"));
        assert_eq!(
            choose_from(Some("copy"), true, false).unwrap().driver,
            Driver::Copy
        );
        assert_eq!(
            choose_from(Some("overlay"), true, true).unwrap().driver,
            Driver::Overlay
        );
        assert!(choose_from(Some("zfs"), true, false).is_err());
    }

    #[test]
    fn the_copy_driver_gives_each_container_its_own_files_and_reports_their_size() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(&dir.path().join("images")).unwrap();
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_path("etc/motd").unwrap();
        header.set_size(5);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, &b"hello"[..]).unwrap();
        let image = super::super::create::import(
            &store,
            &builder.into_inner().unwrap()[..],
            None,
            &Default::default(),
            "test",
        )
        .unwrap();
        let container = dir.path().join("containers/c1");
        let choice = choose_from(Some("copy"), true, false).unwrap();
        let (layer, notice) = create_layer_with(&store, &image, &container, choice).unwrap();
        assert_eq!(layer.driver, Driver::Copy);
        assert!(notice.unwrap().contains("FERRY_STORAGE_DRIVER=copy"));
        assert_eq!(ContainerLayer::load(&container).unwrap(), layer);
        let (root, source) = layer.mount(&container);
        assert!(matches!(source, RootfsSource::Directory));
        fs::write(root.join("etc/new"), b"123").unwrap();
        let sizes = container_sizes(&store, &container).unwrap();
        assert_eq!(
            sizes,
            Sizes {
                rw: 3,
                virtual_size: 8
            }
        );
        let lines: Vec<String> = layer
            .changes(&container)
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(lines, ["C /etc", "A /etc/new"]);
        assert_eq!(
            fs::read(store.layers(&image).unwrap()[0].join("etc/motd")).unwrap(),
            b"hello"
        );
    }
}
