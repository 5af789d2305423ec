//! The `layers` demo: two containers over the same image layers each see only their own writes.

use assert_cmd::Command;
use ferry_testkit::{mounts_below, require, Need};

#[test]
fn two_containers_share_the_layers_and_keep_their_writes_apart() {
    if !require(
        "two_containers_share_the_layers_and_keep_their_writes_apart",
        &[Need::Root, Need::Overlay],
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("layers")
        .unwrap()
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    for expected in [
        "layer3: app/app.conf bin/tool(whiteout)",
        "lowerdir=layer3:layer2:layer1",
        "c1/merged: app/app.conf app/app.py etc/os-release",
        "c2/merged: app/app.conf app/app.py etc/os-release",
        "etc/os-release comes from layer2",
        "c1: app/app.conf = file \"port=9090\", tmp/c2-only: (nothing)",
        "c2: app/app.conf = file \"port=8080\", tmp/c2-only: file \"mine\"",
        "c1/upper: app/app.conf",
        "c2/upper: tmp/c2-only",
        "layer3/app/app.conf: file \"port=8080\"",
    ] {
        assert!(
            lines.contains(&expected),
            "missing {expected:?} in {lines:#?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("layer3/app/app.conf")).unwrap(),
        "port=8080\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("c1/upper/app/app.conf")).unwrap(),
        "port=9090\n"
    );
    assert_eq!(mounts_below(dir.path()), 0);
}
