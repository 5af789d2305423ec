//! How the network module fails: a request that ferry refuses (checked before any link or rule is
//! made), or a step against the kernel (netlink, iptables, sysctl) or the state root that failed.

use std::path::PathBuf;

/// A network operation that failed, with a one-line message that names the problem.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The user asked for something ferry refuses (a bad `-p`, a taken port, a full subnet…),
    /// with Docker's wording where Docker has one.
    #[error("{0}")]
    Invalid(String),
    /// A network name or id that names no network.
    #[error("network {0} not found")]
    NotFound(String),
    /// A netlink request (link, address, route) failed.
    #[error("netlink: {op}: {message}")]
    Netlink {
        /// The step, e.g. "create veth pair veth1a2b3c4".
        op: String,
        /// What the kernel (or the netlink library) said.
        message: String,
    },
    /// An `iptables` invocation failed.
    #[error("iptables {args}: {message}")]
    Iptables {
        /// The arguments, as a shell would show them.
        args: String,
        /// Its standard error, or why it could not run.
        message: String,
    },
    /// A file under the state root, /proc/sys or /proc/PID could not be read or written.
    #[error("{op} {path}: {source}")]
    Io {
        /// What ferry was doing, e.g. "write".
        op: &'static str,
        /// The file it concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file ferry wrote under the state root does not parse.
    #[error("corrupt network state {path}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        message: String,
    },
}

impl NetworkError {
    /// Wraps an I/O error with the operation and the path it concerned.
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| NetworkError::Io { op, path, source }
    }

    /// Wraps a netlink failure with the step it broke.
    pub(crate) fn netlink(op: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> Self {
        let op = op.into();
        move |e| NetworkError::Netlink {
            op,
            message: describe_netlink(&e),
        }
    }
}

/// A netlink error as the errno text `ip` would print ("File exists", "No such device").
fn describe_netlink(e: &rtnetlink::Error) -> String {
    match e {
        rtnetlink::Error::NetlinkError(msg) => msg.to_io().to_string(),
        other => other.to_string(),
    }
}

/// Whether a netlink error is the kernel's "no such device" (the link is already gone).
pub(crate) fn is_no_such_device(e: &rtnetlink::Error) -> bool {
    matches!(e, rtnetlink::Error::NetlinkError(msg) if msg.raw_code().abs() == libc::ENODEV)
}

/// The network module's result type.
pub type Result<T, E = NetworkError> = std::result::Result<T, E>;
