//! Unpacking a layer tarball without letting it write outside its directory.
//!
//! A tarball is untrusted input: an entry named `../../etc/passwd`, or a symlink `evil -> /etc`
//! followed by an entry `evil/passwd`, would write onto the host if unpacked naively. Entries with a
//! `..` component are refused outright (with their name), absolute names are taken relative to the
//! root (as GNU tar does), and nothing is ever written through a symlink: the tar crate's
//! `unpack_in` checks that for ordinary entries, and [`real_dir`] for the entries unpacked here.
//!
//! In a layer, whiteouts (`.wh.name`, `.wh..wh..opq`) become what OverlayFS reads (see
//! [`super::whiteout`]), and device nodes are created with `mknod`, which the tar crate does not do.
//! Any other tarball ([`unpack_files`]: the archive `ferry load` reads) is only files: a `.wh.` name
//! is a name like any other — interpreted there, `.wh..` deleted the directory it was unpacked in,
//! inside the image store — and a device node is refused.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use nix::sys::stat::{makedev, mknod, Mode, SFlag};

use super::whiteout::{self, TarName};
use crate::{Error, Result};

/// What a tarball holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contents {
    /// An image layer: whiteouts and device nodes mean something.
    Layer,
    /// Files and directories, nothing more.
    Files,
}

/// Unpacks every entry of the layer tarball `archive` below `dest`, keeping modes and ownership and
/// turning whiteouts into their OverlayFS form. Returns the layer's size: the bytes of its files.
///
/// Fails on the first unsafe or unreadable entry; callers unpack into a temporary directory and
/// discard it on failure, so nothing half-written is ever visible.
pub fn unpack_safely(archive: impl Read, dest: &Path) -> Result<u64> {
    unpack(archive, dest, Contents::Layer)
}

/// Unpacks a tarball that is not a layer (the archive `ferry load` reads) below `dest`, with the
/// same confinement: no whiteouts are interpreted, and device nodes and FIFOs are refused.
pub fn unpack_files(archive: impl Read, dest: &Path) -> Result<()> {
    unpack(archive, dest, Contents::Files).map(drop)
}

// ANCHOR: unpack
/// Every entry below `dest`, each checked before it is written (see the module's doc).
fn unpack(archive: impl Read, dest: &Path, contents: Contents) -> Result<u64> {
    let mut archive = tar::Archive::new(archive);
    archive.set_preserve_permissions(true);
    // Owners are kept when we may set them (root); an unprivileged caller gets the files as its own.
    archive.set_preserve_ownerships(nix::unistd::geteuid().is_root());
    archive.set_preserve_mtime(true);
    archive.set_unpack_xattrs(false);
    let bad = |e: std::io::Error| Error::Archive(format!("cannot read the archive: {e}"));
    let mut size = 0;
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = entry.path().map_err(bad)?.into_owned();
        let relative = confined_path(&name)?;
        let Some(file_name) = relative.file_name() else {
            continue; // the archive's "./" entry: dest itself
        };
        let parent = relative.parent().unwrap_or(Path::new(""));
        let kind = match contents {
            Contents::Layer => whiteout::classify(file_name)?,
            Contents::Files => TarName::Plain,
        };
        if contents == Contents::Files && is_device(entry.header().entry_type()) {
            return Err(Error::Archive(format!(
                "refusing archive entry {}: a device node or FIFO has no place in an image archive",
                name.display()
            )));
        }
        match kind {
            TarName::Opaque => whiteout::make_opaque(&real_dir(dest, parent)?)?,
            TarName::Deletes(hidden) => {
                let target = real_dir(dest, parent)?.join(hidden);
                remove_any(&target)?;
                whiteout::make_whiteout(&target)?;
            }
            TarName::Plain if is_device(entry.header().entry_type()) => {
                let target = real_dir(dest, parent)?.join(file_name);
                make_device(&target, entry.header())?;
            }
            TarName::Plain => {
                size += entry.header().entry_size().unwrap_or(0);
                let unpacked = entry.unpack_in(dest).map_err(|e| {
                    Error::Archive(format!(
                        "cannot unpack {}: {}",
                        name.display(),
                        with_cause(&e)
                    ))
                })?;
                if !unpacked {
                    return Err(Error::Archive(format!(
                        "refusing archive entry {}: it leads outside the root",
                        name.display()
                    )));
                }
            }
        }
    }
    Ok(size)
}
// ANCHOR_END: unpack

/// An error and its causes on one line: the tar crate puts the errno in the cause.
fn with_cause(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(&format!(": {e}"));
        cause = e.source();
    }
    text
}

/// The entry's path relative to the root, or an error when it climbs out with `..`.
fn confined_path(name: &Path) -> Result<PathBuf> {
    let mut relative = PathBuf::new();
    for component in name.components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::Archive(format!(
                    "refusing archive entry {}: \"..\" would escape the root",
                    name.display()
                )))
            }
        }
    }
    Ok(relative)
}

/// `dest/relative` as a real directory, creating missing components; refuses to pass through a
/// symlink or a file, so the caller can write below it knowing it is inside `dest`.
fn real_dir(dest: &Path, relative: &Path) -> Result<PathBuf> {
    let mut dir = dest.to_path_buf();
    for part in relative.components() {
        dir.push(part);
        match dir.symlink_metadata() {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(Error::Archive(format!(
                    "refusing to write below {}: it is not a directory (a symlink could lead outside the root)",
                    dir.display()
                )))
            }
            Err(_) => fs::create_dir(&dir).map_err(Error::io("create directory", &dir))?,
        }
    }
    Ok(dir)
}

/// Removes whatever is at `path` (file, link, whole directory), if anything.
pub(super) fn remove_any(path: &Path) -> Result<()> {
    match path.symlink_metadata() {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path).map_err(Error::io("remove", path)),
        Ok(_) => fs::remove_file(path).map_err(Error::io("remove", path)),
        Err(_) => Ok(()),
    }
}

fn is_device(kind: tar::EntryType) -> bool {
    matches!(
        kind,
        tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo
    )
}

/// Creates the device node or FIFO an entry describes, with its mode and owner.
fn make_device(target: &Path, header: &tar::Header) -> Result<()> {
    let bad =
        |e: std::io::Error| Error::Archive(format!("bad header for {}: {e}", target.display()));
    let kind = match header.entry_type() {
        tar::EntryType::Char => SFlag::S_IFCHR,
        tar::EntryType::Block => SFlag::S_IFBLK,
        _ => SFlag::S_IFIFO,
    };
    let major = header.device_major().map_err(bad)?.unwrap_or(0);
    let minor = header.device_minor().map_err(bad)?.unwrap_or(0);
    let mode = header.mode().map_err(bad)?;
    remove_any(target)?;
    mknod(
        target,
        kind,
        Mode::empty(),
        makedev(major.into(), minor.into()),
    )
    .map_err(|e| Error::Io {
        op: "mknod",
        path: target.into(),
        source: e.into(),
    })?;
    let uid = header.uid().map_err(bad)?;
    let gid = header.gid().map_err(bad)?;
    std::os::unix::fs::lchown(target, u32::try_from(uid).ok(), u32::try_from(gid).ok())
        .map_err(Error::io("chown", target))?;
    fs::set_permissions(target, fs::Permissions::from_mode(mode & 0o7777))
        .map_err(Error::io("chmod", target))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileTypeExt;

    use ferry_testkit::{require, Need};

    use super::*;

    /// An entry of a hand-made (possibly hostile) tarball.
    pub(crate) struct Entry<'a> {
        pub name: &'a str,
        pub kind: tar::EntryType,
        pub link: Option<&'a str>,
        pub data: &'a [u8],
    }

    pub(crate) fn tar_with(entries: &[Entry<'_>]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for e in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(e.kind);
            header.set_mode(0o755);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(1_700_000_000);
            header.set_size(e.data.len() as u64);
            // set_path refuses "..", which is exactly what a hostile archive contains: write raw bytes.
            let raw = &mut header.as_old_mut().name;
            raw[..e.name.len()].copy_from_slice(e.name.as_bytes());
            if let Some(link) = e.link {
                header.set_link_name(link).unwrap();
            }
            header.set_cksum();
            builder.append(&header, e.data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn entry<'a>(
        name: &'a str,
        kind: tar::EntryType,
        link: Option<&'a str>,
        data: &'a [u8],
    ) -> Entry<'a> {
        Entry {
            name,
            kind,
            link,
            data,
        }
    }

    use tar::EntryType::{Directory as Dir, Link as Hard, Regular as File, Symlink as Sym};

    #[test]
    fn ordinary_entries_are_unpacked_with_their_modes_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let tar = tar_with(&[
            entry("./", Dir, None, b""),
            entry("bin/", Dir, None, b""),
            entry("bin/hello", File, None, b"hi"),
            entry("bin/sh", Sym, Some("/bin/hello"), b""),
        ]);
        let size = unpack_safely(&tar[..], dir.path()).unwrap();
        assert_eq!(size, 2);
        assert_eq!(fs::read(dir.path().join("bin/hello")).unwrap(), b"hi");
        let link = fs::read_link(dir.path().join("bin/sh")).unwrap();
        assert_eq!(
            link,
            Path::new("/bin/hello"),
            "absolute symlinks are kept: they resolve inside the container"
        );
    }

    #[test]
    fn parent_components_are_refused_by_name() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("root");
        fs::create_dir(&dest).unwrap();
        let tar = tar_with(&[entry("../escaped", File, None, b"x")]);
        let err = unpack_safely(&tar[..], &dest).unwrap_err().to_string();
        assert!(err.contains("../escaped"), "{err}");
        assert!(!outer.path().join("escaped").exists());
    }

    #[test]
    fn writing_through_a_symlink_out_of_the_root_is_refused() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("root");
        let victim = outer.path().join("victim");
        fs::create_dir_all(&dest).unwrap();
        fs::create_dir_all(&victim).unwrap();
        let tar = tar_with(&[
            entry("evil", Sym, Some(victim.to_str().unwrap()), b""),
            entry("evil/owned", File, None, b"x"),
        ]);
        assert!(unpack_safely(&tar[..], &dest).is_err());
        assert!(
            !victim.join("owned").exists(),
            "the archive wrote outside its root"
        );
    }

    #[test]
    fn a_relative_symlink_climbing_out_cannot_be_written_through() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("root");
        fs::create_dir_all(&dest).unwrap();
        let tar = tar_with(&[
            entry("up", Sym, Some("../.."), b""),
            entry("up/owned", File, None, b"x"),
        ]);
        assert!(unpack_safely(&tar[..], &dest).is_err());
        assert!(!outer.path().join("owned").exists());
        assert!(!outer.path().parent().unwrap().join("owned").exists());
    }

    #[test]
    fn a_hard_link_to_a_host_file_is_refused() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("root");
        fs::create_dir_all(&dest).unwrap();
        let secret = outer.path().join("secret");
        fs::write(&secret, b"host").unwrap();
        let tar = tar_with(&[entry("pw", Hard, Some(secret.to_str().unwrap()), b"")]);
        let result = unpack_safely(&tar[..], &dest);
        let linked = dest.join("pw").symlink_metadata().is_ok();
        assert!(
            result.is_err() || !linked,
            "a hard link reached a host file"
        );
    }

    #[test]
    fn whiteout_entries_are_refused_through_a_symlink() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("root");
        let victim = outer.path().join("victim");
        fs::create_dir_all(&dest).unwrap();
        fs::create_dir_all(&victim).unwrap();
        fs::write(victim.join("keep"), b"x").unwrap();
        let tar = tar_with(&[
            entry("evil", Sym, Some(victim.to_str().unwrap()), b""),
            entry("evil/.wh.keep", File, None, b""),
        ]);
        let err = unpack_safely(&tar[..], &dest).unwrap_err().to_string();
        assert!(err.contains("not a directory"), "{err}");
        assert!(
            victim.join("keep").exists(),
            "a whiteout deleted a host file"
        );
    }

    #[test]
    fn a_whiteout_of_the_layer_itself_or_its_parent_is_refused() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("root");
        fs::create_dir_all(dest.join("etc")).unwrap();
        fs::write(outer.path().join("keep"), b"x").unwrap();
        for name in [".wh..", ".wh...", "etc/.wh..", "etc/.wh..."] {
            let tar = tar_with(&[entry(name, File, None, b"")]);
            let err = unpack_safely(&tar[..], &dest).unwrap_err().to_string();
            assert!(err.contains("refusing whiteout"), "{name}: {err}");
            assert!(dest.join("etc").is_dir(), "{name} deleted the layer");
            assert!(
                outer.path().join("keep").exists(),
                "{name} deleted its parent"
            );
        }
    }

    #[test]
    fn a_plain_archive_keeps_whiteout_names_and_refuses_devices() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("manifest.json"), b"[]").unwrap();
        let tar = tar_with(&[
            entry(".wh.manifest.json", File, None, b""),
            entry(".wh..", File, None, b""),
        ]);
        unpack_files(&tar[..], dir.path()).unwrap();
        assert_eq!(fs::read(dir.path().join("manifest.json")).unwrap(), b"[]");
        assert!(dir.path().join(".wh.manifest.json").is_file());
        for kind in [
            tar::EntryType::Char,
            tar::EntryType::Block,
            tar::EntryType::Fifo,
        ] {
            let tar = tar_with(&[entry("node", kind, None, b"")]);
            let err = unpack_files(&tar[..], dir.path()).unwrap_err().to_string();
            assert!(err.contains("node"), "{err}");
            assert!(!dir.path().join("node").exists());
        }
    }

    #[test]
    fn absolute_names_land_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let tar = tar_with(&[entry("/etc-file", File, None, b"x")]);
        unpack_safely(&tar[..], dir.path()).unwrap();
        assert!(dir.path().join("etc-file").exists());
    }

    #[test]
    fn whiteouts_become_overlayfs_markers() {
        if !require("whiteouts_become_overlayfs_markers", &[Need::Root]) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let tar = tar_with(&[
            entry("etc/", Dir, None, b""),
            entry("etc/.wh.passwd", File, None, b""),
            entry("var/.wh..wh..opq", File, None, b""),
        ]);
        unpack_safely(&tar[..], dir.path()).unwrap();
        let marker = dir.path().join("etc/passwd").symlink_metadata().unwrap();
        assert!(whiteout::is_whiteout(&marker), "{marker:?}");
        assert!(!dir.path().join("etc/.wh.passwd").exists());
        assert!(whiteout::is_opaque(&dir.path().join("var")));
        assert!(!dir.path().join("var/.wh..wh..opq").exists());
    }

    #[test]
    fn device_entries_become_device_nodes() {
        if !require("device_entries_become_device_nodes", &[Need::Root]) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Char);
        header.set_path("null").unwrap();
        header.set_device_major(1).unwrap();
        header.set_device_minor(3).unwrap();
        header.set_mode(0o666);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_size(0);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder.append(&header, &b""[..]).unwrap();
        let tar = builder.into_inner().unwrap();
        unpack_safely(&tar[..], dir.path()).unwrap();
        let meta = dir.path().join("null").symlink_metadata().unwrap();
        assert!(meta.file_type().is_char_device());
        assert_eq!(std::os::unix::fs::MetadataExt::rdev(&meta), makedev(1, 3));
    }
}
