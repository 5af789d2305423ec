//! Paths inside a container's root filesystem, resolved as if that root were `/`.
//!
//! An image is untrusted: `/data` in it may be a symlink to `/etc`. Resolved naively from the host,
//! `<rootfs>/data` leads to the *host's* `/etc`, and a `-v` mount or a `ferry cp` would land there.
//! `openat2(2)` with `RESOLVE_IN_ROOT` makes the kernel treat the given directory as `/` for the
//! whole lookup: absolute symlinks and `..` stay inside, as they would for a process chrooted there.
//! Magic links (`/proc/self/root`…) are refused outright.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::Mode;

/// The path relative to the root: `/a/../b/./c` becomes `a/../b/c` (`..` is left to the kernel,
/// which keeps it inside the root).
fn relative(path: &Path) -> PathBuf {
    let rel: PathBuf = path
        .components()
        .filter(|c| !matches!(c, Component::RootDir | Component::CurDir))
        .collect();
    if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel
    }
}

// ANCHOR: open_in_root
/// Opens `path` below the directory `root` as if `root` were `/`.
pub fn open_in_root(root: &OwnedFd, path: &Path, flags: OFlag, mode: Mode) -> nix::Result<OwnedFd> {
    let how = OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .mode(mode)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let fd = openat2(root.as_raw_fd(), &relative(path), how)?;
    // SAFETY: openat2 returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
// ANCHOR_END: open_in_root

/// Opens a directory to serve as the root of later lookups.
pub fn open_root(path: &Path) -> nix::Result<OwnedFd> {
    let fd = nix::fcntl::open(
        path,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    // SAFETY: open returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open_dir(root: &OwnedFd, path: &Path) -> nix::Result<OwnedFd> {
    open_in_root(
        root,
        path,
        OFlag::O_PATH | OFlag::O_DIRECTORY,
        Mode::empty(),
    )
}

/// `mkdir -p` inside the root: creates every missing directory of `path` (mode 0755) and returns
/// the final one, opened `O_PATH`. Every step is resolved inside the root, so a symlink in the
/// image can redirect the creation only to another place *inside* the root; a symlink that leads
/// nowhere is refused (`ENOENT`) rather than guessed at.
pub fn mkdir_all_in_root(root: &OwnedFd, path: &Path) -> nix::Result<OwnedFd> {
    let mut prefix = PathBuf::new();
    let mut dir = open_dir(root, Path::new("."))?;
    for component in relative(path).components() {
        prefix.push(component);
        dir = match open_dir(root, &prefix) {
            Ok(next) => next,
            Err(Errno::ENOENT) => {
                match nix::sys::stat::mkdirat(
                    Some(dir.as_raw_fd()),
                    component.as_os_str(),
                    Mode::from_bits_truncate(0o755),
                ) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(e) => return Err(e),
                }
                open_dir(root, &prefix)?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(dir)
}

/// How many symlinks [`touch_in_root`] follows before giving up, as the kernel's own limit.
const MAX_SYMLINKS: usize = 40;

/// Makes sure there is something at `path` inside the root to mount a file onto — the mount point
/// for a bind-mounted file: what is there is left as it is; where nothing is, an empty file is
/// created (and its parent directories). Where `path` is a symlink leading nowhere (an image, or
/// the container itself, may have made `/etc/hostname` one), the file it names is created, resolved
/// inside the root as the container would resolve it, never on the host.
pub fn touch_in_root(root: &OwnedFd, path: &Path) -> nix::Result<()> {
    let mut path = relative(path);
    for _ in 0..MAX_SYMLINKS {
        match open_in_root(root, &path, OFlag::O_PATH, Mode::empty()) {
            Ok(_) => return Ok(()),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Errno::EINVAL);
        };
        let parent_fd = mkdir_all_in_root(root, parent)?;
        let flags = OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        match nix::fcntl::openat(
            Some(parent_fd.as_raw_fd()),
            name,
            flags,
            Mode::from_bits_truncate(0o644),
        ) {
            Ok(fd) => {
                // SAFETY: openat returned a new descriptor that nothing else owns; closing it is
                // all we do.
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
                return Ok(());
            }
            // A dangling symlink: go on with the path it names, from the directory it is in (an
            // absolute target replaces the path; `..` is resolved by the kernel, inside the root).
            Err(Errno::ELOOP) => {
                let target = nix::fcntl::readlinkat(Some(parent_fd.as_raw_fd()), name)?;
                path = relative(&parent.join(target));
            }
            Err(e) => return Err(e),
        }
    }
    Err(Errno::ELOOP)
}

/// The path under which a process can reach the file `fd` refers to, e.g. to mount onto exactly
/// what was resolved (`/proc/self/fd/N`) rather than resolve a path again.
pub fn fd_path(fd: &OwnedFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn absolute_symlinks_and_dotdot_stay_inside_the_root() {
        let host = tempfile::tempdir().unwrap();
        let root = host.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/inside"), b"container").unwrap();
        std::fs::write(host.path().join("outside"), b"host").unwrap();
        symlink("/etc", root.join("data")).unwrap();
        symlink("../../../..", root.join("up")).unwrap();
        let root_fd = open_root(&root).unwrap();
        let file = open_in_root(
            &root_fd,
            Path::new("/data/inside"),
            OFlag::O_RDONLY,
            Mode::empty(),
        )
        .unwrap();
        let text = std::fs::read_to_string(fd_path(&file)).unwrap();
        assert_eq!(text, "container");
        assert_eq!(
            open_in_root(
                &root_fd,
                Path::new("/up/outside"),
                OFlag::O_RDONLY,
                Mode::empty()
            )
            .unwrap_err(),
            Errno::ENOENT,
            "`..` above the root stays at the root"
        );
    }

    #[test]
    fn mkdir_all_follows_image_symlinks_only_inside_the_root() {
        let host = tempfile::tempdir().unwrap();
        let root = host.path().join("root");
        std::fs::create_dir_all(root.join("srv")).unwrap();
        let victim = host.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        symlink(&victim, root.join("evil")).unwrap();
        symlink("/srv", root.join("data")).unwrap();
        let root_fd = open_root(&root).unwrap();
        assert!(
            mkdir_all_in_root(&root_fd, Path::new("/evil/sub/dir")).is_err(),
            "a link leading nowhere inside is refused"
        );
        assert!(
            !victim.join("sub").exists(),
            "the host directory was written to"
        );
        mkdir_all_in_root(&root_fd, Path::new("/data/sub/dir")).unwrap();
        assert!(
            root.join("srv/sub/dir").is_dir(),
            "an absolute link is followed inside the root"
        );
        touch_in_root(&root_fd, Path::new("/a/b/file")).unwrap();
        assert!(root.join("a/b/file").is_file());
    }

    #[test]
    fn touch_creates_what_a_dangling_symlink_names_inside_the_root() {
        let host = tempfile::tempdir().unwrap();
        let root = host.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        let victim = host.path().join("victim-dir/victim");
        symlink(&victim, root.join("etc/hostname")).unwrap();
        symlink("../run/hosts", root.join("etc/hosts")).unwrap();
        symlink("/etc/loop", root.join("etc/loop")).unwrap();
        let root_fd = open_root(&root).unwrap();
        touch_in_root(&root_fd, Path::new("/etc/hostname")).unwrap();
        assert!(!victim.exists(), "a file was created on the host");
        let inside = root.join(victim.strip_prefix("/").unwrap());
        assert!(inside.is_file(), "{inside:?}");
        touch_in_root(&root_fd, Path::new("/etc/hosts")).unwrap();
        assert!(root.join("run/hosts").is_file());
        assert_eq!(
            touch_in_root(&root_fd, Path::new("/etc/loop")),
            Err(Errno::ELOOP)
        );
        std::fs::write(root.join("etc/resolv.conf"), b"kept").unwrap();
        touch_in_root(&root_fd, Path::new("/etc/resolv.conf")).unwrap();
        assert_eq!(
            std::fs::read(root.join("etc/resolv.conf")).unwrap(),
            b"kept"
        );
    }
}
