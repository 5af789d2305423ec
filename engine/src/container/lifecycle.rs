//! The transitions of a container's life that are not starting or removing it: `stop`, `kill`,
//! `restart`, `pause`, `unpause`, `wait` — each allowed from the states Docker allows it from, and
//! refused otherwise with Docker's message.
//!
//! The commands act on the container's processes directly (signals, the freezer cgroup); the
//! container's monitor notices the exit and records it. They only write the record for what the
//! monitor cannot know: that a stop was asked for (so the restart policy leaves it alone), and
//! that the container is paused.

use std::time::{Duration, Instant};

use nix::sys::signal::{kill as send, Signal};
use nix::unistd::Pid;

use super::state::Status;
use super::store::Container;
use super::{cgroup, monitor, repair, StateRoot};
use crate::{Error, Result};

/// Docker's default grace period between SIGTERM and SIGKILL for `stop` and `restart`.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait for the monitor to record an exit after SIGKILL.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

fn not_running(container: &Container) -> Error {
    Error::Conflict(format!("Container {} is not running", container.id()))
}

/// Polls the record until the container is no longer running (true) or `timeout` passes (false).
fn wait_until_stopped(container: &mut Container, timeout: Duration) -> Result<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        container.reload()?;
        repair::if_monitor_died(container)?;
        if !container.status().is_active() {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Thaws a paused container's cgroup and records it as running again.
fn thaw(container: &mut Container) -> Result<()> {
    if let Some(cgroup) = cgroup::open(container)? {
        cgroup.thaw()?;
    }
    container.update(|record| {
        if record.state.status == Status::Paused {
            record.state.status = Status::Running;
        }
        Ok(())
    })
}

// ANCHOR: stop
/// `ferry stop`: SIGTERM to PID 1, then SIGKILL if it is still running after `timeout`. Stopping a
/// container that does not run succeeds and does nothing, as in Docker.
///
/// PID 1 of a PID namespace gets no default signal handling: a program that does not handle
/// SIGTERM itself ignores it, and only the SIGKILL after the timeout ends it.
pub fn stop(container: &mut Container, timeout: Duration) -> Result<()> {
    let (status, pid) = container.update(|record| {
        if record.state.status.is_active() {
            record.state.manually_stopped = true;
        }
        Ok((record.state.status, record.state.pid))
    })?;
    if !status.is_active() {
        return Ok(());
    }
    if let Some(pid) = pid {
        let _ = send(Pid::from_raw(pid), Signal::SIGTERM);
    }
    if status == Status::Paused {
        thaw(container)?; // a frozen process cannot act on the signal
    }
    if wait_until_stopped(container, timeout)? {
        return Ok(());
    }
    if let Some(pid) = container.record.state.pid {
        let _ = send(Pid::from_raw(pid), Signal::SIGKILL);
    }
    if wait_until_stopped(container, KILL_TIMEOUT)? {
        return Ok(());
    }
    Err(Error::Conflict(format!(
        "cannot stop container: {}: it is still running after SIGKILL",
        container.id()
    )))
}
// ANCHOR_END: stop

// ANCHOR: kill
/// `ferry kill`: sends `signal` (default SIGKILL) to PID 1. Only a running container can be
/// killed; as in Docker, a killed container is not restarted by its restart policy.
///
/// After SIGKILL, which PID 1 cannot survive, it waits (bounded) until the monitor has recorded
/// the exit, as Docker's does: `inspect` right after `kill` says `exited`. Any other signal may
/// be ignored or handled, so it returns at once.
pub fn kill(container: &mut Container, signal: Signal) -> Result<()> {
    let (status, pid) = container.update(|record| {
        let status = record.state.status;
        if status.is_active() {
            record.state.manually_stopped = true;
        }
        Ok((status, record.state.pid))
    })?;
    let pid = match (status, pid) {
        (Status::Running | Status::Paused, Some(pid)) => pid,
        (Status::Restarting, _) => return Ok(()), // nothing runs; the policy is now cancelled
        _ => {
            return Err(Error::Conflict(format!(
                "Cannot kill container: {}: {}",
                container.name(),
                not_running(container)
            )))
        }
    };
    send(Pid::from_raw(pid), signal).map_err(Error::sys("send the signal to the container"))?;
    if status == Status::Paused {
        thaw(container)?;
    }
    if signal == Signal::SIGKILL && !wait_until_stopped(container, KILL_TIMEOUT)? {
        return Err(Error::Conflict(format!(
            "cannot kill container: {}: it is still running {} s after SIGKILL",
            container.id(),
            KILL_TIMEOUT.as_secs()
        )));
    }
    Ok(())
}
// ANCHOR_END: kill

/// `ferry restart`: stop (if running), then start in the background.
pub fn restart(root: &StateRoot, container: &mut Container, timeout: Duration) -> Result<()> {
    stop(container, timeout)?;
    monitor::start_detached(root, container).map(drop)
}

// ANCHOR: pause
/// `ferry pause`: freezes every process of the container (the freezer cgroup); they keep their
/// memory and open files but get no CPU until `unpause`.
pub fn pause(container: &mut Container) -> Result<()> {
    let _lock = container.lock()?;
    container.reload()?;
    match container.status() {
        Status::Running => {}
        Status::Paused => {
            return Err(Error::Conflict(format!(
                "Container {} is already paused",
                container.id()
            )))
        }
        Status::Restarting => {
            return Err(Error::Conflict(format!(
                "Container {} is restarting, wait until the container is running",
                container.id()
            )))
        }
        _ => return Err(not_running(container)),
    }
    let cgroup = cgroup::open(container)?.ok_or_else(|| not_running(container))?;
    cgroup.freeze()?;
    container.record.state.status = Status::Paused;
    container.record.save(&container.dir)
}
// ANCHOR_END: pause

/// `ferry unpause`: lets a paused container's processes run again.
pub fn unpause(container: &mut Container) -> Result<()> {
    let _lock = container.lock()?;
    container.reload()?;
    if container.status() != Status::Paused {
        return Err(Error::Conflict(format!(
            "Container {} is not paused",
            container.id()
        )));
    }
    if let Some(cgroup) = cgroup::open(container)? {
        cgroup.thaw()?;
    }
    container.record.state.status = Status::Running;
    container.record.save(&container.dir)
}

/// `ferry wait`: blocks until the container's PID 1 next exits (or returns at once if it does not
/// run) and returns its exit code.
pub fn wait(container: &mut Container) -> Result<i32> {
    let finished_before = container.record.state.finished_at;
    loop {
        container.reload()?;
        repair::if_monitor_died(container)?;
        let state = &container.record.state;
        // A restart policy may start it again at once: an exit shows as a new finish time.
        if !state.status.is_active() || state.finished_at != finished_before {
            return Ok(state.exit_code);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Parses a signal as `kill -s` takes it: `KILL`, `SIGKILL`, `kill` or `9`.
pub fn parse_signal(text: &str) -> Result<Signal> {
    let invalid = || Error::InvalidArgument(format!("Invalid signal: {text}"));
    if let Ok(number) = text.parse::<i32>() {
        return Signal::try_from(number).map_err(|_| invalid());
    }
    let upper = text.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse::<Signal>().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_by_name_or_number_in_any_case() {
        assert_eq!(parse_signal("KILL").unwrap(), Signal::SIGKILL);
        assert_eq!(parse_signal("sigterm").unwrap(), Signal::SIGTERM);
        assert_eq!(parse_signal("hup").unwrap(), Signal::SIGHUP);
        assert_eq!(parse_signal("9").unwrap(), Signal::SIGKILL);
        for bad in ["NOPE", "999", ""] {
            assert!(
                parse_signal(bad)
                    .unwrap_err()
                    .to_string()
                    .contains("Invalid signal"),
                "{bad}"
            );
        }
    }
}
