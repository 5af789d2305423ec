//! Chapter 6: `--network none`, then the network added by hand — the seeds' Null-mode script.
//!
//! Docker's none mode gives a container a network namespace with nothing but `lo`. The seeds then
//! wire it from the host:
//!
//! ```text
//! ip link add A type veth peer name B
//! brctl addif docker0 A; ip link set A up
//! ip link set B netns $PID
//! ip netns exec $PID ip link set dev B name eth0; ip netns exec $PID ip link set eth0 up
//! ip netns exec $PID ip addr add 172.17.0.100/16 dev eth0
//! ip netns exec $PID ip route add default via 172.17.0.1
//! ```
//!
//! The `none-mode` binary does exactly that with netlink (chapter 4's [`ch04_bridge::rtnl`]) to a
//! container started with `ferry run --network none`, next to a second container on ferry's default
//! bridge `ferry0`, and shows that the hand-wired one reaches it. [`ferry`] drives the `ferry`
//! binary.

pub mod ferry;

/// Every way the chapter 6 demo can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A chapter 4 step (namespaces, links) failed.
    #[error(transparent)]
    Setup(#[from] ch04_bridge::Error),
    /// A `ferry` command failed.
    #[error("ferry {args}: {message}")]
    Ferry {
        /// Its arguments.
        args: String,
        /// Its standard error, or why it could not run.
        message: String,
    },
}

/// The chapter's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
