//! Files between host and containers: `ferry cp` both ways (running and stopped containers, and
//! never out of the container's root through a symlink), bind mounts, named and anonymous
//! volumes, and the `volume` commands — the seeds' test-1/test-2 walk-through included.

mod lifecycle_common;

use std::path::Path;

use lifecycle_common::{can_run, stderr, stdout, Root};

#[test]
fn cp_copies_a_file_in_and_a_directory_out_of_a_running_container() {
    if !can_run("cp_copies_a_file_in_and_a_directory_out_of_a_running_container") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let file = host.path().join("test.py");
    std::fs::write(&file, "love python\n").unwrap();
    root.detach(&["--name", "test-1"], &["sleep", "100"]);
    // The seeds' walk-through: `docker cp /tmp/test.py test-1:/tmp`, then `docker cp test-1:/tmp ./`.
    root.ok(&["cp", file.to_str().unwrap(), "test-1:/tmp"]);
    assert_eq!(
        root.ok(&["exec", "test-1", "cat", "/tmp/test.py"]),
        "love python\n"
    );
    let out = host.path().join("out");
    std::fs::create_dir(&out).unwrap();
    root.ok(&["cp", "test-1:/tmp", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(out.join("tmp/test.py")).unwrap(),
        "love python\n"
    );
    // A new name: the file takes it.
    root.ok(&["cp", file.to_str().unwrap(), "test-1:/tmp/renamed.py"]);
    assert_eq!(
        root.ok(&["exec", "test-1", "cat", "/tmp/renamed.py"]),
        "love python\n"
    );
}

#[test]
fn cp_from_stdin_reads_the_whole_archive_padding_included() {
    if !can_run("cp_from_stdin_reads_the_whole_archive_padding_included") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "pad"], &["sleep", "100"]);
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(3);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "a.txt", &b"hey"[..])
        .unwrap();
    let mut archive = builder.into_inner().unwrap();
    // More zeros after the end marker than a pipe holds: a reader that stops at the marker and
    // exits would leave the writer with a broken pipe.
    archive.resize(archive.len() + 1024 * 1024, 0);
    root.ferry()
        .args(["cp", "-", "pad:/tmp"])
        .write_stdin(archive)
        .assert()
        .success();
    assert_eq!(root.ok(&["exec", "pad", "cat", "/tmp/a.txt"]), "hey");
}

#[test]
fn cp_follows_dockers_rules_for_names_directories_and_contents() {
    if !can_run("cp_follows_dockers_rules_for_names_directories_and_contents") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let dir = host.path().join("site");
    std::fs::create_dir_all(dir.join("css")).unwrap();
    std::fs::write(dir.join("index.html"), "<h1>hi</h1>").unwrap();
    std::fs::write(dir.join("css/a.css"), "a{}").unwrap();
    root.detach(&["--name", "web"], &["sleep", "100"]);
    let p = |p: &Path| p.to_str().unwrap().to_string();
    root.ok(&["cp", &p(&dir), "web:/tmp"]);
    assert_eq!(
        root.ok(&["exec", "web", "cat", "/tmp/site/css/a.css"]),
        "a{}",
        "a directory goes into an existing one"
    );
    root.ok(&["cp", &p(&dir), "web:/www"]);
    assert_eq!(
        root.ok(&["exec", "web", "cat", "/www/index.html"]),
        "<h1>hi</h1>",
        "or becomes the new name"
    );
    root.ok(&["cp", &format!("{}/.", p(&dir)), "web:/flat"]);
    assert_eq!(
        root.ok(&["exec", "web", "cat", "/flat/index.html"]),
        "<h1>hi</h1>",
        "SRC/. copies the contents"
    );
    let onto_file = root.run(&["cp", &p(&dir), "web:/flat/index.html"]);
    assert_eq!(onto_file.status.code(), Some(1), "{onto_file:?}");
    let no_dir = root.run(&["cp", &p(&dir.join("index.html")), "web:/nonexistent/dir/"]);
    assert!(stderr(&no_dir).contains("does not exist"), "{no_dir:?}");
    let missing = root.run(&["cp", "web:/nosuch", &p(host.path())]);
    assert!(
        stderr(&missing).contains("Could not find the file /nosuch in container web"),
        "{missing:?}"
    );
    let both = root.run(&["cp", "web:/a", "web:/b"]);
    assert!(stderr(&both).contains("copying between containers is not supported"));
    // "-" is a tar stream: out to stdout, in from stdin.
    let tar = root
        .ferry()
        .args(["cp", "web:/www/index.html", "-"])
        .output()
        .unwrap();
    let mut archive = tar::Archive::new(&tar.stdout[..]);
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["index.html"]);
    root.ferry()
        .args(["cp", "-", "web:/tmp"])
        .write_stdin(tar.stdout)
        .assert()
        .success();
    assert_eq!(
        root.ok(&["exec", "web", "cat", "/tmp/index.html"]),
        "<h1>hi</h1>"
    );
}

#[test]
fn cp_works_on_a_stopped_container_through_its_layer() {
    if !can_run("cp_works_on_a_stopped_container_through_its_layer") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    root.detach(
        &["--name", "resting"],
        &["sh", "-c", "echo written-while-running > /note"],
    );
    root.wait_for_status("resting", "exited");
    let out = host.path().join("note");
    root.ok(&["cp", "resting:/note", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "written-while-running\n"
    );
    std::fs::write(&out, "written-while-stopped\n").unwrap();
    root.ok(&["cp", out.to_str().unwrap(), "resting:/note"]);
    assert_eq!(
        ferry_testkit::mounts_below(root.path()),
        0,
        "the temporary mount stayed in the copier's namespace"
    );
    let id = root.inspect("resting", "{{.Id}}");
    let upper = root.path().join("containers").join(id).join("upper/note");
    assert_eq!(
        std::fs::read_to_string(upper).unwrap(),
        "written-while-stopped\n",
        "the write went to the container's layer"
    );
    // Started again, the container sees it.
    let started = root.run(&["start", "-a", "resting"]);
    assert!(started.status.success(), "{started:?}");
    root.ok(&["cp", "resting:/note", out.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "written-while-running\n"
    );
}

#[test]
fn cp_never_follows_a_symlink_in_the_container_out_of_its_root() {
    if !can_run("cp_never_follows_a_symlink_in_the_container_out_of_its_root") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let secret = host.path().join("secret");
    std::fs::create_dir(&secret).unwrap();
    std::fs::write(secret.join("key"), "host secret").unwrap();
    let target = secret.to_str().unwrap();
    // The container points /escape at a directory that exists only on the host.
    root.detach(
        &["--name", "sly"],
        &[
            "sh",
            "-c",
            &format!("ln -s {target} /escape; ln -s ../../../../.. /up; sleep 100"),
        ],
    );
    lifecycle_common::wait_until("the links", || {
        root.run(&["exec", "sly", "test", "-L", "/escape"])
            .status
            .success()
    });
    let out = host.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let read = root.run(&["cp", "sly:/escape/key", out.to_str().unwrap()]);
    assert_eq!(read.status.code(), Some(1), "{read:?}");
    assert!(!out.join("key").exists(), "the host's file was copied out");
    let climb = root.run(&["cp", "sly:/up/etc/hostname", out.to_str().unwrap()]);
    if climb.status.success() {
        let copied = std::fs::read_to_string(out.join("hostname")).unwrap_or_default();
        assert_ne!(
            copied.trim(),
            std::fs::read_to_string("/etc/hostname").unwrap().trim(),
            "`..` climbed to the host"
        );
    }
    let file = host.path().join("payload");
    std::fs::write(&file, "x").unwrap();
    let _ = root.run(&["cp", file.to_str().unwrap(), "sly:/escape/"]);
    assert!(
        !secret.join("payload").exists(),
        "a copy into the container landed on the host"
    );
    // Stopped, the same rules hold (the copier chroots into the mounted layer).
    root.ok(&["stop", "-t", "0", "sly"]);
    let _ = root.run(&["cp", file.to_str().unwrap(), "sly:/escape/"]);
    assert!(
        !secret.join("payload").exists(),
        "a copy into the stopped container landed on the host"
    );
    assert!(
        root.run(&["cp", "sly:/escape/key", out.to_str().unwrap()])
            .status
            .code()
            == Some(1)
    );
    assert!(!out.join("key").exists());
}

#[test]
fn a_bind_mount_creates_the_host_directory_and_ro_is_enforced() {
    if !can_run("a_bind_mount_creates_the_host_directory_and_ro_is_enforced") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let data = host.path().join("opt/mysql");
    let spec = format!("{}:/var/lib/mysql", data.display());
    let out = root.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        &spec,
        "toolbox",
        "sh",
        "-c",
        "echo row > /var/lib/mysql/auto.cnf",
    ]);
    assert_eq!(out, "");
    assert!(data.is_dir(), "-v created the missing host directory");
    assert_eq!(
        std::fs::read_to_string(data.join("auto.cnf")).unwrap(),
        "row\n"
    );
    let ro = format!("{}:/data:ro", data.display());
    let denied = root.run(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        &ro,
        "toolbox",
        "sh",
        "-c",
        "cat /data/auto.cnf; touch /data/x",
    ]);
    assert_eq!(stdout(&denied), "row\n");
    assert!(!denied.status.success(), "writing to a :ro mount succeeded");
    assert!(!data.join("x").exists());
    let single = host.path().join("motd");
    std::fs::write(&single, "hello file\n").unwrap();
    let file_spec = format!("{}:/etc/motd", single.display());
    assert_eq!(
        root.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            &file_spec,
            "toolbox",
            "cat",
            "/etc/motd"
        ]),
        "hello file\n"
    );
    let bad = root.run(&["run", "--rm", "-v", "/a:relative", "toolbox", "true"]);
    assert_eq!(bad.status.code(), Some(125));
    assert!(stderr(&bad).contains("must be absolute"), "{bad:?}");
    let inspect = root.detach(&["-v", &ro], &["sleep", "100"]);
    assert_eq!(
        root.inspect(
            &inspect,
            "{{range .Mounts}}{{.Type}} {{.Source}} {{.Destination}} {{.RW}}{{end}}"
        ),
        format!("bind {} /data false", data.display())
    );
}

#[test]
fn a_named_volume_is_shared_between_containers_and_outlives_them() {
    if !can_run("a_named_volume_is_shared_between_containers_and_outlives_them") {
        return;
    }
    let root = Root::new();
    // The seeds' walk-through with toolbox in place of nginx:alpine.
    root.detach(
        &["--name", "test-1", "-v", "my-vol:/opt/my-vol"],
        &["sleep", "100"],
    );
    let listed = root.ok(&["ps", "-a", "-f", "name=test"]);
    assert!(
        listed.lines().nth(1).is_some_and(|l| l.ends_with("test-1")),
        "{listed}"
    );
    root.ok(&["exec", "test-1", "touch", "/opt/my-vol/a.py"]);
    root.detach(
        &["--name", "test-2", "-v", "my-vol:/opt/hh"],
        &["sleep", "100"],
    );
    assert_eq!(root.ok(&["exec", "test-2", "ls", "/opt/hh"]), "a.py\n");
    let in_use = root.run(&["volume", "rm", "my-vol"]);
    assert_eq!(in_use.status.code(), Some(1));
    assert!(
        stderr(&in_use).contains("remove my-vol: volume is in use"),
        "{in_use:?}"
    );
    root.ok(&["rm", "-f", "test-1", "test-2"]);
    let mountpoint = root.ok(&["volume", "inspect", "--format", "{{.Mountpoint}}", "my-vol"]);
    assert!(
        Path::new(mountpoint.trim()).join("a.py").exists(),
        "the data outlived both containers"
    );
    root.detach(
        &["--name", "test-3", "-v", "my-vol:/data"],
        &["sleep", "100"],
    );
    assert_eq!(root.ok(&["exec", "test-3", "ls", "/data"]), "a.py\n");
    root.ok(&["rm", "-f", "test-3"]);
    assert_eq!(root.ok(&["volume", "rm", "my-vol"]), "my-vol\n");
    assert_eq!(root.ok(&["volume", "ls", "-q"]), "");
}

#[test]
fn volume_commands_create_list_inspect_remove_and_prune() {
    if !can_run("volume_commands_create_list_inspect_remove_and_prune") {
        return;
    }
    let root = Root::new();
    assert_eq!(root.ok(&["volume", "create", "data"]), "data\n");
    assert_eq!(
        root.ok(&["volume", "create", "data"]),
        "data\n",
        "creating again is fine"
    );
    let random = root.ok(&["volume", "create"]).trim().to_string();
    assert_eq!(random.len(), 64);
    let ls = root.ok(&["volume", "ls"]);
    assert!(
        ls.starts_with("DRIVER    VOLUME NAME\n")
            && ls.contains("local     data\n")
            && ls.contains(&random),
        "{ls}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&root.ok(&["volume", "inspect", "data"])).unwrap();
    assert_eq!(json[0]["Name"], "data");
    assert_eq!(json[0]["Driver"], "local");
    assert_eq!(json[0]["Scope"], "local");
    assert!(json[0]["Mountpoint"]
        .as_str()
        .unwrap()
        .ends_with("volumes/data/_data"));
    let missing = root.run(&["volume", "inspect", "nosuch"]);
    assert!(
        missing.status.code() == Some(1) && stderr(&missing).contains("No such volume: nosuch"),
        "{missing:?}"
    );
    let bad = root.run(&["volume", "create", "../evil"]);
    assert!(
        stderr(&bad).contains("includes invalid characters for a local volume name"),
        "{bad:?}"
    );
    // An anonymous volume (-v /path) goes with its container on rm -v; named ones stay.
    let id = root.detach(&["-v", "/cache", "-v", "data:/data"], &["true"]);
    let names = root.inspect(&id, "{{range .Mounts}}{{.Name}} {{end}}");
    let anon_name = names
        .split_whitespace()
        .find(|n| *n != "data")
        .unwrap()
        .to_string();
    assert_eq!(anon_name.len(), 64);
    root.wait_for_status(&id, "exited");
    root.ok(&["rm", "-v", &id]);
    let after = root.ok(&["volume", "ls", "-q"]);
    assert!(
        !after.contains(&anon_name) && after.contains("data"),
        "{after}"
    );
    // prune: unused anonymous volumes; -a: every unused volume.
    let left = root.detach(&["-v", "/scratch"], &["true"]);
    let scratch = root.inspect(&left, "{{range .Mounts}}{{.Name}}{{end}}");
    root.wait_for_status(&left, "exited");
    root.ok(&["rm", &left]); // without -v: the anonymous volume stays
    assert!(root.ok(&["volume", "ls", "-q"]).contains(&scratch));
    root.ok(&["volume", "create", "unused"]);
    let pruned = root.ok(&["volume", "prune", "-f"]);
    assert_eq!(
        pruned,
        format!("Deleted Volumes:\n{scratch}\n\nTotal reclaimed space: 0B\n")
    );
    let listed = root.ok(&["volume", "ls", "-q"]);
    assert!(
        listed.contains("unused") && listed.contains(&random),
        "named volumes survive a plain prune: {listed}"
    );
    root.detach(&["--name", "user", "-v", "data:/data"], &["sleep", "100"]);
    let all = root.ok(&["volume", "prune", "-a", "-f"]);
    assert!(
        all.contains("unused\n") && all.contains(&random) && !all.contains("\ndata\n"),
        "{all}"
    );
    assert_eq!(
        root.ok(&["volume", "ls", "-q"]).trim(),
        "data",
        "a volume in use is never pruned"
    );
}
