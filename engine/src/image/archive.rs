//! Unpacking a root filesystem tarball without letting it write outside its directory.
//!
//! A tarball is untrusted input: an entry named `../../etc/passwd`, or a symlink `evil -> /etc`
//! followed by an entry `evil/passwd`, would write onto the host if unpacked naively. Entries with a
//! `..` component are refused outright (with their name), absolute names are taken relative to the
//! root (as GNU tar does), and the tar crate's `unpack_in` refuses to write through a symlink that
//! leads out of the destination.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::{Error, Result};

/// Unpacks every entry of `archive` below `dest`, keeping modes and ownership.
///
/// Fails on the first unsafe or unreadable entry; the caller unpacks into a temporary directory and
/// discards it on failure, so nothing half-written is ever visible.
pub fn unpack_safely(archive: impl Read, dest: &Path) -> Result<()> {
    let mut archive = tar::Archive::new(archive);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_preserve_mtime(true);
    archive.set_unpack_xattrs(false);
    let bad = |e: std::io::Error| Error::Archive(format!("cannot read the archive: {e}"));
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let name = entry.path().map_err(bad)?.into_owned();
        let relative = confined_path(&name)?;
        if relative.as_os_str().is_empty() {
            continue; // the archive's "./" entry: dest itself
        }
        let unpacked = entry.unpack_in(dest).map_err(|e| {
            Error::Archive(format!(
                "cannot unpack {}: {}",
                name.display(),
                with_causes(&e)
            ))
        })?;
        if !unpacked {
            return Err(Error::Archive(format!(
                "refusing archive entry {}: it leads outside the root",
                name.display()
            )));
        }
    }
    Ok(())
}

/// The tar crate wraps the real reason (e.g. "Permission denied") inside its own message.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(&format!(": {inner}"));
        cause = inner.source();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, tar::EntryType, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, link, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(0o755);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            header.set_size(data.len() as u64);
            // set_path refuses "..", which is exactly what a hostile archive contains: write raw bytes.
            let raw = &mut header.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(link) = link {
                header.set_link_name(link).unwrap();
            }
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn ordinary_entries_are_unpacked_with_their_modes() {
        let dir = tempfile::tempdir().unwrap();
        let tar = tar_with(&[
            ("./", tar::EntryType::Directory, None, b""),
            ("bin/", tar::EntryType::Directory, None, b""),
            ("bin/hello", tar::EntryType::Regular, None, b"hi"),
            ("bin/sh", tar::EntryType::Symlink, Some("/bin/hello"), b""),
        ]);
        unpack_safely(&tar[..], dir.path()).unwrap();
        assert_eq!(std::fs::read(dir.path().join("bin/hello")).unwrap(), b"hi");
        let link = std::fs::read_link(dir.path().join("bin/sh")).unwrap();
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
        std::fs::create_dir(&dest).unwrap();
        let tar = tar_with(&[("../escaped", tar::EntryType::Regular, None, b"x")]);
        let err = unpack_safely(&tar[..], &dest).unwrap_err().to_string();
        assert!(err.contains("../escaped"), "{err}");
        assert!(!outer.path().join("escaped").exists());
    }

    #[test]
    fn writing_through_a_symlink_out_of_the_root_is_refused() {
        let outer = tempfile::tempdir().unwrap();
        let dest = outer.path().join("root");
        let victim = outer.path().join("victim");
        std::fs::create_dir_all(&dest).unwrap();
        std::fs::create_dir_all(&victim).unwrap();
        let tar = tar_with(&[
            (
                "evil",
                tar::EntryType::Symlink,
                Some(victim.to_str().unwrap()),
                b"",
            ),
            ("evil/owned", tar::EntryType::Regular, None, b"x"),
        ]);
        assert!(unpack_safely(&tar[..], &dest).is_err());
        assert!(
            !victim.join("owned").exists(),
            "the archive wrote outside its root"
        );
    }

    #[test]
    fn absolute_names_land_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let tar = tar_with(&[("/etc-file", tar::EntryType::Regular, None, b"x")]);
        unpack_safely(&tar[..], dir.path()).unwrap();
        assert!(dir.path().join("etc-file").exists());
    }
}
