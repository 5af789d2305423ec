//! The `seccomp` demo: a hand-assembled filter refuses mkdir with EPERM, in the child that
//! installed it and in the programs it starts, and nowhere else.
//!
//! No `require`: with `no_new_privs` any user may install a filter, so this test runs everywhere.

use assert_cmd::Command;

#[test]
fn mkdir_fails_with_eperm_under_the_filter_and_status_says_seccomp_2() {
    let output = Command::cargo_bin("seccomp")
        .expect("the seccomp binary is built")
        .output()
        .expect("run seccomp");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let said = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(
        said("child: before Seccomp: 0, Seccomp_filters: 0, NoNewPrivs: 0"),
        "{stdout}"
    );
    assert!(
        said("child: after  Seccomp: 2, Seccomp_filters: 1, NoNewPrivs: 1"),
        "{stdout}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("child: mkdir ")
            && l.ends_with("/refused: EPERM (Operation not permitted)")),
        "{stdout}"
    );
    assert!(said("/file: ok"), "other syscalls still run: {stdout}");
    assert!(said("child: mkdir exited with 1"), "{stdout}");
    assert!(
        stderr.contains("by-exec") && stderr.contains("Operation not permitted"),
        "the program started under the filter says why it failed: {stderr}"
    );
    assert!(said("parent: no filter here, mkdir"), "{stdout}");
    assert!(
        lines.last().is_some_and(|l| l.ends_with("/by-parent: ok")),
        "{stdout}"
    );
}

#[test]
fn the_listing_shows_every_instruction() {
    let output = Command::cargo_bin("seccomp")
        .expect("the seccomp binary is built")
        .output()
        .expect("run seccomp");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("the filter (9 instructions):\n"),
        "{stdout}"
    );
    for insn in [
        "l0: ld [4]",
        "l1: jeq #0xc000003e, l2, l8",
        "l4: jeq #0x53, l7, l5",
        "l7: ret #0x50001",
    ] {
        assert!(stdout.contains(insn), "{insn} in {stdout}");
    }
}
