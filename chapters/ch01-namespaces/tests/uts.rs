//! The `uts` demo: a new UTS namespace gives the container its own hostname.

use assert_cmd::Command;
use ferry_testkit::{require, Need};
use nix::unistd::gethostname;

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces];

fn uts() -> Command {
    Command::cargo_bin("uts").expect("the uts binary is built")
}

fn stdout_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn hostname_is_container_inside_and_unchanged_on_the_host() {
    if !require(
        "hostname_is_container_inside_and_unchanged_on_the_host",
        NEEDS,
    ) {
        return;
    }
    let before = gethostname().expect("host name");
    let output = uts().args(["--", "hostname"]).output().expect("run uts");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout_lines(&output),
        [
            "Parent - start a container!",
            "Container - inside the container!",
            "container",
            "Parent - container stopped!",
        ]
    );
    assert_ne!(
        before, "container",
        "the host must not already be called container"
    );
    assert_eq!(gethostname().expect("host name"), before);
}

#[test]
fn the_commands_exit_code_is_forwarded() {
    if !require("the_commands_exit_code_is_forwarded", NEEDS) {
        return;
    }
    uts().args(["--", "sh", "-c", "exit 3"]).assert().code(3);
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_the_signal() {
    if !require(
        "a_command_killed_by_a_signal_exits_128_plus_the_signal",
        NEEDS,
    ) {
        return;
    }
    // SIGKILL is 9.
    uts()
        .args(["--", "sh", "-c", "kill -KILL $$"])
        .assert()
        .code(137);
}

#[test]
fn a_missing_command_exits_127() {
    if !require("a_missing_command_exits_127", NEEDS) {
        return;
    }
    uts()
        .args(["--", "/nonexistent/command"])
        .assert()
        .code(127)
        .stderr(predicates::str::contains(
            "Something's wrong! exec /nonexistent/command",
        ));
}

#[test]
fn without_a_command_the_shell_from_shell_env_runs() {
    if !require("without_a_command_the_shell_from_shell_env_runs", NEEDS) {
        return;
    }
    let output = uts()
        .env("SHELL", "/bin/sh")
        .write_stdin("echo \"shell=$0\"; hostname\n")
        .output()
        .expect("run uts");
    assert!(output.status.success(), "{output:?}");
    let lines = stdout_lines(&output);
    assert!(lines.contains(&"shell=/bin/sh".to_owned()), "{lines:?}");
    assert!(lines.contains(&"container".to_owned()), "{lines:?}");
}
