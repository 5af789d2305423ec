//! `ferry exec`: starting a new process inside a running container — `nsenter`, in Rust.
//!
//! A container is a set of namespaces held open by its processes. Each is a file under
//! `/proc/<pid>/ns/`; `setns(2)` on such a file moves the caller into that namespace. So entering a
//! container is: open the namespace files of its PID 1, `setns` into each, then `exec` the command.
//! Two namespaces need care:
//! - **pid**: `setns` into a PID namespace changes only where the caller's *children* are born.
//!   So the engine joins it itself and then clones the child, which is born inside.
//! - **mnt**: joining it also moves the process's root and working directory to the container's
//!   `/`; every namespace file is therefore opened *before* any `setns`.
//!
//! The caller puts the new process into the container's cgroup while it is held (the `prepare`
//! step of [`launch`](super::spawn::launch)), so its memory and CPU count against the container.

use std::convert::Infallible;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::stat::Mode;
use nix::unistd::Pid;

use super::exec::{self, Failure};
use super::process::{become_process, ChildFds, Process};
use super::spawn::{launch, Child, Spawned};
use super::{Security, Stdio};
use crate::{Error, Result};

/// What to run inside a running container.
#[derive(Debug, Clone)]
pub struct ExecSpec {
    /// A process of the container (its PID 1), whose namespaces are joined.
    pub target: Pid,
    /// The command; `args[0]` is looked up in the environment's `PATH`.
    pub args: Vec<String>,
    /// The environment, `KEY=value`.
    pub env: Vec<String>,
    /// The working directory inside the container (it must exist).
    pub cwd: PathBuf,
    /// `-u`: user and group by name or number; `None` is root.
    pub user: Option<String>,
    /// Where its standard streams go.
    pub stdio: Stdio,
    /// Its confinement: the container's own (capabilities, seccomp, `no_new_privs`); the masked
    /// paths are already in the mount namespace it joins.
    pub security: Security,
}

// ANCHOR: namespaces
/// The namespaces a process joins, in the order `nsenter` joins them: the mount namespace last,
/// because after it the host's /proc is out of reach.
const NAMESPACES: [(&str, CloneFlags); 5] = [
    ("cgroup", CloneFlags::CLONE_NEWCGROUP),
    ("ipc", CloneFlags::CLONE_NEWIPC),
    ("uts", CloneFlags::CLONE_NEWUTS),
    ("net", CloneFlags::CLONE_NEWNET),
    ("mnt", CloneFlags::CLONE_NEWNS),
];
// ANCHOR_END: namespaces

fn open_namespace(target: Pid, name: &str) -> Result<OwnedFd> {
    let path = format!("/proc/{target}/ns/{name}");
    nix::fcntl::open(
        path.as_str(),
        OFlag::O_RDONLY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(|fd| {
        // SAFETY: open returned a new descriptor that nothing else owns.
        unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) }
    })
    .map_err(|source| Error::Sys {
        op: "open the container's namespace",
        source,
    })
}

// ANCHOR: enter
/// Starts `spec` inside the namespaces of `spec.target`. The child is held until
/// `prepare(pid)` returns (join the container's cgroup there). Returns once the command runs.
pub fn enter(spec: &ExecSpec, prepare: impl FnOnce(Pid) -> Result<()>) -> Result<Spawned> {
    exec::check_env(&spec.env)?;
    let joined: Vec<(OwnedFd, CloneFlags)> = NAMESPACES
        .iter()
        .map(|(name, flag)| Ok((open_namespace(spec.target, name)?, *flag)))
        .collect::<Result<_>>()?;
    let pid_ns = open_namespace(spec.target, "pid")?;
    // Children of this process are born in the container's PID namespace from now on.
    nix::sched::setns(&pid_ns, CloneFlags::CLONE_NEWPID)
        .map_err(Error::sys("join the container's PID namespace"))?;
    let child = Child {
        flags: CloneFlags::empty(),
        terminal: spec.stdio == Stdio::Terminal,
        die_with_parent: false,
    };
    launch(child, |fds| join_and_exec(spec, &joined, fds), prepare)
}
// ANCHOR_END: enter

/// In the child: join each namespace, then become the process (see `process`).
fn join_and_exec(
    spec: &ExecSpec,
    namespaces: &[(OwnedFd, CloneFlags)],
    fds: ChildFds,
) -> Result<Infallible, Failure> {
    for (fd, flag) in namespaces {
        nix::sched::setns(fd, *flag)
            .map_err(|e| Failure::engine(format!("setns {flag:?}: {e}")))?;
    }
    let process = Process {
        args: &spec.args,
        env: &spec.env,
        cwd: &spec.cwd,
        user: spec.user.as_deref(),
        stdio: spec.stdio,
        security: &spec.security,
        create_cwd: false,
        die_with_parent: false,
    };
    become_process(&process, fds)
}
