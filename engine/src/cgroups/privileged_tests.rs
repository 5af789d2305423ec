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

/// What the kernel answered a process of a cgroup that tried to use devices: `Ok` or the errno.
#[derive(Debug)]
struct DeviceProbe {
    /// `mknod DIR/disk b 7 0`: a node for the host's first loop device.
    mknod_disk: nix::Result<()>,
    /// `open DIR/disk` for reading.
    open_disk: nix::Result<()>,
    /// `open /dev/null` for reading and writing.
    open_null: nix::Result<()>,
}

/// Forks a process, lets `join` put it into a cgroup, and has it make and open device nodes in
/// a temporary directory (on a file system without `nodev`, so only the cgroup can refuse).
fn probe_devices(join: impl FnOnce(Pid)) -> DeviceProbe {
    use nix::errno::Errno;
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::{fork, pipe, read, write, ForkResult};
    use std::ffi::CString;
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().expect("a temporary directory");
    let disk = CString::new(dir.path().join("disk").as_os_str().as_bytes()).unwrap();
    let null = c"/dev/null";
    let (go_read, go_write) = pipe().unwrap();
    let (result_read, result_write) = pipe().unwrap();
    // SAFETY: the child only makes system calls (no allocation, no locks) and then _exits.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => unsafe {
            let mut byte = 0u8;
            libc::read(go_read.as_raw_fd(), (&mut byte as *mut u8).cast(), 1);
            let errno = |ret: libc::c_int| {
                if ret < 0 {
                    *libc::__errno_location()
                } else {
                    0
                }
            };
            let mode = libc::S_IFBLK | 0o600;
            let mknod = errno(libc::mknod(disk.as_ptr(), mode, libc::makedev(7, 0)));
            let fd = libc::open(disk.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            let open_disk = errno(fd);
            if fd >= 0 {
                libc::close(fd);
            }
            let fd = libc::open(null.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
            let open_null = errno(fd);
            let results = [mknod, open_disk, open_null];
            libc::write(result_write.as_raw_fd(), results.as_ptr().cast(), 12);
            libc::_exit(0)
        },
        ForkResult::Parent { child } => {
            drop(result_write);
            join(child);
            write(&go_write, b"g").unwrap();
            let mut bytes = [0u8; 12];
            let mut got = 0;
            while got < bytes.len() {
                match read(result_read.as_raw_fd(), &mut bytes[got..]).unwrap() {
                    0 => break,
                    n => got += n,
                }
            }
            assert_eq!(waitpid(child, None).unwrap(), WaitStatus::Exited(child, 0));
            assert_eq!(got, 12, "the probe reported");
            let result = |i: usize| {
                let errno = i32::from_ne_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap());
                if errno == 0 {
                    Ok(())
                } else {
                    Err(Errno::from_raw(errno))
                }
            };
            DeviceProbe {
                mknod_disk: result(0),
                open_disk: result(1),
                open_null: result(2),
            }
        }
    }
}

// ANCHOR: device_escape_refused
#[test]
fn a_process_under_dockers_device_rules_makes_a_disk_node_but_cannot_open_it() {
    if !require(
        "a_process_under_dockers_device_rules_makes_a_disk_node_but_cannot_open_it",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let resources = Resources {
        devices: Some(default_rules()),
        ..Resources::default()
    };
    let cg = parent.create("devices", &resources);
    let probe = probe_devices(|pid| cg.add_process(pid).unwrap());
    cg.remove().unwrap();
    assert_eq!(probe.mknod_disk, Ok(()), "mknod is allowed (b *:* m)");
    assert_eq!(
        probe.open_disk,
        Err(nix::errno::Errno::EPERM),
        "reading the host's loop0 is refused"
    );
    assert_eq!(probe.open_null, Ok(()), "/dev/null still works");
    assert!(cg.paths().iter().all(|d| !d.exists()), "removed");
}
// ANCHOR_END: device_escape_refused

#[test]
fn a_process_allowed_every_device_gets_past_the_cgroup_to_the_disk() {
    if !require(
        "a_process_allowed_every_device_gets_past_the_cgroup_to_the_disk",
        &[Need::Root, Need::Cgroups],
    ) {
        return;
    }
    let parent = TestParent::new();
    let resources = Resources {
        devices: Some(allow_all()),
        ..Resources::default()
    };
    let cg = parent.create("privileged", &resources);
    let probe = probe_devices(|pid| cg.add_process(pid).unwrap());
    cg.remove().unwrap();
    assert_eq!(probe.mknod_disk, Ok(()));
    // Opened, or refused by the loop driver (ENXIO where the kernel has none): not by the cgroup.
    assert_ne!(
        probe.open_disk,
        Err(nix::errno::Errno::EPERM),
        "the cgroup let it through"
    );
    assert_eq!(probe.open_null, Ok(()));
}

/// The mount point of a cgroup2 file system: the unified tree on v2, its empty twin (often
/// `/sys/fs/cgroup/unified`) on a hybrid v1 machine, where device programs are enforced as well.
fn cgroup2_mount() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let mount_point = fields.nth(1)?;
        (fields.next()? == "cgroup2").then(|| PathBuf::from(mount_point))
    })
}

#[test]
fn a_device_program_is_enforced_in_its_cgroup2_directory_and_freed_with_it() {
    if !require(
        "a_device_program_is_enforced_in_its_cgroup2_directory_and_freed_with_it",
        &[Need::Root],
    ) {
        return;
    }
    let Some(mount) = cgroup2_mount() else {
        assert!(
            !ferry_testkit::required(),
            "no cgroup2 file system is mounted"
        );
        eprintln!("SKIPPED: no cgroup2 file system is mounted");
        return;
    };
    let dir = mount.join(format!("ferry-test-{}-bpf", std::process::id()));
    std::fs::create_dir(&dir).unwrap();
    let program =
        super::bpf::DeviceProgram::load(&super::device_program::device_program(&default_rules()))
            .unwrap_or_else(|e| panic!("load: {e}"));
    let id = program.id().unwrap();
    program
        .attach(&dir)
        .unwrap_or_else(|e| panic!("attach: {e}"));
    drop(program);
    let probe = probe_devices(|pid| {
        std::fs::write(dir.join("cgroup.procs"), pid.to_string()).unwrap();
    });
    let removed = crate::cgroups::fs::remove_dir(
        &dir,
        std::time::Instant::now() + ferry_testkit::patience(Duration::from_secs(3)),
    );
    assert_eq!(probe.mknod_disk, Ok(()), "{probe:?}");
    assert_eq!(probe.open_disk, Err(nix::errno::Errno::EPERM), "{probe:?}");
    assert_eq!(probe.open_null, Ok(()), "{probe:?}");
    removed.unwrap();

    assert!(
        super::bpf::program_exists(id).is_ok(),
        "the kernel can be asked"
    );
    let deadline = std::time::Instant::now() + ferry_testkit::patience(Duration::from_secs(10));
    while super::bpf::program_exists(id).unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "program {id} outlived its cgroup"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_program_the_verifier_refuses_is_reported_in_one_line_with_its_reason() {
    if !require(
        "a_program_the_verifier_refuses_is_reported_in_one_line_with_its_reason",
        &[Need::Root],
    ) {
        return;
    }
    // `exit` alone: the result register r0 was never set.
    let exit_only = [0x95, 0, 0, 0, 0, 0, 0, 0];
    let err = super::bpf::DeviceProgram::load(&exit_only).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("the verifier says: R0 !read_ok"),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
}
