//! Mounting an overlay, as `mount -t overlay overlay -o lowerdir=…,upperdir=…,workdir=… merged`.
//!
//! The demos first move into a mount namespace of their own with `unshare(CLONE_NEWNS)` and make
//! every mount private (chapter 1's namespaces at work): the overlay is then visible to the demo
//! only, and disappears when it exits, even if it crashes halfway.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

use crate::{Error, Result};

/// The directories of one overlay mount.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// Read-only layers, uppermost first.
    pub lower: Vec<PathBuf>,
    /// Where writes go.
    pub upper: PathBuf,
    /// OverlayFS's scratch space: empty, on the same file system as `upper`.
    pub work: PathBuf,
    /// Where the union appears.
    pub merged: PathBuf,
}

impl Overlay {
    // ANCHOR: options
    /// The mount options: `lowerdir` lists the layers uppermost first, separated by `:`.
    pub fn options(&self) -> String {
        let lower: Vec<String> = self.lower.iter().map(|p| p.display().to_string()).collect();
        format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.join(":"),
            self.upper.display(),
            self.work.display()
        )
    }
    // ANCHOR_END: options

    // ANCHOR: mount
    /// Creates `upper`, `work` and `merged` if needed and mounts the overlay on `merged`.
    pub fn mount(&self) -> Result<()> {
        for dir in [&self.upper, &self.work, &self.merged] {
            std::fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
        }
        let options = self.options();
        mount(
            Some("overlay"),
            &self.merged,
            Some("overlay"),
            MsFlags::empty(),
            Some(options.as_str()),
        )
        .map_err(|source| Error::Sys {
            op: format!("mount overlay on {}", self.merged.display()),
            source,
        })
    }
    // ANCHOR_END: mount

    /// Unmounts `merged`.
    pub fn unmount(&self) -> Result<()> {
        umount2(&self.merged, MntFlags::MNT_DETACH).map_err(|source| Error::Sys {
            op: format!("unmount {}", self.merged.display()),
            source,
        })
    }
}

/// Moves this process into a new mount namespace whose mounts do not propagate to the host.
pub fn private_mount_namespace() -> Result<()> {
    unshare(CloneFlags::CLONE_NEWNS).map_err(|source| Error::Sys {
        op: "unshare(CLONE_NEWNS)".into(),
        source,
    })?;
    let none: Option<&str> = None;
    mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none).map_err(|source| {
        Error::Sys {
            op: "make / private".into(),
            source,
        }
    })
}

/// Whether `path` is a mount point in this mount namespace.
pub fn is_mounted(path: &Path) -> bool {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let path = path.display().to_string();
    mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .any(|mp| mp == path)
}
