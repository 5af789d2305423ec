//! How a layer says "this file is gone": whiteouts, in the two spellings ferry meets.
//!
//! A layer can only add files, so deleting one that a lower layer has needs a marker:
//!
//! | meaning | in a layer tarball (OCI, Docker) | on disk, as OverlayFS reads it |
//! |---|---|---|
//! | `dir/name` was deleted | an empty file `dir/.wh.name` | a character device 0/0 at `dir/name` |
//! | `dir` hides everything below it | an empty file `dir/.wh..wh..opq` | the xattr `trusted.overlay.opaque=y` on `dir` |
//!
//! Unpacking translates the tar spelling into the OverlayFS one, so a layer directory can be used as
//! an overlay `lowerdir` as it is; committing a container translates back.

use std::ffi::{CString, OsStr};
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use nix::sys::stat::{makedev, mknod, Mode, SFlag};

use crate::{Error, Result};

/// The prefix of a whiteout entry's name in a layer tarball.
pub const PREFIX: &str = ".wh.";
/// The name of the entry that makes its directory opaque.
pub const OPAQUE: &str = ".wh..wh..opq";
/// The extended attribute OverlayFS reads to find opaque directories.
const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// What a tar entry's file name means.
#[derive(Debug, PartialEq, Eq)]
pub enum TarName<'a> {
    /// An ordinary file, directory or link.
    Plain,
    /// `.wh.<name>`: the named sibling is deleted.
    Deletes(&'a OsStr),
    /// `.wh..wh..opq`: the parent directory hides the layers below.
    Opaque,
}

/// Classifies a tar entry by its file name.
pub fn classify(file_name: &OsStr) -> TarName<'_> {
    let bytes = file_name.as_bytes();
    if bytes == OPAQUE.as_bytes() {
        TarName::Opaque
    } else if let Some(hidden) = bytes.strip_prefix(PREFIX.as_bytes()) {
        TarName::Deletes(OsStr::from_bytes(hidden))
    } else {
        TarName::Plain
    }
}

/// Whether a file is an OverlayFS whiteout (a character device with device number 0/0).
pub fn is_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Creates an OverlayFS whiteout at `path` (needs CAP_MKNOD).
pub fn make_whiteout(path: &Path) -> Result<()> {
    mknod(path, SFlag::S_IFCHR, Mode::empty(), makedev(0, 0)).map_err(|e| Error::Io {
        op: "create whiteout",
        path: path.into(),
        source: e.into(),
    })
}

/// Whether OverlayFS treats `dir` as opaque.
pub fn is_opaque(dir: &Path) -> bool {
    let (Ok(path), Ok(name)) = (
        CString::new(dir.as_os_str().as_bytes()),
        CString::new(OPAQUE_XATTR),
    ) else {
        return false;
    };
    let mut value = [0u8; 1];
    // SAFETY: both strings are NUL-terminated and outlive the call; the buffer is valid for its length.
    let n = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    n == 1 && value[0] == b'y'
}

/// Marks `dir` opaque for OverlayFS (needs CAP_SYS_ADMIN for the `trusted.` namespace).
pub fn make_opaque(dir: &Path) -> Result<()> {
    let io_error = |source| Error::Io {
        op: "mark directory opaque",
        path: dir.into(),
        source,
    };
    let path = CString::new(dir.as_os_str().as_bytes()).map_err(|e| io_error(e.into()))?;
    let name = CString::new(OPAQUE_XATTR).expect("constant has no NUL");
    // SAFETY: both strings are NUL-terminated and outlive the call; the value is one valid byte.
    let rc = unsafe { libc::lsetxattr(path.as_ptr(), name.as_ptr(), b"y".as_ptr().cast(), 1, 0) };
    if rc != 0 {
        return Err(io_error(std::io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_names_are_classified_by_their_prefix() {
        assert_eq!(
            classify(OsStr::new(".wh.passwd")),
            TarName::Deletes(OsStr::new("passwd"))
        );
        assert_eq!(classify(OsStr::new(".wh..wh..opq")), TarName::Opaque);
        assert_eq!(classify(OsStr::new("passwd")), TarName::Plain);
        assert_eq!(classify(OsStr::new("x.wh.y")), TarName::Plain);
    }

    #[test]
    fn whiteouts_and_opaque_dirs_round_trip_on_disk() {
        if !ferry_testkit::require(
            "whiteouts_and_opaque_dirs_round_trip_on_disk",
            &[ferry_testkit::Need::Root],
        ) {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        make_whiteout(&gone).unwrap();
        assert!(is_whiteout(&gone.symlink_metadata().unwrap()));
        assert!(!is_opaque(dir.path()));
        make_opaque(dir.path()).unwrap();
        assert!(is_opaque(dir.path()));
    }
}
