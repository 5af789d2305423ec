//! Chapter 8: the layers that keep root in a container from being root on the host.
//!
//! Each binary shows one layer with the raw kernel calls, and what the kernel answers:
//!
//! - `capdrop`: a child drops `CAP_CHOWN` from its capability sets, and `chown` fails with EPERM;
//! - `seccomp`: a child installs a classic-BPF filter, written instruction by instruction, that
//!   refuses `mkdir`, and `mkdir` fails with EPERM;
//! - `masked`: in a mount namespace of its own, `/dev/null` over a file and an empty read-only
//!   tmpfs over a directory hide them, and a read-only bind refuses writes (Docker's
//!   `maskedPaths` and `readonlyPaths`);
//! - `release-agent`: the cgroup v1 `release_agent` escape (the CVE-2022-0492 story) succeeds
//!   from a naive container and fails once the container lacks `CAP_SYS_ADMIN` or `mount(2)` is
//!   refused by seccomp;
//! - `shocker`: a file handle forged for inode 2 opens the root of the file system behind a bind
//!   mount (the 2014 escape), until CAP_DAC_READ_SEARCH is dropped or seccomp refuses the call.
//!
//! What they share lives here: [`caps`] (the capability table, `/proc/self/status`, dropping a
//! capability), [`seccomp`] (assembling and installing a filter), [`child`] (running a closure
//! in a cloned child and waiting for it), [`handles`] (file handles) and [`release_agent`] (the host-side safety gate and
//! clean-up of the escape demo).

pub mod caps;
pub mod child;
pub mod handles;
pub mod release_agent;
pub mod seccomp;

use std::path::PathBuf;

use nix::errno::Errno;

/// Every way the chapter 8 demos can fail (an attack being refused is not a failure: it is the
/// outcome the demos print).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line argument the demo does not understand, or a refusal to run.
    #[error("{0}")]
    Usage(String),
    /// A system call failed.
    #[error("{op}: {source}{}", permission_hint(*source))]
    Sys {
        /// The step, e.g. "clone" or "capset".
        op: String,
        /// What the kernel said.
        #[source]
        source: Errno,
    },
    /// A file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The step, e.g. "read" or "write".
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// A kernel file did not hold what the kernel documents.
    #[error("parse {what}: unexpected {content:?}")]
    Parse {
        /// What was read, e.g. "CapEff in /proc/self/status".
        what: String,
        /// What it held.
        content: String,
    },
}

impl Error {
    /// Wraps an errno with the step that failed.
    pub fn sys(op: impl Into<String>) -> impl FnOnce(Errno) -> Error {
        let op = op.into();
        move |source| Error::Sys { op, source }
    }

    /// Wraps an I/O error with the step and the path.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }
}

/// A hint for the error learners meet first: running a demo without root.
fn permission_hint(errno: Errno) -> &'static str {
    match errno {
        Errno::EPERM => " (this demo needs root: run it as root, or in the VM of vm/)",
        _ => "",
    }
}

/// Runs a demo's `run` and exits with its code, or prints its error and exits with 125 (as
/// `docker run` does when the engine itself failed).
pub fn exit_with(demo: &str, result: Result<i32, Error>) -> ! {
    match result {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            eprintln!("{demo}: {err}");
            std::process::exit(125)
        }
    }
}

/// How an attempt ended, in the words the demos print: `ok`, or the errno's name and text
/// (`EPERM (Operation not permitted)`).
pub fn outcome<T>(result: &Result<T, Errno>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(errno) => errno_text(*errno),
    }
}

/// An errno as the demos print it: `EPERM (Operation not permitted)`.
pub fn errno_text(errno: Errno) -> String {
    format!("{errno:?} ({})", errno.desc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_name_the_errno_and_say_what_it_means() {
        assert_eq!(outcome(&Ok::<(), Errno>(())), "ok");
        assert_eq!(
            outcome(&Err::<(), _>(Errno::EPERM)),
            "EPERM (Operation not permitted)"
        );
    }
}
