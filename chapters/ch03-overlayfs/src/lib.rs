//! Chapter 3: OverlayFS, the union file system under every container's root.
//!
//! The two binaries re-do the seeds' exercise and then the thing Docker builds on it:
//!
//! - `overlay` makes `lower`, `upper`, `work` and `merged`, mounts an overlay, and shows which
//!   layer each file of `merged` comes from, what deleting a file leaves in `upper` (a *whiteout*,
//!   a character device 0/0), what replacing a directory leaves (an *opaque* directory), and that
//!   `lower` never changes;
//! - `layers` stacks three "image layers" under two "container layers", the way an engine runs two
//!   containers of one image: they share the layers and each sees only its own writes.
//!
//! What they share lives here: [`mount`] (an overlay mount in a private mount namespace) and
//! [`inspect`] (telling a whiteout from a file, and an opaque directory from a plain one).

pub mod inspect;
pub mod mount;

use std::path::PathBuf;

/// Every way the chapter 3 demos can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file operation on the demo's directories failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What we were doing, e.g. "write".
        op: &'static str,
        /// On what.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A system call failed (mount, unshare, mknod…).
    #[error("{op}: {source}{}", permission_hint(*.source))]
    Sys {
        /// The step, e.g. "mount overlay on /tmp/x/merged".
        op: String,
        /// The errno.
        #[source]
        source: nix::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the operation and path.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}

fn permission_hint(errno: nix::Error) -> &'static str {
    match errno {
        nix::Error::EPERM => " (mounting needs root: run as root, or in the VM of vm/)",
        _ => "",
    }
}

/// The demos' result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Writes `content` to `path`, creating its parent directories.
pub fn write(path: &std::path::Path, content: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(Error::io("create directory", parent))?;
    }
    std::fs::write(path, content).map_err(Error::io("write", path))
}

/// The directory the demo works in: the one given on the command line (kept afterwards, to look
/// at), or a fresh temporary one (removed at the end).
pub fn work_dir(given: Option<std::ffi::OsString>, demo: &str) -> Result<(PathBuf, bool)> {
    match given {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
            Ok((dir, true))
        }
        None => {
            let dir = std::env::temp_dir().join(format!("{demo}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
            Ok((dir, false))
        }
    }
}

/// Ends a demo: prints the error, if any, and exits with 0 or 1.
pub fn exit_with(demo: &str, result: Result<()>) -> ! {
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("{demo}: {e}");
            std::process::exit(1)
        }
    }
}
