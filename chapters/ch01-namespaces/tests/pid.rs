//! The `pid` demo: a new PID namespace makes the container's command process 1, and the
//! `/proc/PID/ns` links show which namespaces it got.

use assert_cmd::Command;
use ferry_testkit::{require, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces];

/// Runs `pid -- ARGS`, checks it succeeded and returns its stdout lines.
fn pid_demo(args: &[&str]) -> Vec<String> {
    let output = Command::cargo_bin("pid")
        .expect("the pid binary is built")
        .arg("--")
        .args(args)
        .output()
        .expect("run pid");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The row of the namespace table for `name`: the parent's and the container's inode and the
/// mark (`same` or `differs`).
fn ns_row(lines: &[String], name: &str) -> (String, String, String) {
    let row = lines
        .iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() == 7 && w[0] == name && w[1] == "->")
        .unwrap_or_else(|| panic!("no row for {name} in {lines:#?}"));
    (row[2].to_owned(), row[5].to_owned(), row[6].to_owned())
}

#[test]
fn the_command_runs_as_pid_1() {
    if !require("the_command_runs_as_pid_1", NEEDS) {
        return;
    }
    let lines = pid_demo(&["sh", "-c", "echo $$"]);
    assert!(lines.contains(&"1".to_owned()), "{lines:#?}");
    assert!(
        lines.contains(&"Container [    1] - inside the container!".to_owned()),
        "{lines:#?}"
    );
    assert!(lines[0].starts_with("Parent [") && lines[0].ends_with("] - start a container!"));
    assert_eq!(
        lines.last().map(String::as_str),
        Some("Parent - container stopped!")
    );
}

#[test]
fn the_container_gets_new_pid_and_uts_namespaces_and_keeps_the_network() {
    if !require(
        "the_container_gets_new_pid_and_uts_namespaces_and_keeps_the_network",
        NEEDS,
    ) {
        return;
    }
    let lines = pid_demo(&["true"]);
    for new in ["pid", "uts"] {
        let (parent, container, mark) = ns_row(&lines, new);
        assert_ne!(parent, container, "{new}");
        assert_eq!(mark, "differs", "{new}");
    }
    for shared in ["net", "ipc", "mnt", "user"] {
        let (parent, container, mark) = ns_row(&lines, shared);
        assert_eq!(parent, container, "{shared}");
        assert_eq!(mark, "same", "{shared}");
    }
}

#[test]
fn the_parent_column_is_the_hosts_namespaces() {
    if !require("the_parent_column_is_the_hosts_namespaces", NEEDS) {
        return;
    }
    let ours = std::fs::read_link("/proc/self/ns/pid").expect("our pid namespace");
    let lines = pid_demo(&["true"]);
    let (parent, _, _) = ns_row(&lines, "pid");
    assert_eq!(parent, ours.to_string_lossy());
}

#[test]
fn proc_inside_still_numbers_processes_as_the_host_does() {
    if !require(
        "proc_inside_still_numbers_processes_as_the_host_does",
        NEEDS,
    ) {
        return;
    }
    // Without a new /proc mount, /proc/self names the host's PID of the reader, never 1 or 2,
    // although the container's processes are numbered 1, 2... in their own namespace.
    let lines = pid_demo(&["sh", "-c", "echo $$; readlink /proc/self"]);
    let shown_by_demo = lines
        .iter()
        .find_map(|l| l.strip_prefix("Container - but /proc/self -> "))
        .and_then(|rest| rest.split(':').next());
    let shown_to_command = lines.iter().skip_while(|l| *l != "1").nth(1);
    for pid in [shown_by_demo, shown_to_command.map(String::as_str)] {
        let host_pid: u32 = pid
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no host PID in {lines:#?}"));
        assert!(host_pid > 2, "{lines:#?}");
    }
}

#[test]
fn pid_1_ignores_sigkill_sent_from_inside_its_namespace() {
    if !require(
        "pid_1_ignores_sigkill_sent_from_inside_its_namespace",
        NEEDS,
    ) {
        return;
    }
    // The kernel protects a namespace's init from signals it has no handler for, even SIGKILL,
    // when they come from inside the namespace (here: from itself).
    let lines = pid_demo(&["sh", "-c", "kill -KILL $$; echo survived"]);
    assert!(lines.contains(&"survived".to_owned()), "{lines:#?}");
}
