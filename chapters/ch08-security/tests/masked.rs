//! The `masked` demo: /dev/null over a file and a read-only tmpfs over a directory hide them, a
//! read-only bind refuses writes, and only a process with CAP_SYS_ADMIN can lift either; the
//! host's files and mount table stay as they were.

use assert_cmd::Command;
use ferry_testkit::{require, Need};

#[test]
fn masked_paths_read_empty_and_readonly_paths_refuse_writes() {
    if !require(
        "masked_paths_read_empty_and_readonly_paths_refuse_writes",
        &[Need::Root, Need::Namespaces],
    ) {
        return;
    }
    let output = Command::cargo_bin("masked")
        .expect("the masked binary is built")
        .output()
        .expect("run masked");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = |start: &str, end: &str| {
        stdout
            .lines()
            .any(|l| l.starts_with(start) && l.ends_with(end))
    };
    assert!(
        said(
            "child: /dev/null bound over ",
            "/proc/kcore: it reads 0 bytes"
        ),
        "{stdout}"
    );
    assert!(
        said(
            "child: read-only tmpfs over ",
            "/proc/acpi: it lists []; creating a file in it: EROFS (Read-only file system)"
        ),
        "{stdout}"
    );
    assert!(
        said(
            "child: ",
            "read-only: it reads 60, writing 0: EROFS (Read-only file system)"
        ),
        "{stdout}"
    );
    assert!(
        said(
            "child: with CAP_SYS_ADMIN, umount ",
            ": ok: it reads 41 bytes again"
        ),
        "{stdout}"
    );
    assert!(
        said(
            "child: umount ",
            "/proc/acpi: EPERM (Operation not permitted)"
        ),
        "{stdout}"
    );
    assert!(
        said(
            "child: remount ",
            "/proc/sys read-write: EPERM (Operation not permitted)"
        ),
        "{stdout}"
    );
    assert!(
        said(
            "parent: the host's files are unchanged:",
            "kcore 41 bytes, acpi/ lists [\"wakeup\"], swappiness 60"
        ),
        "{stdout}"
    );
    // Every mount was made in the child's namespace: none of them is in the host's table.
    let mounts_after = std::fs::read_to_string("/proc/self/mounts").expect("mounts");
    assert!(!mounts_after.contains("ch08-masked-"), "{mounts_after}");
}
