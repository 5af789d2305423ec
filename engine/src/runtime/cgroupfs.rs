//! The container's own cgroup at its `/sys/fs/cgroup`, read-only, as Docker shows it: programs in
//! the container read their limits and usage (`memory.limit_in_bytes`, `memory.max`) where they
//! would on a host, and see no other cgroup.
//!
//! The engine creates the cgroup before it releases the child (the `prepare` hook of
//! [`spawn`](super::spawn())) and passes its directories in the spec as a [`CgroupView`]. They are
//! host paths, so the mounts are made before `pivot_root`, once the container's sysfs is mounted:
//! its empty `fs/cgroup` directory is the mount point.
//!
//! - cgroup v1: a tmpfs at `/sys/fs/cgroup`, and in it one directory per hierarchy (`memory`,
//!   `cpu`, …) onto which the container's directory of that hierarchy is bind-mounted;
//! - cgroup v2: the container's one directory bind-mounted at `/sys/fs/cgroup` itself.

use std::os::unix::fs::symlink;
use std::path::Path;

use nix::mount::{mount, MsFlags};

use super::exec::Failure;
use super::rootfs::{failed, mkdir};
use crate::cgroups::CgroupView;

/// Flags of every mount here: nothing in a cgroup file system is a program or a device.
const SAFE: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

// ANCHOR: mount_own_cgroup
/// Shows the container its own cgroup, read-only, at `<root>/sys/fs/cgroup`.
pub(super) fn mount_own_cgroup(root: &Path, view: &CgroupView) -> Result<(), Failure> {
    let target = root.join("sys/fs/cgroup");
    match view {
        CgroupView::Hidden => Ok(()),
        CgroupView::V2 { dir } => bind_read_only(dir, &target),
        CgroupView::V1 { hierarchies } => {
            let tmpfs = Some("tmpfs");
            mount(tmpfs, &target, tmpfs, SAFE, Some("mode=755"))
                .map_err(failed("mount tmpfs on", &target))?;
            for (name, dir) in hierarchies {
                let mount_point = target.join(name);
                mkdir(&mount_point)?;
                bind_read_only(dir, &mount_point)?;
                link_comounted(&target, name)?;
            }
            // Read-only once filled: the container can neither add nor replace a hierarchy.
            let flags = MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | SAFE;
            mount(None::<&str>, &target, None::<&str>, flags, Some("mode=755"))
                .map_err(failed("remount read-only", &target))
        }
    }
}
// ANCHOR_END: mount_own_cgroup

/// Bind-mounts the host directory `dir` at `mount_point`, then makes that mount read-only (a
/// bind mount takes its own flags only when remounted).
fn bind_read_only(dir: &Path, mount_point: &Path) -> Result<(), Failure> {
    let none: Option<&str> = None;
    mount(Some(dir), mount_point, none, MsFlags::MS_BIND, none).map_err(failed(
        &format!("bind mount {} on", dir.display()),
        mount_point,
    ))?;
    let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | SAFE;
    mount(none, mount_point, none, flags, none).map_err(failed("remount read-only", mount_point))
}

/// For co-mounted controllers (`cpu,cpuacct`), the links `cpu` and `cpuacct` to their shared
/// directory, where programs look for them (Docker makes the same links).
fn link_comounted(target: &Path, name: &str) -> Result<(), Failure> {
    for controller in name.split(',').filter(|c| *c != name) {
        let link = target.join(controller);
        if !link.exists() {
            symlink(name, &link)
                .map_err(|e| Failure::engine(format!("symlink {}: {e}", link.display())))?;
        }
    }
    Ok(())
}
