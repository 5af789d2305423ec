//! The file, text and system applets, run through the real binary.

mod common;

use std::process::Command;

use common::{code, run, run_in, sh, stderr, stdout, toolbox, TempDir};

#[test]
fn echo_joins_arguments_and_honors_n_and_e() {
    assert_eq!(stdout(&run(&["echo", "a", "b"], "")), "a b\n");
    assert_eq!(stdout(&run(&["echo", "-n", "x"], "")), "x");
    assert_eq!(stdout(&run(&["echo", "-e", r"1\t2\n3"], "")), "1\t2\n3\n");
}

#[test]
fn cat_concatenates_files_and_stdin() {
    let dir = TempDir::new();
    let a = dir.write("a", "A\n");
    let out = run(
        &[
            "cat",
            &a.display().to_string(),
            "-",
            &a.display().to_string(),
        ],
        "stdin\n",
    );
    assert_eq!(stdout(&out), "A\nstdin\nA\n");
    assert_eq!(stdout(&run(&["cat"], "only stdin")), "only stdin");
}

#[test]
fn cat_of_missing_file_fails_but_prints_the_rest() {
    let dir = TempDir::new();
    let a = dir.write("a", "A\n");
    let out = run(&["cat", "/no/such", &a.display().to_string()], "");
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "A\n");
    assert_eq!(
        stderr(&out),
        "cat: can't open '/no/such': No such file or directory\n"
    );
}

#[test]
fn ls_lists_sorted_names_hiding_dotfiles_unless_a() {
    let dir = TempDir::new();
    for name in ["b", "a", ".hidden"] {
        dir.write(name, "");
    }
    let path = dir.path().display().to_string();
    assert_eq!(stdout(&run(&["ls", &path], "")), "a\nb\n");
    assert_eq!(
        stdout(&run(&["ls", "-a", &path], "")),
        ".\n..\n.hidden\na\nb\n"
    );
}

#[test]
fn ls_long_shows_mode_links_owner_size_and_symlink_target() {
    let dir = TempDir::new();
    dir.write("file", "12345");
    std::os::unix::fs::symlink("file", dir.path().join("link")).unwrap();
    let out = stdout(&run(&["ls", "-l", &dir.path().display().to_string()], ""));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("total "), "{out}");
    assert!(
        lines[1].starts_with("-rw-") && lines[1].contains(" 5 ") && lines[1].ends_with(" file"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("lrwxrwxrwx") && lines[2].ends_with(" link -> file"),
        "{out}"
    );
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } == 0 {
        assert!(lines[1].contains(" root     root "), "{out}");
    }
}

#[test]
fn ls_of_files_and_missing_paths() {
    let dir = TempDir::new();
    let file = dir.write("f", "");
    let out = run(&["ls", &file.display().to_string(), "/no/such"], "");
    assert_eq!(stdout(&out), format!("{}\n", file.display()));
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("/no/such: No such file or directory"));
}

#[test]
fn env_prints_and_runs_with_a_changed_environment() {
    let out = run_in(
        Command::new(toolbox())
            .args(["env"])
            .env_clear()
            .env("ONLY", "this"),
        "",
    );
    assert_eq!(stdout(&out), "ONLY=this\n");
    let out = run(&["env", "-i", "A=1", toolbox(), "env"], "");
    assert_eq!(stdout(&out), "A=1\n");
    let out = run(&["env", "no-such-program-xyz"], "");
    assert_eq!(code(&out), 127);
}

#[test]
fn id_prints_uid_gid_and_groups_with_names() {
    let out = stdout(&run(&["id"], ""));
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    assert!(out.starts_with(&format!("uid={uid}")), "{out}");
    assert!(out.contains(&format!(" gid={gid}")), "{out}");
    assert!(out.contains(" groups="), "{out}");
    if uid == 0 {
        assert!(
            out.starts_with("uid=0(root) gid=0(root) groups=0(root)"),
            "{out}"
        );
    }
    assert_eq!(stdout(&run(&["id", "-u"], "")), format!("{uid}\n"));
}

#[test]
fn ps_lists_itself_under_the_busybox_header() {
    let child = Command::new(toolbox())
        .args(["ps", "aux"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = stdout(&child.wait_with_output().unwrap());
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("PID   USER     TIME  COMMAND"));
    let own = lines
        .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
        .expect("own line");
    assert!(own.ends_with(&format!("{} ps aux", toolbox())), "{own}");
}

#[test]
fn ip_addr_shows_loopback() {
    let out = run(&["ip", "addr"], "");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains(": lo: <LOOPBACK"), "{text}");
    assert!(
        text.contains("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"),
        "{text}"
    );
    assert!(
        text.contains("    inet 127.0.0.1/8 scope host lo"),
        "{text}"
    );
    let only_lo = stdout(&run(&["ip", "a", "show", "lo"], ""));
    assert!(
        only_lo.starts_with("1: lo:") || only_lo.contains(": lo:"),
        "{only_lo}"
    );
    assert!(!only_lo.contains("link/ether"), "{only_lo}");
}

#[test]
fn ip_rejects_unknown_devices_and_objects() {
    let out = run(&["ip", "link", "show", "no-such-dev0"], "");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("Device \"no-such-dev0\" does not exist."));
    assert_eq!(code(&run(&["ip", "bogus"], "")), 1);
}

#[test]
fn ip_route_prints_only_main_table_lines() {
    let out = run(&["ip", "route"], "");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for line in stdout(&out).lines() {
        assert!(
            line.contains(" dev ")
                || line.starts_with("unreachable")
                || line.starts_with("blackhole"),
            "{line}"
        );
    }
}

#[test]
fn head_tail_wc_grep_on_a_file() {
    let dir = TempDir::new();
    let f = dir
        .write("f", "alpha\nbeta\ngamma\ndelta\n")
        .display()
        .to_string();
    assert_eq!(stdout(&run(&["head", "-n", "2", &f], "")), "alpha\nbeta\n");
    assert_eq!(stdout(&run(&["head", "-1", &f], "")), "alpha\n");
    assert_eq!(stdout(&run(&["tail", "-n", "2", &f], "")), "gamma\ndelta\n");
    assert_eq!(
        stdout(&run(&["tail", "-n", "+3", &f], "")),
        "gamma\ndelta\n"
    );
    assert_eq!(
        stdout(&run(&["wc", "-l", &f], "")),
        format!("      4 {f}\n")
    );
    assert_eq!(
        stdout(&run(&["wc"], "a b\nc\n")),
        "      2       3       6\n"
    );
    assert_eq!(stdout(&run(&["grep", "ta", &f], "")), "beta\ndelta\n");
    assert_eq!(stdout(&run(&["grep", "-v", "a$", &f], "")), "");
    assert_eq!(stdout(&run(&["grep", "-i", "GAM", &f], "")), "gamma\n");
}

#[test]
fn grep_exit_status_says_whether_anything_matched() {
    assert_eq!(code(&run(&["grep", "-q", "x"], "abc\nxyz\n")), 0);
    assert_eq!(stdout(&run(&["grep", "-q", "x"], "xyz\n")), "");
    assert_eq!(code(&run(&["grep", "nope"], "abc\n")), 1);
    assert_eq!(code(&run(&["grep", "x", "/no/such"], "")), 2);
}

#[test]
fn tail_follow_prints_appended_lines() {
    let dir = TempDir::new();
    let f = dir.write("log", "old\n");
    let mut child = Command::new(toolbox())
        .args(["tail", "-n", "1", "-f", &f.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut log = std::fs::OpenOptions::new().append(true).open(&f).unwrap();
    std::io::Write::write_all(&mut log, b"new\n").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(600));
    child.kill().unwrap();
    let out = stdout(&child.wait_with_output().unwrap());
    assert_eq!(out, "old\nnew\n");
}

#[test]
fn file_operations_create_copy_move_link_and_remove() {
    let dir = TempDir::new();
    let script = "mkdir -p a/b/c && touch a/b/c/f && echo data > a/x && cp a/x a/y && cp -r a z && mv z/y z/moved \
                  && ln -s moved z/sym && ln z/moved z/hard && cat z/sym z/hard && ls z && rm -r a && \
                  rm -f nothing && [ ! -e a ] && echo gone";
    let out = sh(&format!("cd {} && {script}", dir.path().display()));
    assert_eq!(
        stdout(&out),
        "data\ndata\nb\nhard\nmoved\nsym\nx\ngone\n",
        "{}",
        stderr(&out)
    );
    assert!(dir.path().join("z/b/c/f").is_file());
}

#[test]
fn cp_refuses_directories_without_r_and_rm_without_r() {
    let dir = TempDir::new();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let out = sh(&format!(
        "cd {} && cp d e; echo $?; rm d; echo $?",
        dir.path().display()
    ));
    assert_eq!(stdout(&out), "1\n1\n");
    assert!(
        stderr(&out).contains("cp: omitting directory 'd'"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("rm: can't remove 'd': Is a directory"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn chmod_octal_and_symbolic() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new();
    let f = dir.write("f", "");
    let path = f.display().to_string();
    assert_eq!(code(&run(&["chmod", "600", &path], "")), 0);
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(code(&run(&["chmod", "go+r,u+x", &path], "")), 0);
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o744
    );
    assert_eq!(code(&run(&["chmod", "bogus", &path], "")), 1);
}

#[test]
fn test_and_bracket_evaluate_expressions() {
    assert_eq!(code(&run(&["test", "-d", "/"], "")), 0);
    assert_eq!(code(&run(&["[", "1", "-gt", "2", "]"], "")), 1);
    assert_eq!(code(&run(&["[", "a", "=", "a"], "")), 2);
    assert_eq!(
        stdout(&sh("[ -z \"\" ] && [ -n x ] && [ a != b ] && echo yes")),
        "yes\n"
    );
}

#[test]
fn seq_true_false_pwd() {
    assert_eq!(stdout(&run(&["seq", "3"], "")), "1\n2\n3\n");
    assert_eq!(stdout(&run(&["seq", "5", "-2", "1"], "")), "5\n3\n1\n");
    assert_eq!(code(&run(&["true"], "")), 0);
    assert_eq!(code(&run(&["false"], "")), 1);
    let out = run_in(Command::new(toolbox()).arg("pwd").current_dir("/proc"), "");
    assert_eq!(stdout(&out), "/proc\n");
}

#[test]
fn sleep_accepts_fractions_and_rejects_garbage() {
    let start = std::time::Instant::now();
    assert_eq!(code(&run(&["sleep", "0.2"], "")), 0);
    assert!(start.elapsed() >= std::time::Duration::from_millis(200));
    assert_eq!(code(&run(&["sleep", "soon"], "")), 1);
}

#[test]
fn sleep_infinity_runs_until_killed() {
    let mut child = Command::new(toolbox())
        .args(["sleep", "infinity"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none(), "sleep infinity exited");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn kill_sends_the_named_signal() {
    let child = Command::new(toolbox())
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    assert_eq!(code(&run(&["kill", "-USR1", &pid], "")), 0);
    let status = child.wait_with_output().unwrap().status;
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGUSR1));
    assert_eq!(stdout(&run(&["kill", "-l", "9"], "")), "KILL\n");
    assert_eq!(code(&run(&["kill", "-NOPE", "1"], "")), 1);
}

#[test]
fn uname_hostname_whoami_date_stat_mount() {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(stdout(&run(&["uname", "-r"], "")), release);
    assert_eq!(stdout(&run(&["uname"], "")), "Linux\n");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(stdout(&run(&["hostname"], "")), host);
    assert!(stdout(&run(&["uname", "-a"], "")).starts_with(&format!("Linux {}", host.trim())));
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        assert_eq!(stdout(&run(&["whoami"], "")), "root\n");
    }
    let date = stdout(&run(&["date", "+%s"], ""));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        date.trim().parse::<u64>().unwrap().abs_diff(now) < 5,
        "{date}"
    );
    assert!(stdout(&run(&["date"], "")).contains(" UTC "));
    let stat = stdout(&run(&["stat", "/"], ""));
    assert!(
        stat.contains("  File: '/'") && stat.contains("directory") && stat.contains("Access: (0"),
        "{stat}"
    );
    assert!(stdout(&run(&["mount"], ""))
        .lines()
        .any(|l| l.starts_with("proc on /proc type proc (")));
}
