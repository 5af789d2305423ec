//! Moving a container's output to where it belongs — its log always, the caller's stdout and stderr
//! when attached — and the caller's keystrokes into the container's terminal (`-it`).
//!
//! One `poll(2)` loop, no threads: the monitor (and `ferry exec -t`) stays single-threaded, which
//! `clone` and `setns` into a mount namespace require. The loop ends when the container's side of
//! every stream is closed: when PID 1 has exited, the kernel has killed the rest of its PID
//! namespace, so nobody can hold them open any longer.

use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{self, SigHandler, Signal};

use super::logs::{LogWriter, Stream};
use crate::runtime::pty;
use crate::{Error, Result};

/// The monitor's ends of a container's output.
#[derive(Debug)]
pub enum Output {
    /// Two pipes: what PID 1 writes to fd 1 and fd 2.
    Pipes {
        /// Read end of its stdout.
        stdout: OwnedFd,
        /// Read end of its stderr.
        stderr: OwnedFd,
    },
    /// The master of its terminal (`-t`): stdout and stderr are one stream there.
    Terminal {
        /// The terminal's master side.
        master: OwnedFd,
    },
}

/// Where the output goes besides the log.
#[derive(Debug, Clone, Copy)]
pub struct Sinks<'a> {
    /// Copy it to this process's stdout and stderr (attached).
    pub echo: bool,
    /// Send what this reads (the caller's stdin) into the container's terminal (`-it`).
    pub input: Option<BorrowedFd<'a>>,
}

static WINDOW_CHANGED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigwinch(_: libc::c_int) {
    WINDOW_CHANGED.store(true, Ordering::SeqCst);
}

/// Copies the caller's terminal size onto the container's terminal, now and on every SIGWINCH.
struct WindowFollower<'a> {
    master: BorrowedFd<'a>,
}

impl<'a> WindowFollower<'a> {
    fn start(master: BorrowedFd<'a>) -> Self {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { signal::signal(Signal::SIGWINCH, SigHandler::Handler(on_sigwinch)) };
        let follower = WindowFollower { master };
        follower.copy();
        follower
    }

    fn copy(&self) {
        if let Some(size) = pty::window_size(std::io::stdout().as_fd())
            .or_else(|| pty::window_size(std::io::stdin().as_fd()))
        {
            let _ = pty::set_window_size(self.master, &size);
        }
    }

    fn check(&self) {
        if WINDOW_CHANGED.swap(false, Ordering::SeqCst) {
            self.copy();
        }
    }
}

impl Drop for WindowFollower<'_> {
    fn drop(&mut self) {
        // SAFETY: restoring the default disposition.
        let _ = unsafe { signal::signal(Signal::SIGWINCH, SigHandler::SigDfl) };
    }
}

/// Reads what is there (up to 32 KiB); `None` at end of stream. A terminal master reports the end
/// as EIO once no process holds the slave.
fn read_some(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Option<usize>> {
    loop {
        match nix::unistd::read(fd.as_raw_fd(), buf) {
            Ok(0) | Err(Errno::EIO) => return Ok(None),
            Ok(n) => return Ok(Some(n)),
            Err(Errno::EINTR) | Err(Errno::EAGAIN) => continue,
            Err(e) => {
                return Err(Error::Sys {
                    op: "read the container's output",
                    source: e,
                })
            }
        }
    }
}

/// Writes to our stdout or stderr; a closed one (`ferry logs … | head`) just stops the echo.
fn echo(stream: Stream, bytes: &[u8], enabled: &mut bool) {
    if !*enabled {
        return;
    }
    let written = match stream {
        Stream::Stdout => std::io::stdout()
            .lock()
            .write_all(bytes)
            .and_then(|()| std::io::stdout().lock().flush()),
        Stream::Stderr => std::io::stderr().lock().write_all(bytes),
    };
    if written.is_err() {
        *enabled = false;
    }
}

// ANCHOR: pump
/// Moves output until the container closes its side of every stream.
pub fn pump(output: &Output, mut log: Option<&mut LogWriter>, sinks: Sinks<'_>) -> Result<()> {
    let sources: Vec<(BorrowedFd<'_>, Stream)> = match output {
        Output::Pipes { stdout, stderr } => vec![
            (stdout.as_fd(), Stream::Stdout),
            (stderr.as_fd(), Stream::Stderr),
        ],
        Output::Terminal { master } => vec![(master.as_fd(), Stream::Stdout)],
    };
    let master = match output {
        Output::Terminal { master } => Some(master.as_fd()),
        Output::Pipes { .. } => None,
    };
    let follower = master.filter(|_| sinks.echo).map(WindowFollower::start);
    let mut open: Vec<bool> = vec![true; sources.len()];
    let mut input = sinks.input.filter(|_| master.is_some());
    let mut echoing = [sinks.echo, sinks.echo];
    let mut buf = vec![0u8; 32 * 1024];
    while open.iter().any(|o| *o) {
        let mut fds: Vec<PollFd<'_>> = sources
            .iter()
            .zip(&open)
            .filter(|(_, o)| **o)
            .map(|((fd, _), _)| PollFd::new(*fd, PollFlags::POLLIN))
            .collect();
        fds.extend(input.map(|fd| PollFd::new(fd, PollFlags::POLLIN)));
        match poll(&mut fds, PollTimeout::from(1000u16)) {
            Ok(_) => {}
            Err(Errno::EINTR) => {}
            Err(e) => {
                return Err(Error::Sys {
                    op: "wait for the container's output",
                    source: e,
                })
            }
        }
        if let Some(f) = &follower {
            f.check();
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|p| p.any().unwrap_or(false) || p.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        let mut slot = 0;
        for (i, (fd, stream)) in sources.iter().enumerate() {
            if !open[i] {
                continue;
            }
            if ready[slot] {
                match read_some(*fd, &mut buf)? {
                    Some(n) => {
                        if let Some(log) = log.as_deref_mut() {
                            log.write(*stream, &buf[..n])?;
                        }
                        echo(*stream, &buf[..n], &mut echoing[*stream as usize]);
                    }
                    None => open[i] = false,
                }
            }
            slot += 1;
        }
        if let (Some(fd), Some(master)) = (input, master) {
            if ready[slot] {
                match read_some(fd, &mut buf)? {
                    Some(n) => {
                        let _ = nix::unistd::write(master, &buf[..n]);
                    }
                    None => input = None,
                }
            }
        }
    }
    if let Some(log) = log {
        log.finish()?;
    }
    Ok(())
}
// ANCHOR_END: pump
