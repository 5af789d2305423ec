//! Tests against this machine's real cgroup hierarchy (root and a cgroup controller needed).
//!
//! Each test works under its own parent cgroup `ferry-test-<pid>-<n>` instead of `ferry`, so tests
//! running at the same time never see each other, and removes that parent at the end: no cgroup
//! is left behind, even when an assertion fails.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferry_testkit::{require, Need};
use nix::unistd::Pid;

use super::*;

const MIB: u64 = 1 << 20;

/// A parent cgroup of one test, removed (with any container cgroup left in it) when dropped.
struct TestParent {
    hierarchy: Hierarchy,
    name: String,
}

impl TestParent {
    fn new() -> TestParent {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TestParent {
            hierarchy: Hierarchy::detect().expect("detect the cgroup hierarchy"),
            name: format!("ferry-test-{}-{n}", std::process::id()),
        }
    }

    /// The parent's directory in every hierarchy.
    fn dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = match &self.hierarchy {
            Hierarchy::V1 { mounts } => mounts.values().map(|m| m.join(&self.name)).collect(),
            Hierarchy::V2 { root } => vec![root.join(&self.name)],
        };
        dirs.dedup();
        dirs
    }

    fn create(&self, id: &str, resources: &Resources) -> ContainerCgroup {
        ContainerCgroup::create(&self.hierarchy, &self.name, id, resources)
            .expect("create the cgroup")
    }
}

impl Drop for TestParent {
    fn drop(&mut self) {
        for dir in self.dirs() {
            for child in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if child.path().is_dir() {
                    let _ = std::fs::remove_dir(child.path());
                }
            }
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

/// A process that burns CPU until it is killed.
fn busy_loop() -> Child {
    Command::new("sh")
        .args(["-c", "while :; do :; done"])
        .spawn()
        .expect("spawn sh")
}

fn pid(child: &Child) -> Pid {
    Pid::from_raw(child.id() as i32)
}

fn kill_and_reap(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .trim()
        .to_string()
}

#[test]
fn detect_finds_this_machines_memory_controller() {
    if !require(
        "detect_finds_this_machines_memory_controller",
        &[Need::Cgroups],
    ) {
        return;
    }
    match Hierarchy::detect().unwrap() {
        Hierarchy::V1 { mounts } => {
            assert!(
                mounts[&Controller::Memory]
                    .join("memory.limit_in_bytes")
                    .exists(),
                "{mounts:?}"
            )
        }
        Hierarchy::V2 { root } => assert!(read(root.join("cgroup.controllers")).contains("memory")),
    }
}

#[test]
fn limits_are_accepted_by_the_kernel_and_read_back() {
    if !require(
        "limits_are_accepted_by_the_kernel_and_read_back",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let resources = Resources {
        memory: Some(64 * MIB),
        cpu_quota: Some(CpuQuota::from_cpus(0.5)),
        cpu_shares: Some(512),
        pids_limit: Some(64),
        ..Resources::default()
    };
    let cg = parent.create("limits", &resources);
    let paths = cg.paths();
    let file = |name: &str| {
        paths
            .iter()
            .map(|d| d.join(name))
            .find(|f| f.exists())
            .unwrap_or_else(|| panic!("no {name} in {paths:?}"))
    };
    match parent.hierarchy.version() {
        CgroupVersion::V1 => {
            assert_eq!(read(file("memory.limit_in_bytes")), "67108864");
            assert_eq!(read(file("cpu.cfs_quota_us")), "50000");
            assert_eq!(read(file("cpu.cfs_period_us")), "100000");
            assert_eq!(read(file("cpu.shares")), "512");
        }
        CgroupVersion::V2 => {
            assert_eq!(read(file("memory.max")), "67108864");
            assert_eq!(read(file("cpu.max")), "50000 100000");
        }
    }
    assert_eq!(read(file("pids.max")), "64");
    assert_eq!(cg.stats().unwrap().memory_limit, Some(64 * MIB));
    cg.remove().unwrap();
    assert!(paths.iter().all(|d| !d.exists()), "removed: {paths:?}");
}

#[test]
fn a_limit_the_kernel_refuses_names_the_file_and_leaves_no_cgroup() {
    if !require(
        "a_limit_the_kernel_refuses_names_the_file_and_leaves_no_cgroup",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let resources = Resources {
        cpu_quota: Some(CpuQuota {
            quota_us: u64::MAX,
            period_us: 100_000,
        }),
        ..Resources::default()
    };
    let err = ContainerCgroup::create(&parent.hierarchy, &parent.name, "refused", &resources)
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("write /") && message.contains("/refused/cpu."),
        "{message}"
    );
    for dir in parent.dirs() {
        assert!(
            !dir.join("refused").exists(),
            "{} left behind",
            dir.display()
        );
    }
}

#[test]
fn added_process_is_listed_counted_and_stops_using_cpu_when_frozen() {
    if !require(
        "added_process_is_listed_counted_and_stops_using_cpu_when_frozen",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let cg = parent.create("freeze", &Resources::default());
    let child = busy_loop();
    cg.add_process(pid(&child)).unwrap();
    assert_eq!(cg.pids().unwrap(), vec![pid(&child)]);
    assert_eq!(cg.stats().unwrap().pids_current, 1);

    cg.freeze().unwrap();
    let frozen_at = cg.stats().unwrap().cpu_usage_ns;
    std::thread::sleep(Duration::from_millis(200));
    let frozen_cpu = cg.stats().unwrap().cpu_usage_ns - frozen_at;
    cg.thaw().unwrap();
    let thawed_at = cg.stats().unwrap().cpu_usage_ns;
    std::thread::sleep(Duration::from_millis(200));
    let thawed_cpu = cg.stats().unwrap().cpu_usage_ns - thawed_at;

    kill_and_reap(child);
    cg.remove().unwrap();
    assert!(
        frozen_cpu < 5_000_000,
        "frozen for 200 ms yet used {frozen_cpu} ns of CPU"
    );
    assert!(
        thawed_cpu > 20_000_000,
        "thawed for 200 ms but used only {thawed_cpu} ns of CPU"
    );
}

#[test]
fn oom_kill_is_detected_after_the_memory_limit_is_exceeded() {
    if !require(
        "oom_kill_is_detected_after_the_memory_limit_is_exceeded",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let cg = parent.create(
        "oom",
        &Resources {
            memory: Some(16 * MIB),
            ..Resources::default()
        },
    );
    // `tail -n 1` keeps the whole last line in memory, and /dev/zero has no newline: it grows
    // until the limit stops it (at 256 MiB at most, should the limit not hold). It starts only
    // after "go", once it is in the cgroup.
    let mut child = Command::new("sh")
        .args([
            "-c",
            "read go; head -c 268435456 /dev/zero | tail -n 1 >/dev/null",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sh");
    cg.add_process(pid(&child)).unwrap();
    assert!(!cg.oom_killed().unwrap(), "nothing was killed yet");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(b"go\n")
        .unwrap();
    let status = child.wait().unwrap();

    let oom_killed = cg.oom_killed().unwrap();
    cg.remove().unwrap();
    assert!(!status.success(), "tail survived: {status:?}");
    assert!(oom_killed, "the OOM kill was not seen ({status:?})");
}

#[test]
fn remove_waits_for_processes_and_reports_one_that_stays() {
    if !require(
        "remove_waits_for_processes_and_reports_one_that_stays",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let cg = parent.create("busy", &Resources::default());
    let child = busy_loop();
    cg.add_process(pid(&child)).unwrap();

    let err = cg.remove().unwrap_err();
    assert!(matches!(err, CgroupError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("processes still inside"), "{err}");

    kill_and_reap(child);
    cg.remove().unwrap();
    assert!(cg.paths().iter().all(|d| !d.exists()));
}

#[test]
fn the_parent_stays_while_a_container_uses_it_and_goes_with_the_last() {
    if !require(
        "the_parent_stays_while_a_container_uses_it_and_goes_with_the_last",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let first = parent.create("first", &Resources::default());
    let second = parent.create("second", &Resources::default());
    first.remove().unwrap();
    assert!(
        parent.dirs().iter().all(|d| d.join("second").is_dir()),
        "the kernel refused rmdir of the parent (EBUSY) and ferry kept it"
    );
    second.remove().unwrap();
    for dir in parent.dirs() {
        assert!(!dir.exists(), "{} is left", dir.display());
    }
    let again = parent.create("again", &Resources::default());
    assert!(again.paths().iter().all(|d| d.is_dir()), "made again");
    again.remove().unwrap();
}

#[test]
fn containers_created_while_others_take_the_parent_away_still_get_their_cgroup() {
    if !require(
        "containers_created_while_others_take_the_parent_away_still_get_their_cgroup",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    // Two "ferry processes" each creating and removing their container again and again: each
    // removal of a last container takes the parent away, maybe just as the other creates.
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let parent = &parent;
            scope.spawn(move || {
                for round in 0..40 {
                    let id = format!("w{worker}-{round}");
                    let cg = ContainerCgroup::create(
                        &parent.hierarchy,
                        &parent.name,
                        &id,
                        &Resources::default(),
                    )
                    .unwrap_or_else(|e| panic!("create {id}: {e}"));
                    assert!(cg.paths().iter().all(|d| d.is_dir()), "{id}");
                    cg.remove().unwrap_or_else(|e| panic!("remove {id}: {e}"));
                }
            });
        }
    });
    for dir in parent.dirs() {
        assert!(!dir.exists(), "{} is left", dir.display());
    }
}
