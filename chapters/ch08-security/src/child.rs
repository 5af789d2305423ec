//! Running a closure in a child process, so that whatever it gives up (capabilities, syscalls,
//! a mount namespace) is given up by the child alone and the demo's own process stays whole.

use std::io::Write;

use nix::errno::Errno;
use nix::sched::{clone, CloneFlags};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;

use crate::Error;

/// The child's stack: clone(2), unlike fork(2), runs the child on memory the caller provides.
const STACK_SIZE: usize = 1024 * 1024;

/// Runs `child` in a new process in the new namespaces `flags` (none: a plain fork), waits for
/// it and returns its exit code (128 + N when signal N killed it, as a shell reports).
///
/// `flags` may hold only `CLONE_NEW*` flags; the value `child` returns is its exit status.
pub fn run_in_child(flags: CloneFlags, child: impl FnMut() -> isize) -> Result<i32, Error> {
    let pid = spawn(flags, child)?;
    wait(pid)
}

/// Starts `child` as in [`run_in_child`] and returns its PID without waiting.
pub fn spawn(flags: CloneFlags, mut child: impl FnMut() -> isize) -> Result<Pid, Error> {
    let namespaces = CloneFlags::CLONE_NEWNS
        | CloneFlags::CLONE_NEWUTS
        | CloneFlags::CLONE_NEWIPC
        | CloneFlags::CLONE_NEWPID
        | CloneFlags::CLONE_NEWNET
        | CloneFlags::CLONE_NEWCGROUP;
    if !namespaces.contains(flags) {
        return Err(Error::Usage(format!(
            "clone flags {flags:?} are not namespace flags"
        )));
    }
    // Whatever is buffered would be printed twice, by the parent and by the child's copy.
    std::io::stdout().flush().ok();
    let mut stack = vec![0u8; STACK_SIZE];
    let body = Box::new(move || {
        let code = child();
        std::io::stdout().flush().ok();
        code
    });
    // SAFETY: only CLONE_NEW* flags (checked above), so no CLONE_VM: the child runs on its own
    // copy of our memory, as after fork(2), and the stack stays valid for it. The demos are
    // single-threaded, so the child inherits no lock held by another thread.
    let pid = unsafe { clone(body, &mut stack, flags, Some(Signal::SIGCHLD as i32)) };
    pid.map_err(Error::sys(format!("clone({flags:?})")))
}

/// Waits until `pid` ends; its exit code, or 128 + the signal that killed it.
pub fn wait(pid: Pid) -> Result<i32, Error> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, signal, _)) => return Ok(128 + signal as i32),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(source) => return Err(Error::sys(format!("waitpid({pid})"))(source)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_that_share_memory_are_refused() {
        let err = run_in_child(CloneFlags::CLONE_VM, || 0).expect_err("CLONE_VM");
        assert!(matches!(err, Error::Usage(_)), "{err}");
    }
}
