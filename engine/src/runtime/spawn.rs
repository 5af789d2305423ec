//! The engine's side of starting a container: clone, hold, release, learn the outcome, wait.
//!
//! The child is cloned into its new namespaces and then *waits* on a pipe. That pause is where the
//! engine does what must happen from the outside before the container runs — put the child in its
//! cgroup, move a veth into its network namespace. A second pipe, closed on `exec`, carries back
//! any failure of the child's set-up, so `ferry run nosuch` can say "not found" and exit 127
//! instead of just seeing a child that died.

use std::convert::Infallible;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

use nix::fcntl::OFlag;
use nix::sched::{clone, CloneFlags};
use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{pipe2, Pid};

use super::exec::Failure;
use super::init::{self, InitPlan};
use super::process::ChildFds;
use super::{pty, ContainerSpec, NetworkMode, Stdio};
use crate::error::EXIT_ENGINE_ERROR;
use crate::{Error, Result};

/// The child runs on this stack until it execs; its set-up is short and shallow.
const STACK_SIZE: usize = 1024 * 1024;

/// A started container process (or `exec`'d process).
#[derive(Debug)]
pub struct Spawned {
    /// Its pid, as the host sees it (PID 1 of the container for [`spawn`]).
    pub pid: Pid,
    /// With [`Stdio::Terminal`]: the master side of its terminal.
    pub terminal: Option<OwnedFd>,
}

/// How a container's PID 1 ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It exited with this code.
    Exited(i32),
    /// A signal killed it.
    Signaled(Signal),
}

impl ExitStatus {
    /// The shell convention Docker follows: the code, or 128 + the signal number.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled(signal) => 128 + signal as i32,
        }
    }
}

// ANCHOR: clone_flags
/// The namespaces every container gets: its own hostname (UTS), process tree (PID), mount table
/// (NS), System V IPC, and — unless it shares the host's — network stack.
fn namespaces(network: &NetworkMode) -> CloneFlags {
    let mut flags = CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWIPC;
    if network.is_new_namespace() {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    flags
}
// ANCHOR_END: clone_flags

/// Starts `spec` as a new container: the child is held until `prepare(pid)` returns `Ok`, then set
/// up and exec'd. Returns once the command is running (or reports why it could not start).
///
/// The child dies with its parent (`PR_SET_PDEATHSIG`): a container never outlives the monitor
/// that reaps it and records its exit.
pub fn spawn(spec: &ContainerSpec, prepare: impl FnOnce(Pid) -> Result<()>) -> Result<Spawned> {
    let plan = InitPlan::new(spec)?;
    let child = Child {
        flags: namespaces(&spec.network),
        terminal: spec.stdio == Stdio::Terminal,
        die_with_parent: true,
    };
    launch(child, |fds| init::setup(&plan, fds), prepare)
}

/// How [`launch`] starts a child.
pub(super) struct Child {
    /// The namespaces to create (none for `exec`, which joins existing ones).
    pub(super) flags: CloneFlags,
    /// Whether the child makes a terminal and sends its master back.
    pub(super) terminal: bool,
    /// Whether the child is killed when the engine process dies.
    pub(super) die_with_parent: bool,
}

// ANCHOR: launch
/// Clones a child that waits for the engine's go, runs `body` (which returns only on failure),
/// and reports a failure on a pipe that `exec` closes. In between, `prepare(pid)` runs in the
/// engine while the child is held. `body` is told which descriptors it must keep open.
pub(super) fn launch(
    child: Child,
    body: impl Fn(ChildFds) -> Result<Infallible, Failure>,
    prepare: impl FnOnce(Pid) -> Result<()>,
) -> Result<Spawned> {
    let (go_rx, go_tx) = pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("create the start pipe"))?;
    let (report_rx, report_tx) =
        pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("create the report pipe"))?;
    let console = if child.terminal {
        Some(pty::console_socket()?)
    } else {
        None
    };
    let mut parent_ends = vec![go_tx.as_raw_fd(), report_rx.as_raw_fd()];
    parent_ends.extend(console.as_ref().map(|(engine, _)| engine.as_raw_fd()));
    let child_console = console.as_ref().map(|(_, child)| child.as_raw_fd());
    let mut stack = vec![0u8; STACK_SIZE];
    let die_with_parent = child.die_with_parent;

    // ANCHOR: clone
    // SAFETY: the engine is single-threaded here, so the child (a copy of this process) cannot
    // inherit a lock held by another thread; it only runs `body` and then execs or exits.
    let pid = unsafe {
        clone(
            Box::new(|| {
                child_main(&go_rx, &report_tx, &parent_ends, die_with_parent, || {
                    body(ChildFds {
                        report: report_tx.as_raw_fd(),
                        console: child_console,
                    })
                })
            }),
            &mut stack,
            child.flags,
            Some(Signal::SIGCHLD as i32),
        )
    }
    .map_err(Error::sys("clone the container process"))?;
    // ANCHOR_END: clone
    // The child's ends: keeping them open would hide its exit from us.
    drop((go_rx, report_tx));
    let console = console.map(|(engine, _child)| engine);

    if let Err(e) = prepare(pid) {
        kill_and_reap(pid);
        return Err(e);
    }
    release(go_tx, pid)?;
    let terminal = match &console {
        Some(socket) => pty::receive_console(socket)?,
        None => None,
    };
    match read_report(report_rx) {
        None if child.terminal && terminal.is_none() => {
            kill_and_reap(pid);
            Err(Error::Start {
                exit_code: EXIT_ENGINE_ERROR,
                message: "the container did not hand back its terminal".into(),
            })
        }
        None => Ok(Spawned { pid, terminal }),
        Some(failure) => {
            let _ = waitpid(pid, None);
            Err(failure)
        }
    }
}
// ANCHOR_END: launch

/// The child's side of [`launch`]: wait for the go, run the body, report its failure.
fn child_main(
    go: &OwnedFd,
    report: &OwnedFd,
    parent_ends: &[RawFd],
    die_with_parent: bool,
    body: impl Fn() -> Result<Infallible, Failure>,
) -> isize {
    for fd in parent_ends {
        // SAFETY: these are the parent's ends, duplicated into this child by clone; the child must
        // close its copies so the pipes see EOF when the parent's side goes away.
        unsafe { libc::close(*fd) };
    }
    if die_with_parent {
        // If the engine died before this line, the read below sees EOF and we exit anyway.
        let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    }
    let mut byte = [0u8; 1];
    if !matches!(nix::unistd::read(go.as_raw_fd(), &mut byte), Ok(1)) {
        return 1; // the engine gave up on us (its prepare step failed, or it died)
    }
    let Err(failure) = body();
    let message = format!("{}\n{}", failure.exit_code, failure.message);
    let _ = nix::unistd::write(report, message.as_bytes());
    1
}

/// Lets the held child go on with its set-up.
fn release(go: OwnedFd, child: Pid) -> Result<()> {
    nix::unistd::write(&go, b"1").map_err(|e| {
        kill_and_reap(child);
        Error::Sys {
            op: "release the container process",
            source: e,
        }
    })?;
    Ok(())
}

/// Reads the child's report: nothing (EOF at exec) means it runs; otherwise `code\nmessage`.
fn read_report(report: OwnedFd) -> Option<Error> {
    let mut text = String::new();
    let _ = std::fs::File::from(report).read_to_string(&mut text);
    if text.is_empty() {
        return None;
    }
    let (code, message) = text.split_once('\n').unwrap_or(("", &text));
    let exit_code = code.parse().unwrap_or(EXIT_ENGINE_ERROR);
    Some(Error::Start {
        exit_code,
        message: message.to_string(),
    })
}

fn kill_and_reap(child: Pid) {
    let _ = signal::kill(child, Signal::SIGKILL);
    let _ = waitpid(child, None);
}

/// The process that terminal signals are forwarded to while the engine waits for it.
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_signal(signal: libc::c_int) {
    let pid = FORWARD_TO.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

const FORWARDED: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// While it lives, SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the engine go to `pid` instead, as
/// `docker run` proxies signals to the container. Dropping it restores the defaults.
#[derive(Debug)]
pub struct SignalForwarding(());

impl SignalForwarding {
    /// Starts forwarding to `pid`.
    pub fn to(pid: Pid) -> Result<Self> {
        FORWARD_TO.store(pid.as_raw(), Ordering::SeqCst);
        for sig in FORWARDED {
            // SAFETY: the handler only calls kill(2) and reads an atomic.
            unsafe { signal::signal(sig, SigHandler::Handler(forward_signal)) }
                .map_err(Error::sys("install a signal handler"))?;
        }
        Ok(SignalForwarding(()))
    }
}

impl Drop for SignalForwarding {
    fn drop(&mut self) {
        FORWARD_TO.store(0, Ordering::SeqCst);
        for sig in FORWARDED {
            // SAFETY: restoring the default disposition.
            let _ = unsafe { signal::signal(sig, SigHandler::SigDfl) };
        }
    }
}

/// Waits for the child `pid` to end and returns how it ended.
pub fn reap(pid: Pid) -> Result<ExitStatus> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(ExitStatus::Exited(code)),
            Ok(WaitStatus::Signaled(_, sig, _)) => return Ok(ExitStatus::Signaled(sig)),
            Ok(_) | Err(nix::Error::EINTR) => continue,
            Err(e) => {
                return Err(Error::Sys {
                    op: "wait for the container",
                    source: e,
                })
            }
        }
    }
}

/// Waits for PID 1 to end, forwarding terminal signals to it meanwhile, and returns how it ended.
pub fn wait(spawned: &Spawned) -> Result<ExitStatus> {
    let _forwarding = SignalForwarding::to(spawned.pid)?;
    reap(spawned.pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_killed_container_exits_with_128_plus_the_signal() {
        assert_eq!(ExitStatus::Signaled(Signal::SIGKILL).code(), 137);
        assert_eq!(ExitStatus::Exited(3).code(), 3);
    }

    #[test]
    fn host_networking_keeps_the_host_network_namespace() {
        assert!(!namespaces(&NetworkMode::Host).contains(CloneFlags::CLONE_NEWNET));
        assert!(namespaces(&NetworkMode::None)
            .contains(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWPID));
        assert!(
            namespaces(&NetworkMode::Bridge("bridge".into())).contains(CloneFlags::CLONE_NEWNET)
        );
        assert!(
            !namespaces(&NetworkMode::Container(1)).contains(CloneFlags::CLONE_NEWNET),
            "it joins another's instead"
        );
    }

    #[test]
    fn a_report_carries_the_exit_code_and_message() {
        let (rx, tx) = pipe2(OFlag::O_CLOEXEC).unwrap();
        nix::unistd::write(&tx, b"127\nexec: \"x\": executable file not found in $PATH").unwrap();
        drop(tx);
        let err = read_report(rx).unwrap();
        assert_eq!(err.exit_code(), 127);
        assert!(err.to_string().contains("executable file not found"));
    }
}
