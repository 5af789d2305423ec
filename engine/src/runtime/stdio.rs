//! In the child, just before `exec`: making descriptors 0, 1 and 2 what the engine chose.
//!
//! A container's stdout and stderr usually go to pipes its monitor reads (to write the log, and to
//! print them when attached); its stdin is /dev/null unless `-i`. With `-t` all three are the
//! container's own terminal (see [`pty`](super::pty)).

use std::os::fd::RawFd;

use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::sys::stat::Mode;

use super::exec::Failure;
use super::pty;
use super::Stdio;

/// The lowest descriptor the originals are moved to before 0, 1, 2 are overwritten, so that a
/// source that *is* 0, 1 or 2 is not clobbered halfway.
const SCRATCH_FD: RawFd = 10;

fn dev_null() -> Result<RawFd, Failure> {
    nix::fcntl::open("/dev/null", OFlag::O_RDWR, Mode::empty())
        .map_err(|e| Failure::engine(format!("open /dev/null: {e}")))
}

fn dup_high(fd: RawFd) -> Result<RawFd, Failure> {
    fcntl(fd, FcntlArg::F_DUPFD_CLOEXEC(SCRATCH_FD))
        .map_err(|e| Failure::engine(format!("dup fd {fd}: {e}")))
}

/// Sets up 0, 1 and 2 as `stdio` says. Call after `pivot_root` (or `setns` into the container's
/// mount namespace): /dev/null and /dev/ptmx must be the container's.
pub(super) fn connect(stdio: Stdio, console: Option<RawFd>) -> Result<(), Failure> {
    let (stdin, stdout, stderr) = match stdio {
        Stdio::Inherit { keep_stdin: true } => return Ok(()),
        Stdio::Inherit { keep_stdin: false } => (None, 1, 2),
        Stdio::Fds {
            stdin,
            stdout,
            stderr,
        } => (stdin, stdout, stderr),
        Stdio::Terminal => {
            let socket = console
                .ok_or_else(|| Failure::engine("no console socket for the terminal".into()))?;
            return pty::make_console(socket);
        }
    };
    let stdin = match stdin {
        Some(fd) => dup_high(fd)?,
        None => dev_null()?,
    };
    let sources = [stdin, dup_high(stdout)?, dup_high(stderr)?];
    for (target, source) in sources.into_iter().enumerate() {
        nix::unistd::dup2(source, target as RawFd)
            .map_err(|e| Failure::engine(format!("dup2 fd {source} to {target}: {e}")))?;
        let _ = nix::unistd::close(source);
    }
    Ok(())
}
