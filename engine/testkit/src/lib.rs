//! Test helpers shared by ferry's chapters and engine.
//!
//! Privileged tests (namespaces, mounts, cgroups, netlink) cannot run everywhere. They call
//! [`require`] first: when a requirement is missing the test is *skipped loudly* (a line on stderr
//! saying what is missing), unless `FERRY_REQUIRE_PRIVILEGED=1` is set — as in CI and in the VM —
//! where a missing requirement fails the test instead, so a green run proves the tests ran.

use std::path::Path;
use std::time::Duration;

/// The environment variable that turns a skip into a failure.
pub const REQUIRE_ENV: &str = "FERRY_REQUIRE_PRIVILEGED";

/// Something a privileged test needs from the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Effective uid 0 with the capabilities a container runtime uses.
    Root,
    /// The kernel can create new namespaces of every kind ferry uses.
    Namespaces,
    /// OverlayFS is available (listed in /proc/filesystems).
    Overlay,
    /// A cgroup hierarchy ferry can create children in (v1 memory controller or v2 with controllers).
    Cgroups,
}

impl Need {
    /// Why the requirement is not met, or `None` when it is.
    pub fn missing(self) -> Option<String> {
        match self {
            Need::Root => (unsafe { libc::geteuid() } != 0).then(|| "not running as root".into()),
            Need::Namespaces => ["uts", "pid", "mnt", "ipc", "net"]
                .iter()
                .find(|ns| !Path::new(&format!("/proc/self/ns/{ns}")).exists())
                .map(|ns| format!("kernel has no {ns} namespace")),
            Need::Overlay => {
                let fs = std::fs::read_to_string("/proc/filesystems").unwrap_or_default();
                (!fs.contains("overlay")).then(|| "kernel has no overlay filesystem".into())
            }
            Need::Cgroups => {
                let v1 = Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists();
                let v2 = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
                    .map(|c| c.contains("memory"))
                    .unwrap_or(false);
                (!v1 && !v2).then(|| {
                    "no cgroup v1 memory controller and no cgroup v2 memory controller".into()
                })
            }
        }
    }
}

/// Checks every requirement of a privileged test.
///
/// Returns `true` when the test can run. When something is missing it prints
/// `SKIPPED <test>: <reason>` and returns `false`, or panics when `FERRY_REQUIRE_PRIVILEGED=1`.
///
/// ```ignore
/// if !ferry_testkit::require("hostname_is_isolated", &[Need::Root, Need::Namespaces]) { return; }
/// ```
pub fn require(test: &str, needs: &[Need]) -> bool {
    let reasons: Vec<String> = needs.iter().filter_map(|n| n.missing()).collect();
    if reasons.is_empty() {
        return true;
    }
    let reason = reasons.join("; ");
    if required() {
        panic!("{test}: {reason}, and {REQUIRE_ENV}=1 forbids skipping");
    }
    eprintln!("SKIPPED {test}: {reason} (set {REQUIRE_ENV}=1 to make this a failure)");
    false
}

/// Whether skipping privileged tests is forbidden in this run.
pub fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1")
}

/// The environment variable that stretches tests' time limits on a slow machine.
///
/// Under QEMU without KVM (TCG, as in CI's VM) everything runs about ten times slower; `vm/test`
/// sets `FERRY_TEST_TIME_SCALE=10` there so that limits meant to catch a hang do not catch slowness.
pub const TIME_SCALE_ENV: &str = "FERRY_TEST_TIME_SCALE";

/// A test's time limit, stretched by [`TIME_SCALE_ENV`] (a whole or decimal factor, 1 by default).
///
/// Use it for every "this must happen within" bound, never for a delay the test waits out on
/// purpose.
pub fn patience(limit: Duration) -> Duration {
    limit.mul_f64(time_scale())
}

fn time_scale() -> f64 {
    std::env::var(TIME_SCALE_ENV)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|f| f.is_finite() && *f >= 1.0)
        .unwrap_or(1.0)
}

/// A fresh, empty ferry state root that is removed (with everything below it) when dropped.
///
/// Every privileged test runs ferry with its own state root so tests never see each other's
/// containers or images and leave nothing behind.
pub fn state_root() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("ferry-test-")
        .tempdir()
        .expect("create a temporary state root")
}

/// Counts the mounts in this mount namespace whose mount point lies below `dir`.
///
/// Tests use it to prove a container left no mount behind.
pub fn mounts_below(dir: &Path) -> usize {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let dir = dir.to_string_lossy();
    mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|mp| mp.starts_with(dir.as_ref()))
        .count()
}

/// A cgroup parent to hand a peer runtime (`podman run --cgroup-parent`), removed with everything
/// below it when dropped: peers leave their cgroups behind (podman's `libpod_parent`), and a test
/// must leave no trace.
pub struct ScratchCgroup {
    name: String,
}

impl ScratchCgroup {
    /// A parent named `<prefix>-<pid>-<n>`, unique on this machine while the test runs.
    pub fn new(prefix: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ScratchCgroup {
            name: format!("{prefix}-{}-{n}", std::process::id()),
        }
    }

    /// The value for `--cgroup-parent`: `/<name>`.
    pub fn parent(&self) -> String {
        format!("/{}", self.name)
    }
}

impl Drop for ScratchCgroup {
    fn drop(&mut self) {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        for line in mounts.lines() {
            let mut fields = line.split_whitespace();
            let (Some(mount_point), Some(fs)) = (fields.nth(1), fields.next()) else {
                continue;
            };
            if fs == "cgroup" || fs == "cgroup2" {
                remove_cgroup_tree(&Path::new(mount_point).join(&self.name));
            }
        }
    }
}

/// Removes a cgroup directory and the ones below it, deepest first (a cgroup's files cannot be
/// deleted; `rmdir` of a cgroup without children or processes takes them along).
fn remove_cgroup_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup_tree(&entry.path());
            }
        }
        let _ = std::fs::remove_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test owns the variable: tests in a binary run in parallel threads of one process.
    #[test]
    fn patience_stretches_a_limit_by_the_time_scale_and_ignores_nonsense() {
        std::env::remove_var(TIME_SCALE_ENV);
        assert_eq!(patience(Duration::from_secs(2)), Duration::from_secs(2));
        std::env::set_var(TIME_SCALE_ENV, "10");
        assert_eq!(patience(Duration::from_secs(2)), Duration::from_secs(20));
        std::env::set_var(TIME_SCALE_ENV, "2.5");
        assert_eq!(patience(Duration::from_secs(2)), Duration::from_secs(5));
        for nonsense in ["0.1", "-3", "fast", "NaN"] {
            std::env::set_var(TIME_SCALE_ENV, nonsense);
            assert_eq!(patience(Duration::from_secs(2)), Duration::from_secs(2));
        }
        std::env::remove_var(TIME_SCALE_ENV);
    }
}
