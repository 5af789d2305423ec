//! The container's root filesystem: assembling it, the kernel file systems inside it, and
//! `pivot_root` into it.
//!
//! All of this runs in the container's own mount namespace (after the mounts were made private),
//! so every mount here disappears with the container: nothing is left to unmount on the host.

use std::os::unix::fs::symlink;
use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};

use super::exec::Failure;
use super::RootfsSource;

/// Names the step and path that failed, as runc does: "mount proc on /x/proc: EPERM".
pub(super) fn failed(step: &str, path: &Path) -> impl FnOnce(nix::Error) -> Failure {
    let what = format!("{step} {}", path.display());
    move |e| Failure::engine(format!("{what}: {e}"))
}

pub(super) fn mkdir(path: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(path)
        .map_err(|e| Failure::engine(format!("mkdir {}: {e}", path.display())))
}

/// Stops mount events propagating between the container and the host, in both directions.
pub(super) fn make_mounts_private() -> Result<(), Failure> {
    let none: Option<&str> = None;
    mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none)
        .map_err(failed("make mounts private on", Path::new("/")))
}

// ANCHOR: assemble
/// Mounts the root filesystem at `root`: an overlay of the image's layers under the container's
/// writable layer, or a directory bind-mounted onto itself (so that it is a mount point).
pub(super) fn assemble(source: &RootfsSource, root: &Path) -> Result<(), Failure> {
    let none: Option<&str> = None;
    match source {
        RootfsSource::Overlay { lower, upper, work } => {
            mkdir(root)?;
            let lowerdir: Vec<String> = lower.iter().map(|p| p.display().to_string()).collect();
            let options = format!(
                "lowerdir={},upperdir={},workdir={}",
                lowerdir.join(":"),
                upper.display(),
                work.display()
            );
            mount(
                Some("overlay"),
                root,
                Some("overlay"),
                MsFlags::empty(),
                Some(options.as_str()),
            )
            .map_err(failed("mount overlay on", root))
        }
        RootfsSource::Directory => mount(
            Some(root),
            root,
            none,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            none,
        )
        .map_err(failed("bind mount rootfs", root)),
    }
}
// ANCHOR_END: assemble

// ANCHOR: mount_proc
/// Mounts a fresh procfs: it shows the PID namespace of the process that mounts it — ours.
pub(super) fn mount_proc(root: &Path) -> Result<(), Failure> {
    let target = root.join("proc");
    mkdir(&target)?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("proc"), &target, Some("proc"), flags, None::<&str>)
        .map_err(failed("mount proc on", &target))
}
// ANCHOR_END: mount_proc

// ANCHOR: mount_dev
/// The character devices every program expects, as (name, major, minor).
const DEVICES: [(&str, u64, u64); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

/// Builds a minimal /dev on a tmpfs: the six standard devices, a private devpts instance for
/// terminals, /dev/shm, and the /dev/fd and /dev/std* links into /proc.
pub(super) fn mount_dev(root: &Path) -> Result<(), Failure> {
    let dev = root.join("dev");
    mkdir(&dev)?;
    let tmpfs_flags = MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME;
    mount(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        tmpfs_flags,
        Some("mode=755,size=65536k"),
    )
    .map_err(failed("mount tmpfs on", &dev))?;
    for (name, major, minor) in DEVICES {
        let node = dev.join(name);
        mknod(
            &node,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(major, minor),
        )
        .map_err(failed("mknod", &node))?;
        // mknod's mode is filtered by the umask; devices must be usable by every user.
        nix::sys::stat::fchmodat(
            None,
            &node,
            Mode::from_bits_truncate(0o666),
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )
        .map_err(failed("chmod", &node))?;
    }
    let pts = dev.join("pts");
    mkdir(&pts)?;
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(failed("mount devpts on", &pts))?;
    let shm = dev.join("shm");
    mkdir(&shm)?;
    let shm_flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(
        Some("shm"),
        &shm,
        Some("tmpfs"),
        shm_flags,
        Some("mode=1777,size=65536k"),
    )
    .map_err(failed("mount tmpfs on", &shm))?;
    let links = [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ];
    for (name, target) in links {
        let link = dev.join(name);
        symlink(target, &link)
            .map_err(|e| Failure::engine(format!("symlink {}: {e}", link.display())))?;
    }
    Ok(())
}
// ANCHOR_END: mount_dev

// ANCHOR: mount_sys
/// Mounts sysfs read-only: programs may look at devices and network interfaces, never change them.
pub(super) fn mount_sys(root: &Path) -> Result<(), Failure> {
    let target = root.join("sys");
    mkdir(&target)?;
    let flags = MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("sysfs"), &target, Some("sysfs"), flags, None::<&str>)
        .map_err(failed("mount sysfs on", &target))
}
// ANCHOR_END: mount_sys

// ANCHOR: pivot_root
/// Makes `root` the process's "/" and detaches the old root, so no path leads back to the host.
///
/// `pivot_root(".", ".")` stacks the old root on top of the new one at the same place; unmounting
/// "." then removes the old root, leaving the new one. This avoids needing a spare directory.
pub(super) fn pivot_root(root: &Path) -> Result<(), Failure> {
    nix::unistd::chdir(root).map_err(failed("chdir to", root))?;
    nix::unistd::pivot_root(".", ".").map_err(failed("pivot_root to", root))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(failed("detach the old root from", root))?;
    nix::unistd::chdir("/").map_err(failed("chdir to", Path::new("/")))
}
// ANCHOR_END: pivot_root
