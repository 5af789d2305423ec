//! Noticing that a container's monitor died, and saying so.
//!
//! Only a monitor writes `running`, `paused` or `restarting`, and it holds `monitor.lock` for as
//! long as it lives; the kernel drops that lock when the monitor dies, however it dies. So a record
//! that says the container is active while nobody holds the lock is a lie: its monitor was killed
//! (and took PID 1 with it — PID 1 dies with its parent). The first `ferry` command that reads the
//! record repairs it: whatever is left in the cgroup is killed, and the container is marked `dead`,
//! with the reason in `State.Error`. It is never shown as running forever.

use super::cgroup;
use super::state::Status;
use super::store::Container;
use super::time::Timestamp;
use crate::Result;

/// The exit code recorded for a container whose monitor died: PID 1 was killed with SIGKILL.
pub const EXIT_KILLED_WITH_MONITOR: i32 = 137;

// ANCHOR: if_monitor_died
/// Marks `container` dead if its record says a monitor runs it but no monitor holds the lock.
pub fn if_monitor_died(container: &mut Container) -> Result<()> {
    if !container.status().is_active() || container.monitor_alive()? {
        return Ok(());
    }
    let _lock = container.lock()?;
    container.reload()?;
    // Check again under the lock: the monitor may have recorded a clean exit meanwhile.
    if !container.status().is_active() || container.monitor_alive()? {
        return Ok(());
    }
    let cleanup = cgroup::destroy(container);
    let state = &mut container.record.state;
    let monitor = state
        .monitor_pid
        .map_or_else(|| "?".to_string(), |pid| pid.to_string());
    state.error = match cleanup {
        Ok(()) => {
            format!("the container's monitor (pid {monitor}) died; its processes were killed")
        }
        Err(e) => {
            format!("the container's monitor (pid {monitor}) died, and cleaning up failed: {e}")
        }
    };
    state.status = Status::Dead;
    state.pid = None;
    state.monitor_pid = None;
    state.exit_code = EXIT_KILLED_WITH_MONITOR;
    state.finished_at = Timestamp::now();
    container.record.save(&container.dir)
}
// ANCHOR_END: if_monitor_died

#[cfg(test)]
mod tests {
    use super::super::config::ContainerConfig;
    use super::super::lock::FileLock;
    use super::super::{store, StateRoot};
    use super::*;

    #[test]
    fn an_active_record_without_a_monitor_becomes_dead_and_one_with_a_monitor_stays() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        let mut container =
            store::create(&root, Some("web"), |_, _| Ok(ContainerConfig::for_tests())).unwrap();
        container
            .update(|r| {
                r.state.status = Status::Running;
                r.state.pid = Some(999_999);
                r.state.monitor_pid = Some(999_998);
                Ok(())
            })
            .unwrap();
        let monitor = FileLock::exclusive(&container.monitor_lock()).unwrap();
        assert_eq!(
            store::find(&root, "web").unwrap().status(),
            Status::Running,
            "a live monitor is trusted"
        );
        drop(monitor); // the monitor "dies"
        let found = store::find(&root, "web").unwrap();
        assert_eq!(found.status(), Status::Dead);
        assert_eq!(found.record.state.exit_code, 137);
        assert!(
            found
                .record
                .state
                .error
                .contains("monitor (pid 999998) died"),
            "{}",
            found.record.state.error
        );
        assert_eq!(found.record.state.pid, None);
        let reread = store::find(&root, "web").unwrap();
        assert_eq!(
            reread.status(),
            Status::Dead,
            "the repair was written to disk"
        );
    }
}
