//! A container's cgroup, as the container's life uses it: made (with the `-m`/`--cpus`/
//! `--pids-limit` limits) before each start, joined by `exec`, frozen by `pause`, emptied and
//! removed when the container stops or is removed.
//!
//! The cgroup is named after the container's full id under ferry's parent cgroup (see
//! [`crate::cgroups`]). It lives only while the container runs: the monitor removes it after PID 1
//! exits (having read `OOMKilled` from it), and `rm -f` or the repair of a dead monitor removes what
//! is left.

use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};

use super::config::Limits;
use super::ContainerId;
use crate::cgroups::{ContainerCgroup, Hierarchy, PARENT};
use crate::Result;

/// Creates the container's cgroup with its limits, clearing a stale one a crashed run left.
pub fn create(id: &ContainerId, limits: &Limits) -> Result<ContainerCgroup> {
    destroy(id)?;
    Ok(ContainerCgroup::create(
        &Hierarchy::detect()?,
        PARENT,
        id.as_str(),
        &limits.resources(),
    )?)
}

/// The container's cgroup, if it exists (the container is running or was not cleaned up).
pub fn open(id: &ContainerId) -> Result<Option<ContainerCgroup>> {
    let hierarchy = Hierarchy::detect()?;
    Ok(ContainerCgroup::open(&hierarchy, PARENT, id.as_str()).ok())
}

// ANCHOR: destroy
/// Kills every process left in the container's cgroup and removes the cgroup. Frozen processes
/// cannot die, so the cgroup is thawed first. Does nothing if there is no cgroup.
pub fn destroy(id: &ContainerId) -> Result<()> {
    let Some(cgroup) = open(id)? else {
        return Ok(());
    };
    cgroup.thaw()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids = cgroup.pids()?;
        if pids.is_empty() || Instant::now() > deadline {
            break;
        }
        for pid in pids {
            let _ = kill(pid, Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(cgroup.remove()?)
}
// ANCHOR_END: destroy
