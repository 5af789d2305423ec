//! The `none-mode` demo: a `--network none` container, wired by hand, reaches a bridged one.

use assert_cmd::Command;
use ferry_testkit::{require, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces, Need::Overlay, Need::Cgroups];

/// Whether the `ferry` binary has been built next to this test (`cargo build -p ferry`); the
/// chapter drives it, it does not depend on the engine crate.
fn ferry_built() -> bool {
    let exe = std::env::current_exe().expect("the test knows its path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    std::env::var_os("FERRY_BIN").is_some() || profile.join("ferry").is_file()
}

#[test]
fn a_hand_wired_none_mode_container_fetches_a_page_from_a_bridged_one() {
    if !require(
        "a_hand_wired_none_mode_container_fetches_a_page_from_a_bridged_one",
        NEEDS,
    ) {
        return;
    }
    assert!(
        ferry_built(),
        "build ferry first: cargo build -p ferry (or set FERRY_BIN)"
    );
    let output = Command::cargo_bin("none-mode")
        .expect("the none-mode binary is built")
        .output()
        .expect("run none-mode");
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let before = out
        .split("$ ip link add A type veth peer name B")
        .next()
        .expect("the first ip addr");
    assert!(
        before.contains("1: lo: <LOOPBACK,UP") && !before.contains("eth0"),
        "none mode starts with lo only: {before}"
    );
    assert!(
        out.contains(": eth0@if")
            && out.contains("inet 10.77.0.100/16 brd 10.77.255.255 scope global eth0"),
        "{out}"
    );
    assert!(out.contains("default via 10.77.0.1 dev eth0"), "{out}");
    assert!(out.trim_end().ends_with("hello from web"), "{out}");
}
