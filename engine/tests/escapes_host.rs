//! Escapes that go through the engine rather than through the container's process: files the
//! engine writes into or reads from paths that a container or an image controls, the permissions
//! of the state root, and hostile image archives. Each test is an attack that must be refused.
//!
//! Every test has its own state root (see `lifecycle_common`) and checks it may run first.

mod lifecycle_common;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use lifecycle_common::{can_run, stderr, stdout, Root};

/// A host file the attacks aim at, with content that must survive them.
struct Victim {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Victim {
    const CONTENT: &'static str = "host data, not the container's\n";

    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ferry-victim-")
            .tempdir()
            .unwrap();
        let path = dir.path().join("victim");
        fs::write(&path, Self::CONTENT).unwrap();
        Victim { _dir: dir, path }
    }

    fn untouched(&self) -> bool {
        fs::read_to_string(&self.path).ok().as_deref() == Some(Self::CONTENT)
    }
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

// --- 1. /etc/hostname, /etc/hosts, /etc/resolv.conf ----------------------------------------------

#[test]
fn start_never_writes_etc_files_through_a_symlink_the_container_made() {
    if !can_run("start_never_writes_etc_files_through_a_symlink_the_container_made") {
        return;
    }
    let root = Root::new();
    let victim = Victim::new();
    let attack = format!(
        "rm /etc/hostname; ln -s {0} /etc/hostname; rm /etc/hosts; ln -s {0} /etc/hosts; true",
        p(&victim.path)
    );
    root.ok(&[
        "run",
        "--name",
        "ctr",
        "--network",
        "none",
        "toolbox",
        "sh",
        "-c",
        &attack,
    ]);
    root.ok(&["start", "-a", "ctr"]);
    assert!(victim.untouched(), "ferry start wrote through the symlink");
}

#[test]
fn etc_files_are_bind_mounted_even_over_a_dangling_symlink_in_the_root() {
    if !can_run("etc_files_are_bind_mounted_even_over_a_dangling_symlink_in_the_root") {
        return;
    }
    let root = Root::new();
    let victim = Victim::new();
    // A container never started has no engine files yet: `cp` can put a symlink where they go.
    root.ok(&[
        "create",
        "--name",
        "ctr",
        "--hostname",
        "boat",
        "--network",
        "none",
        "toolbox",
        "sh",
        "-c",
        "cat /etc/hostname /etc/hosts /etc/resolv.conf",
    ]);
    let links = tempfile::tempdir().unwrap();
    let link = links.path().join("hostname");
    symlink(&victim.path, &link).unwrap();
    root.ok(&["cp", p(&link), "ctr:/etc/hostname"]);
    let out = root.ok(&["start", "-a", "ctr"]);
    assert!(victim.untouched(), "ferry start wrote through the symlink");
    assert!(out.starts_with("boat\n"), "{out}");
    assert!(out.contains("localhost"), "/etc/hosts: {out}");
    assert!(out.contains("nameserver"), "/etc/resolv.conf: {out}");
    // The link was followed inside the container's root, where the file now is.
    let inside = root.ok(&["cp", &format!("ctr:{}", p(&victim.path)), "-"]);
    assert!(inside.contains("boat"), "{inside}");
}

#[test]
fn a_container_sees_its_etc_files_and_they_are_not_its_changes() {
    if !can_run("a_container_sees_its_etc_files_and_they_are_not_its_changes") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--name", "ctr", "--hostname", "boat"], &["sleep", "100"]);
    assert_eq!(root.ok(&["exec", "ctr", "hostname"]), "boat\n");
    assert_eq!(root.ok(&["exec", "ctr", "cat", "/etc/hostname"]), "boat\n");
    assert!(root
        .ok(&["exec", "ctr", "cat", "/etc/hosts"])
        .contains("localhost"));
    assert!(root
        .ok(&["exec", "ctr", "cat", "/etc/resolv.conf"])
        .contains("nameserver"));
    // They live in the container's own directory, and are mounted in: nothing in its layer.
    let dir = root.path().join("containers").join(&id);
    assert_eq!(fs::read_to_string(dir.join("hostname")).unwrap(), "boat\n");
    let mounts = root.ok(&["exec", "ctr", "cat", "/proc/self/mountinfo"]);
    for file in ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"] {
        assert!(
            mounts.lines().any(|l| l.split(' ').nth(4) == Some(file)),
            "{file} is not a mount: {mounts}"
        );
    }
    assert_eq!(
        fs::read(dir.join("upper/etc/hostname")).unwrap_or_default(),
        b"",
        "the engine wrote into the container's layer"
    );
    assert_eq!(
        root.ok(&["diff", "ctr"]),
        "",
        "docker diff lists none of them"
    );
    // Writes from inside go to the container's file, as with Docker.
    root.ok(&["exec", "ctr", "sh", "-c", "echo 10.1.2.3 db >> /etc/hosts"]);
    assert!(fs::read_to_string(dir.join("hosts"))
        .unwrap()
        .contains("10.1.2.3 db"));
    assert_eq!(root.ok(&["diff", "ctr"]), "");
}

#[test]
fn cp_of_a_stopped_container_sees_its_etc_files() {
    if !can_run("cp_of_a_stopped_container_sees_its_etc_files") {
        return;
    }
    let root = Root::new();
    root.ok(&[
        "run",
        "--name",
        "ctr",
        "--hostname",
        "boat",
        "--network",
        "none",
        "toolbox",
        "true",
    ]);
    let out = root.ok(&["cp", "ctr:/etc/hostname", "-"]);
    assert!(out.contains("boat\n"), "{out:?}");
    // A container never started has none yet, and cp still works.
    root.ok(&[
        "create",
        "--name",
        "idle",
        "--network",
        "none",
        "toolbox",
        "true",
    ]);
    root.ok(&["cp", "idle:/etc/passwd", "-"]);
}
