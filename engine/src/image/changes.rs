//! What a container changed in its image: `ferry diff`'s A/C/D list, and the same changes as a
//! layer tarball for `ferry commit`.
//!
//! With OverlayFS the answer is the container's upper directory: every entry there is new (A) or
//! a changed copy of an image file (C), and every whiteout is a deletion (D). With the copying
//! driver there is no upper directory, so the container's tree is compared with the image's
//! merged view, file by file (type, mode, owner, size, modification time, link target).

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File, Metadata};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};

use super::view::LayeredView;
use super::whiteout;
use crate::{Error, Result};

/// How a path differs from the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// Changed (`C`).
    Changed,
    /// Added (`A`).
    Added,
    /// Deleted (`D`).
    Deleted,
}

/// One line of `ferry diff`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// The path inside the container, relative to its root.
    pub path: PathBuf,
    /// What happened to it.
    pub kind: ChangeKind,
}

impl fmt::Display for Change {
    /// As `docker diff` prints it: `A /tmp/new`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self.kind {
            ChangeKind::Added => 'A',
            ChangeKind::Changed => 'C',
            ChangeKind::Deleted => 'D',
        };
        write!(f, "{letter} /{}", self.path.display())
    }
}

/// Files the engine itself bind-mounts into every container (see `crate::network::etc_files`);
/// the runtime creates an empty mount point for each in the container's layer when the image has
/// none. Like the files of Docker's "init layer", they are not the container's changes: `diff`
/// does not list them and `commit` does not put them in the image.
pub const ENGINE_FILES: [&str; 3] = ["etc/hostname", "etc/hosts", "etc/resolv.conf"];

// ANCHOR: upper_changes
/// The changes an OverlayFS upper directory holds over `image`, sorted by path.
pub fn from_upper(upper: &Path, image: &LayeredView) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    walk_upper(upper, Path::new(""), image, &mut changes)?;
    Ok(without_engine_files(changes))
}

fn walk_upper(
    upper: &Path,
    relative: &Path,
    image: &LayeredView,
    out: &mut Vec<Change>,
) -> Result<()> {
    for name in sorted_names(upper, relative)? {
        let path = relative.join(&name);
        let meta = upper
            .join(&path)
            .symlink_metadata()
            .map_err(Error::io("stat", upper.join(&path)))?;
        if whiteout::is_whiteout(&meta) {
            out.push(Change {
                path,
                kind: ChangeKind::Deleted,
            });
            continue;
        }
        let in_image = image.lookup(&path).is_some();
        out.push(Change {
            path: path.clone(),
            kind: if in_image {
                ChangeKind::Changed
            } else {
                ChangeKind::Added
            },
        });
        if meta.is_dir() {
            if in_image && whiteout::is_opaque(&upper.join(&path)) {
                // The directory was replaced: whatever the image had in it is gone.
                let kept = sorted_names(upper, &path)?;
                for hidden in image.list(&path).into_keys().filter(|n| !kept.contains(n)) {
                    out.push(Change {
                        path: path.join(hidden),
                        kind: ChangeKind::Deleted,
                    });
                }
            }
            walk_upper(upper, &path, image, out)?;
        }
    }
    Ok(())
}
// ANCHOR_END: upper_changes

/// The changes of a full copy of the image (the copying driver's root filesystem), sorted by path.
pub fn from_copy(rootfs: &Path, image: &LayeredView) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    compare_dir(rootfs, Path::new(""), image, &mut changes)?;
    Ok(without_engine_files(changes))
}

/// Sorts the changes and leaves out [`ENGINE_FILES`], and the directories listed only because
/// they hold one of them.
fn without_engine_files(mut changes: Vec<Change>) -> Vec<Change> {
    let is_engine_file = |c: &Change| {
        c.kind != ChangeKind::Deleted && ENGINE_FILES.iter().any(|f| c.path == Path::new(f))
    };
    let holders: BTreeSet<PathBuf> = changes
        .iter()
        .filter(|c| is_engine_file(c))
        .flat_map(|c| {
            c.path
                .ancestors()
                .skip(1)
                .map(Path::to_path_buf)
                .collect::<Vec<_>>()
        })
        .collect();
    changes.retain(|c| !is_engine_file(c));
    let kept: Vec<PathBuf> = changes.iter().map(|c| c.path.clone()).collect();
    changes.retain(|c| {
        !holders.contains(&c.path) || kept.iter().any(|p| p != &c.path && p.starts_with(&c.path))
    });
    changes.sort();
    changes
}

fn compare_dir(
    rootfs: &Path,
    relative: &Path,
    image: &LayeredView,
    out: &mut Vec<Change>,
) -> Result<()> {
    let mine = sorted_names(rootfs, relative)?;
    let theirs = image.list(relative);
    for name in theirs.keys().filter(|n| !mine.contains(*n)) {
        out.push(Change {
            path: relative.join(name),
            kind: ChangeKind::Deleted,
        });
    }
    for name in &mine {
        let path = relative.join(name);
        let meta = rootfs
            .join(&path)
            .symlink_metadata()
            .map_err(Error::io("stat", rootfs.join(&path)))?;
        match theirs.get(name) {
            None => added_tree(rootfs, &path, &meta, out)?,
            Some(found) => {
                if differs(&meta, &rootfs.join(&path), &found.meta, &found.path) {
                    out.push(Change {
                        path: path.clone(),
                        kind: ChangeKind::Changed,
                    });
                }
                if meta.is_dir() && found.meta.is_dir() {
                    compare_dir(rootfs, &path, image, out)?;
                } else if meta.is_dir() {
                    added_children(rootfs, &path, out)?;
                }
            }
        }
    }
    Ok(())
}

fn added_tree(rootfs: &Path, path: &Path, meta: &Metadata, out: &mut Vec<Change>) -> Result<()> {
    out.push(Change {
        path: path.to_path_buf(),
        kind: ChangeKind::Added,
    });
    if meta.is_dir() {
        added_children(rootfs, path, out)?;
    }
    Ok(())
}

fn added_children(rootfs: &Path, path: &Path, out: &mut Vec<Change>) -> Result<()> {
    for name in sorted_names(rootfs, path)? {
        let child = path.join(name);
        let meta = rootfs
            .join(&child)
            .symlink_metadata()
            .map_err(Error::io("stat", rootfs.join(&child)))?;
        added_tree(rootfs, &child, &meta, out)?;
    }
    Ok(())
}

/// Whether a file differs from the image's version (Docker's naive diff compares the same fields).
fn differs(a: &Metadata, a_path: &Path, b: &Metadata, b_path: &Path) -> bool {
    let same_meta = a.mode() == b.mode()
        && a.uid() == b.uid()
        && a.gid() == b.gid()
        && a.rdev() == b.rdev()
        && (a.is_dir()
            || (a.size() == b.size()
                && a.mtime() == b.mtime()
                && a.mtime_nsec() == b.mtime_nsec()));
    let same_link =
        !a.file_type().is_symlink() || fs::read_link(a_path).ok() == fs::read_link(b_path).ok();
    let same_dir_time = !a.is_dir() || (a.mtime() == b.mtime() && a.mtime_nsec() == b.mtime_nsec());
    !(same_meta && same_link && same_dir_time)
}

/// The names in the directory `relative` below `base`, reached without a symlink (a running
/// container may have just swapped it for a link to a host directory, whose names are not its).
fn sorted_names(base: &Path, relative: &Path) -> Result<BTreeSet<OsString>> {
    let path = base.join(relative);
    let failed = |e: std::io::Error| Error::io("read directory", &path)(e);
    let base_dir = File::open(base).map_err(failed)?;
    let fd =
        open_beneath(&base_dir, relative, OFlag::O_RDONLY | OFlag::O_DIRECTORY).map_err(failed)?;
    let mut dir = nix::dir::Dir::from_fd(fd.into_raw_fd()).map_err(|e| failed(e.into()))?;
    let mut names = BTreeSet::new();
    for entry in dir.iter() {
        let entry = entry.map_err(|e| failed(e.into()))?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if name != "." && name != ".." {
            names.insert(name.to_os_string());
        }
    }
    Ok(names)
}

/// Opens `relative` below the directory `base` with no symlink on the way (nor at its end).
fn open_beneath(base: &File, relative: &Path, flags: OFlag) -> std::io::Result<OwnedFd> {
    let relative = if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    };
    let how = OpenHow::new()
        .flags(flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_SYMLINKS);
    let fd = openat2(base.as_raw_fd(), relative, how).map_err(|e| match e {
        Errno::ELOOP | Errno::EXDEV => std::io::Error::other("a symlink is on its way"),
        e => e.into(),
    })?;
    // SAFETY: openat2 returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

// ANCHOR: changes_tarball
/// Writes `changes` as a layer tarball: added and changed files taken from `source` (the upper
/// directory or the copied root filesystem), deletions as `.wh.` whiteout entries. Returns the
/// sink back.
pub fn write_tarball<W: Write>(changes: &[Change], source: &Path, sink: W) -> Result<W> {
    let mut tar = tar::Builder::new(sink);
    let source_dir = File::open(source).map_err(Error::io("open", source))?;
    let bad = |e: std::io::Error| Error::Archive(format!("cannot write the layer tarball: {e}"));
    for change in changes {
        match change.kind {
            ChangeKind::Deleted => {
                let name = change
                    .path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let entry = change
                    .path
                    .with_file_name(format!("{}{name}", whiteout::PREFIX));
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(0);
                header.set_mode(0o644);
                header.set_uid(0);
                header.set_gid(0);
                header.set_mtime(crate::image::time::now().max(0) as u64);
                tar.append_data(&mut header, &entry, std::io::empty())
                    .map_err(bad)?;
            }
            ChangeKind::Added | ChangeKind::Changed => {
                append_confined(&mut tar, &source_dir, &change.path).map_err(|e| {
                    Error::Archive(format!(
                        "cannot add /{} to the layer: {e}",
                        change.path.display()
                    ))
                })?;
            }
        }
    }
    tar.into_inner().map_err(bad)
}
// ANCHOR_END: changes_tarball

// ANCHOR: append_confined
/// Adds `relative` to the tarball as it is below `source`, reached without any symlink. A running
/// container changes its layer while it is committed: between the walk and this read, a directory
/// can become a symlink to the host's `/etc`, and a path followed from the host would put the
/// host's files into the image. So the file is opened beneath `source` with no link on the way
/// (`openat2`), described from that descriptor, and a symlink is stored as a symlink.
fn append_confined<W: Write>(
    tar: &mut tar::Builder<W>,
    source: &File,
    relative: &Path,
) -> std::io::Result<()> {
    let node = File::from(open_beneath(source, relative, OFlag::O_PATH)?);
    let meta = node.metadata()?;
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    let kind = meta.file_type();
    if kind.is_file() {
        // Reopening the descriptor's magic link opens that very inode, wherever it has moved.
        let file = File::open(format!("/proc/self/fd/{}", node.as_raw_fd()))?;
        header.set_size(meta.len());
        tar.append_data(&mut header, relative, file.take(meta.len()))
    } else if kind.is_symlink() {
        let target = nix::fcntl::readlinkat(Some(node.as_raw_fd()), "")?;
        header.set_size(0);
        tar.append_link(&mut header, relative, target)
    } else {
        if kind.is_char_device() || kind.is_block_device() {
            let rdev = meta.rdev();
            header.set_device_major(nix::sys::stat::major(rdev) as u32)?;
            header.set_device_minor(nix::sys::stat::minor(rdev) as u32)?;
        }
        header.set_size(0);
        tar.append_data(&mut header, relative, std::io::empty())
    }
}
// ANCHOR_END: append_confined

/// The bytes of the regular files below `dir`: the size of a container's layer.
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.path().symlink_metadata() {
            Ok(meta) if meta.is_dir() => disk_usage(&e.path()),
            Ok(meta) if meta.is_file() => meta.len(),
            _ => 0,
        })
        .sum()
}

/// The bytes of the added or changed regular files (the copying driver's layer size).
pub fn changed_bytes(changes: &[Change], source: &Path) -> u64 {
    changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Deleted)
        .filter_map(|c| source.join(&c.path).symlink_metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::view::flatten;

    fn write(path: &Path, data: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, data).unwrap();
    }

    fn lines(changes: &[Change]) -> Vec<String> {
        changes.iter().map(|c| c.to_string()).collect()
    }

    /// The entries of a tarball: name, and content or link target.
    fn entries(tar: &[u8]) -> Vec<(String, String)> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let mut text = String::new();
                if let Some(link) = e.link_name().unwrap() {
                    text = link.to_string_lossy().into_owned();
                } else {
                    std::io::Read::read_to_string(&mut e, &mut text).unwrap();
                }
                (name, text)
            })
            .collect()
    }

    #[test]
    fn a_layer_swapping_a_directory_for_a_symlink_cannot_put_host_files_in_the_tarball() {
        // A running container's layer changes under `commit`: between the walk and the read, a
        // directory can become a symlink to a host directory (and a file a symlink to a host file).
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("host");
        write(&host.join("shadow"), "host secret");
        let upper = dir.path().join("upper");
        write(&upper.join("tmp/mine"), "mine");
        std::os::unix::fs::symlink(&host, upper.join("etc")).unwrap();
        std::os::unix::fs::symlink(host.join("shadow"), upper.join("file")).unwrap();
        let added = |path: &str| Change {
            path: path.into(),
            kind: ChangeKind::Added,
        };
        let err = match write_tarball(
            &[added("tmp/mine"), added("etc/shadow")],
            &upper,
            Vec::new(),
        ) {
            Ok(tar) => panic!("written: {:?}", entries(&tar)),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("etc/shadow"), "{err}");
        let tar = write_tarball(
            &[added("tmp"), added("tmp/mine"), added("file")],
            &upper,
            Vec::new(),
        )
        .unwrap();
        assert_eq!(
            entries(&tar),
            [
                ("tmp".to_string(), String::new()),
                ("tmp/mine".to_string(), "mine".to_string()),
                (
                    "file".to_string(),
                    host.join("shadow").display().to_string()
                ),
            ],
            "a symlink is stored as a symlink"
        );
    }

    #[test]
    fn a_directory_swapped_for_a_symlink_lists_nothing_of_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("host");
        write(&host.join("host-secret-name"), "x");
        let upper = dir.path().join("upper");
        write(&upper.join("tmp/mine"), "mine");
        std::os::unix::fs::symlink(&host, upper.join("etc")).unwrap();
        let names = sorted_names(&upper, Path::new("tmp")).unwrap();
        assert_eq!(names.into_iter().collect::<Vec<_>>(), ["mine"]);
        assert!(sorted_names(&upper, Path::new("etc")).is_err());
        let err = sorted_names(&upper, Path::new("etc/sub"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("symlink"), "{err}");
        assert_eq!(sorted_names(&upper, Path::new("")).unwrap().len(), 2);
    }

    #[test]
    fn a_copy_is_compared_with_its_image_file_by_file() {
        let dir = tempfile::tempdir().unwrap();
        let layer = dir.path().join("layer");
        write(&layer.join("etc/keep"), "k");
        write(&layer.join("etc/edit"), "old");
        write(&layer.join("etc/remove"), "r");
        let image = LayeredView::new(vec![layer]);
        let rootfs = dir.path().join("rootfs");
        fs::create_dir(&rootfs).unwrap();
        flatten(&image, &rootfs).unwrap();
        assert!(
            from_copy(&rootfs, &image).unwrap().is_empty(),
            "a fresh copy has no changes"
        );
        fs::write(rootfs.join("etc/edit"), "new content").unwrap();
        fs::remove_file(rootfs.join("etc/remove")).unwrap();
        write(&rootfs.join("srv/new/file"), "n");
        let changes = from_copy(&rootfs, &image).unwrap();
        assert_eq!(
            lines(&changes),
            [
                "C /etc",
                "C /etc/edit",
                "D /etc/remove",
                "A /srv",
                "A /srv/new",
                "A /srv/new/file"
            ]
        );
        assert_eq!(
            changed_bytes(&changes, &rootfs),
            "new content".len() as u64 + 1
        );
    }

    #[test]
    fn an_upper_directory_lists_additions_and_copied_up_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (layer, upper) = (dir.path().join("layer"), dir.path().join("upper"));
        write(&layer.join("etc/motd"), "h");
        write(&upper.join("etc/motd"), "h2");
        write(&upper.join("tmp/new"), "n");
        let changes = from_upper(&upper, &LayeredView::new(vec![layer])).unwrap();
        assert_eq!(
            lines(&changes),
            ["C /etc", "C /etc/motd", "A /tmp", "A /tmp/new"]
        );
        assert_eq!(disk_usage(&upper), 3);
    }

    #[test]
    fn the_engines_own_etc_files_are_not_changes() {
        let dir = tempfile::tempdir().unwrap();
        let (layer, upper) = (dir.path().join("layer"), dir.path().join("upper"));
        write(&layer.join("etc/passwd"), "p");
        for file in ENGINE_FILES {
            write(&upper.join(file), "written by the engine");
        }
        let image = LayeredView::new(vec![layer]);
        assert!(from_upper(&upper, &image).unwrap().is_empty());
        write(&upper.join("etc/passwd"), "changed");
        assert_eq!(
            lines(&from_upper(&upper, &image).unwrap()),
            ["C /etc", "C /etc/passwd"]
        );
    }

    #[test]
    fn deletions_become_whiteout_entries_in_the_tarball() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("etc/new"), "n");
        let changes = vec![
            Change {
                path: "etc".into(),
                kind: ChangeKind::Changed,
            },
            Change {
                path: "etc/new".into(),
                kind: ChangeKind::Added,
            },
            Change {
                path: "etc/old".into(),
                kind: ChangeKind::Deleted,
            },
        ];
        let bytes = write_tarball(&changes, dir.path(), Vec::new()).unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["etc", "etc/new", "etc/.wh.old"]);
    }
}
