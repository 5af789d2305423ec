//! Signal state a new program inherits, put back to what a freshly booted PID 1 would have.
//!
//! `execve` resets caught signals to their default action, but keeps two things: signals that are
//! *ignored*, and the *mask* of blocked signals. The Rust runtime ignores `SIGPIPE` in every
//! program it starts (so that a write to a closed pipe returns an error instead of killing it), and
//! the engine may block signals while it works. Left alone, every container would start with
//! `SIGPIPE` ignored (`SigIgn: 0000000000001000` in /proc/1/status), and `yes | head -1` would
//! behave differently than under Docker, where `SigIgn` is zero.

use nix::sys::signal::Signal;
use nix::sys::signal::{
    sigaction, sigprocmask, SaFlags, SigAction, SigHandler, SigSet, SigmaskHow,
};

use super::exec::Failure;

// ANCHOR: reset
/// Every signal back to its default action, none blocked.
pub(super) fn reset() -> Result<(), Failure> {
    let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    for signal in Signal::iterator() {
        if matches!(signal, Signal::SIGKILL | Signal::SIGSTOP) {
            continue; // their action cannot be changed
        }
        // SAFETY: installing the default action runs no code of ours in a signal handler.
        unsafe { sigaction(signal, &default) }
            .map_err(|e| Failure::engine(format!("reset the action of {signal}: {e}")))?;
    }
    sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None)
        .map_err(|e| Failure::engine(format!("unblock signals: {e}")))
}
// ANCHOR_END: reset
