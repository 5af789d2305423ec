//! The runtime: turning a [`ContainerSpec`] into a process that is PID 1 of its own namespaces,
//! with its own root filesystem — what runc does for Docker.
//!
//! The work is split the way it happens:
//! - [`spawn`](self::spawn()) — in the engine: clone the child into new namespaces, let the caller
//!   attach it to cgroups and networks while it waits, then release it and learn whether its
//!   `exec` succeeded.
//! - `init` — in the child: the ordered sequence of mounts, `pivot_root`, hostname and `exec`.
//! - `rootfs` — the mounts and `pivot_root`; `exec` — finding the command and mapping failures to
//!   exit codes 126/127; `loopback` — bringing `lo` up in a new network namespace.

mod exec;
mod init;
mod loopback;
mod rootfs;
mod spawn;

use std::path::PathBuf;

pub use spawn::{spawn, wait, ExitStatus, Spawned};

/// Which network namespace the container gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkMode {
    /// A new network namespace holding only `lo` (up): Docker's `--network none`.
    None,
    /// The host's network namespace: Docker's `--network host`.
    Host,
}

/// Where the container's root filesystem comes from.
#[derive(Debug, Clone)]
pub enum RootfsSource {
    /// An image: its read-only layers (top first) under the container's own writable layer.
    Overlay {
        /// Image layers, uppermost first (OverlayFS `lowerdir` order).
        lower: Vec<PathBuf>,
        /// The container's writable layer.
        upper: PathBuf,
        /// OverlayFS's scratch directory, on the same file system as `upper`.
        work: PathBuf,
    },
    /// A plain directory used as it is (writes go to it), like `runc` with a bundle's rootfs.
    Directory,
}

/// Everything the runtime needs to start one container.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    /// Where the root filesystem is assembled (the overlay mount point, or the directory itself).
    pub root: PathBuf,
    /// How to assemble it.
    pub rootfs: RootfsSource,
    /// The container's hostname (UTS namespace).
    pub hostname: String,
    /// PID 1's argv; `args[0]` is looked up in the container's `PATH`.
    pub args: Vec<String>,
    /// PID 1's environment, `KEY=value`.
    pub env: Vec<String>,
    /// PID 1's working directory inside the container (created if missing, as Docker does).
    pub cwd: PathBuf,
    /// The network namespace to use.
    pub network: NetworkMode,
    /// Whether PID 1 keeps the caller's stdin (`-i`); otherwise it reads /dev/null.
    pub keep_stdin: bool,
}
