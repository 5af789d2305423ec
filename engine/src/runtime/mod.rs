//! The runtime: turning a [`ContainerSpec`] into a process that is PID 1 of its own namespaces,
//! with its own root filesystem — what runc does for Docker.
//!
//! The work is split the way it happens:
//! - [`spawn`](self::spawn()) — in the engine: clone the child into new namespaces, let the caller
//!   attach it to cgroups and networks while it waits, then release it and learn whether its
//!   `exec` succeeded.
//! - `init` — in the child: the ordered sequence of mounts, `pivot_root`, hostname and `exec`.
//! - `rootfs` — the mounts and `pivot_root`; `cgroupfs` — the container's own cgroup at
//!   `/sys/fs/cgroup`; `binds` — `-v` mounts, resolved inside the root
//!   (`inroot`); `exec` — finding the command and mapping failures to exit codes 126/127;
//!   `loopback` — bringing `lo` up in a new network namespace; `user` — `-u`; `stdio` and `pty` —
//!   PID 1's standard streams and pseudo-terminal.
//! - [`enter`](self::enter()) — `ferry exec`: a new process in a running container's namespaces and
//!   cgroup, the way `nsenter` does it.

mod binds;
pub mod capabilities;
mod cgroupfs;
mod devices;
mod enter;
mod exec;
mod init;
pub mod inroot;
mod loopback;
mod process;
pub mod pty;
mod rootfs;
pub mod sealed;
pub mod seccomp;
pub mod security;
mod signals;
mod spawn;
mod stdio;
mod tmpfs;
mod user;

use std::os::fd::RawFd;
use std::path::PathBuf;

use crate::cgroups::CgroupView;

pub use capabilities::{Capabilities, CapabilityName};
pub use devices::{DeviceNode, DeviceType};
pub use enter::{enter, ExecSpec};
pub use security::Security;
pub use spawn::{reap, spawn, wait, ExitStatus, SignalForwarding, Spawned};
pub use tmpfs::Tmpfs;

/// Which network namespace the container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkMode {
    /// A new network namespace holding only `lo` (up): Docker's `--network none`.
    None,
    /// The host's network namespace: Docker's `--network host`.
    Host,
    /// A new network namespace that the engine connects to the bridge network of this name while
    /// the child is held (`crate::network::attach` in `prepare`): Docker's `--network bridge`.
    Bridge(String),
    /// The network namespace of another running container, given by the host PID of its PID 1:
    /// Docker's `--network container:NAME` (the engine resolves NAME; the runtime only needs the
    /// namespace, which the child joins with `setns` before it mounts /sys).
    Container(i32),
}

impl NetworkMode {
    /// Whether the container gets a network namespace of its own, which starts with `lo` down.
    pub fn is_new_namespace(&self) -> bool {
        matches!(self, NetworkMode::None | NetworkMode::Bridge(_))
    }
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
    /// Host files and directories to mount into the root filesystem (`-v`), in order.
    pub mounts: Vec<BindMount>,
    /// `-u`: the user (and group) PID 1 runs as, by name or number; `None` is root.
    pub user: Option<String>,
    /// Where PID 1's standard streams go.
    pub stdio: Stdio,
    /// The container's own cgroup, mounted read-only at its `/sys/fs/cgroup` (as Docker does).
    pub cgroup: CgroupView,
    /// Its confinement: capabilities, masked paths, `no_new_privs` (see [`Security`]).
    pub security: Security,
    /// `--read-only`: the root file system is read-only; volumes, `--tmpfs` mounts and the
    /// engine's /etc files stay writable.
    pub readonly_rootfs: bool,
    /// `--tmpfs` mounts.
    pub tmpfs: Vec<Tmpfs>,
    /// Device nodes to create in its /dev (`--device`, `--privileged`).
    pub devices: Vec<DeviceNode>,
}

/// A host file or directory mounted into the container (`-v /host:/ctr[:ro]`, or a volume's data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    /// The host path.
    pub source: PathBuf,
    /// The absolute path inside the container; it is resolved inside the container's root, so a
    /// symlink in the image cannot redirect the mount onto the host.
    pub destination: PathBuf,
    /// Mount it read-only.
    pub read_only: bool,
}

/// Where the container's (or an exec'd process's) standard streams go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdio {
    /// The engine's own stdout and stderr; its stdin too when `keep_stdin`, else /dev/null.
    Inherit {
        /// `-i`: keep the engine's stdin.
        keep_stdin: bool,
    },
    /// These descriptors become 0, 1 and 2 (a missing stdin reads /dev/null). They must stay open
    /// until [`spawn`] returns.
    Fds {
        /// Becomes fd 0; `None` means /dev/null.
        stdin: Option<RawFd>,
        /// Becomes fd 1.
        stdout: RawFd,
        /// Becomes fd 2.
        stderr: RawFd,
    },
    /// A new pseudo-terminal, made inside the container's own /dev/pts: its slave becomes 0, 1, 2
    /// and the controlling terminal; its master is handed back in [`Spawned::terminal`].
    Terminal,
}

/// Mounts a container's root filesystem and its `-v` mounts at `spec.root`, without starting
/// anything: for reaching the files of a container that does not run (`ferry cp`). Call it in a
/// process that has a mount namespace of its own (`unshare(CLONE_NEWNS)`): the mounts are made
/// private first and vanish with that process.
pub fn mount_rootfs(spec: &ContainerSpec) -> crate::Result<()> {
    let mount = || -> Result<(), exec::Failure> {
        rootfs::make_mounts_private()?;
        rootfs::assemble(&spec.rootfs, &spec.root)?;
        binds::mount_all(&spec.root, &spec.mounts)
    };
    mount().map_err(|f| {
        crate::Error::InvalidArgument(format!("mount the container's files: {}", f.message))
    })
}
