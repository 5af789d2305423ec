//! `ferry rm` and `ferry container prune`: tearing a container down so that nothing is left —
//! no process, no cgroup, no mount, no directory, and (with `-v`) no anonymous volume.
//!
//! Removal is a state of its own (`removing`), written before anything is torn down, so a `ferry`
//! killed halfway leaves a record that says so; the next `rm` sees that nobody holds the removal
//! lock any more and finishes the job.

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::lock::FileLock;
use super::mounts::MountKind;
use super::state::Status;
use super::store::{self, Container};
use super::volume::{self, VolumeStore};
use super::{cgroup, StateRoot};
use crate::{Error, Result};

/// How long `rm -f` waits for a killed container's monitor to record the exit and go.
const MONITOR_EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Docker's refusal to remove a container that runs, without `-f`.
fn still_running(name: &str, status: Status) -> Error {
    let state = match status {
        Status::Paused => "paused",
        Status::Restarting => "restarting",
        _ => "running",
    };
    Error::Conflict(format!(
        "cannot remove container \"/{name}\": container is {state}: stop the container before removing or force remove"
    ))
}

// ANCHOR: remove
/// Removes a container: refused while it runs unless `force` (then it is killed first);
/// `volumes` also removes its anonymous volumes (`rm -v`).
pub fn remove(
    root: &StateRoot,
    container: &mut Container,
    force: bool,
    volumes: bool,
) -> Result<()> {
    let Some(_removing) = FileLock::try_exclusive(&container.dir.join("removing.lock"))? else {
        return Err(Error::Conflict(format!(
            "removal of container {} is already in progress",
            container.id()
        )));
    };
    // 1. Say so first: from here on, nothing starts or restarts it.
    let monitor_alive = container.monitor_alive()?;
    let name = container.name().to_string();
    let (pid, paused) = container.update(|record| {
        let status = record.state.status;
        let runs = status.is_active() || (monitor_alive && status != Status::Removing);
        if runs && !force {
            return Err(still_running(
                &name,
                if status.is_active() {
                    status
                } else {
                    Status::Running
                },
            ));
        }
        record.state.status = Status::Removing;
        record.state.manually_stopped = true;
        Ok((record.state.pid, status == Status::Paused))
    })?;
    // 2. Stop its processes and wait for its monitor to record the end and go.
    let torn_down = stop_everything(container, pid, paused);
    // Its monitor detaches the network when PID 1 exits; a monitor that was killed could not.
    let torn_down =
        torn_down.and_then(|()| crate::network::hooks::detach_container(root, container.id()));
    let torn_down = torn_down.and_then(|()| {
        if volumes {
            remove_anonymous_volumes(root, container)
        } else {
            Ok(())
        }
    });
    // 3. Delete the directory (its name is free from then on).
    match torn_down.and_then(|()| store::delete(root, container)) {
        Ok(()) => Ok(()),
        Err(e) => {
            mark_dead(container, &e);
            Err(e)
        }
    }
}
// ANCHOR_END: remove

/// Kills PID 1 (thawing it if paused: frozen processes cannot die), waits for the monitor, then
/// kills whatever is left in the cgroup and removes the cgroup.
fn stop_everything(container: &Container, pid: Option<i32>, paused: bool) -> Result<()> {
    if let Some(pid) = pid {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    if paused {
        if let Some(cgroup) = cgroup::open(container)? {
            cgroup.thaw()?;
        }
    }
    let deadline = Instant::now() + MONITOR_EXIT_TIMEOUT;
    while container.monitor_alive()? {
        if Instant::now() > deadline {
            // A monitor that does not go within seconds of PID 1's death is stuck: end it.
            if let Some(monitor) = container.record.state.monitor_pid {
                let _ = kill(Pid::from_raw(monitor), Signal::SIGKILL);
            }
            if Instant::now() > deadline + Duration::from_secs(2) {
                return Err(Error::Conflict(format!(
                    "could not kill the monitor of container {}",
                    container.id()
                )));
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cgroup::destroy(container)
}

/// Records that removal failed: the container is `dead` and only `rm` can be tried again.
fn mark_dead(container: &mut Container, error: &Error) {
    let _ = container.update(|record| {
        record.state.status = Status::Dead;
        record.state.error = format!("removal failed: {error}");
        Ok(())
    });
}

/// Removes the volumes made for this container's `-v /path` flags (named volumes stay).
fn remove_anonymous_volumes(root: &StateRoot, container: &Container) -> Result<()> {
    let store = VolumeStore::new(root);
    for mount in &container.record.config.mounts {
        if mount.kind == MountKind::Volume && mount.anonymous && store.get(&mount.name)?.is_some() {
            volume::remove_unused(root, &mount.name, Some(container.id()))?;
        }
    }
    Ok(())
}

/// Deletes a container that has just stopped, from its own monitor (`--rm`): no process is left
/// to stop; its anonymous volumes go with it, as with Docker's `--rm`.
pub fn delete_stopped(root: &StateRoot, container: &mut Container) -> Result<()> {
    container.update_state(|record| {
        record.state.status = Status::Removing;
        Ok(())
    })?;
    let result = cgroup::destroy(container)
        .and_then(|()| crate::network::hooks::detach_container(root, container.id()))
        .and_then(|()| remove_anonymous_volumes(root, container))
        .and_then(|()| store::delete(root, container));
    if let Err(e) = &result {
        mark_dead(container, e);
    }
    result
}

/// `container prune`: removes every container that is not running (created, exited, dead) and
/// returns their ids with the bytes their writable layers held.
pub fn prune(root: &StateRoot) -> Result<(Vec<String>, u64)> {
    let mut removed = Vec::new();
    let mut reclaimed = 0;
    for mut container in store::list(root)? {
        if container.status().is_active()
            || container.status() == Status::Removing
            || container.monitor_alive()?
        {
            continue;
        }
        let size = volume::disk_usage(&container.upper_dir());
        if remove(root, &mut container, false, false).is_ok() {
            removed.push(container.id().to_string());
            reclaimed += size;
        }
    }
    Ok((removed, reclaimed))
}
