//! Reading a stack of layer directories the way OverlayFS shows them, without mounting anything.
//!
//! The rules, for a path looked up from the top layer down:
//! - the first layer that has the path wins (upper files hide lower ones);
//! - a whiteout (character device 0/0) means "deleted": lower layers are not consulted;
//! - a non-directory hides everything below its path in lower layers;
//! - an opaque directory hides the lower layers' contents of that directory.
//!
//! The copying storage driver uses this to build a container's root filesystem when OverlayFS is
//! unavailable ([`flatten`]), `ferry diff` uses it to compare a container with its image, and the
//! tests use it as the model the kernel's overlay must agree with.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use nix::sys::stat::{makedev, mknod, utimensat, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;

use super::whiteout;
use crate::{Error, Result};

/// How many symlinks [`LayeredView::resolve`] follows, as the kernel does at most.
pub const MAX_SYMLINKS: usize = 40;

/// A read-only merged view of layer directories, uppermost first.
#[derive(Debug, Clone)]
pub struct LayeredView {
    layers: Vec<PathBuf>,
}

/// One visible file: where its bytes really are, and its metadata.
#[derive(Debug)]
pub struct Found {
    /// The path in the layer that provides it.
    pub path: PathBuf,
    /// Its metadata (not following symlinks).
    pub meta: Metadata,
}

impl LayeredView {
    /// A view of `layers`, uppermost first (OverlayFS `lowerdir` order).
    pub fn new(layers: Vec<PathBuf>) -> Self {
        Self { layers }
    }

    // ANCHOR: lookup
    /// The file at `relative` as the merged view shows it, or `None` if it is absent or deleted.
    pub fn lookup(&self, relative: &Path) -> Option<Found> {
        for layer in &self.layers {
            let mut stop_below = false;
            let mut dir = layer.clone();
            let parents: Vec<_> = relative
                .parent()
                .map(|p| p.components().collect())
                .unwrap_or_default();
            let mut present = true;
            for part in parents {
                dir.push(part);
                match dir.symlink_metadata() {
                    Err(_) => {
                        present = false;
                        break;
                    }
                    Ok(meta) if !meta.is_dir() => return None, // deleted, or hidden by a file
                    Ok(_) => stop_below |= whiteout::is_opaque(&dir),
                }
            }
            if present {
                let path = layer.join(relative);
                if let Ok(meta) = path.symlink_metadata() {
                    return (!whiteout::is_whiteout(&meta)).then_some(Found { path, meta });
                }
            }
            if stop_below {
                return None;
            }
        }
        None
    }
    // ANCHOR_END: lookup

    // ANCHOR: resolve
    /// The file at `path` as a process chrooted into the merged view would open it: a symlink at
    /// any component is followed *inside* the view (an absolute target starts again at its root,
    /// and `..` stops there), never on the host, where the layer's link would lead. `None` when
    /// absent, deleted, or after [`MAX_SYMLINKS`] links.
    pub fn resolve(&self, path: &Path) -> Option<Found> {
        // What is left to walk, next part last; `None` stands for `..`.
        let mut pending: Vec<Option<OsString>> = Vec::new();
        let push = |pending: &mut Vec<Option<OsString>>, path: &Path| {
            for part in path.components().rev() {
                match part {
                    Component::Normal(name) => pending.push(Some(name.to_os_string())),
                    Component::ParentDir => pending.push(None),
                    Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
                }
            }
        };
        push(&mut pending, path);
        let mut resolved = PathBuf::new(); // a path of the view without any symlink in it
        let mut followed = 0;
        while let Some(part) = pending.pop() {
            let Some(name) = part else {
                resolved.pop();
                continue;
            };
            let candidate = resolved.join(name);
            let found = self.lookup(&candidate)?;
            if !found.meta.file_type().is_symlink() {
                resolved = candidate;
                continue;
            }
            followed += 1;
            if followed > MAX_SYMLINKS {
                return None;
            }
            let target = fs::read_link(&found.path).ok()?;
            if target.is_absolute() {
                resolved = PathBuf::new();
            }
            push(&mut pending, &target);
        }
        self.lookup(&resolved)
    }
    // ANCHOR_END: resolve

    /// The visible entries of the directory `relative`, by name.
    pub fn list(&self, relative: &Path) -> BTreeMap<OsString, Found> {
        let mut names: Vec<OsString> = Vec::new();
        for layer in &self.layers {
            if let Ok(entries) = fs::read_dir(layer.join(relative)) {
                names.extend(entries.filter_map(|e| e.ok()).map(|e| e.file_name()));
            }
        }
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                self.lookup(&relative.join(&name))
                    .map(|found| (name, found))
            })
            .collect()
    }
}

// ANCHOR: flatten
/// Copies the merged view into the empty directory `dest`: the copying driver's root filesystem.
/// Modes, owners and modification times are kept, so an unchanged file compares equal later.
pub fn flatten(view: &LayeredView, dest: &Path) -> Result<()> {
    copy_dir(view, Path::new(""), dest)
}

fn copy_dir(view: &LayeredView, relative: &Path, dest: &Path) -> Result<()> {
    for (name, found) in view.list(relative) {
        let target = dest.join(&name);
        copy_node(&found, &target)?;
        if found.meta.is_dir() {
            copy_dir(view, &relative.join(&name), &target)?;
        }
        copy_metadata(&found.meta, &target)?;
    }
    Ok(())
}
// ANCHOR_END: flatten

/// Creates `target` as a copy of one file, link, directory or device (not its children).
pub(super) fn copy_node(found: &Found, target: &Path) -> Result<()> {
    let kind = found.meta.file_type();
    if kind.is_dir() {
        fs::create_dir(target).map_err(Error::io("create directory", target))?;
    } else if kind.is_symlink() {
        let link = fs::read_link(&found.path).map_err(Error::io("read link", &found.path))?;
        std::os::unix::fs::symlink(&link, target).map_err(Error::io("symlink", target))?;
    } else if kind.is_file() {
        fs::copy(&found.path, target).map_err(Error::io("copy to", target))?;
    } else {
        let flag = if kind.is_char_device() {
            SFlag::S_IFCHR
        } else if kind.is_block_device() {
            SFlag::S_IFBLK
        } else if kind.is_fifo() {
            SFlag::S_IFIFO
        } else {
            return Ok(()); // sockets are not copied
        };
        let rdev = found.meta.rdev();
        let dev = makedev(nix::sys::stat::major(rdev), nix::sys::stat::minor(rdev));
        mknod(target, flag, Mode::empty(), dev).map_err(|e| Error::Io {
            op: "mknod",
            path: target.into(),
            source: e.into(),
        })?;
    }
    Ok(())
}

/// Gives `target` the owner, mode and times in `meta` (after its children were written, so a
/// directory's time is not changed by filling it).
pub(super) fn copy_metadata(meta: &Metadata, target: &Path) -> Result<()> {
    if nix::unistd::geteuid().is_root() {
        std::os::unix::fs::lchown(target, Some(meta.uid()), Some(meta.gid()))
            .map_err(Error::io("chown", target))?;
    }
    if !meta.file_type().is_symlink() {
        fs::set_permissions(target, fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(Error::io("chmod", target))?;
    }
    let atime = TimeSpec::new(meta.atime(), meta.atime_nsec());
    let mtime = TimeSpec::new(meta.mtime(), meta.mtime_nsec());
    utimensat(
        None,
        target,
        &atime,
        &mtime,
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(|e| Error::Io {
        op: "set times of",
        path: target.into(),
        source: e.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, data: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }

    fn read(view: &LayeredView, path: &str) -> Option<String> {
        view.lookup(Path::new(path))
            .map(|f| fs::read_to_string(f.path).unwrap())
    }

    #[test]
    fn resolve_follows_symlinks_inside_the_view_only() {
        let dir = tempfile::tempdir().unwrap();
        let (upper, lower) = (dir.path().join("upper"), dir.path().join("lower"));
        let host = dir.path().join("host-passwd");
        write(&host, "host");
        write(&lower.join("usr/lib/passwd"), "image");
        fs::create_dir_all(upper.join("etc")).unwrap();
        std::os::unix::fs::symlink("/usr/lib/passwd", upper.join("etc/passwd")).unwrap();
        std::os::unix::fs::symlink(&host, upper.join("etc/evil")).unwrap();
        std::os::unix::fs::symlink("../../../../..", upper.join("etc/up")).unwrap();
        std::os::unix::fs::symlink("/usr", lower.join("u")).unwrap();
        std::os::unix::fs::symlink("loop", upper.join("loop")).unwrap();
        let view = LayeredView::new(vec![upper, lower]);
        let text = |p: &str| {
            view.resolve(Path::new(p))
                .map(|f| fs::read_to_string(f.path).unwrap())
        };
        assert_eq!(text("etc/passwd").as_deref(), Some("image"));
        assert_eq!(text("/u/lib/../lib/passwd").as_deref(), Some("image"));
        assert_eq!(text("etc/up/usr/lib/passwd").as_deref(), Some("image"));
        assert_eq!(
            text("etc/evil"),
            None,
            "a link to a host path is looked up inside"
        );
        assert!(view.resolve(Path::new("loop")).is_none());
        assert!(view.resolve(Path::new("/")).unwrap().meta.is_dir());
    }

    #[test]
    fn upper_files_hide_lower_ones_and_directories_merge() {
        let dir = tempfile::tempdir().unwrap();
        let (upper, lower) = (dir.path().join("upper"), dir.path().join("lower"));
        write(&lower.join("etc/a"), "lower a");
        write(&lower.join("etc/b"), "lower b");
        write(&upper.join("etc/a"), "upper a");
        let view = LayeredView::new(vec![upper, lower]);
        assert_eq!(read(&view, "etc/a").as_deref(), Some("upper a"));
        assert_eq!(read(&view, "etc/b").as_deref(), Some("lower b"));
        let names: Vec<_> = view.list(Path::new("etc")).into_keys().collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn a_file_in_an_upper_layer_hides_a_lower_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (upper, lower) = (dir.path().join("upper"), dir.path().join("lower"));
        write(&lower.join("x/inside"), "lower");
        write(&upper.join("x"), "now a file");
        let view = LayeredView::new(vec![upper, lower]);
        assert_eq!(read(&view, "x").as_deref(), Some("now a file"));
        assert_eq!(read(&view, "x/inside"), None);
    }

    #[test]
    fn whiteouts_and_opaque_directories_hide_lower_layers() {
        if !ferry_testkit::require(
            "whiteouts_and_opaque_directories_hide_lower_layers",
            &[ferry_testkit::Need::Root],
        ) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let (upper, lower) = (dir.path().join("upper"), dir.path().join("lower"));
        write(&lower.join("gone"), "x");
        write(&lower.join("opaque/old"), "x");
        write(&upper.join("opaque/new"), "y");
        whiteout::make_whiteout(&upper.join("gone")).unwrap();
        whiteout::make_opaque(&upper.join("opaque")).unwrap();
        let view = LayeredView::new(vec![upper, lower]);
        assert!(view.lookup(Path::new("gone")).is_none());
        let names: Vec<_> = view.list(Path::new("opaque")).into_keys().collect();
        assert_eq!(names, ["new"]);
        let flat = dir.path().join("flat");
        fs::create_dir(&flat).unwrap();
        flatten(&view, &flat).unwrap();
        assert!(!flat.join("gone").exists() && !flat.join("opaque/old").exists());
        assert_eq!(fs::read_to_string(flat.join("opaque/new")).unwrap(), "y");
    }
}
