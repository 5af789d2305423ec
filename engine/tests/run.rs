//! `ferry run`: namespaces, root filesystem, exit codes — driven through the real binary.
//!
//! Every test uses its own state root and checks it needs root first (see ferry-testkit).

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use ferry_testkit::{mounts_below, patience, require, state_root, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces, Need::Overlay];

fn ferry(root: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ferry").expect("the ferry binary is built");
    cmd.arg("--root").arg(root).env_remove("FERRY_ROOT");
    cmd
}

/// Runs `ferry run --rm toolbox ARGS…` (extra flags go before the image) and returns its output.
fn run_toolbox(root: &Path, flags: &[&str], args: &[&str]) -> Output {
    ferry(root)
        .arg("run")
        .arg("--rm")
        .args(flags)
        .arg("toolbox")
        .args(args)
        .output()
        .expect("ferry runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The toolbox image's (only) layer directory, as `ferry image inspect` reports it.
fn toolbox_layer(root: &Path) -> std::path::PathBuf {
    let out = ferry(root)
        .args(["image", "inspect", "toolbox"])
        .output()
        .expect("ferry runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("inspect prints JSON");
    json[0]["GraphDriver"]["Data"]["UpperDir"]
        .as_str()
        .expect("the image has a layer")
        .into()
}

fn host_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn hostname_flag_sets_the_container_hostname_and_leaves_the_host_alone() {
    if !require(
        "hostname_flag_sets_the_container_hostname_and_leaves_the_host_alone",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    let before = host_hostname();
    let out = run_toolbox(root.path(), &["--hostname", "box"], &["hostname"]);
    assert_eq!(stdout(&out), "box\n", "{out:?}");
    assert_eq!(host_hostname(), before);
}

#[test]
fn default_hostname_is_the_short_container_id() {
    if !require("default_hostname_is_the_short_container_id", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &[], &["hostname"]);
    let name = stdout(&out);
    let name = name.trim();
    assert_eq!(name.len(), 12, "{name:?}");
    assert!(name.bytes().all(|b| b.is_ascii_hexdigit()), "{name:?}");
}

#[test]
fn the_command_runs_as_pid_1() {
    if !require("the_command_runs_as_pid_1", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &[], &["sh", "-c", "echo $$"]);
    assert_eq!(stdout(&out), "1\n", "{out:?}");
}

#[test]
fn proc_shows_only_the_containers_processes() {
    if !require("proc_shows_only_the_containers_processes", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &[], &["ls", "/proc"]);
    let pids: Vec<u32> = stdout(&out)
        .split_whitespace()
        .filter_map(|e| e.parse().ok())
        .collect();
    assert_eq!(pids, [1], "only PID 1 (ls itself) may be visible: {out:?}");
}

#[test]
fn network_none_shows_only_lo_and_it_is_up() {
    if !require("network_none_shows_only_lo_and_it_is_up", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &["--network", "none"], &["ip", "addr"]);
    let text = stdout(&out);
    assert!(text.contains("1: lo: <LOOPBACK,UP"), "{text}");
    assert!(text.contains("inet 127.0.0.1/8"), "{text}");
    assert!(
        !text.contains("2: "),
        "a second interface is visible: {text}"
    );
}

#[test]
fn host_network_sees_the_hosts_interfaces() {
    if !require("host_network_sees_the_hosts_interfaces", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &["--network", "host"], &["ip", "link"]);
    let text = stdout(&out);
    for iface in std::fs::read_dir("/sys/class/net").unwrap() {
        let name = iface.unwrap().file_name().into_string().unwrap();
        assert!(
            text.contains(&format!(" {name}")),
            "{name} missing from {text}"
        );
    }
}

#[test]
fn exit_codes_of_the_command_are_forwarded() {
    if !require("exit_codes_of_the_command_are_forwarded", NEEDS) {
        return;
    }
    let root = state_root();
    for (args, code) in [
        (&["true"][..], 0),
        (&["false"][..], 1),
        (&["sh", "-c", "exit 3"][..], 3),
    ] {
        let out = run_toolbox(root.path(), &[], args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
    }
}

/// Needs no privileges: the request is refused before anything is created.
#[test]
fn run_ti_without_a_terminal_exits_1_and_creates_nothing() {
    let root = state_root();
    let out = ferry(root.path())
        .args(["run", "-ti", "--rm", "toolbox", "true"])
        .write_stdin("not a terminal")
        .output()
        .expect("ferry runs");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the input device is not a TTY"),
        "{out:?}"
    );
    let containers = std::fs::read_dir(root.path().join("containers")).unwrap();
    assert_eq!(containers.count(), 0, "no container was created");
    let images = ferry(root.path()).args(["images", "-q"]).output().unwrap();
    assert_eq!(stdout(&images), "", "not even the toolbox image");
}

#[test]
fn a_container_killed_from_the_host_exits_128_plus_the_signal() {
    if !require(
        "a_container_killed_from_the_host_exits_128_plus_the_signal",
        NEEDS,
    ) {
        return;
    }
    // From inside, even SIGKILL cannot kill PID 1 (the kernel protects a namespace's init from its
    // own processes); from the host it can. Find PID 1's host pid in the state file and kill it.
    let root = state_root();
    let mut ferry_run = std::process::Command::new(assert_cmd::cargo::cargo_bin("ferry"))
        .arg("--root")
        .arg(root.path())
        .args(["run", "toolbox", "sleep", "30"])
        .spawn()
        .unwrap();
    let pid = wait_for_pid(root.path());
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let status = ferry_run.wait().unwrap();
    assert_eq!(status.code(), Some(137));
}

/// Polls the only container's state.json until it records PID 1's host pid.
fn wait_for_pid(root: &Path) -> i32 {
    let deadline = std::time::Instant::now() + patience(std::time::Duration::from_secs(5));
    while std::time::Instant::now() < deadline {
        let state = std::fs::read_dir(root.join("containers"))
            .ok()
            .and_then(|mut dirs| dirs.next())
            .and_then(|d| std::fs::read_to_string(d.ok()?.path().join("state.json")).ok())
            .unwrap_or_default();
        let pid = state.lines().find_map(|l| {
            l.trim()
                .strip_prefix("\"Pid\": ")?
                .trim_end_matches(',')
                .parse()
                .ok()
        });
        if let Some(pid) = pid {
            return pid;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the container never recorded its pid");
}

#[test]
fn a_missing_command_exits_127_with_dockers_message() {
    if !require("a_missing_command_exits_127_with_dockers_message", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &[], &["nosuch"]);
    assert_eq!(out.status.code(), Some(127), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("exec: \"nosuch\": executable file not found in $PATH"),
        "{err}"
    );
}

#[test]
fn a_command_that_cannot_be_executed_exits_126() {
    if !require("a_command_that_cannot_be_executed_exits_126", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &[], &["/etc/passwd"]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    let out = run_toolbox(root.path(), &[], &["/tmp"]);
    assert_eq!(
        out.status.code(),
        Some(126),
        "a directory cannot be executed: {out:?}"
    );
}

#[test]
fn engine_errors_exit_125() {
    if !require("engine_errors_exit_125", NEEDS) {
        return;
    }
    let root = state_root();
    let unknown = ferry(root.path())
        .args(["run", "--rm", "nosuchimage", "true"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(125), "{unknown:?}");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nosuchimage"));
    let bad_flag = ferry(root.path())
        .args(["run", "--bogus", "toolbox"])
        .output()
        .unwrap();
    assert_eq!(bad_flag.status.code(), Some(125), "{bad_flag:?}");
    let bad_network = run_toolbox(root.path(), &["--network", "nope"], &["true"]);
    assert_eq!(bad_network.status.code(), Some(125), "{bad_network:?}");
}

#[test]
fn env_and_workdir_reach_the_command() {
    if !require("env_and_workdir_reach_the_command", NEEDS) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(
        root.path(),
        &["-e", "GREETING=hello", "-w", "/srv/app"],
        &["sh", "-c", "echo $GREETING; pwd"],
    );
    assert_eq!(stdout(&out), "hello\n/srv/app\n", "{out:?}");
    let out = run_toolbox(root.path(), &["--hostname", "box"], &["env"]);
    let env = stdout(&out);
    for expected in [
        "HOSTNAME=box",
        "HOME=/root",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ] {
        assert!(
            env.lines().any(|l| l == expected),
            "{expected} missing from {env}"
        );
    }
}

#[test]
fn escapes_from_the_root_are_refused() {
    if !require("escapes_from_the_root_are_refused", NEEDS) {
        return;
    }
    let root = state_root();
    let image = ferry(root.path())
        .args(["run", "--rm", "../../etc", "true"])
        .output()
        .unwrap();
    assert_eq!(image.status.code(), Some(125), "{image:?}");
    let workdir = run_toolbox(root.path(), &["-w", "../../etc"], &["pwd"]);
    assert_eq!(workdir.status.code(), Some(125), "{workdir:?}");
    // Inside, ".." at "/" is "/": the container cannot climb to the host.
    let out = run_toolbox(root.path(), &["-w", "/"], &["ls", "/../../.."]);
    let listing = stdout(&out);
    assert!(
        listing.contains("bin") && !listing.contains("vmlinuz") && !listing.contains("home"),
        "{listing}"
    );
}

#[test]
fn writes_land_in_the_container_layer_never_in_the_image() {
    if !require(
        "writes_land_in_the_container_layer_never_in_the_image",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(
        root.path(),
        &[],
        &[
            "sh",
            "-c",
            "echo x > /bin/new && rm /bin/ls && cat /bin/new",
        ],
    );
    assert_eq!(stdout(&out), "x\n", "{out:?}");
    let image = toolbox_layer(root.path()).join("bin");
    assert!(!image.join("new").exists(), "the write reached the image");
    assert!(
        image.join("ls").symlink_metadata().is_ok(),
        "the delete reached the image"
    );
}

#[test]
fn a_removed_container_leaves_no_mount_and_no_directory() {
    if !require(
        "a_removed_container_leaves_no_mount_and_no_directory",
        NEEDS,
    ) {
        return;
    }
    let root = state_root();
    let out = run_toolbox(root.path(), &[], &["true"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(mounts_below(root.path()), 0);
    let containers: Vec<_> = std::fs::read_dir(root.path().join("containers"))
        .unwrap()
        .collect();
    assert!(containers.is_empty(), "{containers:?}");
}

#[test]
fn without_rm_the_exited_container_keeps_its_state() {
    if !require("without_rm_the_exited_container_keeps_its_state", NEEDS) {
        return;
    }
    let root = state_root();
    let out = ferry(root.path())
        .args(["run", "toolbox", "sh", "-c", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let dir = std::fs::read_dir(root.path().join("containers"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(
        state.contains("\"Status\": \"exited\"") && state.contains("\"ExitCode\": 7"),
        "{state}"
    );
    assert_eq!(mounts_below(root.path()), 0);
}

#[test]
fn an_imported_rootfs_tarball_runs() {
    if !require("an_imported_rootfs_tarball_runs", NEEDS) {
        return;
    }
    let root = state_root();
    let install = ferry(root.path())
        .args(["toolbox", "install"])
        .output()
        .unwrap();
    assert!(install.status.success(), "{install:?}");
    let tarball = root.path().join("rootfs.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&tarball).unwrap());
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", toolbox_layer(root.path()))
        .unwrap();
    builder.finish().unwrap();
    let import = ferry(root.path())
        .arg("import")
        .arg(&tarball)
        .arg("mybox:v1")
        .output()
        .unwrap();
    assert!(import.status.success(), "{import:?}");
    let out = ferry(root.path())
        .args(["run", "--rm", "mybox:v1", "/bin/sh", "-c", "echo imported"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "imported\n", "{out:?}");
}

#[test]
fn a_rootfs_directory_can_be_run_directly() {
    if !require("a_rootfs_directory_can_be_run_directly", NEEDS) {
        return;
    }
    let root = state_root();
    ferry(root.path())
        .args(["toolbox", "install"])
        .assert()
        .success();
    let rootfs = toolbox_layer(root.path());
    let out = ferry(root.path())
        .args(["run", "--rm", "--hostname", "dir"])
        .arg(&rootfs)
        .arg("/bin/hostname")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "dir\n", "{out:?}");
    assert_eq!(mounts_below(root.path()), 0);
}

#[test]
fn an_import_with_a_parent_path_entry_is_refused_and_stores_nothing() {
    if !require(
        "an_import_with_a_parent_path_entry_is_refused_and_stores_nothing",
        &[Need::Root],
    ) {
        return;
    }
    let root = state_root();
    let mut header = tar::Header::new_gnu();
    header.set_size(1);
    header.set_mode(0o644);
    header.as_old_mut().name[..9].copy_from_slice(b"../escape");
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, &b"x"[..]).unwrap();
    let bytes = builder.into_inner().unwrap();
    let out = ferry(root.path())
        .args(["import", "-", "evil"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("../escape"),
        "{out:?}"
    );
    assert!(!root.path().join("images/evil").exists());
    assert!(!root.path().join("escape").exists());
    let images = ferry(root.path()).args(["images", "-q"]).output().unwrap();
    assert_eq!(stdout(&images), "", "an image was stored");
    let layers = std::fs::read_dir(root.path().join("images/layers"))
        .unwrap()
        .count();
    assert_eq!(layers, 0, "staging left behind");
}
