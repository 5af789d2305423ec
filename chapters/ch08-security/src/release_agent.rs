//! The host side of the `release-agent` demo: whether it may run here, and leaving no trace.
//!
//! The demo escapes for real: the kernel runs a script as root on the machine the demo runs on.
//! The script only writes a file in the demo's temporary directory, but the demo also creates a
//! cgroup v1 hierarchy and sets its `release_agent`, which is host state. So it runs only when
//! asked ([`YES_FLAG`] or [`YES_ENV`]) or inside ferry's throw-away test VM ([`in_ferry_vm`]), and
//! removes the hierarchy afterwards ([`remove_hierarchy`]), even when the attack failed halfway.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

use crate::Error;

/// The name of the cgroup v1 hierarchy the demo mounts (`-o none,name=ferry-ch08`): a *named*
/// hierarchy with no controller, which even a kernel with every v1 controller disabled
/// (`cgroup_no_v1=all`, as in ferry's VM) still offers, and which nothing else uses.
pub const HIERARCHY: &str = "ferry-ch08";

/// The flag that says "yes, change this host".
pub const YES_FLAG: &str = "--yes-on-this-host";
/// The environment variable that says the same (`=1`).
pub const YES_ENV: &str = "FERRY_CH08_YES_ON_THIS_HOST";
/// What the kernel command line of ferry's test VM holds (vm/lib.sh boots it with
/// `init=/sbin/ferry-init`), and no ordinary machine's does.
pub const VM_MARKER: &str = "init=/sbin/ferry-init";

/// Why the demo may touch this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// [`YES_FLAG`] was given.
    Flag,
    /// [`YES_ENV`]`=1` is set.
    Env,
    /// This is ferry's test VM, thrown away after the run.
    Vm,
}

/// Whether the kernel command line `cmdline` is that of ferry's test VM.
pub fn in_ferry_vm(cmdline: &str) -> bool {
    cmdline.split_whitespace().any(|word| word == VM_MARKER)
}

/// Why the demo may run, from its arguments, the value of [`YES_ENV`] and `/proc/cmdline`;
/// `None`: it must not.
pub fn consent(args: &[String], env: Option<&str>, cmdline: &str) -> Option<Consent> {
    if args.iter().any(|a| a == YES_FLAG) {
        Some(Consent::Flag)
    } else if env == Some("1") {
        Some(Consent::Env)
    } else if in_ferry_vm(cmdline) {
        Some(Consent::Vm)
    } else {
        None
    }
}

/// Whether this process is a member of hierarchy `name`, which is the case for every process
/// while the hierarchy exists: `/proc/self/cgroup` has a line `N:name=NAME:/PATH` for it.
pub fn hierarchy_exists(name: &str) -> bool {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let wanted = format!("name={name}");
    cgroups
        .lines()
        .filter_map(|line| line.split(':').nth(1))
        .any(|controllers| controllers.split(',').any(|c| c == wanted))
}

// ANCHOR: remove_hierarchy
/// Removes the named v1 hierarchy `name` if it still exists: mounts it in a mount namespace of
/// its own (so a crash leaves no mount on the host), clears `release_agent`, removes every
/// cgroup below the root, deepest first, and unmounts it. A v1 hierarchy with no mount and no
/// cgroup but its root is destroyed by the kernel, `release_agent` with it.
///
/// The work is done by a thread that unshares its mount namespace: the namespace, and any
/// mount left in it, goes away with the thread, and no fork is needed (so tests, which run many
/// threads, can call it too).
pub fn remove_hierarchy(name: &str) -> Result<(), Error> {
    if !hierarchy_exists(name) {
        return Ok(());
    }
    let dir = tempfile::Builder::new()
        .prefix("ch08-cleanup-")
        .tempdir()
        .map_err(Error::io("create a directory in", std::env::temp_dir()))?;
    let at = dir.path().to_path_buf();
    let options = format!("none,name={name}");
    let owned = name.to_string();
    let worker = std::thread::spawn(move || -> Result<Vec<PathBuf>, Error> {
        unshare(CloneFlags::CLONE_NEWNS).map_err(Error::sys("unshare(CLONE_NEWNS)"))?;
        let private = MsFlags::MS_REC | MsFlags::MS_PRIVATE;
        mount(None::<&str>, "/", None::<&str>, private, None::<&str>)
            .map_err(Error::sys("make / private"))?;
        let mut left = Vec::new();
        // The kernel frees a removed cgroup a little later; a hierarchy unmounted while one
        // is still on its way out survives the unmount. Then: mount it again, and unmount.
        for _ in 0..10 {
            mount(
                Some("cgroup"),
                &at,
                Some("cgroup"),
                MsFlags::empty(),
                Some(options.as_str()),
            )
            .map_err(Error::sys(format!(
                "mount -o {options} on {}",
                at.display()
            )))?;
            let _ = std::fs::write(at.join("release_agent"), "\n");
            left = remove_cgroups_below(&at);
            umount2(&at, MntFlags::empty())
                .map_err(Error::sys(format!("umount {}", at.display())))?;
            if gone_within(&owned, Duration::from_millis(500)) {
                return Ok(Vec::new());
            }
        }
        Ok(left)
    });
    let left = worker
        .join()
        .map_err(|_| Error::Usage("the clean-up thread panicked".into()))??;
    if !hierarchy_exists(name) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "could not remove the cgroup hierarchy name={name} (cgroups left: {left:?}): remove \
             it by hand (mount -t cgroup -o none,name={name} cgroup /mnt; rmdir the cgroups; \
             umount /mnt)"
        )))
    }
}

/// Polls until hierarchy `name` is gone; whether it went within `timeout`.
fn gone_within(name: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    loop {
        if !hierarchy_exists(name) {
            return true;
        }
        if start.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
// ANCHOR_END: remove_hierarchy

/// Removes every cgroup directory below `root`, deepest first; returns those that stayed.
fn remove_cgroups_below(root: &Path) -> Vec<PathBuf> {
    let mut left = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return left;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            left.extend(remove_cgroups_below(&path));
            if std::fs::remove_dir(&path).is_err() {
                left.push(path);
            }
        }
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro quiet";
    const VM: &str = "console=ttyS0 root=/dev/vda rw init=/sbin/ferry-init cgroup_no_v1=all";

    #[test]
    fn on_an_ordinary_host_nothing_is_consent() {
        assert_eq!(consent(&[], None, HOST), None);
        assert_eq!(consent(&["--yes".into()], Some("0"), HOST), None);
    }

    #[test]
    fn the_flag_the_variable_or_the_vm_is_consent() {
        assert_eq!(consent(&[YES_FLAG.into()], None, HOST), Some(Consent::Flag));
        assert_eq!(consent(&[], Some("1"), HOST), Some(Consent::Env));
        assert_eq!(consent(&[], None, VM), Some(Consent::Vm));
    }

    #[test]
    fn the_vm_marker_must_be_a_whole_word() {
        assert!(!in_ferry_vm("init=/sbin/ferry-init-not"));
        assert!(in_ferry_vm(VM));
    }

    #[test]
    fn a_hierarchy_nobody_mounted_does_not_exist() {
        assert!(!hierarchy_exists("ferry-ch08-never-mounted"));
    }
}
