//! The `capdrop` demo: uid 0 without CAP_CHOWN cannot chown, and cannot take CAP_CHOWN back.

use assert_cmd::Command;
use ferry_testkit::{require, Need};

fn capdrop(args: &[&str]) -> (bool, Vec<String>) {
    let output = Command::cargo_bin("capdrop")
        .expect("the capdrop binary is built")
        .args(args)
        .output()
        .expect("run capdrop");
    let lines = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    (output.status.success(), lines)
}

/// The mask printed on the line that starts with `prefix`.
fn mask(lines: &[String], prefix: &str) -> u64 {
    let line = lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line {prefix:?} in {lines:#?}"));
    let hex = line[prefix.len()..].trim().split(':').next().unwrap_or("");
    u64::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("no mask in {line:?}"))
}

#[test]
fn chown_fails_with_eperm_once_cap_chown_is_dropped() {
    if !require(
        "chown_fails_with_eperm_once_cap_chown_is_dropped",
        &[Need::Root],
    ) {
        return;
    }
    let (ok, lines) = capdrop(&[]);
    assert!(ok, "{lines:#?}");
    let said = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(said("to 65534:65534: ok"), "{lines:#?}");
    assert!(
        said("to 0:0: EPERM (Operation not permitted)"),
        "{lines:#?}"
    );
    assert!(
        said("capset to take CAP_CHOWN back: EPERM (Operation not permitted)"),
        "{lines:#?}"
    );
    let before = mask(&lines, "child: before CapEff");
    assert_ne!(before & 1, 0, "root starts with CAP_CHOWN: {lines:#?}");
    for set in ["CapEff", "CapPrm", "CapBnd"] {
        let after = mask(&lines, &format!("child: after  {set}"));
        assert_eq!(after & 1, 0, "{set} still has CAP_CHOWN: {lines:#?}");
        assert_eq!(after, before & !1, "only CAP_CHOWN went: {lines:#?}");
    }
}

#[test]
fn dockers_default_mask_decodes_to_its_fourteen_capabilities() {
    let (ok, lines) = capdrop(&["--decode", "00000000a80425fb"]);
    assert!(ok, "{lines:#?}");
    assert_eq!(lines[0], "00000000a80425fb: 14 capabilities");
    assert!(lines.contains(&"  CAP_NET_BIND_SERVICE".to_owned()));
    assert!(!lines.iter().any(|l| l.contains("CAP_SYS_ADMIN")));
}
