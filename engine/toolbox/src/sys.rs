//! Thin, checked wrappers around the few raw libc calls several applets need.

use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The C library's wording of an error (`No such file or directory`), without Rust's
/// `(os error 2)` suffix, so messages look like the ones learners see from busybox.
pub fn describe(err: &io::Error) -> String {
    let Some(code) = err.raw_os_error() else {
        return err.to_string();
    };
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: the buffer is valid for its length; on success the C library NUL-terminates it.
    let rc = unsafe { libc::strerror_r(code, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return err.to_string();
    }
    // SAFETY: strerror_r succeeded, so `buf` holds a NUL-terminated string.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Turns a libc return value into a `Result`, reading `errno` when it signals failure.
pub fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Whether `fd` is a terminal (decides prompts and column output).
pub fn isatty(fd: libc::c_int) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(fd) == 1 }
}

/// A string as a C string; an interior NUL byte becomes an `InvalidInput` error.
pub fn cstring(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "string contains NUL"))
}

/// A path as a C string.
pub fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

/// The exit status a shell reports for a raw `waitpid` status: the exit code, or 128 + signal.
pub fn exit_status(raw: libc::c_int) -> i32 {
    if libc::WIFEXITED(raw) {
        libc::WEXITSTATUS(raw)
    } else if libc::WIFSIGNALED(raw) {
        128 + libc::WTERMSIG(raw)
    } else {
        raw
    }
}

/// Waits for child `pid` to end and returns its shell-style exit status, retrying on EINTR.
pub fn wait_for(pid: libc::pid_t) -> io::Result<i32> {
    let mut raw = 0;
    loop {
        // SAFETY: `raw` is a valid out-pointer.
        let rc = unsafe { libc::waitpid(pid, &mut raw, 0) };
        if rc == pid {
            return Ok(exit_status(raw));
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

/// The two sides of a `fork`.
pub enum Fork {
    /// We are the new process.
    Child,
    /// We are the original process; this is the child's pid.
    Parent(libc::pid_t),
}

/// Forks the process. Callers flush stdout first so buffered output is not written twice.
pub fn fork() -> io::Result<Fork> {
    // SAFETY: the toolbox is single-threaded wherever it forks (the shell and `fork` applet).
    match check(unsafe { libc::fork() })? {
        0 => Ok(Fork::Child),
        pid => Ok(Fork::Parent(pid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_uses_the_c_library_wording() {
        let err = io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(describe(&err), "Permission denied");
    }

    #[test]
    fn exit_status_reports_signals_as_128_plus_signal() {
        // A raw wait status for "killed by signal 9" is just the signal number.
        assert_eq!(exit_status(libc::SIGKILL), 137);
        // "exited with code 3" keeps the code in the second byte.
        assert_eq!(exit_status(3 << 8), 3);
    }
}
