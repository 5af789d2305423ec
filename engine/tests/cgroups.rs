//! Resource limits through the real binary: the OOM killer under `-m`, a fork bomb under
//! `--pids-limit`, a busy loop under `--cpus`, `ferry stats`, the container's own view of its
//! cgroup, and that no cgroup — not even ferry's parent — outlives the containers.
//!
//! Every test has its own state root, so its containers' cgroups live under a parent of their
//! own (`ferry-<hash of the root>`); `Root` force-removes whatever a failing test left.

mod lifecycle_common;

use std::path::{Path, PathBuf};

use ferry::cgroups::Hierarchy;
use ferry::container::cgroup::parent_name;
use lifecycle_common::{can_run, cgroup_dirs, stderr, stdout, Root};

/// ferry's parent cgroup of `root` in every hierarchy of this machine.
fn parent_dirs(root: &Root) -> Vec<PathBuf> {
    let parent = parent_name(root.path());
    let mut dirs: Vec<PathBuf> = match Hierarchy::detect().expect("a cgroup hierarchy") {
        Hierarchy::V1 { mounts } => mounts.values().map(|m| m.join(&parent)).collect(),
        Hierarchy::V2 { root } => vec![root.join(&parent)],
    };
    dirs.sort();
    dirs.dedup();
    dirs
}

fn existing(dirs: &[PathBuf]) -> Vec<&PathBuf> {
    dirs.iter().filter(|d| d.exists()).collect()
}

/// `ferry run --rm --network none FLAGS… toolbox CMD…`.
fn run_rm(root: &Root, flags: &[&str], command: &[&str]) -> std::process::Output {
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(flags);
    args.push("toolbox");
    args.extend_from_slice(command);
    root.run(&args)
}

/// The numbers of `alloc`'s "NM memory allocated" lines.
fn allocations(out: &std::process::Output) -> Vec<u64> {
    stdout(out)
        .lines()
        .filter_map(|l| l.strip_suffix("M memory allocated"))
        .filter_map(|n| n.parse().ok())
        .collect()
}

/// The cells of the row of `ferry stats --no-stream NAME`, after checking the header.
fn stats_row(root: &Root, name: &str) -> Vec<String> {
    let out = root.ok(&["stats", "--no-stream", name]);
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    for column in [
        "CONTAINER ID",
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET I/O",
        "BLOCK I/O",
        "PIDS",
    ] {
        assert!(header.contains(column), "no {column} in {out}");
    }
    let row: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(row.get(1).map(String::as_str), Some(name), "{out}");
    row
}

#[test]
fn a_container_over_its_memory_limit_prints_allocations_then_exits_137() {
    if !can_run("a_container_over_its_memory_limit_prints_allocations_then_exits_137") {
        return;
    }
    let root = Root::new();
    let out = run_rm(&root, &["-m", "30m"], &["alloc", "1"]);
    assert_eq!(out.status.code(), Some(137), "{out:?}");
    let counted = allocations(&out);
    let last = counted.last().copied().unwrap_or(0);
    assert!(
        (10..=30).contains(&last),
        "killed after {last} MiB under a 30 MiB limit: {out:?}"
    );
    assert_eq!(counted, (1..=last).collect::<Vec<_>>(), "one line per MiB");
    assert!(existing(&parent_dirs(&root)).is_empty(), "cgroups left");
}

#[test]
fn an_oom_killed_container_records_oomkilled() {
    if !can_run("an_oom_killed_container_records_oomkilled") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--name", "hog", "-m", "30m"], &["alloc", "1"]);
    assert_eq!(root.ok(&["wait", "hog"]), "137\n");
    assert_eq!(root.inspect("hog", "{{.State.OOMKilled}}"), "true");
    assert_eq!(root.inspect("hog", "{{.State.ExitCode}}"), "137");
    assert!(
        cgroup_dirs(&id).is_empty(),
        "the cgroup goes when PID 1 exits"
    );
    root.ok(&["rm", "hog"]);
    assert!(existing(&parent_dirs(&root)).is_empty(), "cgroups left");
}

#[test]
fn a_container_that_exits_normally_is_not_oomkilled() {
    if !can_run("a_container_that_exits_normally_is_not_oomkilled") {
        return;
    }
    let root = Root::new();
    root.detach(
        &["--name", "modest", "-m", "30m"],
        &["alloc", "1", "--steps", "5"],
    );
    assert_eq!(root.ok(&["wait", "modest"]), "0\n");
    assert_eq!(root.inspect("modest", "{{.State.OOMKilled}}"), "false");
}

#[test]
fn pids_limit_stops_a_fork_bomb_that_runs_without_it() {
    if !can_run("pids_limit_stops_a_fork_bomb_that_runs_without_it") {
        return;
    }
    let root = Root::new();
    let limited = run_rm(&root, &["--pids-limit", "10"], &["fork", "50"]);
    assert_eq!(limited.status.code(), Some(1), "{limited:?}");
    assert_eq!(
        stdout(&limited),
        "forked 9 of 50\n",
        "PID 1 and 9 children make 10: {limited:?}"
    );
    assert!(
        stderr(&limited).contains("fork: "),
        "the failing fork is reported: {limited:?}"
    );
    let free = run_rm(&root, &[], &["fork", "50"]);
    assert_eq!(stdout(&free), "forked 50 of 50\n", "{free:?}");
    assert_eq!(free.status.code(), Some(0));
    assert!(existing(&parent_dirs(&root)).is_empty(), "cgroups left");
}

#[test]
fn cpus_limit_holds_a_busy_loop_near_its_share() {
    if !can_run("cpus_limit_holds_a_busy_loop_near_its_share") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "spinner", "--cpus", "0.2"], &["spin", "30"]);
    // Four readings of half a second each: two seconds of CPU time over wall time.
    let readings: Vec<f64> = (0..4)
        .map(|_| {
            let row = stats_row(&root, "spinner");
            let cpu = row[2].trim_end_matches('%');
            cpu.parse()
                .unwrap_or_else(|_| panic!("CPU % {cpu:?} in {row:?}"))
        })
        .collect();
    let average = readings.iter().sum::<f64>() / readings.len() as f64;
    assert!(
        (10.0..=35.0).contains(&average),
        "--cpus 0.2 gave {average:.1}% ({readings:?})"
    );
    root.ok(&["rm", "-f", "spinner"]);
    assert!(existing(&parent_dirs(&root)).is_empty(), "cgroups left");
}

#[test]
fn rm_removes_the_containers_cgroups_and_the_last_one_the_parent() {
    if !can_run("rm_removes_the_containers_cgroups_and_the_last_one_the_parent") {
        return;
    }
    let root = Root::new();
    let parents = parent_dirs(&root);
    assert!(
        existing(&parents).is_empty(),
        "no parent before a container"
    );
    let first = root.detach(&["--name", "first"], &["sleep", "100"]);
    let second = root.detach(&["--name", "second"], &["sleep", "100"]);
    assert_eq!(existing(&parents).len(), parents.len(), "one per hierarchy");
    for dir in &parents {
        assert!(dir.join(&first).is_dir() && dir.join(&second).is_dir());
    }

    root.ok(&["rm", "-f", "first"]);
    assert!(cgroup_dirs(&first).is_empty(), "{:?}", cgroup_dirs(&first));
    assert_eq!(
        existing(&parents).len(),
        parents.len(),
        "the parent stays for the second container"
    );

    root.ok(&["rm", "-f", "second"]);
    assert!(cgroup_dirs(&second).is_empty());
    assert!(
        existing(&parents).is_empty(),
        "the last container took the parent: {:?}",
        existing(&parents)
    );
    assert!(root.processes().is_empty(), "{:?}", root.processes());
}

#[test]
fn the_default_state_root_keeps_the_parent_name_ferry() {
    assert_eq!(parent_name(Path::new("/var/lib/ferry")), "ferry");
}

#[test]
fn stats_shows_the_memory_limit_and_the_process_count() {
    if !can_run("stats_shows_the_memory_limit_and_the_process_count") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "limited", "-m", "30m"], &["sleep", "100"]);
    root.detach(&["--name", "free"], &["sleep", "100"]);
    let row = stats_row(&root, "limited");
    // CONTAINER ID, NAME, CPU %, usage, "/", limit, MEM %, rx, "/", tx, read, "/", written, PIDS
    assert_eq!(row.len(), 14, "{row:?}");
    assert_eq!(row[5], "30MiB", "{row:?}");
    assert_eq!(row[13], "1", "sleep is the one process: {row:?}");
    assert_eq!(row[7..10], ["0B", "/", "0B"], "--network none: {row:?}");

    let free = stats_row(&root, "free");
    assert_ne!(
        free[5], "30MiB",
        "without -m the limit is the host's memory"
    );
    assert!(free[5].ends_with("iB"), "{free:?}");

    let everything = root.ok(&["stats", "--no-stream"]);
    assert_eq!(
        everything.lines().count(),
        3,
        "header and both: {everything}"
    );
}

#[test]
fn stats_of_an_unknown_container_fails_with_exit_1() {
    if !can_run("stats_of_an_unknown_container_fails_with_exit_1") {
        return;
    }
    let root = Root::new();
    let out = root.run(&["stats", "--no-stream", "nosuch"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(stderr(&out), "ferry: No such container: nosuch\n");
    assert_eq!(stdout(&out), "");
}

#[test]
fn the_container_reads_its_own_limit_at_sys_fs_cgroup_read_only() {
    if !can_run("the_container_reads_its_own_limit_at_sys_fs_cgroup_read_only") {
        return;
    }
    let root = Root::new();
    let read_limit = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null \
                      || cat /sys/fs/cgroup/memory.max";
    let limited = run_rm(&root, &["-m", "30m"], &["sh", "-c", read_limit]);
    assert_eq!(stdout(&limited), "31457280\n", "{limited:?}");

    let unlimited = run_rm(&root, &[], &["sh", "-c", read_limit]);
    let text = stdout(&unlimited);
    assert!(
        text == "max\n" || text.trim().parse::<u64>().is_ok_and(|n| n > 1 << 60),
        "no limit reads as none: {unlimited:?}"
    );

    let listing = run_rm(&root, &[], &["ls", "/sys/fs/cgroup"]);
    let names = stdout(&listing);
    assert!(
        names.contains("memory") && names.contains("pids"),
        "memory/ and pids/ (v1) or memory.* and pids.* (v2): {names}"
    );
    assert!(
        !names.contains("ferry"),
        "no other cgroup is visible: {names}"
    );

    let write = "echo 5 > /sys/fs/cgroup/pids/pids.max 2>/dev/null \
                 || echo 5 > /sys/fs/cgroup/pids.max";
    let refused = run_rm(&root, &["--pids-limit", "100"], &["sh", "-c", write]);
    assert_ne!(refused.status.code(), Some(0), "{refused:?}");
    assert!(stderr(&refused).contains("Read-only"), "{refused:?}");
    assert!(existing(&parent_dirs(&root)).is_empty(), "cgroups left");
}

#[test]
fn the_container_sees_dockers_device_list_and_uses_the_devices_it_allows() {
    if !can_run("the_container_sees_dockers_device_list_and_uses_the_devices_it_allows") {
        return;
    }
    let root = Root::new();
    // /dev/null, /dev/urandom and /dev/full are on the allow-list: they open.
    let script = "cat /dev/null && echo x > /dev/null && head -n 1 /dev/urandom > /dev/null \
                  && echo opened; (echo x > /dev/full) 2>&1";
    let allowed = run_rm(&root, &[], &["sh", "-c", script]);
    let text = stdout(&allowed);
    assert!(text.starts_with("opened\n"), "{allowed:?}");
    assert!(
        text.contains("No space left on device"),
        "/dev/full opens, and refuses the write as it does on the host: {allowed:?}"
    );
    if let Hierarchy::V1 { .. } = Hierarchy::detect().expect("a cgroup hierarchy") {
        // v2 has no list to show: its device program is proved in the cgroups module's tests.
        let listed = run_rm(&root, &[], &["cat", "/sys/fs/cgroup/devices/devices.list"]);
        let list = stdout(&listed);
        for rule in [
            "c 1:3 rwm",
            "c 1:7 rwm",
            "c 136:* rwm",
            "c 5:2 rwm",
            "b *:* m",
        ] {
            assert!(list.lines().any(|l| l == rule), "{rule} in {listed:?}");
        }
        assert!(
            !list.contains("a *:* rwm") && !list.contains("b 7:"),
            "not every device, no loop device: {listed:?}"
        );
    }
    assert!(existing(&parent_dirs(&root)).is_empty(), "cgroups left");
}

#[test]
fn bad_limits_are_refused_with_125_before_anything_is_created() {
    if !can_run("bad_limits_are_refused_with_125_before_anything_is_created") {
        return;
    }
    let root = Root::new();
    for (flags, message) in [
        (&["-m", "12q"][..], "invalid size: '12q'"),
        (&["--cpus", "-1"][..], "'-1'"),
        (&["--cpus=-1"][..], "range of CPUs is from 0.01 to"),
        (&["-m", "1m"][..], "Minimum memory limit allowed is 6MB"),
        (
            &["-m", "30m", "--memory-swap", "10m"][..],
            "memoryswap limit",
        ),
    ] {
        for command in ["run", "create"] {
            let mut args = vec![command, "--network", "none"];
            args.extend_from_slice(flags);
            args.extend_from_slice(&["toolbox", "true"]);
            let out = root.run(&args);
            assert_eq!(out.status.code(), Some(125), "{args:?}: {out:?}");
            assert!(stderr(&out).contains(message), "{args:?}: {out:?}");
        }
    }
    assert_eq!(root.ok(&["ps", "-aq"]), "", "no container was created");
    assert!(existing(&parent_dirs(&root)).is_empty(), "no cgroup");
}
