//! The last steps before `exec`, shared by a container's PID 1 and by every `ferry exec`: who the
//! process is, what it may do, and what it carries across `execve`.
//!
//! The order is the point. Each step needs a power that a later step takes away:
//! 1. standard streams, then **every other descriptor closed** but the report pipe — a descriptor of
//!    the host (a directory, a socket) that leaked into the container is a way out (CVE-2024-21626
//!    was a leaked fd of the host's cgroup directory used as the working directory);
//! 2. the working directory created and the `-u` user looked up, as root, in the container's files;
//! 3. `no_new_privs`, then the **seccomp** filter — installing a filter without `no_new_privs`
//!    needs `CAP_SYS_ADMIN`, so it comes while we still have it;
//! 4. the **bounding set** shrunk (needs `CAP_SETPCAP`), then the **user switch**, then the
//!    **capability sets**; the switch clears the parent-death signal, so it is armed again;
//! 5. the working directory entered and **checked**: it must be inside the container's root;
//! 6. signal dispositions and mask reset, and `execve`.

use std::convert::Infallible;
use std::os::fd::RawFd;
use std::path::Path;

use nix::errno::Errno;
use nix::sys::signal::Signal;

use super::exec::{self, Failure};
use super::security::Security;
use super::{capabilities, signals, stdio, user, Stdio};

/// What the process becomes.
pub(super) struct Process<'a> {
    pub(super) args: &'a [String],
    pub(super) env: &'a [String],
    pub(super) cwd: &'a Path,
    /// `-u`, or `None` for root.
    pub(super) user: Option<&'a str>,
    pub(super) stdio: Stdio,
    pub(super) security: &'a Security,
    /// Create the working directory if it is missing (PID 1, as Docker does); `exec` requires it.
    pub(super) create_cwd: bool,
    /// Die with the engine process (PID 1 with its monitor), re-armed after the user switch.
    pub(super) die_with_parent: bool,
}

/// The descriptors the child must keep until `exec`.
#[derive(Debug, Clone, Copy)]
pub(super) struct ChildFds {
    /// Where a failure is reported (close-on-exec: its EOF tells the engine `exec` succeeded).
    pub(super) report: RawFd,
    /// With a terminal: the socket its master is sent back on.
    pub(super) console: Option<RawFd>,
}

// ANCHOR: become_process
/// Turns the calling (child) process into `process`. Returns only if a step failed.
pub(super) fn become_process(process: &Process, fds: ChildFds) -> Result<Infallible, Failure> {
    stdio::connect(process.stdio, fds.console)?;
    close_all_fds_except(fds.report)?;
    if process.create_cwd {
        exec::create_workdir(process.cwd)?;
    }
    let user = user::lookup(process.user.unwrap_or(""))?;
    let env = exec::with_home(process.env, &user.home)?;
    let security = process.security;
    if security.no_new_privileges {
        nix::sys::prctl::set_no_new_privs()
            .map_err(|e| Failure::engine(format!("set no_new_privs: {e}")))?;
    }
    if let Some(filter) = &security.seccomp {
        filter
            .install()
            .map_err(|e| Failure::engine(format!("install the seccomp filter: {e}")))?;
    }
    capabilities::limit_bounding_set(&security.capabilities)?;
    user::switch_to(&user)?;
    capabilities::set_process_sets(&security.capabilities)?;
    if process.die_with_parent {
        // The kernel clears the parent-death signal when credentials change.
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
            .map_err(|e| Failure::engine(format!("set the parent-death signal: {e}")))?;
    }
    exec::enter_workdir(process.cwd)?;
    check_cwd_inside_root(process.cwd)?;
    signals::reset()?;
    exec::exec(process.args, &env)
}
// ANCHOR_END: become_process

// ANCHOR: close_fds
/// Closes every descriptor above stderr except `keep`. Marking them close-on-exec is not enough:
/// until `exec` they are open, and a process of the container that looks at
/// `/proc/<pid>/fd` of this one could reach the host through them.
fn close_all_fds_except(keep: RawFd) -> Result<(), Failure> {
    let close = |first: RawFd, last: libc::c_uint| -> Result<(), Failure> {
        if first < 0 || first as libc::c_uint > last {
            return Ok(());
        }
        // SAFETY: close_range only closes descriptors of this process; none of them is used after
        // this point except `keep`, which is outside the range.
        let rc = unsafe { libc::close_range(first as libc::c_uint, last, 0) };
        Errno::result(rc)
            .map(drop)
            .map_err(|e| Failure::engine(format!("close inherited descriptors: {e}")))
    };
    close(3, (keep as libc::c_uint).saturating_sub(1))?;
    close(keep + 1, libc::c_uint::MAX)
}
// ANCHOR_END: close_fds

// ANCHOR: check_cwd
/// Checks that the working directory is inside the container's root. If it was reached through
/// a descriptor of the host (`/proc/self/fd/N` as `-w`), `getcwd` answers with a path that starts
/// with `(unreachable)`, or fails: either way the process would start outside its container.
fn check_cwd_inside_root(wanted: &Path) -> Result<(), Failure> {
    let refuse = |why: String| {
        Failure::engine(format!(
            "working directory {:?} is outside the container: {why}",
            wanted.display()
        ))
    };
    match nix::unistd::getcwd() {
        Ok(cwd) if cwd.is_absolute() && !cwd.starts_with("(unreachable)") => Ok(()),
        Ok(cwd) => Err(refuse(format!("the kernel calls it {}", cwd.display()))),
        Err(e) => Err(refuse(e.to_string())),
    }
}
// ANCHOR_END: check_cwd

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_testkit::{require, Need};
    use nix::sys::wait::{waitpid, WaitStatus};
    use nix::unistd::{fork, ForkResult};

    #[test]
    fn a_cwd_of_the_host_is_refused_after_entering_the_root() {
        if !require(
            "a_cwd_of_the_host_is_refused_after_entering_the_root",
            &[Need::Root],
        ) {
            return;
        }
        let host = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        // The attack's shape: the process stands in a host directory when its root changes.
        // SAFETY: the child only makes syscalls and exits.
        match unsafe { fork() }.unwrap() {
            ForkResult::Child => {
                let code = (|| {
                    nix::unistd::chdir(host.path()).ok()?;
                    nix::unistd::chroot(root.path()).ok()?;
                    Some(match check_cwd_inside_root(Path::new("/work")) {
                        Err(f) if f.message.contains("outside the container") => 0,
                        _ => 1,
                    })
                })()
                .unwrap_or(2);
                unsafe { libc::_exit(code) };
            }
            ForkResult::Parent { child } => {
                assert_eq!(waitpid(child, None).unwrap(), WaitStatus::Exited(child, 0));
            }
        }
        assert!(
            check_cwd_inside_root(Path::new("/")).is_ok(),
            "an ordinary cwd is accepted"
        );
    }
}
