//! `-v` inside the container: bind-mounting host directories (and volumes' data) into the root
//! filesystem before `pivot_root`.
//!
//! The source is a host path the user chose; the destination is a path in an untrusted image. So
//! the destination is created and opened with [`inroot`](super::inroot) (resolved as if the
//! container's root were `/`), and the mount is made onto that very file through
//! `/proc/self/fd/N` — the technique runc uses — so no second lookup can be raced onto the host.

use std::path::Path;

use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;

use super::exec::Failure;
use super::inroot::{fd_path, mkdir_all_in_root, open_in_root, open_root, touch_in_root};
use super::BindMount;

fn failed<'a>(step: &'static str, mount: &'a BindMount) -> impl Fn(nix::Error) -> Failure + 'a {
    move |e| {
        Failure::engine(format!(
            "{step} {} on {}: {e}",
            mount.source.display(),
            mount.destination.display()
        ))
    }
}

// ANCHOR: bind_mounts
/// Mounts every `-v` into the root filesystem at `root` (still seen from the host's paths).
pub(super) fn mount_all(root: &Path, mounts: &[BindMount]) -> Result<(), Failure> {
    if mounts.is_empty() {
        return Ok(());
    }
    let root_fd = open_root(root)
        .map_err(|e| Failure::engine(format!("open rootfs {}: {e}", root.display())))?;
    for bind in mounts {
        let is_dir = std::fs::metadata(&bind.source)
            .map_err(|e| {
                Failure::engine(format!("stat bind source {}: {e}", bind.source.display()))
            })?
            .is_dir();
        // 1. Make the mount point inside the root: a directory, or an empty file for a file.
        if is_dir {
            mkdir_all_in_root(&root_fd, &bind.destination)
                .map_err(failed("create mount point for", bind))?;
        } else {
            touch_in_root(&root_fd, &bind.destination)
                .map_err(failed("create mount point for", bind))?;
        }
        // 2. Open it (resolved inside the root) and mount onto exactly that file.
        let target = open_in_root(&root_fd, &bind.destination, OFlag::O_PATH, Mode::empty())
            .map_err(failed("open mount point for", bind))?;
        let none: Option<&str> = None;
        mount(
            Some(&bind.source),
            &fd_path(&target),
            none,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            none,
        )
        .map_err(failed("bind mount", bind))?;
        // 3. Read-only is a property of the new mount, set on it afterwards; reopen the path so
        //    the descriptor names the new mount, not the directory underneath. Recursively: a
        //    `:ro` bind of a directory with mounts below it must not leave those writable.
        if bind.read_only {
            let mounted = open_in_root(&root_fd, &bind.destination, OFlag::O_PATH, Mode::empty())
                .map_err(failed("reopen", bind))?;
            make_read_only_recursively(&mounted).map_err(failed("remount read-only", bind))?;
        }
    }
    Ok(())
}
// ANCHOR_END: bind_mounts

/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

// ANCHOR: read_only_recursively
/// Makes the mount at `target` and every mount below it read-only, in one call
/// (`mount_setattr` with `AT_RECURSIVE`, Linux 5.12): remounting with `MS_RDONLY` would change
/// only the top one.
fn make_read_only_recursively(target: &std::os::fd::OwnedFd) -> nix::Result<()> {
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let empty = c"";
    // SAFETY: a valid descriptor, an empty path with AT_EMPTY_PATH, and a mount_attr of the size
    // given.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            std::os::fd::AsRawFd::as_raw_fd(target),
            empty.as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    nix::errno::Errno::result(rc).map(drop)
}
// ANCHOR_END: read_only_recursively
