//! `sh` end to end: composite commands, exit statuses, variables, redirections, scripts.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{applet_bin, code, run, run_in, sh, stderr, stdout, toolbox, TempDir};

#[test]
fn sequence_and_or_run_by_status() {
    let out = sh("echo one; false && echo skipped; false || echo rescued; true && echo ran");
    assert_eq!(stdout(&out), "one\nrescued\nran\n");
}

#[test]
fn exit_status_is_the_last_commands() {
    assert_eq!(code(&sh("true; false")), 1);
    assert_eq!(code(&sh("false; true")), 0);
    assert_eq!(code(&sh("exit 42")), 42);
    assert_eq!(code(&sh("sh -c 'exit 7'")), 7);
}

#[test]
fn missing_command_exits_127_with_not_found() {
    let out = sh("no-such-command-xyz arg");
    assert_eq!(code(&out), 127);
    assert_eq!(stderr(&out), "sh: no-such-command-xyz: not found\n");
}

#[test]
fn status_variable_reports_the_previous_command() {
    assert_eq!(
        stdout(&sh("false; echo $?; no-such-cmd 2>/dev/null; echo $?")),
        "1\n127\n"
    );
}

#[test]
fn non_executable_file_exits_126() {
    let dir = TempDir::new();
    let file = dir.write("data", "echo never\n");
    let out = sh(&file.display().to_string());
    assert_eq!(code(&out), 126);
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn executable_file_without_shebang_runs_as_a_shell_script() {
    let dir = TempDir::new();
    let script = dir.write("plain", "echo from script $1\nexit 5\n");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = sh(&format!("{} arg", script.display()));
    assert_eq!(stdout(&out), "from script arg\n");
    assert_eq!(code(&out), 5);
}

#[test]
fn pipes_connect_applets_and_report_the_last_status() {
    assert_eq!(stdout(&sh("echo a b c | wc -w")), "3\n");
    assert_eq!(stdout(&sh("seq 10 | grep 1 | wc -l")), "2\n");
    assert_eq!(code(&sh("echo x | false")), 1);
    assert_eq!(code(&sh("false | true")), 0);
    assert_eq!(code(&sh("! true")), 1);
}

#[test]
fn yes_ends_when_its_reader_goes_away() {
    assert_eq!(stdout(&sh("yes | head -n 2")), "y\ny\n");
}

#[test]
fn redirections_write_append_read_and_duplicate() {
    let dir = TempDir::new();
    let script = "echo one > f; echo two >> f; cat < f; ls /no/such 2> err; cat err | wc -l; \
                  ls /no/such >out 2>&1; cat out | wc -l; ls /no/such 2>/dev/null; echo $?";
    let out = sh(&format!("cd {} && {script}", dir.path().display()));
    assert_eq!(stdout(&out), "one\ntwo\n1\n1\n1\n");
    assert_eq!(stderr(&out), "");
}

#[test]
fn redirection_to_a_missing_directory_fails_the_command() {
    let out = sh("echo x > /no/such/dir/file; echo $?");
    assert_eq!(stdout(&out), "1\n");
    assert!(
        stderr(&out).contains("can't create /no/such/dir/file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn builtin_redirections_are_undone_afterwards() {
    let dir = TempDir::new();
    let out = sh(&format!(
        "cd {} && echo hidden > f && echo shown && cat f",
        dir.path().display()
    ));
    assert_eq!(stdout(&out), "shown\nhidden\n");
}

#[test]
fn quotes_escapes_and_variables() {
    let out = sh(r#"X=world; Y="a  b"; echo "hello $X" '$X' \$X ${X}s "$Y" $Y ${UNSET:-fallback}"#);
    assert_eq!(stdout(&out), "hello world $X $X worlds a  b a b fallback\n");
}

#[test]
fn dollar_dollar_is_the_shells_pid() {
    let bin = applet_bin();
    let mut command = Command::new(toolbox());
    command
        .args(["sh", "-c", "echo $$"])
        .env("PATH", bin.path());
    let child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(stdout(&out), format!("{pid}\n"));
}

#[test]
fn assignment_prefix_sets_the_environment_of_one_command_only() {
    let out = sh("K=V env | grep ^K=; echo \"[$K]\"; export E=1; env | grep ^E=");
    assert_eq!(stdout(&out), "K=V\n[]\nE=1\n");
}

#[test]
fn unexported_variables_stay_in_the_shell() {
    assert_eq!(
        stdout(&sh("L=local; env | grep -c ^L=; echo $L")),
        "0\nlocal\n"
    );
}

#[test]
fn cd_changes_directory_for_later_commands() {
    assert_eq!(stdout(&sh("cd /proc && pwd; cd /; pwd")), "/proc\n/\n");
    let out = sh("cd /no/such; echo $?");
    assert_eq!(stdout(&out), "1\n");
    assert!(stderr(&out).contains("can't cd to /no/such"));
}

#[test]
fn exec_replaces_the_shell_process() {
    // The exec'd shell has the same pid as the one that ran `exec`.
    let out = sh("echo $$; exec sh -c 'echo $$'; echo unreachable");
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], lines[1]);
}

#[test]
fn exec_of_missing_command_exits_127() {
    assert_eq!(code(&sh("exec no-such-command-xyz; echo after")), 127);
}

#[test]
fn background_jobs_run_concurrently_and_wait_collects_them() {
    let out = sh("sleep 0.2 & echo started; wait; echo finished");
    assert_eq!(stdout(&out), "started\nfinished\n");
    let out = sh("sh -c 'exit 3' & wait $!; echo $?");
    assert_eq!(stdout(&out), "3\n");
}

#[test]
fn command_substitution_captures_output() {
    assert_eq!(
        stdout(&sh("X=$(echo hi there); echo \"[$X]\" $(seq 3)")),
        "[hi there] 1 2 3\n"
    );
}

#[test]
fn if_while_for_control_flow() {
    let out = sh("for i in 1 2 3; do if [ $i -eq 2 ]; then echo two; else echo $i; fi; done");
    assert_eq!(stdout(&out), "1\ntwo\n3\n");
    let dir = TempDir::new();
    let out = sh(&format!(
        "cd {} && while [ ! -e stop ]; do touch stop; echo looped; done",
        dir.path().display()
    ));
    assert_eq!(stdout(&out), "looped\n");
}

#[test]
fn subshell_changes_do_not_leak() {
    assert_eq!(
        stdout(&sh("X=1; (X=2; cd /proc); echo $X; pwd"))
            .lines()
            .next(),
        Some("1")
    );
}

#[test]
fn globs_expand_to_sorted_matches_and_unmatched_stay_literal() {
    let dir = TempDir::new();
    for name in ["b.txt", "a.txt", "c.log"] {
        dir.write(name, "");
    }
    let out = sh(&format!(
        "cd {} && echo *.txt; echo '*.txt'; echo *.none",
        dir.path().display()
    ));
    assert_eq!(stdout(&out), "a.txt b.txt\n*.txt\n*.none\n");
}

#[test]
fn syntax_errors_exit_2_and_run_nothing() {
    let out = sh("echo before; if true; then echo x");
    assert_eq!(code(&out), 2);
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("syntax error"), "{}", stderr(&out));
    assert_eq!(code(&sh("echo 'unterminated")), 2);
}

#[test]
fn script_file_gets_positional_arguments() {
    let dir = TempDir::new();
    let script = dir.write(
        "s.sh",
        "#!/bin/sh\necho \"$0 has $# args: $1 $2\"\nfor a in \"$@\"; do echo \"<$a>\"; done\n",
    );
    let out = run(&["sh", &script.display().to_string(), "x y", "z"], "");
    assert_eq!(
        stdout(&out),
        format!("{} has 2 args: x y z\n<x y>\n<z>\n", script.display())
    );
}

#[test]
fn missing_script_file_is_an_error() {
    let out = run(&["sh", "/no/such/script"], "");
    assert_eq!(code(&out), 127);
    assert!(stderr(&out).contains("can't open '/no/such/script'"));
}

#[test]
fn stdin_commands_run_line_by_line_without_a_prompt_when_not_a_tty() {
    let bin = applet_bin();
    let mut command = Command::new(toolbox());
    command.arg("sh").env("PATH", bin.path());
    let out = run_in(
        &mut command,
        "echo first\nif true\nthen echo second\nfi\nexit 3\necho never\n",
    );
    assert_eq!(stdout(&out), "first\nsecond\n");
    assert_eq!(stderr(&out), "");
    assert_eq!(code(&out), 3);
}

#[test]
fn commands_read_remaining_stdin_after_the_shell() {
    let bin = applet_bin();
    let mut command = Command::new(toolbox());
    command.arg("sh").env("PATH", bin.path());
    // The shell reads only its own line, so `cat` gets the rest of the input as data.
    let out = run_in(&mut command, "cat\necho this is data\nexit 9\n");
    assert_eq!(stdout(&out), "echo this is data\nexit 9\n");
    assert_eq!(code(&out), 0);
}

#[test]
fn sh_is_pid_1_in_a_new_pid_namespace() {
    use ferry_testkit::Need;
    use std::os::unix::process::CommandExt;
    if !ferry_testkit::require(
        "sh_is_pid_1_in_a_new_pid_namespace",
        &[Need::Root, Need::Namespaces],
    ) {
        return;
    }
    // unshare(CLONE_NEWPID) puts the *children* of the outer shell in a new namespace, so the
    // inner shell is its PID 1. The namespace ends when that process exits.
    let inner = format!("{} sh -c 'echo $$'", toolbox());
    let mut command = Command::new(toolbox());
    command.args(["sh", "-c", &inner]);
    // SAFETY: unshare is async-signal-safe and only affects the forked child.
    unsafe {
        command.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWPID) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = run_in(&mut command, "");
    assert_eq!(stdout(&out), "1\n", "{}", stderr(&out));
}

#[test]
fn pid_1_shell_reaps_orphans_while_it_waits_for_a_command() {
    use ferry_testkit::Need;
    use std::os::unix::process::CommandExt;
    let test = "pid_1_shell_reaps_orphans_while_it_waits_for_a_command";
    if !ferry_testkit::require(test, &[Need::Root, Need::Namespaces]) {
        return;
    }
    let bin = applet_bin();
    // Inside new PID and mount namespaces (private, so nothing propagates to the host and the
    // /proc mount vanishes with the namespace): the inner shell is PID 1. Its child leaves an
    // orphan `sleep` behind, which becomes PID 1's child and exits while PID 1 is still waiting
    // for the second command; `ps` then must not show it as a zombie.
    let inner = "mount -o rprivate none / && mount -t proc proc /proc && \
                 sh -c 'sleep 0.2 &' && sh -c 'sleep 0.6; ps' && echo pid=\\$\\$";
    let outer = format!("sh -c \"{inner}\"");
    let mut command = Command::new(toolbox());
    command.args(["sh", "-c", &outer]).env("PATH", bin.path());
    // SAFETY: unshare is async-signal-safe and only affects the forked child.
    unsafe {
        command.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWPID | libc::CLONE_NEWNS) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = run_in(&mut command, "");
    let text = stdout(&out);
    assert!(text.ends_with("pid=1\n"), "{text}{}", stderr(&out));
    assert!(text.starts_with("PID   USER     TIME  COMMAND\n"), "{text}");
    // A zombie has no command line any more, so ps shows it by name in brackets (kernel
    // threads, the only other bracketed entries, are not visible in a new PID namespace).
    let commands: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().skip(3).collect::<Vec<_>>().join(" "))
        .collect();
    assert!(
        !commands.iter().any(|c| c.starts_with('[')),
        "zombie left behind:\n{text}"
    );
}
