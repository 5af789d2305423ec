//! The escape suite (issue 13, book chapter 8): each known way out of a container, tried from a
//! default ferry container, must be refused — and, where it makes sense, the same attack must work
//! with `--privileged`, which proves the test can fail.
//!
//! Every attack is harmless if it succeeds: what it writes on the host lands in the test's own
//! temporary directory, and host settings it could change are only read.

#[path = "lifecycle_common/mod.rs"]
mod common;

use std::ffi::CString;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use common::{alive, can_run, stderr, stdout, wait_until, Root};

/// `ferry run --rm --network none FLAGS… toolbox sh -c SCRIPT`.
fn sh(root: &Root, flags: &[&str], script: &str) -> Output {
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["toolbox", "sh", "-c", script]);
    root.run(&args)
}

/// The value of `Name:` in the output of `cat /proc/self/status`.
fn status_field(status: &str, name: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {status}"))
        .trim()
        .to_string()
}

fn refused(out: &Output) -> bool {
    !out.status.success()
}

// --- Docker's defaults ------------------------------------------------------------------------

#[test]
fn a_default_container_holds_dockers_capabilities_and_no_ignored_signals() {
    if !can_run("a_default_container_holds_dockers_capabilities_and_no_ignored_signals") {
        return;
    }
    let root = Root::new();
    let out = sh(&root, &[], "cat /proc/self/status");
    assert!(out.status.success(), "{out:?}");
    let status = stdout(&out);
    for (field, want) in [
        ("CapEff", "00000000a80425fb"),
        ("CapPrm", "00000000a80425fb"),
        ("CapBnd", "00000000a80425fb"),
        ("CapInh", "0000000000000000"),
        ("CapAmb", "0000000000000000"),
        ("NoNewPrivs", "0"),
        ("SigIgn", "0000000000000000"),
        ("SigBlk", "0000000000000000"),
    ] {
        assert_eq!(status_field(&status, field), want, "{field}");
    }
}

#[test]
fn a_default_container_runs_under_dockers_seccomp_filter() {
    if !can_run("a_default_container_runs_under_dockers_seccomp_filter") {
        return;
    }
    let root = Root::new();
    let status = stdout(&sh(&root, &[], "cat /proc/self/status"));
    assert_eq!(status_field(&status, "Seccomp"), "2");
    let unconfined = stdout(&sh(
        &root,
        &["--security-opt", "seccomp=unconfined"],
        "cat /proc/self/status",
    ));
    assert_eq!(status_field(&unconfined, "Seccomp"), "0");
}

#[test]
fn an_exec_gets_the_containers_confinement() {
    if !can_run("an_exec_gets_the_containers_confinement") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--cap-drop", "chown"], &["sleep", "300"]);
    let status = root.ok(&["exec", &id, "cat", "/proc/self/status"]);
    assert_eq!(status_field(&status, "CapEff"), "00000000a80425fa");
    assert_eq!(status_field(&status, "CapBnd"), "00000000a80425fa");
    assert_eq!(status_field(&status, "SigIgn"), "0000000000000000");
    assert_eq!(status_field(&status, "Seccomp"), "2");
    let cgroup = root.ok(&["exec", &id, "cat", "/proc/self/cgroup"]);
    assert!(
        cgroup.lines().all(|l| l.ends_with(":/")),
        "exec joins the container's cgroup namespace: {cgroup}"
    );
}

// --- mount and the release_agent escape (CVE-2022-0492) -----------------------------------

#[test]
fn mounting_is_refused_and_privileged_can_mount() {
    if !can_run("mounting_is_refused_and_privileged_can_mount") {
        return;
    }
    let root = Root::new();
    let script = "mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted";
    let out = sh(&root, &[], script);
    assert!(
        refused(&out),
        "a default container mounted a tmpfs: {out:?}"
    );
    assert!(stderr(&out).contains("not permitted"), "{}", stderr(&out));
    let out = sh(&root, &["--privileged"], script);
    assert_eq!(stdout(&out), "mounted\n", "{out:?}");
}

/// Mounts a cgroup v1 hierarchy (a named one works on v1 and v2 hosts alike), sets its
/// `release_agent` to a program *of the host*, and empties a child cgroup: the kernel then runs
/// the program on the host, as root.
fn release_agent_script(hierarchy: &str, agent: &Path) -> String {
    format!(
        "mkdir -p /cg && mount -t cgroup -o none,name={hierarchy} cgroup /cg && mkdir /cg/x \
         && echo 1 > /cg/x/notify_on_release && echo {agent} > /cg/release_agent \
         && sh -c 'echo $$ > /cg/x/cgroup.procs' && echo triggered",
        agent = agent.display()
    )
}

#[test]
fn the_release_agent_escape_fails_and_works_only_when_privileged() {
    if !can_run("the_release_agent_escape_fails_and_works_only_when_privileged") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let marker = host.path().join("escaped");
    let agent = host.path().join("agent.sh");
    std::fs::write(
        &agent,
        format!("#!/bin/sh\necho root on the host > {}\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let hierarchy = format!("ferry-escape-{}", std::process::id());
    let _cleanup = NamedHierarchy(hierarchy.clone());

    let out = sh(&root, &[], &release_agent_script(&hierarchy, &agent));
    assert!(refused(&out), "the cgroup mount worked: {out:?}");
    assert!(!stdout(&out).contains("triggered"));

    // Proof that the attack is real: with --privileged the host runs the agent.
    let out = sh(
        &root,
        &["--privileged"],
        &release_agent_script(&hierarchy, &agent),
    );
    assert!(stdout(&out).contains("triggered"), "{out:?}");
    wait_until("the host to run the release agent", || marker.exists());
}

/// Removes the named cgroup hierarchy the release_agent test may create: a v1 hierarchy lives on
/// after its last unmount while it has a child cgroup, so the child is removed from the host.
struct NamedHierarchy(String);

impl Drop for NamedHierarchy {
    fn drop(&mut self) {
        let mount_point = tempfile::tempdir().unwrap();
        let options = format!("none,name={}", self.0);
        let exists = || {
            std::fs::read_to_string("/proc/self/cgroup")
                .is_ok_and(|c| c.contains(&format!("name={}:", self.0)))
        };
        // The kernel frees a removed cgroup a moment after `rmdir`; an unmount in that moment
        // leaves the hierarchy alive, so mount, clean and unmount until it is gone.
        let deadline =
            std::time::Instant::now() + ferry_testkit::patience(std::time::Duration::from_secs(10));
        while exists() && std::time::Instant::now() < deadline {
            let mounted = nix::mount::mount(
                Some("cgroup"),
                mount_point.path(),
                Some("cgroup"),
                nix::mount::MsFlags::empty(),
                Some(options.as_str()),
            );
            if mounted.is_ok() {
                let _ = std::fs::remove_dir(mount_point.path().join("x"));
                let _ = nix::mount::umount(mount_point.path());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

// --- open_by_handle_at ("shocker", 2014) ----------------------------------------------------

/// The file handle of `dir` on its file system, as `(type, hex bytes)`.
fn file_handle(dir: &Path) -> (i32, String) {
    #[repr(C)]
    struct FileHandle {
        handle_bytes: u32,
        handle_type: i32,
        f_handle: [u8; 128],
    }
    let mut handle = FileHandle {
        handle_bytes: 128,
        handle_type: 0,
        f_handle: [0; 128],
    };
    let mut mount_id: libc::c_int = 0;
    let path = CString::new(dir.to_str().unwrap()).unwrap();
    // SAFETY: valid C string and out-pointers of the right types.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_name_to_handle_at,
            libc::AT_FDCWD,
            path.as_ptr(),
            &mut handle as *mut FileHandle,
            &mut mount_id as *mut libc::c_int,
            0,
        )
    };
    assert_eq!(
        rc,
        0,
        "name_to_handle_at: {}",
        std::io::Error::last_os_error()
    );
    let bytes = &handle.f_handle[..handle.handle_bytes as usize];
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    (handle.handle_type, hex)
}

#[test]
fn a_bind_mount_does_not_open_the_rest_of_its_file_system_by_handle() {
    if !can_run("a_bind_mount_does_not_open_the_rest_of_its_file_system_by_handle") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir(host.path().join("shared")).unwrap();
    std::fs::write(host.path().join("secret"), "host secret\n").unwrap();
    let (kind, hex) = file_handle(host.path());
    let bind = format!("{}:/v", host.path().join("shared").display());
    let attack = format!("openhandle /v {kind} {hex} secret");

    let out = sh(&root, &["-v", &bind], &attack);
    assert!(refused(&out), "read a host file by handle: {out:?}");
    assert!(!stdout(&out).contains("host secret"));
    assert!(stderr(&out).contains("not permitted"), "{}", stderr(&out));

    let out = sh(&root, &["-v", &bind, "--privileged"], &attack);
    assert_eq!(stdout(&out), "host secret\n", "{out:?}");
}

// --- devices ---------------------------------------------------------------------------------

/// A loop device attached, on the host, to a file of the test's: what a host's disk would be.
struct LoopDevice(String);

impl LoopDevice {
    fn attach(file: &Path) -> LoopDevice {
        let losetup = || {
            std::process::Command::new("losetup")
                .args(["-f", "--show"])
                .arg(file)
                .output()
                .expect("losetup (util-linux) runs")
        };
        let mut out = losetup();
        if !out.status.success() {
            // A machine that has not used a loop device yet (the test VM) may not have the
            // driver loaded.
            let _ = std::process::Command::new("modprobe").arg("loop").status();
            out = losetup();
        }
        assert!(out.status.success(), "losetup: {out:?}");
        LoopDevice(stdout(&out).trim().to_string())
    }

    /// `major minor` of the device.
    fn numbers(&self) -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        let rdev = std::fs::metadata(&self.0).unwrap().rdev();
        (nix::sys::stat::major(rdev), nix::sys::stat::minor(rdev))
    }
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup")
            .args(["-d", &self.0])
            .status();
    }
}

#[test]
fn a_device_node_made_in_the_container_cannot_be_opened() {
    if !can_run("a_device_node_made_in_the_container_cannot_be_opened") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let file = host.path().join("disk");
    std::fs::write(&file, format!("host bytes\n{}", "\0".repeat(1 << 20))).unwrap();
    let device = LoopDevice::attach(&file);
    let (major, minor) = device.numbers();
    let attack = format!("mknod /disk b {major} {minor} && echo made && head -n 1 /disk");

    let out = sh(&root, &[], &attack);
    assert_eq!(
        stdout(&out),
        "made\n",
        "mknod is allowed, reading is not: {out:?}"
    );
    assert!(stderr(&out).contains("not permitted"), "{}", stderr(&out));

    // Proof that the attack is real: with --privileged the container reads the host's bytes.
    let out = sh(&root, &["--privileged"], &attack);
    assert_eq!(stdout(&out), "made\nhost bytes\n", "{out:?}");
}

#[test]
fn device_flag_adds_a_usable_node() {
    if !can_run("device_flag_adds_a_usable_node") {
        return;
    }
    let root = Root::new();
    let out = sh(
        &root,
        &["--device", "/dev/null:/dev/mynull"],
        "echo x > /dev/mynull && cat /dev/mynull && echo ok",
    );
    assert_eq!(stdout(&out), "ok\n", "{out:?}");
}

// --- /proc and /sys ---------------------------------------------------------------------------

#[test]
fn host_wide_kernel_settings_cannot_be_written() {
    if !can_run("host_wide_kernel_settings_cannot_be_written") {
        return;
    }
    let root = Root::new();
    let before = std::fs::read_to_string("/proc/sys/vm/swappiness").unwrap();
    let value = before.trim();
    let out = sh(
        &root,
        &[],
        &format!("echo {value} > /proc/sys/vm/swappiness && echo wrote"),
    );
    assert!(refused(&out), "{out:?}");
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    let core = sh(
        &root,
        &[],
        "cat /proc/sys/kernel/core_pattern > /proc/sys/kernel/core_pattern",
    );
    assert!(refused(&core), "core_pattern opened for writing: {core:?}");
    let sys = sh(
        &root,
        &[],
        "mount -o remount,rw none /sys && echo remounted",
    );
    assert!(refused(&sys), "{sys:?}");
    assert_eq!(
        std::fs::read_to_string("/proc/sys/vm/swappiness").unwrap(),
        before
    );

    let privileged = sh(
        &root,
        &["--privileged"],
        &format!("echo {value} > /proc/sys/vm/swappiness && echo wrote"),
    );
    assert_eq!(stdout(&privileged), "wrote\n", "{privileged:?}");
}

#[test]
fn kernel_secrets_are_masked() {
    if !can_run("kernel_secrets_are_masked") {
        return;
    }
    let root = Root::new();
    let out = sh(
        &root,
        &[],
        "head -n 1 /proc/kallsyms; cat /proc/keys /proc/timer_list | wc -c; ls /sys/firmware | wc -l",
    );
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("0000000000000000 "), "{text}");
    assert_eq!(lines[1].trim(), "0", "keys and timers are hidden: {text}");
    assert_eq!(lines[2].trim(), "0", "firmware tables are hidden: {text}");
    let privileged = stdout(&sh(
        &root,
        &["--privileged"],
        "cat /proc/timer_list | wc -c",
    ));
    assert_ne!(privileged.trim(), "0", "--privileged masks nothing");
}

#[test]
fn the_container_cannot_leave_its_cgroup() {
    if !can_run("the_container_cannot_leave_its_cgroup") {
        return;
    }
    let root = Root::new();
    let out = sh(
        &root,
        &[],
        "cat /proc/self/cgroup; for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/memory/cgroup.procs; do \
         [ -e $f ] && echo $$ > $f && echo joined; done; true",
    );
    let text = stdout(&out);
    assert!(!text.contains("joined"), "{out:?}");
    for line in text.lines() {
        assert!(
            line.ends_with(":/"),
            "its cgroup is the root of its namespace: {line}"
        );
    }
}

// --- bind mounts ------------------------------------------------------------------------------

#[test]
fn a_read_only_bind_cannot_be_made_writable() {
    if !can_run("a_read_only_bind_cannot_be_made_writable") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let file = host.path().join("file");
    std::fs::write(&file, "host\n").unwrap();
    let bind = format!("{}:/ro:ro", host.path().display());
    let attack = "mount -o remount,bind,rw none /ro; echo changed > /ro/file && echo wrote";

    let out = sh(&root, &["-v", &bind], attack);
    assert!(!stdout(&out).contains("wrote"), "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "host\n");

    let out = sh(&root, &["-v", &bind, "--privileged"], attack);
    assert_eq!(stdout(&out), "wrote\n", "{out:?}");
}

/// A tmpfs mounted on the host for one test, unmounted when dropped.
struct HostMount(std::path::PathBuf);

impl Drop for HostMount {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
    }
}

#[test]
fn a_read_only_bind_is_read_only_all_the_way_down() {
    if !can_run("a_read_only_bind_is_read_only_all_the_way_down") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let sub = host.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    nix::mount::mount(
        Some("tmpfs"),
        &sub,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .unwrap();
    let _unmount = HostMount(sub.clone());
    let bind = format!("{}:/ro:ro", host.path().display());
    let out = sh(&root, &["-v", &bind], "touch /ro/sub/f && echo wrote");
    assert!(
        !stdout(&out).contains("wrote"),
        "a mount below a :ro bind stayed writable: {out:?}"
    );
    assert!(!sub.join("f").exists());
}

// --- the working directory and descriptors (CVE-2024-21626) ----------------------------------

#[test]
fn a_descriptor_of_the_host_cannot_be_the_working_directory() {
    if !can_run("a_descriptor_of_the_host_cannot_be_the_working_directory") {
        return;
    }
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let root = Root::new();
    // The caller hands ferry a descriptor of a host directory (as a shell's `7</secret` would),
    // and asks for it as the working directory: the runc CVE-2024-21626 shape.
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("secret"), "host secret\n").unwrap();
    let dir = std::fs::File::open(host.path()).unwrap();
    let fd = dir.as_raw_fd();
    let mut cmd = root.spawnable();
    cmd.args([
        "run",
        "--rm",
        "--network",
        "none",
        "-w",
        "/proc/self/fd/7",
        "toolbox",
        "cat",
        "secret",
    ]);
    // SAFETY: between fork and exec, only dup2 (async-signal-safe) on descriptors we own.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(fd, 7) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(!stdout(&out).contains("host secret"), "{out:?}");
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    drop(dir);
}

// --- the image's own tricks -------------------------------------------------------------------

#[test]
fn an_image_whose_proc_is_a_symlink_is_refused() {
    if !can_run("an_image_whose_proc_is_a_symlink_is_refused") {
        return;
    }
    let root = Root::new();
    let host = tempfile::tempdir().unwrap();
    let rootfs = host.path().join("rootfs");
    let target = host.path().join("target");
    std::fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::fs::create_dir(&target).unwrap();
    std::fs::copy(
        assert_cmd::cargo::cargo_bin("toolbox"),
        rootfs.join("bin/toolbox"),
    )
    .unwrap();
    std::os::unix::fs::symlink("toolbox", rootfs.join("bin/true")).unwrap();
    std::os::unix::fs::symlink(&target, rootfs.join("proc")).unwrap();
    let out = root.run(&[
        "run",
        "--rm",
        "--network",
        "none",
        rootfs.to_str().unwrap(),
        "/bin/true",
    ]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(stderr(&out).contains("symlink"), "{}", stderr(&out));
    assert_eq!(ferry_testkit::mounts_below(&target), 0);
}

// --- the ferry binary (CVE-2019-5736) --------------------------------------------------------

#[test]
fn exec_runs_from_a_sealed_copy_of_ferry() {
    if !can_run("exec_runs_from_a_sealed_copy_of_ferry") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&[], &["sleep", "300"]);
    let mut exec = root
        .spawnable()
        .args(["exec", &id, "sleep", "30"])
        .spawn()
        .unwrap();
    let exe = format!("/proc/{}/exe", exec.id());
    wait_until("ferry exec to run from its sealed copy", || {
        std::fs::read_link(&exe).is_ok_and(|p| p.to_string_lossy().starts_with("/memfd:"))
    });
    exec.kill().unwrap();
    exec.wait().unwrap();
}

// --- the parent-death signal -----------------------------------------------------------------

#[test]
fn a_user_container_dies_with_its_monitor() {
    if !can_run("a_user_container_dies_with_its_monitor") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["-u", "65534"], &["sleep", "300"]);
    let pid: i32 = root.inspect(&id, "{{.State.Pid}}").parse().unwrap();
    let ppid: i32 = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap()
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    // SAFETY: killing the container's monitor, a process this test started through ferry.
    unsafe { libc::kill(ppid, libc::SIGKILL) };
    wait_until("PID 1 to die with its monitor", || !alive(pid));
}

// --- the flags --------------------------------------------------------------------------------

#[test]
fn cap_drop_all_leaves_no_capability() {
    if !can_run("cap_drop_all_leaves_no_capability") {
        return;
    }
    let root = Root::new();
    let status = stdout(&sh(&root, &["--cap-drop", "ALL"], "cat /proc/self/status"));
    assert_eq!(status_field(&status, "CapEff"), "0000000000000000");
    assert_eq!(status_field(&status, "CapBnd"), "0000000000000000");
    let out = sh(
        &root,
        &["--cap-drop", "CHOWN"],
        "touch /f && chown 1 /f && echo chowned",
    );
    assert!(refused(&out), "{out:?}");
    let out = sh(&root, &["--cap-add", "SYS_ADMIN"], "cat /proc/self/status");
    assert_eq!(status_field(&stdout(&out), "CapEff"), "00000000a82425fb");
}

#[test]
fn no_new_privileges_is_set_on_request() {
    if !can_run("no_new_privileges_is_set_on_request") {
        return;
    }
    let root = Root::new();
    let status = stdout(&sh(
        &root,
        &["--security-opt", "no-new-privileges"],
        "cat /proc/self/status",
    ));
    assert_eq!(status_field(&status, "NoNewPrivs"), "1");
}

#[test]
fn read_only_refuses_writes_outside_tmpfs() {
    if !can_run("read_only_refuses_writes_outside_tmpfs") {
        return;
    }
    let root = Root::new();
    let out = sh(
        &root,
        &["--read-only", "--tmpfs", "/tmp"],
        "touch /tmp/ok && echo tmp-written; touch /x && echo root-written",
    );
    assert_eq!(stdout(&out), "tmp-written\n", "{out:?}");
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn inspect_shows_the_security_flags_in_host_config() {
    if !can_run("inspect_shows_the_security_flags_in_host_config") {
        return;
    }
    let root = Root::new();
    let id = root.detach(
        &[
            "--cap-add",
            "NET_ADMIN",
            "--cap-drop",
            "chown",
            "--security-opt",
            "no-new-privileges",
            "--read-only",
            "--tmpfs",
            "/run:size=1m",
            "--device",
            "/dev/null:/dev/mynull:rw",
        ],
        &["sleep", "300"],
    );
    let host_config = root.inspect(
        &id,
        "{{json .HostConfig.CapAdd}} {{json .HostConfig.CapDrop}} {{json .HostConfig.SecurityOpt}} \
         {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.Tmpfs}} {{.HostConfig.Privileged}} \
         {{json .HostConfig.Devices}}",
    );
    assert_eq!(
        host_config,
        r#"["NET_ADMIN"] ["chown"] ["no-new-privileges"] true {"/run":"size=1m"} false [{"PathOnHost":"/dev/null","PathInContainer":"/dev/mynull","CgroupPermissions":"rw"}]"#
    );
}

#[test]
fn bad_security_flags_are_refused_and_create_nothing() {
    if !can_run("bad_security_flags_are_refused_and_create_nothing") {
        return;
    }
    let root = Root::new();
    for flags in [
        ["--cap-add", "NOPE"],
        ["--cap-drop", "NOPE"],
        ["--security-opt", "nope"],
        ["--security-opt", "seccomp=/nonexistent.json"],
        ["--tmpfs", "relative"],
        ["--device", "/nonexistent"],
    ] {
        let mut args = vec!["create", "--network", "none"];
        args.extend_from_slice(&flags);
        args.extend_from_slice(&["toolbox", "true"]);
        let out = root.run(&args);
        assert_eq!(out.status.code(), Some(125), "{flags:?}: {out:?}");
        assert_eq!(stderr(&out).trim().lines().count(), 1, "{}", stderr(&out));
    }
    assert_eq!(root.ok(&["ps", "-aq"]), "");
}
