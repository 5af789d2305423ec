//! Signal state a new program inherits, put back to what a freshly booted PID 1 would have.
//!
//! `execve` resets caught signals to their default action, but keeps two things: signals that are
//! *ignored*, and the *mask* of blocked signals. The Rust runtime ignores `SIGPIPE` in every
//! program it starts (so that a write to a closed pipe returns an error instead of killing it),
//! whoever started the engine may have ignored others, and the engine may block signals while it
//! works. Left alone, a container would start with those ignored (`SigIgn: 0000000000001000` in
//! /proc/1/status), and `yes | head -1` would behave differently than under Docker, where
//! `SigIgn` is zero.

use nix::errno::Errno;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};

use super::exec::Failure;

/// The kernel's `struct sigaction` on x86_64 and aarch64: all zeros is `SIG_DFL`, no flags, an
/// empty mask.
#[repr(C)]
#[derive(Default)]
struct KernelSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

// ANCHOR: reset
/// Every signal back to its default action, none blocked.
///
/// The raw system call is used because the C library hides the two real-time signals it keeps for
/// itself (32 and 33), and they too can arrive ignored.
pub(super) fn reset() -> Result<(), Failure> {
    let default = KernelSigaction::default();
    for signal in 1..=libc::SIGRTMAX() {
        if signal == libc::SIGKILL || signal == libc::SIGSTOP {
            continue; // their action cannot be changed
        }
        // SAFETY: installing the default action for a valid signal number; the struct has the
        // kernel's layout and size 8 is its sigset size.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                signal,
                &default as *const KernelSigaction,
                std::ptr::null_mut::<KernelSigaction>(),
                8,
            )
        };
        Errno::result(rc)
            .map_err(|e| Failure::engine(format!("reset the action of signal {signal}: {e}")))?;
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .map_err(|e| Failure::engine(format!("unblock signals: {e}")))
}
// ANCHOR_END: reset
