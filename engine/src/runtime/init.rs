//! What the container's first process does between `clone` and `exec`, in order.
//!
//! This runs in the cloned child: already in its new namespaces, still seeing the host's files.
//! Each step must come where it is — see the comments in [`setup`]. Any failure is returned to
//! `spawn`'s child wrapper, which writes it to the report pipe; on success `exec` closes that pipe.

use std::convert::Infallible;
use std::fs::File;
use std::os::fd::RawFd;
use std::path::PathBuf;

use nix::sched::{setns, CloneFlags};

use super::exec::{self, Failure};
use super::{
    binds, cgroupfs, loopback, rootfs, stdio, user, BindMount, ContainerSpec, NetworkMode,
    RootfsSource, Stdio,
};
use crate::cgroups::CgroupView;
use crate::Result;

/// The child's instructions, prepared before `clone` so the child does little more than syscalls.
pub(super) struct InitPlan {
    root: PathBuf,
    rootfs: RootfsSource,
    hostname: String,
    args: Vec<String>,
    env: Vec<String>,
    cwd: PathBuf,
    network: NetworkMode,
    /// `--network container:NAME`: that container's `/proc/PID/ns/net`, opened before `clone`.
    join_netns: Option<File>,
    mounts: Vec<BindMount>,
    user: Option<String>,
    stdio: Stdio,
    cgroup: CgroupView,
}

impl InitPlan {
    pub(super) fn new(spec: &ContainerSpec) -> Result<Self> {
        exec::check_env(&spec.env)?;
        Ok(Self {
            root: spec.root.clone(),
            rootfs: spec.rootfs.clone(),
            hostname: spec.hostname.clone(),
            args: spec.args.clone(),
            env: spec.env.clone(),
            cwd: spec.cwd.clone(),
            network: spec.network.clone(),
            join_netns: match spec.network {
                NetworkMode::Container(pid) => Some(open_netns(pid)?),
                _ => None,
            },
            mounts: spec.mounts.clone(),
            user: spec.user.clone(),
            stdio: spec.stdio,
            cgroup: spec.cgroup.clone(),
        })
    }
}

/// Opens the network namespace of process `pid`, to be joined by the child.
fn open_netns(pid: i32) -> Result<File> {
    let path = format!("/proc/{pid}/ns/net");
    File::open(&path).map_err(crate::Error::io(
        "open the network namespace of the container to join",
        path,
    ))
}

// ANCHOR: init_sequence
/// The container's set-up, step by step. Returns only if a step failed.
pub(super) fn setup(plan: &InitPlan, console: Option<RawFd>) -> Result<Infallible, Failure> {
    // 0. --network container:NAME: join that container's network namespace before anything is
    //    mounted, so the /sys mounted below shows its interfaces, not the host's.
    if let Some(netns) = &plan.join_netns {
        setns(netns, CloneFlags::CLONE_NEWNET)
            .map_err(|e| Failure::engine(format!("join the network namespace: {e}")))?;
    }
    // 1. Our mount namespace is a copy of the host's. Make every mount private first, so nothing
    //    we mount (or unmount) below propagates back to the host.
    rootfs::make_mounts_private()?;
    // 2. Assemble the root filesystem: the image's layers under our writable layer (OverlayFS),
    //    or a plain directory bind-mounted onto itself (pivot_root needs a mount point).
    rootfs::assemble(&plan.rootfs, &plan.root)?;
    // 3. Kernel file systems inside it. /proc must be mounted by a process of the new PID
    //    namespace — we are its PID 1 — so that it shows only the container's processes.
    rootfs::mount_proc(&plan.root)?;
    rootfs::mount_dev(&plan.root)?;
    rootfs::mount_sys(&plan.root)?;
    //    Its own cgroup (created by the engine while we were held) at /sys/fs/cgroup, read-only:
    //    the directories are host paths, so before pivot_root.
    cgroupfs::mount_own_cgroup(&plan.root, &plan.cgroup)?;
    // 4. Volumes and bind mounts (-v): their sources are host paths, so this must happen while
    //    the host is still visible; their destinations are resolved inside the new root.
    binds::mount_all(&plan.root, &plan.mounts)?;
    // 5. Make it "/": from here on the host's file system is unreachable.
    rootfs::pivot_root(&plan.root)?;
    // 6. Our own UTS namespace: setting the hostname changes nothing on the host.
    nix::unistd::sethostname(&plan.hostname)
        .map_err(|e| Failure::engine(format!("sethostname {:?}: {e}", plan.hostname)))?;
    // 7. A new network namespace starts with `lo` down; --network none means "only lo, up"
    //    (with a bridge network, the engine has added eth0 while we were held).
    if plan.network.is_new_namespace() {
        loopback::bring_up().map_err(|e| Failure::engine(format!("bring up lo: {e}")))?;
    }
    // 8. stdin, stdout, stderr: the monitor's pipes, the caller's (with -i), /dev/null, or a new
    //    terminal from the container's own /dev/pts (-t). Nothing else crosses `exec`.
    stdio::connect(plan.stdio, console)?;
    exec::close_inherited_fds()?;
    // 9. The working directory is created as root (as Docker does), then we become the user (-u,
    //    looked up in the container's /etc/passwd), enter the directory and exec the command.
    exec::create_workdir(&plan.cwd)?;
    let user = user::lookup(plan.user.as_deref().unwrap_or(""))?;
    let env = exec::with_home(&plan.env, &user.home)?;
    user::switch_to(&user)?;
    exec::enter_workdir(&plan.cwd)?;
    exec::exec(&plan.args, &env)
}
// ANCHOR_END: init_sequence
