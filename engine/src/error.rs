//! The engine's error type and how each error maps to a Docker-compatible exit code.
//!
//! Docker's CLI reserves three exit codes for failures that are not the container's own:
//! 125 (the engine failed), 126 (the command exists but cannot be invoked) and 127 (the command was
//! not found). Scripts written for `docker run` rely on them, so ferry keeps them.

use std::path::PathBuf;

/// The exit code Docker uses when the engine itself fails.
pub const EXIT_ENGINE_ERROR: i32 = 125;
/// The exit code Docker uses when the container's command cannot be invoked.
pub const EXIT_CANNOT_INVOKE: i32 = 126;
/// The exit code Docker uses when the container's command does not exist.
pub const EXIT_NOT_FOUND: i32 = 127;

/// Every way a ferry command can fail, each with a one-line message naming the problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user gave an argument ferry cannot use (bad flag value, bad name).
    #[error("{0}")]
    InvalidArgument(String),
    /// An image reference that does not name a stored image.
    #[error("Unable to find image '{0}' locally (ferry has no registry configured for it)")]
    ImageNotFound(String),
    /// No container has this name, id or id prefix.
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    /// No volume has this name (the message names the operation, as Docker's do).
    #[error("{0}")]
    NoSuchVolume(String),
    /// The request conflicts with a container's or volume's state (Docker's HTTP 409): a taken
    /// name, `rm` of a running container, `exec` in a paused one.
    #[error("{0}")]
    Conflict(String),
    /// A cgroup operation failed (creating, limiting, freezing or removing a container's cgroup).
    #[error(transparent)]
    Cgroup(#[from] crate::cgroups::CgroupError),
    /// A file system operation on the engine's own state failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What ferry was doing, e.g. "create directory".
        op: &'static str,
        /// The path it was doing it on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The container could not be started; `exit_code` says whether it was the command (126/127) or
    /// the engine (125).
    #[error("failed to start container: {message}")]
    Start {
        /// 125, 126 or 127.
        exit_code: i32,
        /// What failed, e.g. `exec: "nosuch": executable file not found in $PATH`.
        message: String,
    },
    /// A system call failed in the engine (not in the container).
    #[error("{op}: {source}")]
    Sys {
        /// The step that failed, e.g. "clone the container process".
        op: &'static str,
        /// The errno.
        #[source]
        source: nix::Error,
    },
    /// An image archive (tar) could not be read or contained an unsafe entry.
    #[error("{0}")]
    Archive(String),
    /// A file in the state root is not what ferry wrote there.
    #[error("{0}")]
    Corrupt(String),
    /// Setting up or tearing down a container's network failed (netlink, iptables, leases).
    #[error("{0}")]
    Network(String),
}

impl Error {
    /// The exit code `ferry` returns for this error, as Docker would.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Start { exit_code, .. } => *exit_code,
            _ => EXIT_ENGINE_ERROR,
        }
    }

    /// Wraps an I/O error with the operation and the path it concerned.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }

    /// Wraps an errno with the step that failed.
    pub fn sys(op: &'static str) -> impl FnOnce(nix::Error) -> Error {
        move |source| Error::Sys { op, source }
    }
}

/// The result type of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;
