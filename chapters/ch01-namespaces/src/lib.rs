//! Chapter 1: a process in new namespaces, made with `clone(2)`.
//!
//! The two binaries re-do the seeds' C demos `ns_uts.c` and `ns_pid.c`:
//!
//! - `uts` starts a child in a new UTS namespace, where it can change the hostname without
//!   touching the host's;
//! - `pid` adds a new PID namespace, where the child is PID 1, and prints which namespaces
//!   (`/proc/PID/ns`) the child no longer shares with its parent.
//!
//! The binaries keep the syscalls in plain sight. What they share lives here: [`process`]
//! (clone with a stack, exec, wait and the exit code) and [`ns`] (reading and comparing the
//! namespace links).

pub mod ns;
pub mod process;

use std::path::PathBuf;

use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::unistd::Pid;

/// Every way the chapter 1 demos can fail before the container's command runs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `clone_with_stack` only creates namespaces; other clone flags (CLONE_VM, CLONE_THREAD...)
    /// would make the child share memory with the parent, which its safety argument rules out.
    #[error("clone flags {0:?} are not namespace flags (CLONE_NEW*)")]
    NotNamespaceFlags(CloneFlags),
    /// clone(2) failed: typically EPERM when not root (creating namespaces needs CAP_SYS_ADMIN).
    #[error("clone with {flags:?}: {source}{}", permission_hint(*.source))]
    Clone {
        /// The flags we asked for.
        flags: CloneFlags,
        /// The errno clone returned.
        #[source]
        source: Errno,
    },
    /// waitpid(2) failed for the container process.
    #[error("wait for the container (pid {pid}): {source}")]
    Wait {
        /// The container's PID, as the parent sees it.
        pid: Pid,
        /// The errno waitpid returned.
        #[source]
        source: Errno,
    },
    /// An argument cannot be passed to exec because it contains a NUL byte.
    #[error("argument {0:?} contains a NUL byte")]
    NulInArgument(String),
    /// A `/proc/PID/ns/NAME` link could not be read.
    #[error("read link {path}: {source}")]
    ReadNsLink {
        /// The link we tried to read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A `/proc/PID/ns/NAME` link does not point to `KIND:[INODE]`.
    #[error("namespace link {path} points to {target:?}, expected KIND:[INODE]")]
    BadNsTarget {
        /// The link we read.
        path: PathBuf,
        /// What it pointed to.
        target: String,
    },
}

/// A hint for the error learners meet first: running a demo without root.
fn permission_hint(errno: Errno) -> &'static str {
    match errno {
        Errno::EPERM => " (creating namespaces needs root: run as root, or in the VM of vm/)",
        _ => "",
    }
}
