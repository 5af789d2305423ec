//! `ferry exec`: running another command in a running container — its namespaces, its cgroup, its
//! environment and user unless told otherwise — with this CLI as the command's parent.

use std::os::fd::{AsFd, AsRawFd};

use super::attach::{self, Output, Sinks};
use super::cgroup;
use super::run::{merge_env, with_term};
use super::state::Status;
use super::store::Container;
use crate::runtime::{self, pty, ExecSpec, SignalForwarding, Stdio};
use crate::{Error, Result};

/// What the user asked `ferry exec` for.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// The command and its arguments.
    pub command: Vec<String>,
    /// `-e KEY=value` (or `-e KEY`, copied from ferry's environment), added to the container's.
    pub env: Vec<String>,
    /// `-w`: the working directory; default the container's.
    pub workdir: Option<String>,
    /// `-u`: the user; default the container's.
    pub user: Option<String>,
    /// `-i`: the command reads this CLI's stdin.
    pub interactive: bool,
    /// `-t`: the command gets a terminal of its own in the container.
    pub tty: bool,
}

// ANCHOR: exec
/// Runs `opts.command` in `container` and returns its exit code. Refused unless the container
/// runs; refused while it is paused (the command would be frozen the moment it joined the cgroup).
pub fn exec(container: &Container, opts: &ExecOptions) -> Result<i32> {
    let id = container.id();
    let pid = match (container.status(), container.record.state.pid) {
        (Status::Running, Some(pid)) => pid,
        (Status::Paused, _) => {
            return Err(Error::Conflict(format!(
                "Container {id} is paused, unpause the container before exec"
            )))
        }
        (Status::Restarting, _) => {
            return Err(Error::Conflict(format!(
                "Container {id} is restarting, wait until the container is running"
            )))
        }
        _ => return Err(Error::Conflict(format!("Container {id} is not running"))),
    };
    if opts.command.is_empty() {
        return Err(Error::InvalidArgument("exec needs a command to run".into()));
    }
    let config = &container.record.config;
    let stdin = std::io::stdin();
    let stdio = if opts.tty {
        Stdio::Terminal
    } else {
        Stdio::Fds {
            stdin: opts.interactive.then(|| stdin.as_raw_fd()),
            stdout: 1,
            stderr: 2,
        }
    };
    let spec = ExecSpec {
        target: nix::unistd::Pid::from_raw(pid),
        args: opts.command.clone(),
        env: with_term(
            merge_env(&config.env, &opts.env, |k| std::env::var(k).ok()),
            opts.tty,
        ),
        cwd: opts
            .workdir
            .clone()
            .unwrap_or_else(|| config.working_dir.clone())
            .into(),
        user: opts
            .user
            .clone()
            .or_else(|| (!config.user.is_empty()).then(|| config.user.clone())),
        stdio,
        security: config.security.security()?,
    };
    let cgroup = cgroup::open(container)?;
    let mut spawned = runtime::enter(&spec, |pid| match &cgroup {
        Some(cgroup) => Ok(cgroup.add_process(pid)?),
        None => Ok(()),
    })?;
    if let Some(master) = spawned.terminal.take() {
        let _forwarding = SignalForwarding::to(spawned.pid)?;
        let _raw = if opts.interactive && pty::is_terminal(stdin.as_fd()) {
            Some(pty::RawTerminal::enter(stdin.as_fd())?)
        } else {
            None
        };
        let sinks = Sinks {
            echo: true,
            input: opts.interactive.then(|| stdin.as_fd()),
        };
        attach::pump(&Output::Terminal { master }, None, sinks)?;
    }
    Ok(runtime::wait(&spawned)?.code())
}
// ANCHOR_END: exec
