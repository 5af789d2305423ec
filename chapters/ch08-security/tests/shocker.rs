//! The `shocker` demo: a forged file handle opens the file system behind a bind mount and reads
//! a file outside it, until CAP_DAC_READ_SEARCH is dropped or seccomp refuses open_by_handle_at.

use assert_cmd::Command;
use ferry_testkit::{require, required, Need};
use nix::sys::statfs::{statfs, EXT4_SUPER_MAGIC};

#[test]
fn a_forged_handle_reads_past_the_bind_mount_until_a_layer_refuses_it() {
    if !require(
        "a_forged_handle_reads_past_the_bind_mount_until_a_layer_refuses_it",
        &[Need::Root, Need::Namespaces],
    ) {
        return;
    }
    let ext4 = |dir: &std::path::Path| {
        statfs(dir).is_ok_and(|fs| fs.filesystem_type() == EXT4_SUPER_MAGIC)
    };
    if !ext4("/var/tmp".as_ref()) && !ext4(&std::env::temp_dir()) {
        let reason = "neither /var/tmp nor the temporary directory is on ext4";
        assert!(
            !required(),
            "{reason}, and FERRY_REQUIRE_PRIVILEGED=1 forbids skipping"
        );
        eprintln!("SKIPPED: {reason}");
        return;
    }
    let output = Command::cargo_bin("shocker")
        .expect("the shocker binary is built")
        .output()
        .expect("run shocker");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let sections: Vec<&str> = stdout.split("\n--- ").collect();
    assert_eq!(sections.len(), 4, "{stdout}");
    for section in &sections[1..] {
        assert!(
            section.contains("container: ls /volume: [\"shared.txt\"]; open ")
                && section.contains(": No such file or directory"),
            "no path reaches the secret: {section}"
        );
    }
    let naive = sections[1];
    assert!(
        naive.contains("container: open_by_handle_at(/volume, inode 2): ok"),
        "{naive}"
    );
    assert!(
        naive.contains("of the host: root:$y$j9T$pretend-shadow-entry"),
        "{naive}"
    );
    assert!(naive.contains("ESCAPED"), "{naive}");
    for confined in &sections[2..] {
        assert!(
            confined.contains(
                "container: open_by_handle_at(/volume, inode 2): EPERM (Operation not permitted)"
            ),
            "{confined}"
        );
        assert!(confined.contains("CONTAINED"), "{confined}");
        assert!(!confined.contains("pretend-shadow-entry"), "{confined}");
    }
    // The temporary directory went with the demo.
    let dir = stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("host: "))
        .and_then(|l| l.split("/volume shared as").next())
        .unwrap_or_else(|| panic!("no host line in {stdout}"));
    assert!(!std::path::Path::new(dir).exists(), "{dir} was left behind");
}
