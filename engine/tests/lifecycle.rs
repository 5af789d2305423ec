//! A container's life, driven through the real binary: detached containers and their monitors,
//! `ps`, `logs`, `exec`, the seven states and their transitions, `inspect`, `top`, `wait`,
//! `rename`, names and ids, restart policies, concurrency, and cleanup.
//!
//! Every test has its own state root (see `lifecycle_common`), which force-removes its containers
//! when the test ends, and checks it may run first (root, namespaces, OverlayFS, cgroups).

mod lifecycle_common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ferry_testkit::mounts_below;
use lifecycle_common::{alive, can_run, cgroup_dirs, stderr, stdout, wait_until, Root};

#[test]
fn run_d_prints_the_full_id_and_returns_while_the_container_runs() {
    if !can_run("run_d_prints_the_full_id_and_returns_while_the_container_runs") {
        return;
    }
    let root = Root::new();
    let started = Instant::now();
    let id = root.detach(&["--name", "sleeper"], &["sleep", "100"]);
    assert!(
        started.elapsed() < ferry_testkit::patience(Duration::from_secs(10)),
        "run -d waited for the container"
    );
    assert_eq!(root.status("sleeper"), "running");
    assert_eq!(
        root.inspect(&id[..12], "{{.Name}}"),
        "/sleeper",
        "a unique id prefix names it too"
    );
    let pid: i32 = root.inspect("sleeper", "{{.State.Pid}}").parse().unwrap();
    assert!(alive(pid), "PID 1 runs after `ferry run -d` returned");
}

#[test]
fn ps_lists_running_containers_with_dockers_columns_and_a_shows_the_rest() {
    if !can_run("ps_lists_running_containers_with_dockers_columns_and_a_shows_the_rest") {
        return;
    }
    let root = Root::new();
    let up = root.detach(&["--name", "up"], &["sleep", "100"]);
    let done = root.detach(&["--name", "done"], &["sh", "-c", "exit 3"]);
    root.wait_for_status("done", "exited");
    let ps = root.ok(&["ps"]);
    let lines: Vec<&str> = ps.lines().collect();
    let header: Vec<&str> = lines[0]
        .split("  ")
        .filter(|c| !c.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(
        header,
        [
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES"
        ]
    );
    assert_eq!(lines.len(), 2, "only the running container: {ps}");
    assert!(
        lines[1].starts_with(&up[..12])
            && lines[1].contains("\"sleep 100\"")
            && lines[1].contains("Up ")
            && lines[1].ends_with("up"),
        "{ps}"
    );
    let all = root.ok(&["ps", "-a"]);
    let exited = all
        .lines()
        .find(|l| l.ends_with("done"))
        .unwrap_or_else(|| panic!("{all}"));
    assert!(
        exited.starts_with(&done[..12])
            && exited.contains("Exited (3) ")
            && exited.contains(" ago"),
        "{all}"
    );
    // -q: short ids, newest first; -l / -n: the latest, in any state; -f: filters.
    assert_eq!(
        root.ok(&["ps", "-aq"]),
        format!("{}\n{}\n", &done[..12], &up[..12])
    );
    assert_eq!(root.ok(&["ps", "-q", "-l"]), format!("{}\n", &done[..12]));
    assert_eq!(root.ok(&["ps", "-q", "-n", "2"]).lines().count(), 2);
    assert_eq!(
        root.ok(&["ps", "-q", "-f", "status=exited"]),
        format!("{}\n", &done[..12])
    );
    assert_eq!(
        root.ok(&["ps", "-aq", "-f", "name=up"]),
        format!("{}\n", &up[..12])
    );
    assert_eq!(
        root.ok(&["ps", "-aq", "-f", &format!("id={}", &done[..5])]),
        format!("{}\n", &done[..12])
    );
    assert_eq!(
        root.ok(&["ps", "-aq", "-f", "exited=3"]),
        format!("{}\n", &done[..12])
    );
    let sized = root.ok(&["ps", "-a", "-s"]);
    assert!(
        sized.lines().next().unwrap().ends_with("SIZE") && sized.contains("(virtual "),
        "{sized}"
    );
    let bad = root.run(&["ps", "-f", "status=sleeping"]);
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
}

#[test]
fn logs_are_dockers_json_file_and_tail_and_timestamps_work() {
    if !can_run("logs_are_dockers_json_file_and_tail_and_timestamps_work") {
        return;
    }
    let root = Root::new();
    // The pauses keep the order of the two streams in the log certain.
    let id = root.detach(
        &["--name", "talker"],
        &[
            "sh",
            "-c",
            "echo one; echo two; sleep 0.2; echo oops >&2; sleep 0.2; echo three",
        ],
    );
    root.wait_for_status("talker", "exited");
    let log_path = root.inspect("talker", "{{.LogPath}}");
    assert!(
        log_path.ends_with(&format!("{id}/{id}-json.log")),
        "{log_path}"
    );
    let raw = std::fs::read_to_string(&log_path).unwrap();
    let first: serde_json::Value = serde_json::from_str(raw.lines().next().unwrap()).unwrap();
    assert_eq!(first["log"], "one\n");
    assert_eq!(first["stream"], "stdout");
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    let logs = root.run(&["logs", "talker"]);
    assert_eq!(stdout(&logs), "one\ntwo\nthree\n");
    assert_eq!(stderr(&logs), "oops\n");
    assert_eq!(
        root.ok(&["logs", "--tail", "2", "talker"]),
        "three\n",
        "oops went to stderr"
    );
    let stamped = root.ok(&["logs", "-t", "--tail", "1", "talker"]);
    let (time, text) = stamped.split_once(' ').unwrap();
    assert_eq!(text, "three\n");
    assert_eq!(
        time.len(),
        "2024-01-01T00:00:00.000000000Z".len(),
        "{stamped}"
    );
}

#[test]
fn logs_follow_streams_a_growing_log_until_the_container_stops() {
    if !can_run("logs_follow_streams_a_growing_log_until_the_container_stops") {
        return;
    }
    let root = Root::new();
    root.detach(
        &["--name", "ticker"],
        &[
            "sh",
            "-c",
            "echo tick 1; sleep 1; echo tick 2; sleep 1; echo tick 3",
        ],
    );
    let started = Instant::now();
    let mut follow = root
        .spawnable()
        .args(["logs", "-f", "ticker"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = follow.wait_with_output().unwrap();
    assert_eq!(stdout(&out), "tick 1\ntick 2\ntick 3\n");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "logs -f returned before the log stopped growing"
    );
    assert_eq!(
        root.status("ticker"),
        "exited",
        "logs -f ends when the container stops"
    );
    follow = root
        .spawnable()
        .args(["logs", "-f", "--tail", "1", "ticker"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(
        stdout(&follow.wait_with_output().unwrap()),
        "tick 3\n",
        "-f on a stopped container prints and returns"
    );
}

#[test]
fn exec_joins_the_containers_namespaces_with_its_env_workdir_and_user() {
    if !can_run("exec_joins_the_containers_namespaces_with_its_env_workdir_and_user") {
        return;
    }
    let root = Root::new();
    root.detach(
        &["--name", "box", "--hostname", "boxhost", "-e", "FROM_RUN=1"],
        &["sleep", "100"],
    );
    assert_eq!(root.ok(&["exec", "box", "hostname"]), "boxhost\n");
    let ps = root.ok(&["exec", "box", "ps"]);
    assert!(
        ps.lines()
            .any(|l| l.trim_start().starts_with("1 ") && l.contains("sleep 100")),
        "the container's PID 1 is visible: {ps}"
    );
    assert!(!ps.contains("ferry"), "host processes are not: {ps}");
    let env = root.ok(&["exec", "-e", "FROM_EXEC=2", "box", "env"]);
    assert!(
        env.lines().any(|l| l == "FROM_RUN=1") && env.lines().any(|l| l == "FROM_EXEC=2"),
        "{env}"
    );
    assert_eq!(root.ok(&["exec", "-w", "/tmp", "box", "pwd"]), "/tmp\n");
    assert_eq!(
        root.ok(&["exec", "-u", "nobody", "box", "id", "-u"]),
        "65534\n"
    );
    // It joins the container's cgroup namespace too, whose root is the container's cgroup: a
    // process there sees "/" (one outside it would see "/.." paths).
    let cgroup = root.ok(&["exec", "box", "cat", "/proc/self/cgroup"]);
    assert!(
        cgroup.lines().all(|l| l.ends_with(":/")),
        "exec joins the container's cgroup: {cgroup}"
    );
    assert_eq!(
        root.run(&["exec", "box", "sh", "-c", "exit 7"])
            .status
            .code(),
        Some(7)
    );
    let missing = root.run(&["exec", "box", "nosuch"]);
    assert_eq!(
        missing.status.code(),
        Some(126),
        "exec reports a missing command as Docker does, unlike run's 127: {missing:?}"
    );
    assert!(
        stderr(&missing).contains(
            "OCI runtime exec failed: exec failed: exec: \"nosuch\": executable file not found in $PATH: unknown"
        ),
        "{missing:?}"
    );
    let piped = root
        .ferry()
        .args(["exec", "-i", "box", "cat"])
        .write_stdin("to the container\n")
        .output()
        .unwrap();
    assert_eq!(stdout(&piped), "to the container\n");
}

#[test]
fn exec_t_gives_the_command_a_terminal_from_the_containers_devpts() {
    if !can_run("exec_t_gives_the_command_a_terminal_from_the_containers_devpts") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "box"], &["sleep", "100"]);
    let out = root.ok(&[
        "exec",
        "-t",
        "box",
        "sh",
        "-c",
        "ls -l /proc/self/fd/0; echo TERM=$TERM",
    ]);
    assert!(out.contains("-> /dev/pts/0"), "{out:?}");
    assert!(
        out.contains("TERM=xterm\r\n"),
        "a terminal turns \\n into \\r\\n: {out:?}"
    );
}

#[test]
fn exec_into_a_paused_container_is_refused_and_unpause_resumes_it() {
    if !can_run("exec_into_a_paused_container_is_refused_and_unpause_resumes_it") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--name", "frozen"], &["sleep", "100"]);
    assert_eq!(root.ok(&["pause", "frozen"]), "frozen\n");
    assert_eq!(root.status("frozen"), "paused");
    let ps = root.ok(&["ps"]);
    assert!(ps.contains("(Paused)"), "{ps}");
    let exec = root.run(&["exec", "frozen", "true"]);
    assert_eq!(exec.status.code(), Some(1), "{exec:?}");
    assert!(
        stderr(&exec).contains(&format!(
            "Container {id} is paused, unpause the container before exec"
        )),
        "{exec:?}"
    );
    let again = root.run(&["pause", "frozen"]);
    assert!(stderr(&again).contains("is already paused"), "{again:?}");
    assert_eq!(root.ok(&["unpause", "frozen"]), "frozen\n");
    assert_eq!(root.status("frozen"), "running");
    assert_eq!(root.ok(&["exec", "frozen", "echo", "awake"]), "awake\n");
    let not_paused = root.run(&["unpause", "frozen"]);
    assert!(
        stderr(&not_paused).contains("is not paused") && not_paused.status.code() == Some(1),
        "{not_paused:?}"
    );
}

#[test]
fn stop_kills_with_sigkill_after_the_timeout_and_start_runs_it_again() {
    if !can_run("stop_kills_with_sigkill_after_the_timeout_and_start_runs_it_again") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "stubborn"], &["sleep", "100"]);
    let first_start = root.inspect("stubborn", "{{.State.StartedAt}}");
    let started = Instant::now();
    assert_eq!(root.ok(&["stop", "-t", "1", "stubborn"]), "stubborn\n");
    // PID 1 has no SIGTERM handler, so the kernel ignores SIGTERM for it: only SIGKILL ends it.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "stop did not wait for the timeout"
    );
    assert_eq!(root.status("stubborn"), "exited");
    assert_eq!(root.inspect("stubborn", "{{.State.ExitCode}}"), "137");
    assert_ne!(
        root.inspect("stubborn", "{{.State.FinishedAt}}"),
        "0001-01-01T00:00:00Z"
    );
    assert_eq!(
        root.ok(&["stop", "stubborn"]),
        "stubborn\n",
        "stopping a stopped container is not an error"
    );
    assert_eq!(root.ok(&["start", "stubborn"]), "stubborn\n");
    assert_eq!(root.status("stubborn"), "running");
    assert_ne!(
        root.inspect("stubborn", "{{.State.StartedAt}}"),
        first_start
    );
    assert_eq!(
        root.ok(&["start", "stubborn"]),
        "stubborn\n",
        "starting a running container does nothing"
    );
    let before = root.inspect("stubborn", "{{.State.Pid}}");
    assert_eq!(root.ok(&["restart", "-t", "0", "stubborn"]), "stubborn\n");
    assert_eq!(root.status("stubborn"), "running");
    assert_ne!(
        root.inspect("stubborn", "{{.State.Pid}}"),
        before,
        "restart started a new PID 1"
    );
}

#[test]
fn kill_sends_a_signal_that_pid_1_ignores_unless_it_handles_it_and_refuses_a_stopped_container() {
    if !can_run("kill_sends_a_signal_that_pid_1_ignores_unless_it_handles_it_and_refuses_a_stopped_container") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "target"], &["sleep", "100"]);
    // PID 1 of a PID namespace gets only the signals it has a handler for — even from the host.
    // sleep has none, so SIGTERM and SIGHUP change nothing; only SIGKILL is always delivered.
    assert_eq!(root.ok(&["kill", "-s", "TERM", "target"]), "target\n");
    assert_eq!(root.ok(&["kill", "-s", "hup", "target"]), "target\n");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(root.status("target"), "running");
    assert_eq!(root.ok(&["kill", "target"]), "target\n");
    assert_eq!(
        root.status("target"),
        "exited",
        "kill (SIGKILL) returns once the exit is recorded"
    );
    assert_eq!(root.inspect("target", "{{.State.ExitCode}}"), "137");
    let again = root.run(&["kill", "target"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("Cannot kill container: target: Container")
            && stderr(&again).contains("is not running"),
        "{again:?}"
    );
    assert!(stderr(&root.run(&["kill", "-s", "NOPE", "target"])).contains("Invalid signal: NOPE"));
}

#[test]
fn create_then_start_walks_created_running_exited() {
    if !can_run("create_then_start_walks_created_running_exited") {
        return;
    }
    let root = Root::new();
    let id = root.ok(&[
        "create",
        "--network",
        "none",
        "--name",
        "later",
        "toolbox",
        "sh",
        "-c",
        "echo created; exit 4",
    ]);
    assert_eq!(id.trim().len(), 64);
    assert_eq!(root.status("later"), "created");
    assert!(root
        .ok(&["ps", "-a"])
        .lines()
        .any(|l| l.contains(" Created ") && l.ends_with("later")));
    assert_eq!(
        root.inspect("later", "{{.State.StartedAt}}"),
        "0001-01-01T00:00:00Z"
    );
    let attached = root.run(&["start", "-a", "later"]);
    assert_eq!(stdout(&attached), "created\n");
    assert_eq!(
        attached.status.code(),
        Some(4),
        "start -a exits with the container's code"
    );
    assert_eq!(root.status("later"), "exited");
    let multi = root.run(&["start", "-a", "later", "later"]);
    assert!(
        stderr(&multi).contains("cannot start and attach multiple containers"),
        "{multi:?}"
    );
}

#[test]
fn a_failed_start_is_recorded_with_dockers_exit_code() {
    if !can_run("a_failed_start_is_recorded_with_dockers_exit_code") {
        return;
    }
    let root = Root::new();
    let out = root.run(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "broken",
        "toolbox",
        "nosuch",
    ]);
    assert_eq!(out.status.code(), Some(127), "{out:?}");
    assert!(
        stderr(&out).contains("executable file not found"),
        "{out:?}"
    );
    assert_eq!(root.status("broken"), "created");
    assert_eq!(root.inspect("broken", "{{.State.ExitCode}}"), "127");
    assert!(root
        .inspect("broken", "{{.State.Error}}")
        .contains("nosuch"));
    let start = root.run(&["start", "broken"]);
    assert_eq!(start.status.code(), Some(1), "{start:?}");
}

#[test]
fn rm_refuses_a_running_container_and_rm_f_leaves_nothing_behind() {
    if !can_run("rm_refuses_a_running_container_and_rm_f_leaves_nothing_behind") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--name", "doomed"], &["sleep", "100"]);
    let pid: i32 = root.inspect("doomed", "{{.State.Pid}}").parse().unwrap();
    assert!(
        !cgroup_dirs(&id).is_empty(),
        "a running container has a cgroup"
    );
    assert!(
        !root.processes().is_empty(),
        "a running container has a monitor"
    );
    let refused = root.run(&["rm", "doomed"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("cannot remove container \"/doomed\": container is running: stop the container before removing or force remove"),
        "{refused:?}"
    );
    assert_eq!(root.ok(&["rm", "-f", "doomed"]), "doomed\n");
    assert!(!alive(pid), "PID 1 survived rm -f");
    assert!(
        cgroup_dirs(&id).is_empty(),
        "cgroup left: {:?}",
        cgroup_dirs(&id)
    );
    assert!(
        root.processes().is_empty(),
        "processes left: {:?}",
        root.processes()
    );
    assert_eq!(mounts_below(root.path()), 0);
    assert!(!root.path().join("containers").join(&id).exists());
    assert!(stderr(&root.run(&["inspect", "doomed"])).contains("No such object: doomed"));
    // An exited container is removed without -f; a paused one needs -f.
    root.detach(&["--name", "quick"], &["true"]);
    root.wait_for_status("quick", "exited");
    assert_eq!(root.ok(&["rm", "quick"]), "quick\n");
    root.detach(&["--name", "paused"], &["sleep", "100"]);
    root.ok(&["pause", "paused"]);
    assert!(stderr(&root.run(&["rm", "paused"])).contains("container is paused"));
    assert_eq!(root.ok(&["rm", "-f", "paused"]), "paused\n");
    assert!(
        root.processes().is_empty(),
        "processes left: {:?}",
        root.processes()
    );
}

#[test]
fn inspect_is_docker_shaped_and_its_pid_is_one_nsenter_accepts() {
    if !can_run("inspect_is_docker_shaped_and_its_pid_is_one_nsenter_accepts") {
        return;
    }
    let root = Root::new();
    let id = root.detach(
        &["--name", "web", "-e", "A=1", "--restart", "on-failure:2"],
        &["sleep", "100"],
    );
    let json: serde_json::Value = serde_json::from_str(&root.ok(&["inspect", "web"])).unwrap();
    let c = &json[0];
    assert_eq!(c["Id"], id.as_str());
    assert_eq!(c["Name"], "/web");
    assert_eq!(c["Path"], "sleep");
    assert_eq!(c["Args"], serde_json::json!(["100"]));
    assert_eq!(c["State"]["Status"], "running");
    assert_eq!(c["State"]["Running"], true);
    assert_eq!(c["State"]["OOMKilled"], false);
    assert!(c["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e == "A=1"));
    assert_eq!(c["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(c["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 2);
    assert!(c["NetworkSettings"].is_object() && c["Mounts"].is_array());
    let pid = root.inspect("web", "{{.State.Pid}}");
    assert_eq!(pid, c["State"]["Pid"].to_string());
    if std::path::Path::new("/usr/bin/nsenter").exists() {
        let ip = std::process::Command::new("nsenter")
            .args(["-t", &pid, "-n", "ip", "a"])
            .output()
            .unwrap();
        assert!(ip.status.success(), "{ip:?}");
        assert!(
            stdout(&ip).contains("lo:") && !stdout(&ip).contains(" eth0"),
            "--network none: {ip:?}"
        );
        let uts = std::process::Command::new("nsenter")
            .args(["-t", &pid, "-u", "hostname"])
            .output()
            .unwrap();
        assert_eq!(stdout(&uts).trim(), &id[..12]);
    }
    let bad = root.run(&["inspect", "--format", "{{.Nope}}", "web"]);
    assert!(
        stderr(&bad).contains("map has no entry for key \"Nope\""),
        "{bad:?}"
    );
    let missing = root.run(&["inspect", "web", "nosuch"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stdout(&missing).contains("\"Name\": \"/web\"")
            && stderr(&missing).contains("No such object: nosuch")
    );
}

#[test]
fn top_shows_the_containers_processes_with_host_pids() {
    if !can_run("top_shows_the_containers_processes_with_host_pids") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "busy"], &["sh", "-c", "sleep 100 & sleep 200"]);
    let pid = root.inspect("busy", "{{.State.Pid}}");
    wait_until("both sleeps", || {
        root.ok(&["top", "busy"]).contains("sleep 200")
    });
    let top = root.ok(&["top", "busy"]);
    let lines: Vec<&str> = top.lines().collect();
    assert!(
        lines[0].starts_with("UID") && lines[0].contains("PID") && lines[0].ends_with("CMD"),
        "{top}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.split_whitespace().nth(1) == Some(pid.as_str())),
        "PID 1 is listed by its host pid: {top}"
    );
    assert!(
        top.contains("sleep 100") && top.contains("sleep 200"),
        "{top}"
    );
    assert!(
        !top.contains("ferry"),
        "only the container's processes: {top}"
    );
    root.ok(&["stop", "-t", "0", "busy"]);
    assert_eq!(root.run(&["top", "busy"]).status.code(), Some(1));
}

#[test]
fn wait_blocks_until_the_exit_and_prints_the_code() {
    if !can_run("wait_blocks_until_the_exit_and_prints_the_code") {
        return;
    }
    let root = Root::new();
    root.detach(&["--name", "slow"], &["sh", "-c", "sleep 1; exit 42"]);
    let started = Instant::now();
    assert_eq!(root.ok(&["wait", "slow"]), "42\n");
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(
        root.ok(&["wait", "slow"]),
        "42\n",
        "an exited container is waited for at once"
    );
}

#[test]
fn rename_changes_the_name_and_names_are_unique() {
    if !can_run("rename_changes_the_name_and_names_are_unique") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--name", "old"], &["sleep", "100"]);
    let taken = root.run(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        "old",
        "toolbox",
        "true",
    ]);
    assert_eq!(
        taken.status.code(),
        Some(125),
        "run exits 125 like docker run: {taken:?}"
    );
    assert!(
        stderr(&taken).contains(&format!(
            "Conflict. The container name \"/old\" is already in use by container \"{id}\""
        )),
        "{taken:?}"
    );
    root.ok(&["rename", "old", "new"]);
    assert_eq!(root.inspect(&id, "{{.Name}}"), "/new");
    assert_eq!(root.run(&["inspect", "old"]).status.code(), Some(1));
    root.detach(&["--name", "old"], &["true"]); // the old name is free again
    let conflict = root.run(&["rename", "new", "old"]);
    assert_eq!(conflict.status.code(), Some(1));
    assert!(stderr(&conflict).contains("is already in use"));
    let invalid = root.run(&["run", "-d", "--name", "bad name", "toolbox", "true"]);
    assert!(
        stderr(&invalid).contains("Invalid container name (bad name)"),
        "{invalid:?}"
    );
    // Without --name, Docker-style adjective_surname names are generated.
    let generated = root.detach(&[], &["true"]);
    let name = root.inspect(&generated, "{{.Name}}");
    assert!(name.starts_with('/') && name.contains('_'), "{name}");
    assert!(stderr(&root.run(&["stop", "nosuch"])).contains("No such container: nosuch"));
}

#[test]
fn twenty_concurrent_run_d_give_twenty_containers_with_distinct_names() {
    if !can_run("twenty_concurrent_run_d_give_twenty_containers_with_distinct_names") {
        return;
    }
    let root = Root::new();
    let children: Vec<_> = (0..20)
        .map(|i| {
            let mut cmd = root.spawnable();
            // Half ask for the same name: exactly one of those may win.
            if i % 2 == 0 {
                cmd.args([
                    "run",
                    "-d",
                    "--network",
                    "none",
                    "--name",
                    "contested",
                    "toolbox",
                    "sleep",
                    "100",
                ]);
            } else {
                cmd.args(["run", "-d", "--network", "none", "toolbox", "sleep", "100"]);
            }
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let succeeded = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(
        succeeded, 11,
        "ten anonymous runs and one of the contested ones: {outputs:?}"
    );
    let conflicts = outputs
        .iter()
        .filter(|o| stderr(o).contains("Conflict. The container name \"/contested\""))
        .count();
    assert_eq!(conflicts, 9);
    let ps = root.ok(&["ps", "--no-trunc"]);
    let names: Vec<&str> = ps
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(names.len(), 11, "{ps}");
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 11, "duplicate names: {names:?}");
    for out in outputs.iter().filter(|o| o.status.success()) {
        assert!(
            ps.contains(stdout(out).trim()),
            "{} is not listed",
            stdout(out)
        );
    }
}

#[test]
fn a_killed_monitor_is_noticed_and_the_container_is_marked_dead() {
    if !can_run("a_killed_monitor_is_noticed_and_the_container_is_marked_dead") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--name", "orphan"], &["sleep", "100"]);
    let pid: i32 = root.inspect("orphan", "{{.State.Pid}}").parse().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let monitor: i32 = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let cmdline = std::fs::read_to_string(format!("/proc/{monitor}/cmdline")).unwrap();
    assert!(
        cmdline.contains("monitor") && cmdline.contains(&id),
        "PID 1's parent is its monitor: {cmdline:?}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(monitor),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until("PID 1 to die with its monitor", || !alive(pid));
    assert_eq!(root.status("orphan"), "dead", "never shown running forever");
    assert!(root
        .inspect("orphan", "{{.State.Error}}")
        .contains(&format!("monitor (pid {monitor}) died")));
    assert!(root
        .ok(&["ps", "-a"])
        .lines()
        .any(|l| l.contains(" Dead ") && l.ends_with("orphan")));
    assert!(
        root.ok(&["ps"]).lines().count() == 1,
        "a dead container is not running"
    );
    let start = root.run(&["start", "orphan"]);
    assert!(stderr(&start).contains("marked for removal"), "{start:?}");
    assert_eq!(root.ok(&["rm", "orphan"]), "orphan\n");
    assert!(cgroup_dirs(&id).is_empty());
}

#[test]
fn on_failure_restarts_up_to_the_limit_and_records_each_restart() {
    if !can_run("on_failure_restarts_up_to_the_limit_and_records_each_restart") {
        return;
    }
    let root = Root::new();
    root.detach(
        &["--name", "flaky", "--restart", "on-failure:3"],
        &["sh", "-c", "echo attempt; exit 3"],
    );
    wait_until("three restarts", || {
        root.inspect("flaky", "{{.RestartCount}} {{.State.Status}}") == "3 exited"
    });
    assert_eq!(root.inspect("flaky", "{{.State.ExitCode}}"), "3");
    assert_eq!(
        root.ok(&["logs", "flaky"]),
        "attempt\n".repeat(4),
        "one run and three restarts, one log"
    );
    root.detach(&["--name", "fine", "--restart", "on-failure"], &["true"]);
    root.wait_for_status("fine", "exited");
    assert_eq!(
        root.inspect("fine", "{{.RestartCount}}"),
        "0",
        "success is not a failure"
    );
    let conflict = root.run(&["run", "--rm", "--restart", "always", "toolbox", "true"]);
    assert!(
        stderr(&conflict).contains("Conflicting options: --restart and --rm"),
        "{conflict:?}"
    );
}

#[test]
fn always_restarts_until_stopped_and_stop_wins_over_the_policy() {
    if !can_run("always_restarts_until_stopped_and_stop_wins_over_the_policy") {
        return;
    }
    let root = Root::new();
    root.detach(
        &["--name", "phoenix", "--restart", "always"],
        &["sh", "-c", "sleep 0.3"],
    );
    wait_until("two restarts", || {
        root.inspect("phoenix", "{{.RestartCount}}")
            .parse::<u32>()
            .unwrap()
            >= 2
    });
    root.ok(&["stop", "-t", "1", "phoenix"]);
    assert_eq!(root.status("phoenix"), "exited");
    let count = root.inspect("phoenix", "{{.RestartCount}}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        root.status("phoenix"),
        "exited",
        "a stopped container stays stopped"
    );
    assert_eq!(root.inspect("phoenix", "{{.RestartCount}}"), count);
    assert!(
        root.processes().is_empty(),
        "the monitor went: {:?}",
        root.processes()
    );
}

#[test]
fn attached_run_with_a_restart_policy_returns_at_the_first_exit() {
    if !can_run("attached_run_with_a_restart_policy_returns_at_the_first_exit") {
        return;
    }
    let root = Root::new();
    let out = root.run(&[
        "run",
        "--network",
        "none",
        "--name",
        "fg",
        "--restart",
        "on-failure:2",
        "toolbox",
        "sh",
        "-c",
        "echo run; exit 5",
    ]);
    assert_eq!(stdout(&out), "run\n");
    assert_eq!(out.status.code(), Some(5));
    wait_until("the background restarts", || {
        root.inspect("fg", "{{.RestartCount}} {{.State.Status}}") == "2 exited"
    });
    assert_eq!(root.ok(&["logs", "fg"]), "run\nrun\nrun\n");
}

#[test]
fn run_rm_d_removes_the_container_when_it_exits() {
    if !can_run("run_rm_d_removes_the_container_when_it_exits") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--rm", "--name", "fleeting"], &["sh", "-c", "sleep 0.5"]);
    wait_until("the container to remove itself", || {
        !root.path().join("containers").join(&id).exists()
    });
    assert_eq!(root.run(&["inspect", "fleeting"]).status.code(), Some(1));
    assert!(cgroup_dirs(&id).is_empty());
    wait_until("the monitor to go", || root.processes().is_empty());
}

#[test]
fn t_gives_pid_1_a_real_terminal_and_i_passes_stdin() {
    if !can_run("t_gives_pid_1_a_real_terminal_and_i_passes_stdin") {
        return;
    }
    let root = Root::new();
    let tty = root.run(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-t",
        "toolbox",
        "sh",
        "-c",
        "ls -l /proc/self/fd/0 /proc/self/fd/1",
    ]);
    let text = stdout(&tty);
    assert_eq!(text.matches("-> /dev/pts/0").count(), 2, "{text:?}");
    assert!(text.ends_with("\r\n"), "{text:?}");
    let mut child = root
        .spawnable()
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            "-i",
            "toolbox",
            "sh",
            "-c",
            "cat; echo end",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"line 1\nline 2\n")
        .unwrap();
    assert_eq!(
        stdout(&child.wait_with_output().unwrap()),
        "line 1\nline 2\nend\n"
    );
    let no_stdin = root
        .ferry()
        .args(["run", "--rm", "--network", "none", "toolbox", "cat"])
        .write_stdin("ignored")
        .output()
        .unwrap();
    assert_eq!(stdout(&no_stdin), "", "without -i stdin is /dev/null");
    root.detach(&["--name", "held", "-i"], &["cat"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        root.status("held"),
        "running",
        "-d -i keeps stdin open, so cat waits"
    );
}

#[test]
fn user_entrypoint_env_file_and_workdir_shape_pid_1() {
    if !can_run("user_entrypoint_env_file_and_workdir_shape_pid_1") {
        return;
    }
    let root = Root::new();
    let env_file = root.path().join("app.env");
    std::fs::write(&env_file, "# settings\nGREETING=hello\n\nTARGET=world\n").unwrap();
    let out = root.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--env-file",
        env_file.to_str().unwrap(),
        "-e",
        "TARGET=ferry",
        "-w",
        "/work",
        "-u",
        "nobody",
        "toolbox",
        "sh",
        "-c",
        "echo $GREETING $TARGET; pwd; id -u; echo $HOME",
    ]);
    assert_eq!(out, "hello ferry\n/work\n65534\n/nonexistent\n");
    assert_eq!(
        root.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "-u",
            "1234:5678",
            "toolbox",
            "id"
        ])
        .trim(),
        "uid=1234 gid=5678 groups=5678"
    );
    let unknown = root.run(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-u",
        "ghost",
        "toolbox",
        "id",
    ]);
    assert!(
        stderr(&unknown).contains("unable to find user ghost"),
        "{unknown:?}"
    );
    let entry = root.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "echo",
        "toolbox",
        "from",
        "entrypoint",
    ]);
    assert_eq!(entry, "from entrypoint\n");
}

#[test]
fn container_prune_removes_stopped_containers_only() {
    if !can_run("container_prune_removes_stopped_containers_only") {
        return;
    }
    let root = Root::new();
    let running = root.detach(&["--name", "keep"], &["sleep", "100"]);
    let stopped = root.detach(&["--name", "gone"], &["true"]);
    root.wait_for_status("gone", "exited");
    root.ok(&["create", "--name", "never", "toolbox", "true"]);
    let out = root.ok(&["container", "prune", "-f"]);
    assert!(
        out.starts_with("Deleted Containers:\n")
            && out.contains(&stopped)
            && out.contains("Total reclaimed space: "),
        "{out}"
    );
    assert!(!out.contains(&running));
    assert_eq!(root.ok(&["ps", "-aq"]).trim(), &running[..12]);
    assert_eq!(
        root.ok(&["container", "ls", "-q"]).trim(),
        &running[..12],
        "`container ls` is `ps`"
    );
}

#[test]
fn a_removal_interrupted_by_a_killed_cli_is_finished_by_the_next_rm() {
    if !can_run("a_removal_interrupted_by_a_killed_cli_is_finished_by_the_next_rm") {
        return;
    }
    let root = Root::new();
    let id = root.detach(&["--name", "half"], &["true"]);
    root.wait_for_status("half", "exited");
    // What a `ferry rm` killed after its first step leaves: the record says "removing".
    let record = root.path().join("containers").join(&id).join("state.json");
    let text = std::fs::read_to_string(&record)
        .unwrap()
        .replace("\"Status\": \"exited\"", "\"Status\": \"removing\"");
    std::fs::write(&record, text).unwrap();
    assert!(root.ok(&["ps", "-a"]).contains("Removal In Progress"));
    assert!(stderr(&root.run(&["start", "half"])).contains("marked for removal"));
    assert_eq!(root.ok(&["rm", "half"]), "half\n");
    assert!(!root.path().join("containers").join(&id).exists());
    // What a `ferry run` killed before writing its record leaves: a directory without one.
    let leftover = root.path().join("containers").join("a".repeat(64));
    std::fs::create_dir_all(leftover.join("upper")).unwrap();
    assert_eq!(
        root.ok(&["ps", "-aq"]),
        "",
        "a half-created container is not listed"
    );
    root.detach(&["--name", "next"], &["true"]);
    assert!(!leftover.exists(), "the next create cleans it up");
}

#[test]
fn descriptors_the_cli_inherited_do_not_leak_into_the_container() {
    if !can_run("descriptors_the_cli_inherited_do_not_leak_into_the_container") {
        return;
    }
    let root = Root::new();
    let ferry = assert_cmd::cargo::cargo_bin("ferry");
    // fd 9 is open (without close-on-exec) in the ferry process, as a caller's pipe could be.
    let script = format!(
        "exec 9</dev/null; {} --root {} run --rm --network none toolbox ls /proc/self/fd",
        ferry.display(),
        root.path().display()
    );
    let out = std::process::Command::new("sh")
        .args(["-c", &script])
        .output()
        .unwrap();
    let fds: Vec<&str> = std::str::from_utf8(&out.stdout)
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(
        fds.contains(&"2") && !fds.contains(&"9"),
        "descriptors in the container: {fds:?} ({out:?})"
    );
    let id = root.detach(&["--name", "held"], &["sleep", "100"]);
    let exec = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "exec 9</dev/null; {} --root {} exec {id} ls /proc/self/fd",
                ferry.display(),
                root.path().display()
            ),
        ])
        .output()
        .unwrap();
    assert!(
        !stdout(&exec).split_whitespace().any(|fd| fd == "9"),
        "{exec:?}"
    );
}
