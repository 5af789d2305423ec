//! The `cpu` demo: a busy loop under a CFS quota gets about the quota's share of a CPU, and the
//! demo leaves no cgroup (and no busy loop) behind.

use std::path::Path;

use assert_cmd::Command;
use ferry_testkit::{require, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Cgroups];

/// Runs `cpu ARGS`, checks it succeeded and returns its stdout lines.
fn cpu(args: &[&str]) -> Vec<String> {
    let output = Command::cargo_bin("cpu")
        .expect("the cpu binary is built")
        .args(args)
        .output()
        .expect("run cpu");
    let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(output.status.success(), "{output:?}");
    lines
}

/// The percentage on the `measured: the busy loop got P% of one CPU` line.
fn measured_share(lines: &[String]) -> f64 {
    lines
        .iter()
        .find_map(|l| l.strip_prefix("measured: the busy loop got "))
        .and_then(|rest| rest.split('%').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no measurement in {lines:#?}"))
}

#[test]
fn a_20_percent_quota_gives_the_busy_loop_about_20_percent() {
    if !require(
        "a_20_percent_quota_gives_the_busy_loop_about_20_percent",
        NEEDS,
    ) {
        return;
    }
    let lines = cpu(&["--percent", "20", "--seconds", "2"]);
    let share = measured_share(&lines);
    assert!(
        (10.0..=30.0).contains(&share),
        "measured {share}%: {lines:#?}"
    );
    assert!(lines.contains(&"cpu quota: 20000 us every 100000 us (20% of one CPU)".to_owned()));
    let throttled = lines
        .iter()
        .find_map(|l| l.strip_prefix("cpu.stat: throttled in "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no throttling line in {lines:#?}"));
    assert!(throttled > 0, "a busy loop at 20% is throttled: {lines:#?}");
    let cgroup = lines
        .iter()
        .find_map(|l| l.strip_prefix("cgroup: "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no cgroup line in {lines:#?}"));
    assert!(!Path::new(cgroup).exists(), "{cgroup} was left behind");
}

#[test]
fn a_zero_percent_quota_is_refused() {
    let output = Command::cargo_bin("cpu")
        .expect("the cpu binary is built")
        .args(["--percent", "0"])
        .output()
        .expect("run cpu");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "cpu: --percent and --seconds must be at least 1"
    );
}
