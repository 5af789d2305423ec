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
fn read_only_makes_the_etc_files_read_only_too() {
    if !can_run("read_only_makes_the_etc_files_read_only_too") {
        return;
    }
    let root = Root::new();
    for file in ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"] {
        let out = root.run(&[
            "run",
            "--rm",
            "--read-only",
            "--network",
            "none",
            "toolbox",
            "touch",
            file,
        ]);
        assert!(
            !out.status.success() && stderr(&out).contains("Read-only file system"),
            "{file}: {out:?}"
        );
    }
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

// --- 2. The state root's permissions (CVE-2021-41091) --------------------------------------------

/// `ferry --root ROOT ARGS…`, asserting success.
fn ferry_at(root: &Path, args: &[&str]) -> String {
    let out = assert_cmd::Command::cargo_bin("ferry")
        .unwrap()
        .arg("--root")
        .arg(root)
        .env_remove("FERRY_ROOT")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "ferry {args:?}: {out:?}");
    stdout(&out)
}

/// Runs `command` as the unprivileged user `nobody`, with no supplementary groups.
fn as_nobody(command: &[&str]) -> Output {
    std::process::Command::new("setpriv")
        .args([
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "--",
        ])
        .args(command)
        .output()
        .expect("setpriv runs")
}

/// A state root inside a directory every user may traverse, as /var/lib is.
fn public_parent() -> tempfile::TempDir {
    let parent = ferry_testkit::state_root();
    fs::set_permissions(parent.path(), fs::Permissions::from_mode(0o755)).unwrap();
    parent
}

fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let meta = path.symlink_metadata().ok()?;
        if meta.is_file() && entry.file_name() == name {
            return Some(path);
        }
        if meta.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        }
    }
    None
}

fn mode(path: &Path) -> u32 {
    path.symlink_metadata().unwrap().permissions().mode() & 0o7777
}

#[test]
fn other_users_can_neither_read_nor_traverse_the_state_root() {
    if !can_run("other_users_can_neither_read_nor_traverse_the_state_root") {
        return;
    }
    let parent = public_parent();
    let root = parent.path().join("ferry");
    ferry_at(
        &root,
        &[
            "run",
            "--name",
            "secret",
            "-e",
            "TOKEN=hunter2",
            "--network",
            "none",
            "toolbox",
            "echo",
            "logged",
        ],
    );
    let id = ferry_at(&root, &["inspect", "--format", "{{.Id}}", "secret"]);
    let dir = root.join("containers").join(id.trim());
    let state = dir.join("state.json");
    let log = dir.join(format!("{}-json.log", id.trim()));
    let layer_file = find_file(&root.join("images"), "toolbox").expect("the toolbox binary");
    assert!(fs::read_to_string(&log).unwrap().contains("logged"));
    for path in [&state, &log, &layer_file] {
        for command in [["cat", p(path)], ["stat", p(path)]] {
            let out = as_nobody(&command);
            assert!(
                !out.status.success() && stderr(&out).contains("Permission denied"),
                "nobody ran {command:?}: {out:?}"
            );
        }
    }
    let listing = as_nobody(&["ls", p(&root)]);
    assert!(
        !listing.status.success(),
        "nobody listed the state root: {listing:?}"
    );
    assert_eq!(mode(&root), 0o700);
    for dir in ["containers", "images", "volumes"] {
        assert_eq!(mode(&root.join(dir)), 0o700, "{dir}");
    }
    assert_eq!(mode(&state), 0o600, "state.json holds -e values");
    assert_eq!(mode(&log), 0o640);
}

#[test]
fn a_state_root_left_open_by_an_older_ferry_is_tightened() {
    if !can_run("a_state_root_left_open_by_an_older_ferry_is_tightened") {
        return;
    }
    let parent = public_parent();
    let root = parent.path().join("ferry");
    for dir in ["", "containers", "images", "volumes"] {
        fs::create_dir_all(root.join(dir)).unwrap();
        fs::set_permissions(root.join(dir), fs::Permissions::from_mode(0o755)).unwrap();
    }
    ferry_at(&root, &["ps"]);
    assert_eq!(mode(&root), 0o700);
    for dir in ["containers", "images", "volumes"] {
        assert_eq!(mode(&root.join(dir)), 0o700, "{dir}");
    }
}

// --- 3. Whiteouts in `ferry load` archives -------------------------------------------------------

/// A tarball of `entries` (name, type, data), names written raw as a hostile archive has them.
fn tarball(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(data.len() as u64);
        header.set_mtime(1_700_000_000);
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        if kind.is_character_special() {
            header.set_device_major(1).unwrap();
            header.set_device_minor(5).unwrap();
        }
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

/// `ferry save toolbox` with `extra` entries appended.
fn saved_toolbox_with(root: &Root, extra: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let saved = root.ferry().args(["save", "toolbox"]).output().unwrap();
    assert!(saved.status.success(), "{saved:?}");
    let mut builder = tar::Builder::new(Vec::new());
    let mut archive = tar::Archive::new(&saved.stdout[..]);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let header = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        builder.append(&header, &data[..]).unwrap();
    }
    let mut bytes = builder.into_inner().unwrap();
    let trailer = bytes.len() - 1024; // tar::Builder ends with two zero blocks
    bytes.truncate(trailer);
    let mut tail = tarball(extra);
    bytes.append(&mut tail);
    bytes
}

fn load(root: &Root, tar: &[u8]) -> Output {
    root.ferry()
        .args(["load"])
        .write_stdin(tar.to_vec())
        .output()
        .unwrap()
}

#[test]
fn load_refuses_whiteouts_that_name_the_archive_or_its_parent() {
    if !can_run("load_refuses_whiteouts_that_name_the_archive_or_its_parent") {
        return;
    }
    let root = Root::new();
    root.ok(&["run", "--rm", "--network", "none", "toolbox", "true"]);
    // Ids, not the table: its "CREATED 1 second ago" column moves on a slow machine.
    let images = root.ok(&["images", "-q"]);
    assert!(!images.trim().is_empty());
    for name in [".wh..", ".wh...", "sub/.wh.."] {
        let out = load(&root, &tarball(&[(name, tar::EntryType::Regular, b"")]));
        assert_eq!(out.status.code(), Some(125), "{name}: {out:?}");
        assert!(
            stderr(&out).contains("not an image archive"),
            "{name}: {out:?}"
        );
        assert_eq!(
            root.ok(&["images", "-q"]),
            images,
            "{name} changed the store"
        );
    }
    root.ok(&["run", "--rm", "--network", "none", "toolbox", "true"]);
}

#[test]
fn whiteouts_and_devices_in_the_load_archive_itself_mean_nothing() {
    if !can_run("whiteouts_and_devices_in_the_load_archive_itself_mean_nothing") {
        return;
    }
    let root = Root::new();
    root.ok(&["run", "--rm", "--network", "none", "toolbox", "true"]);
    // Interpreted as a whiteout, this entry would delete manifest.json before it is read.
    let tar = saved_toolbox_with(
        &root,
        &[(".wh.manifest.json", tar::EntryType::Regular, b"")],
    );
    let out = load(&root, &tar);
    assert!(out.status.success(), "{out:?}");
    // A device node in it would be read as a layer without end.
    let tar = saved_toolbox_with(&root, &[("zero", tar::EntryType::Char, b"")]);
    let out = load(&root, &tar);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(stderr(&out).contains("zero"), "{out:?}");
}

// --- 5. Symlinked blobs in an OCI-layout archive --------------------------------------------------

/// An OCI-layout archive of `layout` (an image store's `images/`), with the blob `linked` (a hex
/// digest) replaced by a symlink to `target`, or with `blobs` itself a symlink to `target`.
fn oci_archive(layout: &Path, linked: Option<&str>, target: &Path) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    let symlink_entry = |tar: &mut tar::Builder<Vec<u8>>, name: &str| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_mode(0o777);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(0);
        tar.append_link(&mut header, name, target).unwrap();
    };
    for file in ["oci-layout", "index.json"] {
        tar.append_path_with_name(layout.join(file), file).unwrap();
    }
    if linked.is_none() {
        symlink_entry(&mut tar, "blobs");
        return tar.into_inner().unwrap();
    }
    for entry in fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        let name = format!("blobs/sha256/{}", entry.file_name().to_string_lossy());
        if Some(entry.file_name().to_str().unwrap()) == linked {
            symlink_entry(&mut tar, &name);
        } else {
            tar.append_path_with_name(entry.path(), &name).unwrap();
        }
    }
    tar.into_inner().unwrap()
}

#[test]
fn load_refuses_an_oci_blob_that_is_a_symlink_to_a_host_file() {
    if !can_run("load_refuses_an_oci_blob_that_is_a_symlink_to_a_host_file") {
        return;
    }
    let source = Root::new();
    source.ok(&["run", "--rm", "--network", "none", "toolbox", "true"]);
    let layout = source.path().join("images");
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    let manifest = index["manifests"][0]["digest"].as_str().unwrap();
    let manifest = manifest.strip_prefix("sha256:").unwrap();
    // The host holds a file with exactly the bytes the archive names (the attacker knows them).
    let host = tempfile::tempdir().unwrap();
    let host_file = host.path().join("secret");
    fs::copy(layout.join("blobs/sha256").join(manifest), &host_file).unwrap();
    let host_blobs = host.path().join("blobs");
    fs::create_dir_all(host_blobs.join("sha256")).unwrap();
    for entry in fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let entry = entry.unwrap();
        fs::copy(
            entry.path(),
            host_blobs.join("sha256").join(entry.file_name()),
        )
        .unwrap();
    }
    let root = Root::new();
    for (what, tar) in [
        ("a blob", oci_archive(&layout, Some(manifest), &host_file)),
        ("blobs/", oci_archive(&layout, None, &host_blobs)),
    ] {
        let out = load(&root, &tar);
        assert_eq!(out.status.code(), Some(125), "{what}: {out:?}");
        assert!(stderr(&out).contains("symlink"), "{what}: {out:?}");
        assert_eq!(root.ok(&["images", "-q"]), "", "{what} was loaded");
    }
    // The same archive with real blobs loads.
    let mut tar = tar::Builder::new(Vec::new());
    tar.append_dir_all(".", &layout).unwrap();
    let out = load(&root, &tar.into_inner().unwrap());
    assert!(out.status.success(), "{out:?}");
}

// --- 4. COPY --chown names, looked up in the image ---------------------------------------------

#[test]
fn copy_chown_never_reads_a_host_passwd_through_the_images_symlink() {
    if !can_run("copy_chown_never_reads_a_host_passwd_through_the_images_symlink") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let passwd = host.path().join("passwd");
    fs::write(&passwd, "evil:x:4242:4242::/:/bin/sh\n").unwrap();
    let group = host.path().join("group");
    fs::write(&group, "evil:x:4242:\n").unwrap();
    let context = tempfile::tempdir().unwrap();
    fs::write(context.path().join("f"), "payload\n").unwrap();
    fs::write(
        context.path().join("Dockerfile"),
        format!(
            "FROM toolbox\nRUN rm /etc/passwd /etc/group && ln -s {} /etc/passwd && ln -s {} /etc/group\nCOPY --chown=evil:evil f /f\n",
            p(&passwd),
            p(&group)
        ),
    )
    .unwrap();
    let out = root
        .ferry()
        .args(["build", "--network", "none", "-t", "chowned"])
        .arg(context.path())
        .output()
        .unwrap();
    assert!(
        !out.status.success() && stderr(&out).contains("unable to find user evil"),
        "the host's passwd named the owner: {out:?}"
    );
}
