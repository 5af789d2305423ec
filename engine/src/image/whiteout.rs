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

/// Classifies a tar entry by its file name. A whiteout must name one entry of its own directory:
/// `.wh.` alone, `.wh..` (the directory itself: the whole layer, for an entry at its top) and
/// `.wh...` (its parent: whatever holds the layer) are refused, and so is a name with a `/`.
pub fn classify(file_name: &OsStr) -> Result<TarName<'_>> {
    let bytes = file_name.as_bytes();
    if bytes == OPAQUE.as_bytes() {
        return Ok(TarName::Opaque);
    }
    let Some(hidden) = bytes.strip_prefix(PREFIX.as_bytes()) else {
        return Ok(TarName::Plain);
    };
    if matches!(hidden, b"" | b"." | b"..") || hidden.contains(&b'/') {
        return Err(Error::Archive(format!(
            "refusing whiteout {}: it names no file in its directory",
            file_name.to_string_lossy()
        )));
    }
    Ok(TarName::Deletes(OsStr::from_bytes(hidden)))
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
            classify(OsStr::new(".wh.passwd")).unwrap(),
            TarName::Deletes(OsStr::new("passwd"))
        );
        assert_eq!(
            classify(OsStr::new(".wh..wh..opq")).unwrap(),
            TarName::Opaque
        );
        assert_eq!(classify(OsStr::new("passwd")).unwrap(), TarName::Plain);
        assert_eq!(classify(OsStr::new("x.wh.y")).unwrap(), TarName::Plain);
    }

    #[test]
    fn a_whiteout_naming_its_own_directory_or_its_parent_is_refused() {
        for name in [".wh.", ".wh..", ".wh...", ".wh.a/b"] {
            let err = classify(OsStr::new(name)).unwrap_err().to_string();
            assert!(
                err.contains("refusing whiteout") && err.contains(name),
                "{err}"
            );
        }
    }

    proptest::proptest! {
        /// Whatever the name, a whiteout deletes one entry of its own directory, or is refused.
        #[test]
        fn a_whiteout_deletes_only_a_sibling(hidden in "[./a-z]{0,6}") {
            let name = format!("{PREFIX}{hidden}");
            let dir = Path::new("/layer/dir");
            match classify(OsStr::new(&name)) {
                Ok(TarName::Deletes(target)) => {
                    let path = dir.join(target);
                    proptest::prop_assert_eq!(path.parent(), Some(dir));
                    proptest::prop_assert_eq!(path.file_name(), Some(target));
                }
                Ok(TarName::Opaque) => proptest::prop_assert_eq!(name.as_str(), OPAQUE),
                Ok(TarName::Plain) => proptest::prop_assert!(false, "{name} is a whiteout"),
                Err(_) => {}
            }
        }
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
