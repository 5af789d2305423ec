//! What the container's first process does between `clone` and `exec`, in order.
//!
//! This runs in the cloned child: already in its new namespaces, still seeing the host's files.
//! Each step must come where it is — see the comments in [`setup`]. Any failure is returned to
//! `spawn`'s child wrapper, which writes it to the report pipe; on success `exec` closes that pipe.

use std::convert::Infallible;
use std::fs::File;
use std::path::PathBuf;

use nix::sched::{setns, unshare, CloneFlags};

use super::exec::{self, Failure};
use super::inroot::open_root;
use super::process::{become_process, ChildFds, Process};
use super::{
    binds, cgroupfs, devices, loopback, rootfs, security, tmpfs, BindMount, ContainerSpec,
    DeviceNode, NetworkMode, RootfsSource, Security, Stdio, Tmpfs,
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
    security: Security,
    readonly_rootfs: bool,
    tmpfs: Vec<Tmpfs>,
    devices: Vec<DeviceNode>,
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
            security: spec.security.clone(),
            readonly_rootfs: spec.readonly_rootfs,
            tmpfs: spec.tmpfs.clone(),
            devices: spec.devices.clone(),
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
pub(super) fn setup(plan: &InitPlan, fds: ChildFds) -> Result<Infallible, Failure> {
    // 0. --network container:NAME: join that container's network namespace before anything is
    //    mounted, so the /sys mounted below shows its interfaces, not the host's.
    if let Some(netns) = &plan.join_netns {
        setns(netns, CloneFlags::CLONE_NEWNET)
            .map_err(|e| Failure::engine(format!("join the network namespace: {e}")))?;
    }
    //    A cgroup namespace of our own, rooted at the cgroup the engine put us in while we were
    //    held: /proc/self/cgroup says "/", and no path leads to the host's other cgroups. (It is
    //    made here, not at clone, because at clone time we were still in the engine's cgroup.)
    if plan.security.cgroup_namespace {
        unshare(CloneFlags::CLONE_NEWCGROUP)
            .map_err(|e| Failure::engine(format!("create a cgroup namespace: {e}")))?;
    }
    // 1. Our mount namespace is a copy of the host's. Make every mount private first, so nothing
    //    we mount (or unmount) below propagates back to the host.
    rootfs::make_mounts_private()?;
    // 2. Assemble the root filesystem: the image's layers under our writable layer (OverlayFS),
    //    or a plain directory bind-mounted onto itself (pivot_root needs a mount point).
    rootfs::assemble(&plan.rootfs, &plan.root)?;
    //    From here on every path in the root is resolved *inside* it: the image may hold symlinks.
    let root = open_root(&plan.root)
        .map_err(|e| Failure::engine(format!("open rootfs {}: {e}", plan.root.display())))?;
    // 3. Kernel file systems inside it. /proc must be mounted by a process of the new PID
    //    namespace — we are its PID 1 — so that it shows only the container's processes.
    rootfs::mount_proc(&root)?;
    rootfs::mount_dev(&root)?;
    devices::create(&root, &plan.devices)?;
    rootfs::mount_sys(&root, plan.security.writable_sys)?;
    //    Its own cgroup (created by the engine while we were held) at /sys/fs/cgroup, read-only:
    //    the directories are host paths, so before pivot_root.
    cgroupfs::mount_own_cgroup(&plan.root, &plan.cgroup)?;
    // 4. Volumes and bind mounts (-v): their sources are host paths, so this must happen while
    //    the host is still visible; their destinations are resolved inside the new root. Then
    //    --tmpfs, and the kernel's secrets masked and its host-wide knobs made read-only.
    binds::mount_all(&plan.root, &plan.mounts)?;
    tmpfs::mount_all(&root, &plan.tmpfs)?;
    security::mask(&root, &plan.security)?;
    drop(root);
    // 5. Make it "/": from here on the host's file system is unreachable. With --read-only the
    //    root itself becomes read-only; the mounts on it keep their own flags.
    rootfs::pivot_root(&plan.root)?;
    if plan.readonly_rootfs {
        rootfs::remount_root_read_only()?;
    }
    // 6. Our own UTS namespace: setting the hostname changes nothing on the host.
    nix::unistd::sethostname(&plan.hostname)
        .map_err(|e| Failure::engine(format!("sethostname {:?}: {e}", plan.hostname)))?;
    // 7. A new network namespace starts with `lo` down; --network none means "only lo, up"
    //    (with a bridge network, the engine has added eth0 while we were held).
    if plan.network.is_new_namespace() {
        loopback::bring_up().map_err(|e| Failure::engine(format!("bring up lo: {e}")))?;
    }
    // 8. Who the process is and what it may do, then exec (see `process`).
    let process = Process {
        args: &plan.args,
        env: &plan.env,
        cwd: &plan.cwd,
        user: plan.user.as_deref(),
        stdio: plan.stdio,
        security: &plan.security,
        create_cwd: true,
        die_with_parent: true,
    };
    become_process(&process, fds)
}
// ANCHOR_END: init_sequence
