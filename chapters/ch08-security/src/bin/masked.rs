//! Chapter 8, `masked`: how Docker hides `/proc/kcore` and freezes `/proc/sys`.
//!
//! In a temporary directory the demo makes a stand-in for each: `proc/kcore` (a file of
//! "secret" bytes), `proc/acpi/` (a directory with a file) and `proc/sys/vm/swappiness` (a
//! setting). A child in a mount namespace of its own, with its mounts private, then does what a
//! runtime does for `maskedPaths` and `readonlyPaths`:
//!
//! - a file is masked by bind-mounting `/dev/null` over it: it reads as empty;
//! - a directory is masked by mounting an empty read-only tmpfs over it: it lists as empty;
//! - a read-only path is bind-mounted onto itself and remounted read-only: writes fail (EROFS).
//!
//! A mask is only a mount, and whoever may unmount can lift it: the child lifts one with
//! CAP_SYS_ADMIN, then drops CAP_SYS_ADMIN (as Docker's containers lack it) and can neither
//! unmount nor remount read-write any more. The host's files never change.
//!
//! Usage, as root: `masked`. Exits 0 when every step ended as described, 1 otherwise.

use std::fs;
use std::path::{Path, PathBuf};

use ch08_security::caps::{drop_capability, CAP_SYS_ADMIN};
use ch08_security::child::run_in_child;
use ch08_security::{exit_with, outcome, Error};
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::CloneFlags;

const SECRET: &str = "0xffffffff81000000 pretend kernel memory\n";

fn main() {
    exit_with("masked", run());
}

/// The stand-ins, below the demo's temporary directory.
struct Paths {
    kcore: PathBuf,
    acpi: PathBuf,
    sys: PathBuf,
    swappiness: PathBuf,
}

fn run() -> Result<i32, Error> {
    let dir = tempfile::Builder::new()
        .prefix("ch08-masked-")
        .tempdir()
        .map_err(Error::io("create a directory in", std::env::temp_dir()))?;
    let root = dir.path();
    let paths = Paths {
        kcore: root.join("proc/kcore"),
        acpi: root.join("proc/acpi"),
        sys: root.join("proc/sys"),
        swappiness: root.join("proc/sys/vm/swappiness"),
    };
    let swappiness_dir = paths.sys.join("vm");
    fs::create_dir_all(&paths.acpi).map_err(Error::io("create", &paths.acpi))?;
    fs::create_dir_all(&swappiness_dir).map_err(Error::io("create", &swappiness_dir))?;
    write(&paths.kcore, SECRET)?;
    write(&paths.acpi.join("wakeup"), "PWRB S4 *enabled\n")?;
    write(&paths.swappiness, "60\n")?;
    println!(
        "parent: made {}/proc/{{kcore,acpi/wakeup,sys/vm/swappiness}}",
        root.display()
    );

    let code = run_in_child(CloneFlags::CLONE_NEWNS, || child(&paths))?;

    let kcore = read(&paths.kcore)?;
    let swappiness = read(&paths.swappiness)?;
    println!(
        "parent: the host's files are unchanged: kcore {} bytes, acpi/ lists {:?}, swappiness {}",
        kcore.len(),
        list(&paths.acpi),
        swappiness.trim()
    );
    let unchanged = kcore == SECRET && swappiness == "60\n" && list(&paths.acpi) == ["wakeup"];
    Ok(if code == 0 && unchanged { 0 } else { 1 })
}

fn child(paths: &Paths) -> isize {
    match steps(paths) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(err) => {
            eprintln!("child: {err}");
            1
        }
    }
}

fn steps(paths: &Paths) -> Result<bool, Error> {
    // ANCHOR: private
    // A new mount namespace starts with copies of the host's mounts, still joined to them by
    // propagation: make every one private, or our mounts would appear on the host.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(Error::sys("make / private"))?;
    // ANCHOR_END: private

    // ANCHOR: mask_file
    // maskedPaths, a file: /dev/null on top. Reads give 0 bytes, writes vanish.
    mount(
        Some("/dev/null"),
        &paths.kcore,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(Error::sys(format!(
        "bind /dev/null on {}",
        paths.kcore.display()
    )))?;
    // ANCHOR_END: mask_file
    let kcore = read(&paths.kcore)?;
    println!(
        "child: /dev/null bound over {}: it reads {} bytes",
        paths.kcore.display(),
        kcore.len()
    );

    // ANCHOR: mask_dir
    // maskedPaths, a directory: an empty tmpfs, read-only, so nothing can be put in it either.
    mount(
        Some("tmpfs"),
        &paths.acpi,
        Some("tmpfs"),
        MsFlags::MS_RDONLY,
        None::<&str>,
    )
    .map_err(Error::sys(format!(
        "mount tmpfs on {}",
        paths.acpi.display()
    )))?;
    // ANCHOR_END: mask_dir
    let planted = fs::write(paths.acpi.join("planted"), "x").map_err(errno);
    println!(
        "child: read-only tmpfs over {}: it lists {:?}; creating a file in it: {}",
        paths.acpi.display(),
        list(&paths.acpi),
        outcome(&planted)
    );

    // ANCHOR: readonly
    // readonlyPaths: bind the directory onto itself, which makes it a mount of its own, then
    // remount that mount read-only (a bind mount takes its flags only from a remount).
    mount(
        Some(&paths.sys),
        &paths.sys,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(Error::sys(format!(
        "bind {} on itself",
        paths.sys.display()
    )))?;
    mount(
        None::<&str>,
        &paths.sys,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        None::<&str>,
    )
    .map_err(Error::sys(format!(
        "remount {} read-only",
        paths.sys.display()
    )))?;
    // ANCHOR_END: readonly
    let swappiness = read(&paths.swappiness)?;
    let written = fs::write(&paths.swappiness, "0\n").map_err(errno);
    println!(
        "child: {} read-only: it reads {}, writing 0: {}",
        paths.swappiness.display(),
        swappiness.trim(),
        outcome(&written)
    );

    // ANCHOR: lift
    // With CAP_SYS_ADMIN a mask is no obstacle: unmount it.
    let lifted = umount2(&paths.kcore, MntFlags::empty());
    let seen = read(&paths.kcore)?;
    println!(
        "child: with CAP_SYS_ADMIN, umount {}: {}: it reads {} bytes again",
        paths.kcore.display(),
        outcome(&lifted),
        seen.len()
    );
    drop_capability(CAP_SYS_ADMIN)?;
    let unmask = umount2(&paths.acpi, MntFlags::empty());
    let rw = mount(
        None::<&str>,
        &paths.sys,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT,
        None::<&str>,
    );
    // ANCHOR_END: lift
    println!("child: dropped CAP_SYS_ADMIN");
    println!(
        "child: umount {}: {}",
        paths.acpi.display(),
        outcome(&unmask)
    );
    println!(
        "child: remount {} read-write: {}",
        paths.sys.display(),
        outcome(&rw)
    );

    Ok(kcore.is_empty()
        && list(&paths.acpi).is_empty()
        && planted == Err(Errno::EROFS)
        && written == Err(Errno::EROFS)
        && lifted.is_ok()
        && seen == SECRET
        && unmask == Err(Errno::EPERM)
        && rw == Err(Errno::EPERM))
}

fn errno(err: std::io::Error) -> Errno {
    Errno::from_raw(err.raw_os_error().unwrap_or(0))
}

fn write(path: &Path, content: &str) -> Result<(), Error> {
    fs::write(path, content).map_err(Error::io("write", path))
}

fn read(path: &Path) -> Result<String, Error> {
    fs::read_to_string(path).map_err(Error::io("read", path))
}

/// The names in a directory, sorted; empty if it cannot be read.
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
