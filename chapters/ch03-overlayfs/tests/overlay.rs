//! The `overlay` demo: the seeds' exercise, checked line by line, and nothing left mounted.

use assert_cmd::Command;
use ferry_testkit::{mounts_below, require, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Overlay];

fn lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn upper_wins_deletes_leave_whiteouts_and_lower_is_untouched() {
    if !require(
        "upper_wins_deletes_leave_whiteouts_and_lower_is_untouched",
        NEEDS,
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("overlay")
        .unwrap()
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let lines = lines(&output);
    for expected in [
        "ls merged: dir in_both.txt in_lower.txt in_upper.txt",
        "merged/in_both.txt: file \"from upper\"",
        "upper/in_lower.txt: file \"from lower\\nchanged\"",
        "upper/in_both.txt: character device 0/0: a whiteout",
        "upper/in_lower.txt: character device 0/0: a whiteout",
        "upper/in_upper.txt: (nothing)",
        "lower/in_both.txt: file \"from lower\"",
        "ls merged/dir: new.txt",
        "upper/dir: directory, opaque (trusted.overlay.opaque=y)",
        "ls lower/dir: a.txt b.txt",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "missing {expected:?} in {lines:#?}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lower/in_lower.txt")).unwrap(),
        "from lower\n"
    );
    assert_eq!(
        mounts_below(dir.path()),
        0,
        "the overlay must not outlive the demo"
    );
}

#[test]
fn without_a_directory_the_demo_cleans_up_after_itself() {
    if !require("without_a_directory_the_demo_cleans_up_after_itself", NEEDS) {
        return;
    }
    let output = Command::cargo_bin("overlay").unwrap().output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let mount_line = lines(&output)
        .into_iter()
        .find(|l| l.starts_with("== 2."))
        .unwrap();
    let merged = mount_line.rsplit(' ').next().unwrap();
    let dir = std::path::Path::new(merged).parent().unwrap();
    assert!(!dir.exists(), "{} was left behind", dir.display());
}
