//! Looking at what OverlayFS wrote: telling whiteouts and opaque directories from plain files.

use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// What is at a path, as far as OverlayFS is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Nothing.
    Missing,
    /// A regular file and its content.
    File(String),
    /// A directory, and whether it is opaque (xattr `trusted.overlay.opaque=y`).
    Dir {
        /// Whether the lower layers' contents of this directory are hidden.
        opaque: bool,
    },
    /// A whiteout: a character device with device number 0/0, meaning "deleted".
    Whiteout,
    /// Anything else (symlink, other device…).
    Other,
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Missing => write!(f, "(nothing)"),
            Node::File(content) => write!(f, "file {:?}", content.trim_end()),
            Node::Dir { opaque: false } => write!(f, "directory"),
            Node::Dir { opaque: true } => write!(f, "directory, opaque (trusted.overlay.opaque=y)"),
            Node::Whiteout => write!(f, "character device 0/0: a whiteout"),
            Node::Other => write!(f, "other"),
        }
    }
}

// ANCHOR: describe
/// What is at `path` (without following a symlink).
pub fn describe(path: &Path) -> Node {
    let Ok(meta) = path.symlink_metadata() else {
        return Node::Missing;
    };
    let kind = meta.file_type();
    if kind.is_char_device() && meta.rdev() == 0 {
        Node::Whiteout
    } else if kind.is_dir() {
        Node::Dir {
            opaque: xattr(path, "trusted.overlay.opaque").as_deref() == Some(b"y"),
        }
    } else if kind.is_file() {
        Node::File(std::fs::read_to_string(path).unwrap_or_default())
    } else {
        Node::Other
    }
}
// ANCHOR_END: describe

/// The value of an extended attribute (not following symlinks), if set.
fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let name = std::ffi::CString::new(name).ok()?;
    let mut value = vec![0u8; 64];
    // SAFETY: both strings are NUL-terminated and live across the call; the buffer is valid for its length.
    let n = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            name.as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    if n < 0 {
        return None;
    }
    value.truncate(n as usize);
    Some(value)
}

/// The names in a directory, sorted (empty if it cannot be read).
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
