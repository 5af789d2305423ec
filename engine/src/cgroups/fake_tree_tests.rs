//! Unprivileged tests of [`ContainerCgroup`] on fake cgroup trees: plain directories in a temp dir
//! laid out like `/sys/fs/cgroup` on v1 and v2. They prove which file gets which value; what the
//! kernel does with those values is proved by `privileged_tests`.

use std::fs;
use std::path::{Path, PathBuf};

use nix::unistd::Pid;
use tempfile::TempDir;

use super::*;

const MIB: u64 = 1 << 20;

/// The hierarchies of a fake v1 tree, in the order ferry lists them.
const V1_CONTROLLERS: [&str; 7] = [
    "memory", "cpu", "cpuacct", "pids", "freezer", "blkio", "devices",
];

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn write(path: impl AsRef<Path>, content: &str) {
    fs::write(path, content).unwrap();
}

/// A v1 tree: `<tmp>/{memory,cpu,...,devices}`, with swap accounting when asked.
fn fake_v1(swap_accounting: bool) -> (TempDir, Hierarchy) {
    let tmp = tempfile::tempdir().unwrap();
    for controller in Controller::ALL {
        fs::create_dir(tmp.path().join(controller.name())).unwrap();
    }
    if swap_accounting {
        write(
            tmp.path().join("memory/memory.memsw.limit_in_bytes"),
            "9223372036854771712\n",
        );
    }
    let hierarchy = Hierarchy::at(tmp.path(), CgroupVersion::V1);
    (tmp, hierarchy)
}

/// A v2 tree whose root offers `controllers`, with ferry's parent already there (as after a first
/// container) and swap accounting on.
fn fake_v2(controllers: &str, root_enabled: &str) -> (TempDir, Hierarchy) {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path().join("cgroup.controllers"), controllers);
    write(tmp.path().join("cgroup.subtree_control"), root_enabled);
    fs::create_dir(tmp.path().join(PARENT)).unwrap();
    write(tmp.path().join("ferry/cgroup.subtree_control"), "");
    write(tmp.path().join("ferry/memory.swap.max"), "max\n");
    let hierarchy = Hierarchy::at(tmp.path(), CgroupVersion::V2);
    (tmp, hierarchy)
}

fn v1_dir(tmp: &TempDir, controller: &str) -> PathBuf {
    tmp.path().join(controller).join("ferry/c1")
}

fn all_limits() -> Resources {
    Resources {
        memory: Some(30 * MIB),
        memory_swap: None,
        cpu_quota: Some(CpuQuota::from_cpus(0.5)),
        cpu_shares: Some(1024),
        pids_limit: Some(64),
        devices: None,
    }
}

/// `resources` with the device allow-list `devices`.
fn with_devices(devices: Vec<DeviceRule>) -> Resources {
    Resources {
        devices: Some(devices),
        ..Resources::default()
    }
}

#[test]
fn v1_create_makes_the_container_directory_in_every_controller() {
    let (tmp, h) = fake_v1(false);
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let expected: Vec<PathBuf> = V1_CONTROLLERS.iter().map(|c| v1_dir(&tmp, c)).collect();
    assert_eq!(cg.paths(), expected);
    assert!(expected.iter().all(|d| d.is_dir()));
}

#[test]
fn v1_limits_are_written_to_the_v1_files() {
    let (tmp, h) = fake_v1(true);
    ContainerCgroup::create(&h, PARENT, "c1", &all_limits()).unwrap();
    let memory = v1_dir(&tmp, "memory");
    assert_eq!(read(memory.join("memory.limit_in_bytes")), "31457280");
    assert_eq!(
        read(memory.join("memory.memsw.limit_in_bytes")),
        "62914560",
        "Docker's default: twice memory"
    );
    let cpu = v1_dir(&tmp, "cpu");
    assert_eq!(read(cpu.join("cpu.cfs_period_us")), "100000");
    assert_eq!(read(cpu.join("cpu.cfs_quota_us")), "50000");
    assert_eq!(read(cpu.join("cpu.shares")), "1024");
    assert_eq!(read(v1_dir(&tmp, "pids").join("pids.max")), "64");
}

// ANCHOR: v1_device_files
#[test]
fn v1_devices_deny_everything_then_write_each_rule_in_order() {
    let (tmp, h) = fake_v1(false);
    ContainerCgroup::create(&h, PARENT, "c1", &with_devices(default_rules())).unwrap();
    let devices = v1_dir(&tmp, "devices");
    assert_eq!(
        read(devices.join("devices.deny")),
        "a\na *:* rwm\nc 10:229 rwm\n",
        "`a` first: a new cgroup starts with its parent's list"
    );
    assert_eq!(
        read(devices.join("devices.allow")),
        "c 1:5 rwm\nc 1:3 rwm\nc 1:9 rwm\nc 1:8 rwm\nc 5:0 rwm\nc 5:1 rwm\n\
         c *:* m\nb *:* m\nc 1:7 rwm\nc 136:* rwm\nc 5:2 rwm\n"
    );
}
// ANCHOR_END: v1_device_files

#[test]
fn v1_privileged_devices_are_one_allow_all() {
    let (tmp, h) = fake_v1(false);
    ContainerCgroup::create(&h, PARENT, "c1", &with_devices(allow_all())).unwrap();
    let devices = v1_dir(&tmp, "devices");
    assert_eq!(read(devices.join("devices.deny")), "a\n");
    assert_eq!(read(devices.join("devices.allow")), "a *:* rwm\n");
}

#[test]
fn v1_device_rules_without_a_devices_hierarchy_are_refused_and_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mounts = Controller::ALL
        .into_iter()
        .filter(|c| *c != Controller::Devices)
        .map(|c| (c, tmp.path().join(c.name())))
        .collect();
    let h = Hierarchy::V1 { mounts };
    let err =
        ContainerCgroup::create(&h, PARENT, "c1", &with_devices(default_rules())).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the cgroup devices controller is not available"),
        "{err}"
    );
    assert!(
        !tmp.path().join("memory/ferry").exists(),
        "the cgroup made before is removed again, and its parent with it"
    );
    ContainerCgroup::create(&h, PARENT, "c2", &Resources::default())
        .expect("without rules the devices controller is not needed");
}

#[test]
fn invalid_device_rules_are_refused_before_touching_the_tree() {
    let (tmp, h) = fake_v1(false);
    let mut rule = DeviceRule::parse("c 1:3 rwm").unwrap();
    rule.major = Some(1 << 20);
    let err = ContainerCgroup::create(&h, PARENT, "c1", &with_devices(vec![rule])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid device cgroup format 'c 1048576:3 rwm'"
    );
    assert!(!tmp.path().join("devices/ferry").exists());
}

#[test]
fn v1_explicit_unlimited_swap_is_minus_one() {
    let (tmp, h) = fake_v1(true);
    let r = Resources {
        memory: Some(30 * MIB),
        memory_swap: Some(-1),
        ..Resources::default()
    };
    ContainerCgroup::create(&h, PARENT, "c1", &r).unwrap();
    assert_eq!(
        read(v1_dir(&tmp, "memory").join("memory.memsw.limit_in_bytes")),
        "-1"
    );
}

#[test]
fn v1_without_swap_accounting_writes_no_memsw_limit() {
    let (tmp, h) = fake_v1(false);
    ContainerCgroup::create(&h, PARENT, "c1", &all_limits()).unwrap();
    assert!(!v1_dir(&tmp, "memory")
        .join("memory.memsw.limit_in_bytes")
        .exists());
}

#[test]
fn unset_limits_write_no_file() {
    let (tmp, h) = fake_v1(true);
    ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    for controller in V1_CONTROLLERS {
        let files = fs::read_dir(v1_dir(&tmp, controller)).unwrap().count();
        assert_eq!(files, 0, "{controller} got a file");
    }
}

#[test]
fn zero_or_negative_pids_limit_is_written_as_max() {
    for limit in [0, -1] {
        let (tmp, h) = fake_v1(false);
        let r = Resources {
            pids_limit: Some(limit),
            ..Resources::default()
        };
        ContainerCgroup::create(&h, PARENT, "c1", &r).unwrap();
        assert_eq!(read(v1_dir(&tmp, "pids").join("pids.max")), "max");
    }
}

#[test]
fn v1_add_process_writes_the_pid_into_every_hierarchy() {
    let (tmp, h) = fake_v1(false);
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    cg.add_process(Pid::from_raw(4242)).unwrap();
    for controller in V1_CONTROLLERS {
        assert_eq!(
            read(v1_dir(&tmp, controller).join("cgroup.procs")),
            "4242",
            "{controller}"
        );
    }
    assert_eq!(cg.pids().unwrap(), vec![Pid::from_raw(4242)]);
}

#[test]
fn v1_oom_kill_is_read_from_oom_control() {
    let (tmp, h) = fake_v1(false);
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let control = v1_dir(&tmp, "memory").join("memory.oom_control");
    write(&control, "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
    write(v1_dir(&tmp, "memory").join("memory.failcnt"), "17\n");
    assert!(
        !cg.oom_killed().unwrap(),
        "a limit hit is not a kill when the kernel counts kills"
    );
    write(&control, "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
    assert!(cg.oom_killed().unwrap());
}

#[test]
fn v1_without_an_oom_kill_counter_falls_back_to_failcnt() {
    let (tmp, h) = fake_v1(false);
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let memory = v1_dir(&tmp, "memory");
    write(
        memory.join("memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\n",
    );
    write(memory.join("memory.failcnt"), "0\n");
    assert!(!cg.oom_killed().unwrap());
    write(memory.join("memory.failcnt"), "3\n");
    assert!(cg.oom_killed().unwrap());
}

#[test]
fn v1_fallback_counts_memsw_limit_hits_when_swap_is_accounted() {
    let (tmp, h) = fake_v1(true);
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let memory = v1_dir(&tmp, "memory");
    write(
        memory.join("memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\n",
    );
    write(memory.join("memory.failcnt"), "0\n");
    write(memory.join("memory.memsw.failcnt"), "0\n");
    assert!(!cg.oom_killed().unwrap());
    write(memory.join("memory.memsw.failcnt"), "5\n");
    assert!(
        cg.oom_killed().unwrap(),
        "memory+swap reached its limit first"
    );
}

#[test]
fn v1_stats_read_usage_limit_cpu_time_pids_and_block_io() {
    let (tmp, h) = fake_v1(false);
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let memory = v1_dir(&tmp, "memory");
    write(memory.join("memory.usage_in_bytes"), "3145728\n");
    write(
        memory.join("memory.stat"),
        "cache 2097152\ninactive_file 4096\ntotal_inactive_file 2097152\n",
    );
    write(memory.join("memory.limit_in_bytes"), "31457280\n");
    write(v1_dir(&tmp, "cpuacct").join("cpuacct.usage"), "123456789\n");
    write(v1_dir(&tmp, "pids").join("pids.current"), "3\n");
    write(
        v1_dir(&tmp, "blkio").join("blkio.throttle.io_service_bytes_recursive"),
        "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n",
    );
    let expected = Stats {
        memory_usage: 1048576,
        memory_limit: Some(31457280),
        cpu_usage_ns: 123456789,
        pids_current: 3,
        block_io: BlockIo {
            read: 4096,
            written: 8192,
        },
    };
    assert_eq!(
        cg.stats().unwrap(),
        expected,
        "usage without the inactive cache (total_inactive_file, the hierarchical count)"
    );
    write(
        memory.join("memory.limit_in_bytes"),
        "9223372036854771712\n",
    );
    assert_eq!(
        cg.stats().unwrap().memory_limit,
        None,
        "v1's largest value means no limit"
    );
}

#[test]
fn v1_without_a_blkio_hierarchy_runs_and_reports_no_block_io() {
    let tmp = tempfile::tempdir().unwrap();
    let mounts = Controller::ALL
        .into_iter()
        .filter(|c| !c.is_optional())
        .map(|c| (c, tmp.path().join(c.name())))
        .collect();
    let h = Hierarchy::V1 { mounts };
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    assert!(!tmp.path().join("blkio").exists());
    let memory = tmp.path().join("memory/ferry/c1");
    write(memory.join("memory.usage_in_bytes"), "0\n");
    write(memory.join("memory.stat"), "total_inactive_file 0\n");
    write(memory.join("memory.limit_in_bytes"), "31457280\n");
    write(tmp.path().join("cpuacct/ferry/c1/cpuacct.usage"), "0\n");
    write(tmp.path().join("pids/ferry/c1/pids.current"), "1\n");
    assert_eq!(cg.stats().unwrap().block_io, BlockIo::default());
}

#[test]
fn removing_the_last_container_removes_the_parent_too() {
    let (tmp, h) = fake_v1(false);
    let first = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let second = ContainerCgroup::create(&h, PARENT, "c2", &Resources::default()).unwrap();
    first.remove().unwrap();
    for controller in V1_CONTROLLERS {
        let parent = tmp.path().join(controller).join(PARENT);
        assert!(!parent.join("c1").exists(), "{controller}/ferry/c1 is left");
        assert!(parent.join("c2").is_dir(), "{controller}: c2 still uses it");
    }
    second.remove().unwrap();
    for controller in V1_CONTROLLERS {
        let hierarchy = tmp.path().join(controller);
        assert!(hierarchy.is_dir(), "the hierarchy itself stays");
        assert!(
            !hierarchy.join(PARENT).exists(),
            "{controller}/ferry is left"
        );
    }
    second.remove().unwrap();
}

#[test]
fn the_parent_is_made_again_after_the_last_container_took_it_away() {
    let (tmp, h) = fake_v1(false);
    ContainerCgroup::create(&h, PARENT, "c1", &Resources::default())
        .unwrap()
        .remove()
        .unwrap();
    assert!(!tmp.path().join("memory/ferry").exists());
    ContainerCgroup::create(&h, PARENT, "c2", &Resources::default()).unwrap();
    assert!(v1_dir(&tmp, "memory").parent().unwrap().join("c2").is_dir());
}

#[test]
fn parents_of_other_state_roots_are_left_alone() {
    let (tmp, h) = fake_v1(false);
    let other = ContainerCgroup::create(&h, "ferry-0123456789ab", "c9", &Resources::default());
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    cg.remove().unwrap();
    assert!(tmp.path().join("memory/ferry-0123456789ab/c9").is_dir());
    other.unwrap().remove().unwrap();
    assert!(!tmp.path().join("memory/ferry-0123456789ab").exists());
}

#[test]
fn v1_view_names_each_hierarchy_as_its_mount_point() {
    let tmp = tempfile::tempdir().unwrap();
    let comounted = tmp.path().join("cpu,cpuacct");
    let mounts = [
        (Controller::Memory, tmp.path().join("memory")),
        (Controller::Cpu, comounted.clone()),
        (Controller::Cpuacct, comounted.clone()),
        (Controller::Pids, tmp.path().join("pids")),
        (Controller::Freezer, tmp.path().join("freezer")),
    ]
    .into();
    let h = Hierarchy::V1 { mounts };
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let CgroupView::V1 { hierarchies } = cg.view() else {
        panic!("v1 shows hierarchies: {:?}", cg.view());
    };
    let names: Vec<&str> = hierarchies.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["memory", "cpu,cpuacct", "pids", "freezer"]);
    assert_eq!(hierarchies[1].1, comounted.join("ferry/c1"), "listed once");
    assert_eq!(cg.paths().len(), 4);
}

#[test]
fn v1_freeze_and_thaw_write_the_freezer_state() {
    let (tmp, h) = fake_v1(false);
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let state = v1_dir(&tmp, "freezer").join("freezer.state");
    cg.freeze().unwrap();
    assert_eq!(read(&state), "FROZEN");
    cg.thaw().unwrap();
    assert_eq!(read(&state), "THAWED");
}

#[test]
fn missing_v1_controller_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let mounts = [(Controller::Memory, tmp.path().join("memory"))].into();
    let err = ContainerCgroup::create(
        &Hierarchy::V1 { mounts },
        PARENT,
        "c1",
        &Resources::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("cgroup cpu controller is not available"),
        "{err}"
    );
    assert!(
        !tmp.path().join("memory/ferry").exists(),
        "nothing is created"
    );
}

#[test]
fn create_refuses_an_existing_container_cgroup_and_leaves_it_alone() {
    let (tmp, h) = fake_v1(false);
    fs::create_dir_all(v1_dir(&tmp, "pids")).unwrap();
    let err = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap_err();
    assert!(
        matches!(err, CgroupError::AlreadyExists { ref path } if *path == v1_dir(&tmp, "pids")),
        "{err}"
    );
    assert!(
        v1_dir(&tmp, "pids").is_dir(),
        "the existing cgroup is not removed"
    );
    assert!(
        !v1_dir(&tmp, "memory").exists(),
        "the ones created before are removed again"
    );
}

#[test]
fn create_refuses_invalid_limits_before_touching_the_tree() {
    let (tmp, h) = fake_v1(false);
    let r = Resources {
        memory: Some(MIB),
        ..Resources::default()
    };
    let err = ContainerCgroup::create(&h, PARENT, "c1", &r).unwrap_err();
    assert_eq!(err.to_string(), "Minimum memory limit allowed is 6MB");
    assert!(!tmp.path().join("memory/ferry").exists());
}

#[test]
fn open_finds_a_created_cgroup_and_refuses_a_missing_one() {
    let (tmp, h) = fake_v1(false);
    ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let opened = ContainerCgroup::open(&h, PARENT, "c1").unwrap();
    assert_eq!(opened.paths()[0], v1_dir(&tmp, "memory"));
    let err = ContainerCgroup::open(&h, PARENT, "c2").unwrap_err();
    assert!(err.to_string().starts_with("open cgroup "), "{err}");
}

#[test]
fn v2_create_enables_the_controllers_on_the_root_and_on_ferry() {
    let (tmp, h) = fake_v2("cpuset cpu io memory hugetlb pids\n", "");
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    assert_eq!(cg.paths(), vec![tmp.path().join("ferry/c1")]);
    assert!(tmp.path().join("ferry/c1").is_dir());
    assert_eq!(
        read(tmp.path().join("cgroup.subtree_control")),
        "+memory +cpu +pids +io",
        "io too, as the root offers it"
    );
    assert_eq!(
        read(tmp.path().join("ferry/cgroup.subtree_control")),
        "+memory +cpu +pids +io"
    );
}

#[test]
fn v2_enabled_controllers_are_not_written_again() {
    let (tmp, h) = fake_v2("cpuset cpu io memory pids\n", "cpu memory\n");
    ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    assert_eq!(
        read(tmp.path().join("cgroup.subtree_control")),
        "+pids +io",
        "only what is missing"
    );
}

#[test]
fn v2_root_without_the_memory_controller_is_refused() {
    // This machine's unified tree: hybrid mode with only hugetlb on v2.
    let (tmp, h) = fake_v2("hugetlb\n", "");
    let err = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("the cgroup memory controller is not available"),
        "{err}"
    );
    assert!(!tmp.path().join("ferry/c1").exists());
    assert_eq!(
        read(tmp.path().join("cgroup.subtree_control")),
        "",
        "the root is not touched"
    );
}

#[test]
fn v2_limits_are_written_to_the_v2_files() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    ContainerCgroup::create(&h, PARENT, "c1", &all_limits()).unwrap();
    let dir = tmp.path().join("ferry/c1");
    assert_eq!(read(dir.join("memory.max")), "31457280");
    assert_eq!(
        read(dir.join("memory.swap.max")),
        "31457280",
        "swap alone: total 2×memory minus memory"
    );
    assert_eq!(read(dir.join("cpu.max")), "50000 100000");
    assert_eq!(read(dir.join("cpu.weight")), "39", "1024 shares");
    assert_eq!(read(dir.join("pids.max")), "64");
}

#[test]
fn v2_unlimited_swap_is_max_and_equal_total_is_no_swap() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    let r = Resources {
        memory: Some(30 * MIB),
        memory_swap: Some(-1),
        ..Resources::default()
    };
    ContainerCgroup::create(&h, PARENT, "c1", &r).unwrap();
    assert_eq!(read(tmp.path().join("ferry/c1/memory.swap.max")), "max");
    let r = Resources {
        memory: Some(30 * MIB),
        memory_swap: Some(30 << 20),
        ..Resources::default()
    };
    ContainerCgroup::create(&h, PARENT, "c2", &r).unwrap();
    assert_eq!(read(tmp.path().join("ferry/c2/memory.swap.max")), "0");
}

#[test]
fn v2_without_swap_accounting_writes_no_swap_limit() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    fs::remove_file(tmp.path().join("ferry/memory.swap.max")).unwrap();
    ContainerCgroup::create(&h, PARENT, "c1", &all_limits()).unwrap();
    assert!(!tmp.path().join("ferry/c1/memory.swap.max").exists());
}

#[test]
fn v2_add_process_writes_the_one_cgroup_procs() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    cg.add_process(Pid::from_raw(77)).unwrap();
    assert_eq!(read(tmp.path().join("ferry/c1/cgroup.procs")), "77");
}

#[test]
fn v2_oom_kill_is_read_from_memory_events() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let events = tmp.path().join("ferry/c1/memory.events");
    write(
        &events,
        "low 0\nhigh 0\nmax 40\noom 1\noom_kill 0\noom_group_kill 0\n",
    );
    assert!(!cg.oom_killed().unwrap());
    write(
        &events,
        "low 0\nhigh 0\nmax 41\noom 1\noom_kill 1\noom_group_kill 0\n",
    );
    assert!(cg.oom_killed().unwrap());
}

#[test]
fn v2_stats_read_usage_limit_cpu_time_pids_and_io() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let dir = tmp.path().join("ferry/c1");
    write(dir.join("memory.current"), "2101248\n");
    write(
        dir.join("memory.stat"),
        "anon 1048576\nfile 4096\ninactive_file 4096\n",
    );
    write(dir.join("memory.max"), "max\n");
    write(
        dir.join("cpu.stat"),
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
    );
    write(dir.join("pids.current"), "2\n");
    let expected = Stats {
        memory_usage: 2097152,
        memory_limit: None,
        cpu_usage_ns: 1_500_000,
        pids_current: 2,
        block_io: BlockIo::default(),
    };
    assert_eq!(
        cg.stats().unwrap(),
        expected,
        "no io controller: no io.stat"
    );
    write(
        dir.join("io.stat"),
        "8:0 rbytes=4096 wbytes=512 rios=1 wios=1 dbytes=0 dios=0\n",
    );
    assert_eq!(
        cg.stats().unwrap().block_io,
        BlockIo {
            read: 4096,
            written: 512
        }
    );
}

#[test]
fn v2_enables_io_where_the_root_offers_it() {
    let (tmp, h) = fake_v2("cpu io memory pids\n", "");
    ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    assert_eq!(
        read(tmp.path().join("cgroup.subtree_control")),
        "+memory +cpu +pids +io"
    );
}

#[test]
fn v2_view_is_the_containers_one_directory() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    assert_eq!(
        cg.view(),
        CgroupView::V2 {
            dir: tmp.path().join("ferry/c1")
        }
    );
}

#[test]
fn v2_freeze_writes_cgroup_freeze_and_waits_for_the_frozen_event() {
    let (tmp, h) = fake_v2("cpu memory pids", "");
    let cg = ContainerCgroup::create(&h, PARENT, "c1", &Resources::default()).unwrap();
    let dir = tmp.path().join("ferry/c1");
    write(dir.join("cgroup.events"), "populated 1\nfrozen 1\n");
    cg.freeze().unwrap();
    assert_eq!(read(dir.join("cgroup.freeze")), "1");
    write(dir.join("cgroup.events"), "populated 1\nfrozen 0\n");
    cg.thaw().unwrap();
    assert_eq!(read(dir.join("cgroup.freeze")), "0");
}
