//! Chapter 4: how `docker0` connects containers — a Linux bridge, network namespaces and veth
//! pairs, made with netlink (the `rtnetlink` crate) instead of `ip` and `brctl`.
//!
//! The `bridge` binary builds the seeds' picture: a bridge `br0` with address 172.17.0.1/16, two
//! network namespaces standing in for two containers, and for each a veth pair with one end on the
//! bridge and the other moved into the namespace and renamed `eth0`, addressed, with a default
//! route via the bridge. Then one "container" pings the other and talks TCP to it, and the program
//! prints what `brctl show` and `ip a` would show.
//!
//! Everything happens inside a fresh network namespace that plays the host (see
//! [`netns::isolate_this_thread`]), so the real host is never touched and every link vanishes when
//! the program exits.
//!
//! - [`netns`]: creating namespaces and running code inside one (`ip netns exec`);
//! - [`rtnl`]: the netlink requests, one function per `ip` command;
//! - [`show`]: formatting links the way `brctl show` and `ip a` do;
//! - [`ping`]: an ICMP echo over a raw socket.

pub mod netns;
pub mod ping;
pub mod rtnl;
pub mod show;

use std::path::PathBuf;

/// Every way the chapter 4 demo can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A netlink request failed (`ip` would print the same errno text).
    #[error("{op}: {message}")]
    Netlink {
        /// The `ip` command this request is, e.g. `ip link add br0 type bridge`.
        op: String,
        /// What the kernel said.
        message: String,
    },
    /// A system call failed.
    #[error("{op}: {source}")]
    Sys {
        /// The step, e.g. "unshare(CLONE_NEWNET)".
        op: String,
        /// The errno.
        #[source]
        source: nix::Error,
    },
    /// A file or socket operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The step.
        op: String,
        /// The file, or the address.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A thread running inside a namespace panicked.
    #[error("the thread inside network namespace {0} panicked")]
    ThreadPanicked(String),
    /// No echo reply came back in time.
    #[error("no reply from {0}")]
    NoReply(std::net::Ipv4Addr),
}

impl Error {
    /// Wraps an errno with the step that failed.
    pub fn sys(op: impl Into<String>) -> impl FnOnce(nix::Error) -> Error {
        let op = op.into();
        move |source| Error::Sys { op, source }
    }

    /// Wraps an I/O error with the step and the path or address it concerned.
    pub fn io(
        op: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let (op, path) = (op.into(), path.into());
        move |source| Error::Io { op, path, source }
    }
}

/// The chapter's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
