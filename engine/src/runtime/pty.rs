//! Pseudo-terminals for `-t`: made inside the container, handed back to the engine.
//!
//! A terminal is a pair: programs in the container use the *slave* (`/dev/pts/N`) as their stdin,
//! stdout and controlling terminal; whoever holds the *master* sees what they print and types for
//! them. runc opens the pair *inside* the container — from the container's own `/dev/pts`, so
//! `tty` there says `/dev/pts/0` — and sends the master back over a Unix socket (its
//! `--console-socket`), as a file descriptor in an `SCM_RIGHTS` message. ferry does the same.
//!
//! The other half of this module is the caller's terminal: while `ferry run -it` is attached, its
//! own terminal is put in raw mode (every key goes to the container as typed, Ctrl-C included) and
//! its window size is copied to the container's terminal.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::fcntl::OFlag;
use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags,
    SockFlag, SockType,
};
use nix::sys::termios::{self, SetArg, Termios};

use super::exec::Failure;
use crate::{Error, Result};

/// A terminal's size in rows and columns (`struct winsize`).
pub type WindowSize = libc::winsize;

/// The socket pair the child sends its terminal's master over: (engine's end, child's end).
pub(super) fn console_socket() -> Result<(OwnedFd, OwnedFd)> {
    socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(Error::sys("create the console socket"))
}

// ANCHOR: make_console
/// In the child, after it entered the container's mount namespace: opens a new terminal from the
/// container's `/dev/ptmx`, sends the master to the engine, and makes the slave this process's
/// controlling terminal and its stdin, stdout and stderr.
pub(super) fn make_console(socket: RawFd) -> Result<(), Failure> {
    let fail = |step: &str| {
        let step = step.to_string();
        move |e: nix::Error| Failure::engine(format!("{step}: {e}"))
    };
    let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .map_err(fail("open /dev/ptmx"))?;
    nix::pty::grantpt(&master).map_err(fail("grantpt"))?;
    nix::pty::unlockpt(&master).map_err(fail("unlockpt"))?;
    let slave_name = nix::pty::ptsname_r(&master).map_err(fail("ptsname"))?;
    let slave = nix::fcntl::open(
        slave_name.as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(fail("open the terminal's slave"))?;
    let fds = [master.as_raw_fd()];
    sendmsg::<()>(
        socket,
        &[IoSlice::new(b"t")],
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .map_err(fail("send the terminal to the engine"))?;
    drop(master);
    // A new session without a terminal, then this one as its controlling terminal: job control
    // and Ctrl-C now work for the container's shell.
    nix::unistd::setsid().map_err(fail("setsid"))?;
    // SAFETY: TIOCSCTTY takes an int argument; `slave` is an open terminal.
    nix::errno::Errno::result(unsafe { libc::ioctl(slave, libc::TIOCSCTTY, 0) })
        .map_err(fail("make the terminal controlling"))?;
    for target in 0..=2 {
        nix::unistd::dup2(slave, target).map_err(fail("dup2 the terminal"))?;
    }
    if slave > 2 {
        let _ = nix::unistd::close(slave);
    }
    Ok(())
}
// ANCHOR_END: make_console

/// In the engine: receives the terminal master the child sent, or `None` if the child went away
/// without sending one (its set-up failed; its report says why).
pub(super) fn receive_console(socket: &OwnedFd) -> Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let message = loop {
        match recvmsg::<()>(
            socket.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Err(nix::Error::EINTR) => continue,
            other => break other.map_err(Error::sys("receive the container's terminal"))?,
        }
    };
    for cmsg in message
        .cmsgs()
        .map_err(Error::sys("receive the container's terminal"))?
    {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            if let Some(fd) = fds.first() {
                // SAFETY: the kernel just installed this descriptor in our table for us.
                return Ok(Some(unsafe { OwnedFd::from_raw_fd(*fd) }));
            }
        }
    }
    Ok(None)
}

/// Whether `fd` is a terminal.
pub fn is_terminal(fd: BorrowedFd<'_>) -> bool {
    nix::unistd::isatty(fd.as_raw_fd()).unwrap_or(false)
}

/// The size of the terminal `fd`, if it is one.
pub fn window_size(fd: BorrowedFd<'_>) -> Option<WindowSize> {
    // SAFETY: winsize is plain old data; TIOCGWINSZ fills it in.
    let mut size: WindowSize = unsafe { std::mem::zeroed() };
    // SAFETY: the descriptor is valid for the call and `size` is a writable winsize.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut size) };
    (rc == 0 && size.ws_row > 0).then_some(size)
}

/// Sets the size of terminal `fd` (on a master: what the container's programs see); the kernel
/// sends SIGWINCH to the terminal's foreground processes.
pub fn set_window_size(fd: BorrowedFd<'_>, size: &WindowSize) -> Result<()> {
    // SAFETY: the descriptor is valid for the call and `size` is a readable winsize.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, size) };
    nix::errno::Errno::result(rc)
        .map(drop)
        .map_err(Error::sys("set the terminal size"))
}

/// The caller's terminal in raw mode for as long as this lives; the old settings come back on drop.
#[derive(Debug)]
pub struct RawTerminal {
    fd: OwnedFd,
    saved: Termios,
}

impl RawTerminal {
    /// Puts terminal `fd` in raw mode: no echo, no line editing, no signals from Ctrl-C — every
    /// byte goes to the container's terminal, which does all of that itself.
    pub fn enter(fd: BorrowedFd<'_>) -> Result<Self> {
        let fd = fd
            .try_clone_to_owned()
            .map_err(Error::io("duplicate", "the terminal"))?;
        let saved =
            termios::tcgetattr(fd.as_fd()).map_err(Error::sys("read the terminal settings"))?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(fd.as_fd(), SetArg::TCSANOW, &raw)
            .map_err(Error::sys("put the terminal in raw mode"))?;
        Ok(RawTerminal { fd, saved })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(self.fd.as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_descriptor_crosses_the_console_socket() {
        let (engine, child) = console_socket().unwrap();
        let (read_end, write_end) = nix::unistd::pipe().unwrap();
        let fds = [write_end.as_raw_fd()];
        sendmsg::<()>(
            child.as_raw_fd(),
            &[IoSlice::new(b"t")],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        )
        .unwrap();
        drop(write_end);
        let received = receive_console(&engine).unwrap().expect("a descriptor");
        nix::unistd::write(&received, b"hi").unwrap();
        drop(received);
        let mut buf = [0u8; 2];
        nix::unistd::read(read_end.as_raw_fd(), &mut buf).unwrap();
        assert_eq!(&buf, b"hi");
    }

    #[test]
    fn a_child_that_sends_nothing_yields_none() {
        let (engine, child) = console_socket().unwrap();
        drop(child);
        assert!(receive_console(&engine).unwrap().is_none());
    }
}
