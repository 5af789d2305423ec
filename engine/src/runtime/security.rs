//! What keeps a container's root from being the host's root: the confinement the runtime applies
//! on top of namespaces (book chapter 8).
//!
//! Namespaces give a process its own *view*; they do not take away its *powers*. A root process
//! in fresh namespaces can still mount file systems, load kernel modules, write `/proc/sys` (which
//! is not namespaced), create device nodes and read the host's disks through them. Docker adds
//! layers that each close some of those doors, and ferry applies the same ones:
//!
//! | layer | closes | here |
//! |---|---|---|
//! | capabilities | mount, modules, raw I/O, clock, open-by-handle… | [`Capabilities`](super::capabilities::Capabilities) |
//! | seccomp | system calls nobody in a container needs (`keyctl`, `bpf`, `unshare`…) | [`seccomp`](super::seccomp) |
//! | masked paths | kernel secrets and knobs in /proc and /sys (`kcore`, `keys`, `timer_list`) | [`mask`] |
//! | read-only paths | `/proc/sys`, `/proc/sysrq-trigger`…: not namespaced, so host-wide | [`mask`] |
//! | devices | opening a node that is not in the allow-list (cgroup `devices`) | `crate::cgroups` |
//! | cgroup namespace | seeing (and escaping to) other cgroups | `init` |
//! | `no_new_privs` | gaining privileges through setuid programs (`--security-opt no-new-privileges`) | `init` |
//!
//! `--privileged` turns all of them off but the namespaces: every capability the engine holds,
//! no seccomp, nothing masked, `/sys` writable, every device.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;

use super::capabilities::Capabilities;
use super::exec::Failure;
use super::inroot::{fd_path, open_in_root};
use super::seccomp::{self, Filter, Profile};

// ANCHOR: masked_paths
/// Docker's masked paths: kernel memory, keyrings, timers and firmware tables that say too much
/// about the host (or let a process poke at it). A file gets `/dev/null` mounted over it; a
/// directory an empty read-only tmpfs.
pub const MASKED_PATHS: [&str; 10] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
];

/// Docker's read-only paths: host-wide kernel settings that a namespace does not make private.
/// `/proc/sys` alone holds `kernel.core_pattern` (a program the host runs as root on every crash)
/// and `vm.*`.
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];
// ANCHOR_END: masked_paths

/// The confinement of one container (or of a process `exec`ed into it).
#[derive(Debug, Clone, PartialEq)]
pub struct Security {
    /// The capabilities its processes keep (bounding, permitted, effective, inheritable).
    pub capabilities: Capabilities,
    /// The seccomp filter, compiled before `clone`; `None` is unconfined.
    pub seccomp: Option<Filter>,
    /// `--security-opt no-new-privileges`: setuid programs and file capabilities grant nothing.
    pub no_new_privileges: bool,
    /// Paths hidden behind `/dev/null` or an empty tmpfs.
    pub masked_paths: Vec<PathBuf>,
    /// Paths mounted read-only.
    pub readonly_paths: Vec<PathBuf>,
    /// `/sys` (and the container's cgroup) mounted read-write: `--privileged` only.
    pub writable_sys: bool,
    /// A cgroup namespace of its own, rooted at its cgroup. `--privileged` shares the host's, as
    /// Docker does on cgroup v1, so that tools managing cgroups see the real tree.
    pub cgroup_namespace: bool,
}

impl Security {
    /// What every Docker container gets unless it asks otherwise (the seccomp filter is compiled
    /// for the final capability set: see [`Security::with_seccomp`]).
    pub fn docker_default() -> Self {
        Security {
            capabilities: Capabilities::docker_default(),
            seccomp: None,
            no_new_privileges: false,
            masked_paths: MASKED_PATHS.iter().map(PathBuf::from).collect(),
            readonly_paths: READONLY_PATHS.iter().map(PathBuf::from).collect(),
            writable_sys: false,
            cgroup_namespace: true,
        }
    }

    /// `--privileged`: only the namespaces remain.
    pub fn privileged() -> Self {
        Security {
            capabilities: Capabilities::all_held(),
            seccomp: None,
            no_new_privileges: false,
            masked_paths: Vec::new(),
            readonly_paths: Vec::new(),
            writable_sys: true,
            cgroup_namespace: false,
        }
    }
}

impl Security {
    /// Adds the seccomp filter of `profile`, resolved for this set's capabilities (Docker opens
    /// `mount` and friends to a container that holds `CAP_SYS_ADMIN`).
    pub fn with_seccomp(self, profile: &Profile) -> crate::Result<Self> {
        let filter = seccomp::compile(profile, &self.capabilities.names())?;
        Ok(Security {
            seccomp: Some(filter),
            ..self
        })
    }
}

fn failed<'a>(step: &'static str, path: &'a Path) -> impl Fn(Errno) -> Failure + 'a {
    move |e| Failure::engine(format!("{step} {}: {e}", path.display()))
}

// ANCHOR: mask
/// Masks and write-protects paths below the container's root (before `pivot_root`, after /proc
/// and /sys are mounted). Paths the kernel does not have here are skipped, as runc does.
pub(super) fn mask(root: &OwnedFd, security: &Security) -> Result<(), Failure> {
    let none: Option<&str> = None;
    for path in &security.masked_paths {
        let Some(target) = open_existing(root, path)? else {
            continue;
        };
        let is_dir = nix::sys::stat::fstat(std::os::fd::AsRawFd::as_raw_fd(&target))
            .map(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
            .map_err(failed("stat", path))?;
        if is_dir {
            let flags = MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
            mount(Some("tmpfs"), &fd_path(&target), Some("tmpfs"), flags, none)
                .map_err(failed("mask (tmpfs over)", path))?;
        } else {
            mount(
                Some("/dev/null"),
                &fd_path(&target),
                none,
                MsFlags::MS_BIND,
                none,
            )
            .map_err(failed("mask (/dev/null over)", path))?;
        }
    }
    for path in &security.readonly_paths {
        let Some(target) = open_existing(root, path)? else {
            continue;
        };
        let at = fd_path(&target);
        mount(
            Some(&at),
            &at,
            none,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            none,
        )
        .map_err(failed("bind", path))?;
        // Reopen: the descriptor must name the new mount, not what lies under it.
        let mounted =
            open_existing(root, path)?.ok_or_else(|| failed("reopen", path)(Errno::ENOENT))?;
        let flags = MsFlags::MS_BIND
            | MsFlags::MS_REMOUNT
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV
            | MsFlags::MS_NOEXEC;
        mount(none, &fd_path(&mounted), none, flags, none)
            .map_err(failed("remount read-only", path))?;
    }
    Ok(())
}
// ANCHOR_END: mask

/// Opens `path` inside the root, or `None` if it does not exist there.
fn open_existing(root: &OwnedFd, path: &Path) -> Result<Option<OwnedFd>, Failure> {
    match open_in_root(root, path, OFlag::O_PATH, Mode::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(failed("open", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_default_masks_what_dockers_config_json_masks() {
        let default = Security::docker_default();
        assert_eq!(default.masked_paths.len(), 10);
        assert!(default.readonly_paths.contains(&PathBuf::from("/proc/sys")));
        assert_eq!(default.capabilities.hex(), "00000000a80425fb");
        assert!(!default.writable_sys);
    }

    #[test]
    fn privileged_masks_nothing() {
        let privileged = Security::privileged();
        assert!(privileged.masked_paths.is_empty() && privileged.readonly_paths.is_empty());
        assert!(privileged.writable_sys);
    }
}
