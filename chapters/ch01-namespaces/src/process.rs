//! The life of the container process: clone it onto its own stack, exec its command, wait for it
//! and turn how it ended into an exit code.

use std::ffi::{CString, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStringExt;

use nix::errno::Errno;
use nix::sched::{clone, CloneFlags};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{execvp, Pid};

use crate::Error;

/// The size of the stack the cloned child runs on: 1 MiB, as in the seeds' C demos.
///
/// Unlike fork(2), clone(2) does not give the child a stack: the caller must hand it memory.
pub const STACK_SIZE: usize = 1024 * 1024;

/// The shell the container runs when no command is given and `$SHELL` is unset.
pub const DEFAULT_SHELL: &str = "/bin/sh";

/// The exit code when the command does not exist (as a shell and `docker run` report it).
pub const EXIT_NOT_FOUND: isize = 127;

/// The exit code when the command exists but cannot be executed.
pub const EXIT_CANNOT_INVOKE: isize = 126;

/// The exit code of a demo binary that failed before the container ran (as `docker run` does).
pub const EXIT_DEMO_FAILED: i32 = 125;

/// The only flags [`clone_with_stack`] accepts: one per kind of namespace.
const NAMESPACE_FLAGS: CloneFlags = CloneFlags::CLONE_NEWNS
    .union(CloneFlags::CLONE_NEWUTS)
    .union(CloneFlags::CLONE_NEWIPC)
    .union(CloneFlags::CLONE_NEWPID)
    .union(CloneFlags::CLONE_NEWNET)
    .union(CloneFlags::CLONE_NEWUSER)
    .union(CloneFlags::CLONE_NEWCGROUP);

/// Starts `child` in a new process that lives in the new namespaces named by `flags`, and
/// returns the child's PID as the parent sees it.
///
/// The child gets a fresh [`STACK_SIZE`] stack and a copy of the parent's memory, like fork(2);
/// the value `child` returns becomes the child's exit status. SIGCHLD is the signal the kernel
/// sends the parent when the child ends, which is what lets the parent `waitpid` for it.
pub fn clone_with_stack(child: impl FnMut() -> isize, flags: CloneFlags) -> Result<Pid, Error> {
    if !NAMESPACE_FLAGS.contains(flags) {
        return Err(Error::NotNamespaceFlags(flags));
    }
    let mut stack = vec![0u8; STACK_SIZE];
    // ANCHOR: clone_stack
    // SAFETY: `flags` holds only CLONE_NEW* flags (checked above), so there is no CLONE_VM: the
    // child runs on its own copy of our memory, like after fork(2). The stack and everything
    // `child` captured therefore stay valid in the child even after the parent frees them. The
    // demos are single-threaded, so the child inherits no lock held by another thread.
    let pid = unsafe {
        clone(
            Box::new(child),
            &mut stack,
            flags,
            Some(Signal::SIGCHLD as i32),
        )
    };
    // ANCHOR_END: clone_stack
    pid.map_err(|source| Error::Clone { flags, source })
}

/// The container's command as exec takes it: what follows `--` on the demo's command line, or an
/// interactive shell (`$SHELL`, else [`DEFAULT_SHELL`]) when nothing follows.
///
/// `args` are the demo's arguments without the program name; one leading `--` is dropped, so
/// `uts -- hostname` and `uts hostname` both run `hostname`. The strings are converted here, in
/// the parent, so that the child only has to call exec.
pub fn command_or_shell(
    args: impl IntoIterator<Item = OsString>,
    shell: Option<OsString>,
) -> Result<Vec<CString>, Error> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    if args.first().is_some_and(|first| first == "--") {
        args.remove(0);
    }
    if args.is_empty() {
        let shell = shell.filter(|s| !s.is_empty());
        args.push(shell.unwrap_or_else(|| DEFAULT_SHELL.into()));
    }
    args.into_iter().map(to_cstring).collect()
}

fn to_cstring(arg: OsString) -> Result<CString, Error> {
    CString::new(arg.into_vec())
        .map_err(|err| Error::NulInArgument(String::from_utf8_lossy(&err.into_vec()).into_owned()))
}

/// Replaces the calling process with `argv` (searched in `$PATH`, as a shell does).
///
/// It returns only if exec failed: it then says why on stderr, as the seeds' "Something's
/// wrong!" does, and returns the exit code a shell would report: [`EXIT_NOT_FOUND`] or
/// [`EXIT_CANNOT_INVOKE`]. `argv` must not be empty ([`command_or_shell`] never returns an
/// empty one).
pub fn exec(argv: &[CString]) -> isize {
    let Some(program) = argv.first() else {
        eprintln!("Something's wrong! exec: empty command");
        return EXIT_CANNOT_INVOKE;
    };
    // exec replaces our memory, and with it anything still buffered for stdout: flush first.
    // A failed flush is not worth refusing to run the command for.
    std::io::stdout().flush().ok();
    // ANCHOR: exec
    let errno = match execvp(program, argv) {
        // A successful exec never returns: the Ok type is `Infallible`, a value that cannot exist.
        Ok(never) => match never {},
        Err(errno) => errno,
    };
    // ANCHOR_END: exec
    eprintln!(
        "Something's wrong! exec {}: {errno}",
        program.to_string_lossy()
    );
    exec_failure_code(errno)
}

/// The exit code for a failed exec: 127 when the program does not exist, 126 otherwise.
pub fn exec_failure_code(errno: Errno) -> isize {
    match errno {
        Errno::ENOENT => EXIT_NOT_FOUND,
        _ => EXIT_CANNOT_INVOKE,
    }
}

/// Waits until the container process `pid` ends and returns its exit code (see [`exit_code`]).
pub fn wait_for_exit(pid: Pid) -> Result<i32, Error> {
    loop {
        match waitpid(pid, None) {
            Ok(status) => {
                if let Some(code) = exit_code(status) {
                    return Ok(code);
                }
            }
            Err(Errno::EINTR) => continue,
            Err(source) => return Err(Error::Wait { pid, source }),
        }
    }
}

/// How a shell (and `docker run`) reports that a process ended: its exit status, or 128 plus the
/// number of the signal that killed it (137 for SIGKILL).
///
/// `None` for wait statuses that do not mean the process ended (stopped, continued).
pub fn exit_code(status: WaitStatus) -> Option<i32> {
    // ANCHOR: exit_code
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, signal, _) => Some(128 + signal as i32),
        _ => None,
    }
    // ANCHOR_END: exit_code
}

/// Ends the demo with the container's exit code, or with [`EXIT_DEMO_FAILED`] after printing
/// `demo: error` when the demo itself failed.
pub fn exit_with(demo: &str, result: Result<i32, Error>) -> ! {
    match result {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            eprintln!("{demo}: {err}");
            std::process::exit(EXIT_DEMO_FAILED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(argv: &[CString]) -> Vec<&str> {
        argv.iter().map(|a| a.to_str().expect("utf-8")).collect()
    }

    #[test]
    fn command_drops_one_leading_double_dash() {
        let argv = command_or_shell(["--", "sh", "-c", "exit 3"].map(OsString::from), None)
            .expect("valid args");
        assert_eq!(strings(&argv), ["sh", "-c", "exit 3"]);
    }

    #[test]
    fn command_without_arguments_is_the_users_shell() {
        let argv = command_or_shell(Vec::new(), Some("/bin/bash".into())).expect("valid args");
        assert_eq!(strings(&argv), ["/bin/bash"]);
    }

    #[test]
    fn command_without_arguments_or_shell_is_bin_sh() {
        let argv = command_or_shell(["--".into()], Some("".into())).expect("valid args");
        assert_eq!(strings(&argv), [DEFAULT_SHELL]);
    }

    #[test]
    fn command_rejects_nul_bytes() {
        let err = command_or_shell(["a\0b".into()], None).expect_err("NUL is not allowed");
        assert!(matches!(err, Error::NulInArgument(arg) if arg == "a\0b"));
    }

    #[test]
    fn clone_refuses_flags_that_share_memory() {
        let err = clone_with_stack(|| 0, CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_VM)
            .expect_err("CLONE_VM is refused before any clone happens");
        assert!(matches!(err, Error::NotNamespaceFlags(_)));
    }

    #[test]
    fn exit_code_is_the_status_of_a_process_that_exited() {
        assert_eq!(exit_code(WaitStatus::Exited(Pid::from_raw(7), 3)), Some(3));
    }

    #[test]
    fn exit_code_is_128_plus_the_signal_that_killed_the_process() {
        let status = WaitStatus::Signaled(Pid::from_raw(7), Signal::SIGKILL, false);
        assert_eq!(exit_code(status), Some(137));
    }

    #[test]
    fn a_stopped_process_has_no_exit_code_yet() {
        let status = WaitStatus::Stopped(Pid::from_raw(7), Signal::SIGSTOP);
        assert_eq!(exit_code(status), None);
    }

    #[test]
    fn failed_exec_codes_follow_the_shell() {
        assert_eq!(exec_failure_code(Errno::ENOENT), 127);
        assert_eq!(exec_failure_code(Errno::EACCES), 126);
    }
}
