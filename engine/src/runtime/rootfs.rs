//! The container's root filesystem: assembling it, the kernel file systems inside it, and
//! `pivot_root` into it.
//!
//! All of this runs in the container's own mount namespace (after the mounts were made private),
//! so every mount here disappears with the container: nothing is left to unmount on the host.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::AtFlags;
use nix::fcntl::OFlag;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{fchmodat, fstatat, makedev, mkdirat, mknodat, FchmodatFlags, Mode, SFlag};
use nix::unistd::symlinkat;

use super::exec::Failure;
use super::inroot::{fd_path, mkdir_all_in_root, open_in_root};
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

/// Makes (or finds) the directory `name` inside the root and returns the path that reaches
/// exactly it (`/proc/self/fd/N`): a symlink in the image named `proc` or `sys` cannot send the
/// kernel's file systems — or the container's writes through them — onto the host.
///
/// The name itself must not be a symlink (runc refuses the same): later steps reach these mounts
/// by their host path (`<root>/sys/fs/cgroup`), which must lead to what was mounted here.
fn mount_point(root: &OwnedFd, name: &str) -> Result<(OwnedFd, PathBuf), Failure> {
    match fstatat(Some(root.as_raw_fd()), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFLNK => {
            return Err(Failure::engine(format!(
                "/{name} in the image is a symlink; it must be a directory"
            )))
        }
        _ => {}
    }
    let dir = mkdir_all_in_root(root, Path::new(name))
        .map_err(|e| Failure::engine(format!("create mount point /{name}: {e}")))?;
    let path = fd_path(&dir);
    Ok((dir, path))
}

/// Opens `name` inside the root again, after something was mounted on it.
fn reopen(root: &OwnedFd, name: &str) -> Result<OwnedFd, Failure> {
    open_in_root(
        root,
        Path::new(name),
        OFlag::O_PATH | OFlag::O_DIRECTORY,
        Mode::empty(),
    )
    .map_err(|e| Failure::engine(format!("open /{name}: {e}")))
}

// ANCHOR: mount_proc
/// Mounts a fresh procfs: it shows the PID namespace of the process that mounts it — ours.
pub(super) fn mount_proc(root: &OwnedFd) -> Result<(), Failure> {
    let (_dir, target) = mount_point(root, "proc")?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("proc"), &target, Some("proc"), flags, None::<&str>)
        .map_err(failed("mount proc on", Path::new("/proc")))
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
pub(super) fn mount_dev(root: &OwnedFd) -> Result<(), Failure> {
    let (_under, target) = mount_point(root, "dev")?;
    let tmpfs_flags = MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME;
    mount(
        Some("tmpfs"),
        &target,
        Some("tmpfs"),
        tmpfs_flags,
        Some("mode=755,size=65536k"),
    )
    .map_err(failed("mount tmpfs on", Path::new("/dev")))?;
    // Everything below is created in the new tmpfs, relative to it: nothing of the image is there.
    let dev = reopen(root, "dev")?;
    let at = Some(dev.as_raw_fd());
    for (name, major, minor) in DEVICES {
        let node = Path::new("/dev").join(name);
        mknodat(
            at,
            name,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(major, minor),
        )
        .map_err(failed("mknod", &node))?;
        // mknod's mode is filtered by the umask; devices must be usable by every user.
        fchmodat(
            at,
            name,
            Mode::from_bits_truncate(0o666),
            FchmodatFlags::NoFollowSymlink,
        )
        .map_err(failed("chmod", &node))?;
    }
    for dir in ["pts", "shm"] {
        mkdirat(at, dir, Mode::from_bits_truncate(0o755))
            .map_err(failed("mkdir", &Path::new("/dev").join(dir)))?;
    }
    let (_pts, pts) = mount_point(root, "dev/pts")?;
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(failed("mount devpts on", Path::new("/dev/pts")))?;
    let (_shm, shm) = mount_point(root, "dev/shm")?;
    let shm_flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(
        Some("shm"),
        &shm,
        Some("tmpfs"),
        shm_flags,
        Some("mode=1777,size=65536k"),
    )
    .map_err(failed("mount tmpfs on", Path::new("/dev/shm")))?;
    let links = [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ];
    for (name, target) in links {
        symlinkat(target, at, name).map_err(failed("symlink", &Path::new("/dev").join(name)))?;
    }
    Ok(())
}
// ANCHOR_END: mount_dev

// ANCHOR: mount_sys
/// Mounts sysfs, read-only unless `writable` (`--privileged`): programs may look at devices and
/// network interfaces, never change them.
pub(super) fn mount_sys(root: &OwnedFd, writable: bool) -> Result<(), Failure> {
    let (_dir, target) = mount_point(root, "sys")?;
    let mut flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    if !writable {
        flags |= MsFlags::MS_RDONLY;
    }
    mount(Some("sysfs"), &target, Some("sysfs"), flags, None::<&str>)
        .map_err(failed("mount sysfs on", Path::new("/sys")))
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

// ANCHOR: readonly_root
/// `--read-only`: remounts the (new) root read-only. Only that mount changes: /proc, /dev, the
/// volumes, `--tmpfs` and the engine's /etc files are mounts of their own and keep their flags.
pub(super) fn remount_root_read_only() -> Result<(), Failure> {
    let none: Option<&str> = None;
    let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    mount(none, "/", none, flags, none).map_err(failed("remount read-only", Path::new("/")))
}
// ANCHOR_END: readonly_root
