//! Chapter 2: limiting a process's memory and CPU with cgroups, by writing files.
//!
//! The two binaries re-do the seeds' exercises, with the shell steps (`mkdir`, `echo ... >`) done
//! by hand in code:
//!
//! - `oom` puts a child that allocates 1 MiB per step (the seeds' `mem-allocate.c`) in a cgroup
//!   with a memory limit, and watches the kernel's OOM killer end it;
//! - `cpu` puts a busy loop (the seeds' `busyloop`) under a CPU quota and measures the share of a
//!   CPU it still gets.
//!
//! What they share is here: [`cgroupfs`] (find the controller, create, write, read and remove a
//! cgroup directory), [`args`] (their few `--flag N` options) and [`proc_stat`] (a process's CPU
//! time from `/proc/PID/stat`).

pub mod args;
pub mod cgroupfs;
pub mod proc_stat;

use std::path::PathBuf;

use nix::errno::Errno;

/// Every way the chapter 2 demos can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line argument the demo does not understand.
    #[error("{0}")]
    Usage(String),
    /// The controller is neither a v1 mount nor listed in the v2 root's `cgroup.controllers`.
    #[error("no cgroup {0} controller: neither /sys/fs/cgroup/{0}/ (v1) nor {0} in /sys/fs/cgroup/cgroup.controllers (v2)")]
    NoController(String),
    /// A file operation on the cgroup file system or /proc failed.
    #[error("{op} {path}: {source}{}", permission_hint(source))]
    Io {
        /// The step, e.g. "write" or "create cgroup".
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// A file did not hold what the kernel documents.
    #[error("parse {path}: unexpected content {content:?}")]
    Parse {
        /// The file read.
        path: PathBuf,
        /// What it held.
        content: String,
    },
    /// A system call (fork, waitpid, kill) failed.
    #[error("{op}: {source}")]
    Sys {
        /// The step.
        op: &'static str,
        /// The errno.
        #[source]
        source: Errno,
    },
}

impl Error {
    /// Wraps an I/O error with the step and the path.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}

/// A hint for the error learners meet first: running a demo without root.
fn permission_hint(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied => {
            " (cgroups belong to root: run as root, or in the VM of vm/)"
        }
        _ => "",
    }
}

/// Runs a demo's `run` and exits with its code, or prints its error and exits with 1.
pub fn exit_with(demo: &str, result: Result<i32, Error>) -> ! {
    match result {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            eprintln!("{demo}: {err}");
            std::process::exit(1)
        }
    }
}
