//! The `release-agent` demo: the release_agent escape works from a naive container and fails
//! without CAP_SYS_ADMIN or under a seccomp filter refusing mount; the demo refuses to run
//! without consent and leaves no hierarchy, mount or file behind.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use ch08_security::release_agent::{
    hierarchy_exists, in_ferry_vm, remove_hierarchy, HIERARCHY, YES_ENV, YES_FLAG,
};
use ferry_testkit::{patience, require, Need};

fn release_agent() -> Command {
    let mut command = Command::cargo_bin("release-agent").expect("the binary is built");
    command.env_remove(YES_ENV);
    command
}

/// The tests of this file take turns: one asserts that the hierarchy another one creates does not
/// exist.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static HOST: Mutex<()> = Mutex::new(());
    HOST.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes the demo's hierarchy when the test ends, even when it panicked halfway.
struct Cleanup(&'static str);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Err(err) = remove_hierarchy(self.0) {
            eprintln!("test cleanup: {err}");
        }
    }
}

/// Waits until the kernel no longer lists hierarchy `name` (it destroys it asynchronously).
fn assert_hierarchy_gone(name: &str) {
    let deadline = Instant::now() + patience(Duration::from_secs(5));
    while hierarchy_exists(name) {
        assert!(
            Instant::now() < deadline,
            "hierarchy name={name} still exists: {}",
            std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn without_consent_it_warns_refuses_and_touches_nothing() {
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    if in_ferry_vm(&cmdline) {
        // In the VM running *is* consented to: there is no refusal to see.
        eprintln!("in ferry's VM the demo runs without being asked; nothing to test here");
        return;
    }
    let _turn = one_at_a_time();
    let output = release_agent().output().expect("run release-agent");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("WARNING: this demo escapes"), "{stderr}");
    assert!(stderr.contains("refusing to change this host"), "{stderr}");
    assert!(output.stdout.is_empty(), "it did something: {output:?}");
    assert!(!hierarchy_exists(HIERARCHY));
}

#[test]
fn the_naive_container_escapes_and_the_confined_ones_do_not() {
    if !require(
        "the_naive_container_escapes_and_the_confined_ones_do_not",
        &[Need::Root, Need::Namespaces, Need::Overlay],
    ) {
        return;
    }
    let _turn = one_at_a_time();
    let _cleanup = Cleanup(HIERARCHY);
    let output = release_agent()
        .arg(YES_FLAG)
        .output()
        .expect("run release-agent");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with("WARNING: "),
        "it warns even when allowed: {stderr}"
    );

    let sections: Vec<&str> = stdout.split("\n--- ").collect();
    assert_eq!(sections.len(), 4, "{stdout}");
    let (naive, no_sys_admin, seccomp) = (sections[1], sections[2], sections[3]);

    assert!(naive.contains("CapEff 000001"), "{naive}");
    assert!(
        naive.contains("mount -t cgroup -o none,name=ferry-ch08 cgroup /cgrp: ok"),
        "{naive}"
    );
    // The agent ran as root, in the host's PID namespace (not the container's), under the
    // host's name (not "naive"), and the container could read what it wrote.
    let host_pid_ns = std::fs::read_link("/proc/self/ns/pid").expect("our pid namespace");
    let host_name = nix::unistd::gethostname().expect("host name");
    let report = format!(
        "uid=0 pid-namespace={} hostname={} argument=/x",
        host_pid_ns.display(),
        host_name.to_string_lossy()
    );
    assert!(
        naive.contains(&format!("container: /escaped says: {report}")),
        "{naive}"
    );
    assert!(naive.contains("host: ESCAPED"), "{naive}");

    for confined in [no_sys_admin, seccomp] {
        assert!(
            confined.contains(
                "mount -t cgroup -o none,name=ferry-ch08 cgroup /cgrp: EPERM (Operation not permitted)"
            ),
            "{confined}"
        );
        assert!(
            confined.contains("host: no script ran: CONTAINED"),
            "{confined}"
        );
    }
    assert!(no_sys_admin.contains("Seccomp 0"), "{no_sys_admin}");
    assert!(seccomp.contains("Seccomp 2"), "{seccomp}");

    // Nothing left: no hierarchy, no mount, no temporary directory.
    assert_hierarchy_gone(HIERARCHY);
    let mounts = std::fs::read_to_string("/proc/self/mounts").expect("mounts");
    assert!(!mounts.contains("ch08-release-agent-"), "{mounts}");
    let layers = stdout
        .lines()
        .find_map(|l| l.split_once(", layers in ").map(|(_, dir)| dir.to_owned()))
        .unwrap_or_else(|| panic!("no layers line in {stdout}"));
    assert!(!Path::new(&layers).exists(), "{layers} was left behind");
}

#[test]
fn a_left_over_hierarchy_with_cgroups_is_removed() {
    if !require(
        "a_left_over_hierarchy_with_cgroups_is_removed",
        &[Need::Root, Need::Namespaces],
    ) {
        return;
    }
    // What a killed run leaves: a hierarchy with cgroups in it, mounted nowhere any more.
    let name = "ferry-ch08-leftover-test";
    let _turn = one_at_a_time();
    let _cleanup = Cleanup(name);
    let dir = tempfile::tempdir().expect("temp dir");
    let script = format!(
        "mount -t cgroup -o none,name={name} cgroup {0} && mkdir -p {0}/a/b {0}/c",
        dir.path().display()
    );
    let status = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .status()
        .expect("run unshare");
    assert!(status.success());
    assert!(hierarchy_exists(name), "the leftover was not made");

    remove_hierarchy(name).expect("clean up");
    assert_hierarchy_gone(name);
}
