//! The monitor: the one process that stays with a running container (what containerd-shim and
//! conmon are for Docker and Podman).
//!
//! A container's PID 1 needs a parent that outlives the command that started it:
//! - to hold the other end of its stdout and stderr, and write them to the log;
//! - to `wait` for it, so its exit code, finish time and `OOMKilled` are recorded (and it does not
//!   linger as a zombie);
//! - to start it again when its restart policy says so.
//!
//! ferry has no daemon, so each container gets its own monitor: `ferry start` re-executes the
//! `ferry` binary as the hidden `ferry monitor <id>`, which leaves the caller's process tree and
//! session (the classic double fork) and runs [`supervise`]. When attached (`ferry run` without
//! `-d`, `ferry start -a`) the CLI process *is* the monitor, and also prints the output.
//!
//! The monitor holds `monitor.lock` for its whole life. It is taken by the `ferry start` that
//! decided to start the container and handed down as an inherited descriptor, so it is never free
//! while a start is in progress, and it is freed by the kernel the moment the monitor dies — which
//! is how every other `ferry` process tells a live monitor from a dead one (see `repair`).

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{pipe2, Pid};

use super::attach::{self, Output, Sinks};
use super::lock::FileLock;
use super::logs::LogWriter;
use super::restart::Backoff;
use super::state::Status;
use super::store::Container;
use super::time::Timestamp;
use super::{cgroup, remove, spec, ContainerId, StateRoot};
use crate::cgroups::ContainerCgroup;
use crate::error::EXIT_ENGINE_ERROR;
use crate::network;
use crate::runtime::{self, pty, ExitStatus, SignalForwarding, Stdio};
use crate::{Error, Result};

/// The descriptor on which a background monitor reports that PID 1 runs (or why it does not).
const READY_FD: RawFd = 3;
/// The descriptor of the monitor lock a background monitor inherits.
const LOCK_FD: RawFd = 4;

/// Whether the user's terminal is attached to the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attach {
    /// A background monitor: output goes to the log only.
    Detached,
    /// The CLI is the monitor: output is printed too, and with `-i` the CLI's stdin is the
    /// container's.
    Attached,
}

fn conflict(message: &str) -> Error {
    Error::Conflict(message.to_string())
}

// ANCHOR: claim
/// Takes responsibility for starting `container`: its state must allow a start, and nobody may
/// hold its monitor lock. `None` means a monitor already runs it (`start` then does nothing, as
/// Docker's does for a running container).
fn claim(container: &mut Container) -> Result<Option<FileLock>> {
    let _state = container.lock()?;
    container.reload()?;
    match container.status() {
        Status::Paused => {
            return Err(conflict(
                "cannot start a paused container, try unpause instead",
            ))
        }
        Status::Removing | Status::Dead => {
            return Err(conflict(
                "container is marked for removal and cannot be started",
            ))
        }
        _ => {}
    }
    let Some(lock) = FileLock::try_exclusive(&container.monitor_lock())? else {
        return Ok(None);
    };
    // A start clears an earlier `ferry stop`; a record that says nothing of one is not rewritten
    // (each write costs an fsync, on the path of every `ferry run`).
    if container.record.state.manually_stopped {
        container.record.state.manually_stopped = false;
        container.record.save(&container.dir)?;
    }
    Ok(Some(lock))
}
// ANCHOR_END: claim

/// Starts `container` under a background monitor and returns once its PID 1 runs, or with the
/// reason it could not start. `Ok(false)`: it was running already.
pub fn start_detached(root: &StateRoot, container: &mut Container) -> Result<bool> {
    let Some(lock) = claim(container)? else {
        return Ok(false);
    };
    let report = spawn_monitor(root, container, &lock, false)?;
    drop(lock); // the monitor holds the same lock through its inherited descriptor
    container.reload()?;
    match report.split_once('\n') {
        Some(("ok", _)) => Ok(true),
        Some((code, message)) => Err(Error::Start {
            exit_code: code.parse().unwrap_or(EXIT_ENGINE_ERROR),
            message: message.to_string(),
        }),
        None => Err(Error::Start {
            exit_code: EXIT_ENGINE_ERROR,
            message: format!(
                "the container's monitor exited without starting it (see {})",
                container.dir.join("monitor.log").display()
            ),
        }),
    }
}

/// Starts `container` with this process as its monitor, prints its output, and returns the exit
/// code of its PID 1 (`ferry run` without `-d`, `ferry start -a`).
pub fn run_attached(root: &StateRoot, container: &mut Container) -> Result<i32> {
    let Some(lock) = claim(container)? else {
        return Err(conflict(
            "the container is already running; ferry cannot attach to a running container",
        ));
    };
    supervise(root, container, &lock, Attach::Attached, false, |_| {})
}

// ANCHOR: spawn_monitor
/// Starts `ferry monitor <id>` as a background process that inherits `lock`, and waits for its
/// first report (unless `restarting`: then it reports nothing and waits out a back-off first).
fn spawn_monitor(
    root: &StateRoot,
    container: &Container,
    lock: &FileLock,
    restarting: bool,
) -> Result<String> {
    let exe =
        std::env::current_exe().map_err(Error::io("find the ferry binary", "/proc/self/exe"))?;
    let root_path =
        std::fs::canonicalize(root.path()).map_err(Error::io("resolve", root.path()))?;
    let (ready_rx, ready_tx) =
        pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("create the monitor's report pipe"))?;
    // Copies above the descriptors they will become, so moving them to 3 and 4 cannot clobber one.
    let high = |fd: RawFd| {
        fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(100))
            .map_err(Error::sys("duplicate a descriptor for the monitor"))
    };
    let (ready_high, lock_high) = (high(ready_tx.as_raw_fd())?, high(lock.file().as_raw_fd())?);
    // SAFETY: both are fresh descriptors owned by nobody else; they are closed when dropped.
    let (ready_high, lock_high) = unsafe {
        (
            OwnedFd::from_raw_fd(ready_high),
            OwnedFd::from_raw_fd(lock_high),
        )
    };
    let log_path = container.dir.join("monitor.log");
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(super::logs::LOG_MODE)
        .open(&log_path)
        .map_err(Error::io("open", &log_path))?;
    let mut command = Command::new(exe);
    command
        .arg("--root")
        .arg(root_path)
        .arg("monitor")
        .arg(container.id().as_str());
    if restarting {
        command.arg("--restarting");
    }
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log);
    let (ready_raw, lock_raw) = (ready_high.as_raw_fd(), lock_high.as_raw_fd());
    // SAFETY: between fork and exec the closure only makes async-signal-safe calls (setsid, dup2,
    // close_range).
    unsafe {
        command.pre_exec(move || {
            // A session of its own: no terminal, no signals from the caller's Ctrl-C.
            nix::unistd::setsid()?;
            nix::unistd::dup2(ready_raw, READY_FD)?;
            nix::unistd::dup2(lock_raw, LOCK_FD)?;
            // Nothing else this CLI inherited goes to the monitor (it would hold it for days).
            libc::close_range(
                LOCK_FD as libc::c_uint + 1,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC as libc::c_int,
            );
            Ok(())
        });
    }
    let mut intermediate = command
        .spawn()
        .map_err(Error::io("start the monitor", "ferry monitor"))?;
    drop((ready_tx, ready_high, lock_high));
    // The first monitor process forks the real monitor and exits at once.
    let _ = intermediate.wait();
    let mut report = String::new();
    if !restarting {
        let _ = std::fs::File::from(ready_rx).read_to_string(&mut report);
    }
    Ok(report)
}
// ANCHOR_END: spawn_monitor

/// Takes a descriptor this process inherited and keeps it from being inherited further (PID 1
/// must not hold the monitor lock: the lock has to die with the monitor).
fn adopt(fd: RawFd) -> Result<OwnedFd> {
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
        .map_err(Error::sys("adopt an inherited descriptor"))?;
    // SAFETY: the descriptor was handed to this process for it to own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

// ANCHOR: monitor_main
/// The hidden `ferry monitor <id>` command: leave the caller's process tree, then supervise the
/// container until it is stopped for good. Returns the process's exit code.
pub fn monitor_main(root: &StateRoot, id: &str, restarting: bool) -> i32 {
    // The double fork's second half: our parent (the caller's child) exits at once, we are adopted
    // by init, and — not being a session leader — can never acquire a controlling terminal.
    // SAFETY: single-threaded here; the parent only calls _exit.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Parent { .. }) => unsafe { libc::_exit(0) },
        Ok(nix::unistd::ForkResult::Child) => {}
        Err(e) => {
            eprintln!("ferry monitor: fork: {e}");
            return EXIT_ENGINE_ERROR;
        }
    }
    let _ = nix::unistd::chdir("/");
    match monitor(root, id, restarting) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("ferry monitor {id}: {e}");
            1
        }
    }
}
// ANCHOR_END: monitor_main

fn monitor(root: &StateRoot, id: &str, restarting: bool) -> Result<i32> {
    let ready = adopt(READY_FD)?;
    let dir = root.container_dir(&ContainerId::parse(id)?);
    let lock = FileLock::inherit(adopt(LOCK_FD)?, dir.join("monitor.lock"));
    let mut container = Container::load(&dir)?;
    let mut ready = Some(ready);
    if restarting {
        ready = None; // the caller does not wait for a restart
    }
    supervise(
        root,
        &mut container,
        &lock,
        Attach::Detached,
        restarting,
        |outcome| {
            if let Some(fd) = ready.take() {
                let message = match outcome {
                    Ok(pid) => format!("ok\n{pid}"),
                    Err(e) => format!("{}\n{}", e.exit_code(), start_error_message(e)),
                };
                let _ = std::fs::File::from(fd).write_all(message.as_bytes());
            }
        },
    )
}

/// The message of a start failure without the "failed to start container: " the CLI adds again.
fn start_error_message(e: &Error) -> String {
    match e {
        Error::Start { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// What happens after PID 1 exited.
enum Next {
    /// The restart policy starts it again.
    Restart,
    /// It stays exited.
    Stop,
    /// `rm` is removing it: leave everything to `rm`.
    Removing,
}

/// One run of the container: PID 1, its cgroup, and the monitor's ends of its streams.
struct Run {
    pid: Pid,
    cgroup: ContainerCgroup,
    output: Output,
    /// With `-d -i`: the write end of PID 1's stdin, held so that it stays open (as Docker's does).
    _stdin: Option<OwnedFd>,
    started: Instant,
}

// ANCHOR: supervise
/// The monitor's loop: start PID 1, move its output to the log until it exits, record the exit,
/// and start it again while the restart policy says so. `ready` hears about the first start.
fn supervise(
    root: &StateRoot,
    container: &mut Container,
    lock: &FileLock,
    attach: Attach,
    mut restarting: bool,
    mut ready: impl FnMut(std::result::Result<Pid, &Error>),
) -> Result<i32> {
    let mut backoff = Backoff::new();
    let mut exit_code = 0;
    loop {
        if restarting && !wait_to_restart(container, backoff.delay_after(Duration::ZERO))? {
            break;
        }
        let run = match start_once(root, container, attach) {
            Ok(run) => run,
            Err(e) => {
                record_start_failure(container, &e)?;
                ready(Err(&e));
                if container.record.config.auto_remove {
                    remove::delete_stopped(root, container)?;
                }
                return Err(e);
            }
        };
        ready(Ok(run.pid));
        exit_code = wait_for_exit(container, &run, attach)?.code();
        // PID 1 is gone, and its network namespace with it: free its address, ports and rules.
        network::hooks::detach_container(root, container.id())?;
        match record_exit(container, exit_code, &run.cgroup)? {
            Next::Removing => return Ok(exit_code),
            Next::Stop => break,
            Next::Restart if attach == Attach::Attached => {
                // `docker run` returns at the first exit; the restarts go on in the background.
                spawn_monitor(root, container, lock, true)?;
                return Ok(exit_code);
            }
            Next::Restart => {
                restarting = false;
                if !wait_to_restart(container, backoff.delay_after(run.started.elapsed()))? {
                    break;
                }
            }
        }
    }
    if container.record.config.auto_remove {
        remove::delete_stopped(root, container)?;
    }
    Ok(exit_code)
}
// ANCHOR_END: supervise

// ANCHOR: prepare
/// What must happen to PID 1 from the outside while it is held between `clone` and `exec`: it
/// joins the container's cgroup (limits, `pause`, `stats`, cleanup all work on the cgroup), and
/// its network namespace gets its network (a veth, an address, routes, published ports) and its
/// /etc/hosts, /etc/hostname and /etc/resolv.conf.
fn prepare(
    root: &StateRoot,
    container: &Container,
    cgroup: &ContainerCgroup,
    pid: Pid,
) -> Result<()> {
    cgroup.add_process(pid)?;
    network::hooks::attach_container(root, container, pid.as_raw())
}
// ANCHOR_END: prepare

/// The standard streams of one run: what PID 1 gets, and the monitor's ends.
struct Streams {
    stdio: Stdio,
    /// The container's ends, closed in the monitor once PID 1 has its copies.
    child_ends: Vec<OwnedFd>,
    output: Option<Output>,
    stdin_keepalive: Option<OwnedFd>,
}

fn streams(tty: bool, open_stdin: bool, attach: Attach) -> Result<Streams> {
    if tty {
        return Ok(Streams {
            stdio: Stdio::Terminal,
            child_ends: vec![],
            output: None,
            stdin_keepalive: None,
        });
    }
    let pipe =
        || pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("create a pipe for the container's output"));
    let ((out_r, out_w), (err_r, err_w)) = (pipe()?, pipe()?);
    let (stdin, keepalive, stdin_end) = match (open_stdin, attach) {
        (true, Attach::Attached) => (Some(std::io::stdin().as_raw_fd()), None, None),
        (true, Attach::Detached) => {
            let (r, w) = pipe()?;
            (Some(r.as_raw_fd()), Some(w), Some(r))
        }
        (false, _) => (None, None, None),
    };
    let stdio = Stdio::Fds {
        stdin,
        stdout: out_w.as_raw_fd(),
        stderr: err_w.as_raw_fd(),
    };
    let mut child_ends = vec![out_w, err_w];
    child_ends.extend(stdin_end);
    Ok(Streams {
        stdio,
        child_ends,
        output: Some(Output::Pipes {
            stdout: out_r,
            stderr: err_r,
        }),
        stdin_keepalive: keepalive,
    })
}

/// Starts PID 1 once: its cgroup, its streams, `runtime::spawn`, and the record says `running`.
fn start_once(root: &StateRoot, container: &mut Container, attach: Attach) -> Result<Run> {
    container.reload()?;
    if matches!(container.status(), Status::Removing | Status::Dead) {
        return Err(conflict(
            "container is marked for removal and cannot be started",
        ));
    }
    let config = container.record.config.clone();
    let streams = streams(config.tty, config.open_stdin, attach)?;
    let mut spec = spec::container_spec(container, streams.stdio)?;
    let cgroup = cgroup::create(container, &config.limits)?;
    spec.cgroup = cgroup.view();
    let mut spawned = match runtime::spawn(&spec, |pid| prepare(root, container, &cgroup, pid)) {
        Ok(spawned) => spawned,
        Err(e) => {
            let _ = network::hooks::detach_container(root, container.id());
            let _ = cgroup.remove();
            return Err(e);
        }
    };
    drop(streams.child_ends);
    let output = match (streams.output, spawned.terminal.take()) {
        (Some(output), _) => output,
        (None, Some(master)) => Output::Terminal { master },
        (None, None) => {
            return Err(Error::Start {
                exit_code: EXIT_ENGINE_ERROR,
                message: "the container has no terminal".into(),
            })
        }
    };
    let pid = spawned.pid;
    let stopped_meanwhile = container.update_state(|record| {
        let state = &mut record.state;
        state.status = Status::Running;
        state.pid = Some(pid.as_raw());
        state.monitor_pid = Some(nix::unistd::getpid().as_raw());
        state.started_at = Timestamp::now();
        state.exit_code = 0;
        state.oom_killed = false;
        state.error.clear();
        Ok(state.manually_stopped)
    })?;
    if stopped_meanwhile {
        // `ferry stop` came while a restart was starting: it waits for this exit.
        let _ = kill(pid, Signal::SIGKILL);
    }
    Ok(Run {
        pid,
        cgroup,
        output,
        _stdin: streams.stdin_keepalive,
        started: Instant::now(),
    })
}

/// Moves the output until PID 1 is gone, then reaps it. Attached, the CLI forwards the signals it
/// gets (Ctrl-C) to PID 1 and, with `-it`, puts its terminal in raw mode.
fn wait_for_exit(container: &Container, run: &Run, attach: Attach) -> Result<ExitStatus> {
    let config = &container.record.config;
    let attached = attach == Attach::Attached;
    let _forwarding = if attached {
        Some(SignalForwarding::to(run.pid)?)
    } else {
        None
    };
    let stdin = std::io::stdin();
    let typing = attached && config.tty && config.open_stdin;
    let _raw = if typing && pty::is_terminal(stdin.as_fd()) {
        Some(pty::RawTerminal::enter(stdin.as_fd())?)
    } else {
        None
    };
    let mut log = LogWriter::open(&container.log_path())?;
    let sinks = Sinks {
        echo: attached,
        input: typing.then(|| stdin.as_fd()),
    };
    attach::pump(&run.output, Some(&mut log), sinks)?;
    runtime::reap(run.pid)
}

// ANCHOR: record_exit
/// Records how PID 1 ended — exit code, finish time, whether the OOM killer did it — removes its
/// cgroup, and decides (with the restart policy) what comes next.
fn record_exit(
    container: &mut Container,
    exit_code: i32,
    cgroup: &ContainerCgroup,
) -> Result<Next> {
    let oom_killed = cgroup.oom_killed().unwrap_or(false);
    let _ = cgroup.remove();
    container.update_state(|record| {
        let state = &mut record.state;
        state.pid = None;
        state.exit_code = exit_code;
        state.oom_killed = oom_killed;
        state.finished_at = Timestamp::now();
        if state.status == Status::Removing {
            return Ok(Next::Removing);
        }
        if record.config.restart_policy.should_restart(
            exit_code,
            state.restart_count,
            state.manually_stopped,
        ) {
            state.status = Status::Restarting;
            state.restart_count += 1;
            Ok(Next::Restart)
        } else {
            state.status = Status::Exited;
            state.monitor_pid = None;
            Ok(Next::Stop)
        }
    })
}
// ANCHOR_END: record_exit

/// Records a failed start: the exit code Docker gives it (125/126/127) and the message.
fn record_start_failure(container: &mut Container, error: &Error) -> Result<()> {
    container.update(|record| {
        let state = &mut record.state;
        state.exit_code = error.exit_code();
        state.error = start_error_message(error);
        state.pid = None;
        state.monitor_pid = None;
        if state.status != Status::Created && state.status != Status::Removing {
            state.status = Status::Exited;
            state.finished_at = Timestamp::now();
        }
        Ok(())
    })
}

/// Sleeps `delay` before a restart, watching for `stop` (or `rm`); returns whether to restart.
fn wait_to_restart(container: &mut Container, delay: Duration) -> Result<bool> {
    let deadline = Instant::now() + delay;
    loop {
        container.reload()?;
        let state = &container.record.state;
        if state.manually_stopped || state.status == Status::Removing {
            container.update(|record| {
                if record.state.status == Status::Restarting {
                    record.state.status = Status::Exited;
                    record.state.monitor_pid = None;
                }
                Ok(())
            })?;
            return Ok(false);
        }
        if Instant::now() >= deadline {
            return Ok(true);
        }
        std::thread::sleep((deadline - Instant::now()).min(Duration::from_millis(50)));
    }
}
