//! The engine's side of starting a container: clone, hold, release, learn the outcome, wait.
//!
//! The child is cloned into its new namespaces and then *waits* on a pipe. That pause is where the
//! engine does what must happen from the outside before the container runs — put the child in its
//! cgroup, move a veth into its network namespace. A second pipe, closed on `exec`, carries back
//! any failure of the child's set-up, so `ferry run nosuch` can say "not found" and exit 127
//! instead of just seeing a child that died.

use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

use nix::fcntl::OFlag;
use nix::sched::{clone, CloneFlags};
use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{pipe2, Pid};

use super::init::{self, InitPlan};
use super::{ContainerSpec, NetworkMode};
use crate::error::EXIT_ENGINE_ERROR;
use crate::{Error, Result};

/// The child runs on this stack until it execs; its set-up is short and shallow.
const STACK_SIZE: usize = 1024 * 1024;

/// A started container process.
#[derive(Debug, Clone, Copy)]
pub struct Spawned {
    /// PID 1 of the container, as the host sees it.
    pub pid: Pid,
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
fn namespaces(network: NetworkMode) -> CloneFlags {
    let mut flags = CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWIPC;
    if network == NetworkMode::None {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    flags
}
// ANCHOR_END: clone_flags

/// Starts `spec` as a new container: the child is held until `prepare(pid)` returns `Ok`, then set
/// up and exec'd. Returns once the command is running (or reports why it could not start).
pub fn spawn(spec: &ContainerSpec, prepare: impl FnOnce(Pid) -> Result<()>) -> Result<Spawned> {
    let plan = InitPlan::new(spec)?;
    let (go_rx, go_tx) = pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("create the start pipe"))?;
    let (report_rx, report_tx) =
        pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("create the report pipe"))?;
    let parent_ends = [go_tx.as_raw_fd(), report_rx.as_raw_fd()];
    let mut stack = vec![0u8; STACK_SIZE];

    // ANCHOR: clone
    // SAFETY: the engine is single-threaded here, so the child (a copy of this process) cannot
    // inherit a lock held by another thread; it only runs `init::run` and then execs or exits.
    let child = unsafe {
        clone(
            Box::new(|| init::run(&plan, &go_rx, &report_tx, &parent_ends)),
            &mut stack,
            namespaces(spec.network),
            Some(Signal::SIGCHLD as i32),
        )
    }
    .map_err(Error::sys("clone the container process"))?;
    // ANCHOR_END: clone
    drop((go_rx, report_tx)); // the child's ends: keeping them open would hide its exit from us

    if let Err(e) = prepare(child) {
        kill_and_reap(child);
        return Err(e);
    }
    release(go_tx, child)?;
    match read_report(report_rx) {
        None => Ok(Spawned { pid: child }),
        Some(failure) => {
            let _ = waitpid(child, None);
            Err(failure)
        }
    }
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

/// The container PID that terminal signals are forwarded to while `ferry run` waits.
static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_signal(signal: libc::c_int) {
    let pid = FORWARD_TO.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe { libc::kill(pid, signal) };
    }
}

/// Waits for PID 1 to end, forwarding SIGINT, SIGTERM, SIGHUP and SIGQUIT to it meanwhile (as
/// `docker run` proxies signals), and returns how it ended.
pub fn wait(spawned: Spawned) -> Result<ExitStatus> {
    FORWARD_TO.store(spawned.pid.as_raw(), Ordering::SeqCst);
    let forwarded = [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ];
    for sig in forwarded {
        // SAFETY: the handler only calls kill(2) and reads an atomic.
        unsafe { signal::signal(sig, SigHandler::Handler(forward_signal)) }
            .map_err(Error::sys("install a signal handler"))?;
    }
    let status = loop {
        match waitpid(spawned.pid, None) {
            Ok(WaitStatus::Exited(_, code)) => break ExitStatus::Exited(code),
            Ok(WaitStatus::Signaled(_, sig, _)) => break ExitStatus::Signaled(sig),
            Ok(_) | Err(nix::Error::EINTR) => continue,
            Err(e) => {
                return Err(Error::Sys {
                    op: "wait for the container",
                    source: e,
                })
            }
        }
    };
    FORWARD_TO.store(0, Ordering::SeqCst);
    for sig in forwarded {
        // SAFETY: restoring the default disposition.
        let _ = unsafe { signal::signal(sig, SigHandler::SigDfl) };
    }
    Ok(status)
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
        assert!(!namespaces(NetworkMode::Host).contains(CloneFlags::CLONE_NEWNET));
        assert!(namespaces(NetworkMode::None)
            .contains(CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWPID));
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
