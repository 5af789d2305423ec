//! The multi-call binary picks its applet from argv[0], or from argv[1] after `toolbox`.

mod common;

use std::os::unix::fs::symlink;
use std::process::Command;

use common::{code, run, stderr, stdout, toolbox, TempDir};

#[test]
fn list_prints_every_applet_one_per_line() {
    let out = run(&["--list"], "");
    assert_eq!(code(&out), 0);
    let listed: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(listed, toolbox::APPLETS);
}

#[test]
fn toolbox_runs_the_applet_named_by_its_first_argument() {
    let out = run(&["echo", "hi", "there"], "");
    assert_eq!(stdout(&out), "hi there\n");
}

#[test]
fn a_symlink_named_after_an_applet_runs_that_applet() {
    let dir = TempDir::new();
    let link = dir.path().join("echo");
    symlink(toolbox(), &link).unwrap();
    let out = Command::new(&link).arg("via-argv0").output().unwrap();
    assert_eq!(stdout(&out), "via-argv0\n");
}

#[test]
fn a_login_shell_name_with_leading_dash_runs_sh() {
    use std::os::unix::process::CommandExt;
    let out = Command::new(toolbox())
        .arg0("-sh")
        .args(["-c", "echo login"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "login\n");
}

#[test]
fn unknown_applet_exits_127_with_a_message() {
    let out = run(&["no-such-applet"], "");
    assert_eq!(code(&out), 127);
    assert!(
        stderr(&out).contains("applet not found: no-such-applet"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_name_as_argv0_exits_127() {
    let dir = TempDir::new();
    let link = dir.path().join("frobnicate");
    symlink(toolbox(), &link).unwrap();
    let out = Command::new(&link).output().unwrap();
    assert_eq!(out.status.code(), Some(127));
}
