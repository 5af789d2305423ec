//! Chapter 5: what `docker run -p 8080:80` adds to chapter 4's bridge — iptables NAT rules.
//!
//! The `nat` binary builds chapter 4's topology (bridge `br0`, one container namespace at
//! 172.17.0.2 serving TCP port 80), adds a third namespace that plays "the outside world"
//! (192.0.2.2, reached through the host's 192.0.2.1), and then writes the rules the seeds list:
//!
//! - `PREROUTING`/`OUTPUT` jump to a chain of our own (`FERRY`) for packets addressed to a local
//!   address (`-m addrtype --dst-type LOCAL`);
//! - in `FERRY`, `DNAT tcp dpt:8080 to:172.17.0.2:80` rewrites the destination of connections to
//!   the host's port 8080;
//! - in `POSTROUTING`, `MASQUERADE` rewrites the source of container traffic leaving by another
//!   interface to the host's address;
//! - `net.ipv4.ip_forward = 1` lets the host route between its interfaces at all.
//!
//! Each side then prints the addresses it sees, and the kernel's connection-tracking table shows
//! the original and the translated tuple of each connection.
//!
//! - [`rules`]: the rules, as data;
//! - [`iptables`]: running the `iptables` binary and reading the connection table;
//! - [`probe`]: one TCP connection, each end reporting the addresses it sees.

pub mod iptables;
pub mod probe;
pub mod rules;

/// Every way the chapter 5 demo can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A chapter 4 step (namespaces, links, sockets) failed.
    #[error(transparent)]
    Setup(#[from] ch04_bridge::Error),
    /// `iptables` refused a rule or could not run.
    #[error("iptables {args}: {message}")]
    Iptables {
        /// Its arguments.
        args: String,
        /// Its standard error, or why it could not start.
        message: String,
    },
}

/// The chapter's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
