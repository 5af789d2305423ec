//! The `oom` demo: a child allocating past its cgroup's memory limit is killed by the OOM killer,
//! and the demo leaves no cgroup behind.

use std::path::Path;

use assert_cmd::Command;
use ferry_testkit::{require, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Cgroups];

/// Runs `oom ARGS` and returns its exit success and stdout lines.
fn oom(args: &[&str]) -> (bool, Vec<String>) {
    let output = Command::cargo_bin("oom")
        .expect("the oom binary is built")
        .args(args)
        .output()
        .expect("run oom");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    (output.status.success(), lines)
}

/// The number N of the last `NM memory allocated` line.
fn last_allocated(lines: &[String]) -> Option<u64> {
    lines
        .iter()
        .rev()
        .filter_map(|l| l.strip_suffix("M memory allocated"))
        .find_map(|n| n.parse().ok())
}

/// The cgroup directory the demo announced on its `cgroup: PATH (V1)` line.
fn announced_cgroup(lines: &[String]) -> String {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("cgroup: "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no cgroup line in {lines:#?}"))
        .to_owned()
}

#[test]
fn child_is_oom_killed_near_the_30_mib_limit_and_the_cgroup_is_removed() {
    if !require(
        "child_is_oom_killed_near_the_30_mib_limit_and_the_cgroup_is_removed",
        NEEDS,
    ) {
        return;
    }
    let (success, lines) = oom(&["--interval-ms", "5"]);
    assert!(success, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("was killed by SIGKILL (the OOM killer)")),
        "{lines:#?}"
    );
    let last = last_allocated(&lines).unwrap_or_else(|| panic!("nothing allocated: {lines:#?}"));
    assert!(
        (20..=31).contains(&last),
        "last allocation {last}M with a 30M limit: {lines:#?}"
    );
    let kills = lines
        .iter()
        .find_map(|l| l.strip_prefix("memory.oom_control: oom_kill = "))
        .or_else(|| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix("memory.events: oom_kill = "))
        });
    assert_eq!(kills, Some("1"), "{lines:#?}");
    let cgroup = announced_cgroup(&lines);
    assert!(!Path::new(&cgroup).exists(), "{cgroup} was left behind");
}

#[test]
fn a_larger_limit_lets_the_child_allocate_more() {
    if !require("a_larger_limit_lets_the_child_allocate_more", NEEDS) {
        return;
    }
    let (success, lines) = oom(&["--limit-mb", "60", "--interval-ms", "2"]);
    assert!(success, "{lines:#?}");
    let last = last_allocated(&lines).unwrap_or_else(|| panic!("nothing allocated: {lines:#?}"));
    assert!(
        (50..=61).contains(&last),
        "last allocation {last}M with a 60M limit: {lines:#?}"
    );
    assert!(
        lines.contains(&"memory limit: 62914560 bytes (60 MiB)".to_owned()),
        "{lines:#?}"
    );
    assert!(!Path::new(&announced_cgroup(&lines)).exists());
}

#[test]
fn unknown_arguments_are_refused_before_any_cgroup_is_made() {
    let output = Command::cargo_bin("oom")
        .expect("the oom binary is built")
        .args(["--limit", "30"])
        .output()
        .expect("run oom");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "oom: unknown argument \"--limit\""
    );
    assert!(output.stdout.is_empty());
}
