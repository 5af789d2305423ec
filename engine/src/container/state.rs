//! The state root's layout and a container's record on disk.
//!
//! ```text
//! <root>/                             0700, as are images/, containers/ and volumes/
//!   images/…                          the image store: an OCI image layout + layers/ (see crate::image)
//!   volumes/<name>/_data              named volumes (see super::volume)
//!   containers.lock                   held while names are claimed or released
//!   containers/<id>/state.json        the container's record: config and state, rewritten atomically
//!   containers/<id>/state.lock        held for each read-modify-write of state.json
//!   containers/<id>/monitor.lock      held by the container's monitor for as long as it lives
//!   containers/<id>/<id>-json.log     its output, one JSON object per line (Docker's json-file)
//!   containers/<id>/layer.json        its image id, storage driver and layers (see crate::image::driver)
//!   containers/<id>/upper, work       its writable layer (OverlayFS upper and work dirs)
//!   containers/<id>/rootfs            instead, with the copying driver: its own copy of the image
//!   containers/<id>/merged            where its root filesystem is assembled
//!   containers/<id>/hostname, hosts, resolv.conf   bind-mounted at its /etc (see crate::network)
//! ```
//!
//! Only root may enter the state root (Docker's /var/lib/docker is 0710 root:root, CVE-2021-41091):
//! image layers and writable layers hold the container's files with their modes, so a setuid-root
//! binary of an image would otherwise run as root for any local user who finds its path, and
//! `state.json` holds the `-e` values, logs what the container printed.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::config::ContainerConfig;
use super::time::Timestamp;
use super::ContainerId;
use crate::{Error, Result};

/// The directory that holds all of ferry's images, containers and volumes.
#[derive(Debug, Clone)]
pub struct StateRoot {
    path: PathBuf,
}

impl StateRoot {
    /// The default, as Docker's is /var/lib/docker.
    pub const DEFAULT: &'static str = "/var/lib/ferry";

    /// The mode of the state root and of the directories directly below it: root's alone.
    pub const MODE: u32 = 0o700;

    // ANCHOR: open
    /// Opens (creating if needed) the state root at `path`. A root that an older ferry left open
    /// to other users is closed again.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(Error::io("create directory", parent))?;
        }
        private_dir(&path)?;
        for dir in ["images", "containers", "volumes"] {
            private_dir(&path.join(dir))?;
        }
        Ok(Self { path })
    }
    // ANCHOR_END: open

    /// The root directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where images are stored.
    pub fn images(&self) -> PathBuf {
        self.path.join("images")
    }

    /// Where container directories are.
    pub fn containers(&self) -> PathBuf {
        self.path.join("containers")
    }

    /// The directory a container owns.
    pub fn container_dir(&self, id: &ContainerId) -> PathBuf {
        self.containers().join(id.as_str())
    }

    /// Where named volumes are stored.
    pub fn volumes(&self) -> PathBuf {
        self.path.join("volumes")
    }

    /// The lock held while container names (and volume references) are checked and changed.
    pub fn names_lock(&self) -> PathBuf {
        self.path.join("containers.lock")
    }
}

/// Creates `dir` with [`StateRoot::MODE`], or gives an existing one that mode.
fn private_dir(dir: &Path) -> Result<()> {
    match fs::DirBuilder::new().mode(StateRoot::MODE).create(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            return Err(Error::io("create directory", dir)(e))
        }
        _ => {}
    }
    let meta = fs::metadata(dir).map_err(Error::io("stat", dir))?;
    if meta.permissions().mode() & 0o7777 != StateRoot::MODE {
        fs::set_permissions(dir, fs::Permissions::from_mode(StateRoot::MODE))
            .map_err(Error::io("chmod", dir))?;
    }
    Ok(())
}

// ANCHOR: status
/// Where a container is in its life: Docker's seven states.
///
/// ```text
///  create ──▶ created ──start──▶ running ◀──unpause── paused
///                                 │  ▲ └────pause─────▲
///                      exit/stop/kill  restart policy
///                                 ▼  │
///                               exited ◀── restarting (monitor waiting to start it again)
///  rm: created/exited/dead ──▶ removing ──▶ (gone);  monitor lost or cleanup failed ──▶ dead
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Its directory and record exist; it has never been started (or failed to start).
    Created,
    /// Its PID 1 exited and its restart policy brings it back after a delay.
    Restarting,
    /// Its PID 1 is alive.
    Running,
    /// `rm` is tearing it down.
    Removing,
    /// Its processes are frozen (freezer cgroup).
    Paused,
    /// Its PID 1 has exited.
    Exited,
    /// ferry lost track of it (its monitor died) or could not clean it up; it can only be removed.
    Dead,
}
// ANCHOR_END: status

impl Status {
    /// The lowercase name Docker prints (`status=` filters, `State.Status`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Restarting => "restarting",
            Status::Running => "running",
            Status::Removing => "removing",
            Status::Paused => "paused",
            Status::Exited => "exited",
            Status::Dead => "dead",
        }
    }

    /// Parses a status name as `ps -f status=` takes it.
    pub fn parse(name: &str) -> Option<Status> {
        [
            Status::Created,
            Status::Restarting,
            Status::Running,
            Status::Removing,
            Status::Paused,
            Status::Exited,
            Status::Dead,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// Whether a monitor is responsible for the container now (running, paused or restarting):
    /// what `ps` without `-a` lists.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Running | Status::Paused | Status::Restarting)
    }
}

/// What ferry knows about a container's processes: Docker's `State`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    /// Lifecycle status.
    pub status: Status,
    /// PID 1's pid in the host's PID namespace while it runs.
    pub pid: Option<i32>,
    /// The pid of the monitor that runs it (informational: liveness is told by `monitor.lock`).
    pub monitor_pid: Option<i32>,
    /// The last exit code (128+N when killed by signal N); 0 before the first exit.
    pub exit_code: i32,
    /// Whether the kernel's OOM killer ended the last run.
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    /// Why the last start failed or why the container is dead; empty otherwise.
    pub error: String,
    /// When PID 1 last started.
    pub started_at: Timestamp,
    /// When PID 1 last exited.
    pub finished_at: Timestamp,
    /// How often the restart policy has restarted it.
    pub restart_count: u32,
    /// Set by `stop` (and `kill` with SIGKILL): this exit is wanted, the restart policy must not undo it.
    pub manually_stopped: bool,
}

impl State {
    /// The state of a container that was just created.
    pub fn created() -> Self {
        State {
            status: Status::Created,
            pid: None,
            monitor_pid: None,
            exit_code: 0,
            oom_killed: false,
            error: String::new(),
            started_at: Timestamp::ZERO,
            finished_at: Timestamp::ZERO,
            restart_count: 0,
            manually_stopped: false,
        }
    }
}

/// Everything ferry records about one container, in `containers/<id>/state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerRecord {
    /// The full id.
    pub id: ContainerId,
    /// Its unique name, without Docker's leading `/`.
    pub name: String,
    /// When it was created.
    pub created: Timestamp,
    /// How to start it: fixed at create time (only the name can change, by `rename`).
    pub config: ContainerConfig,
    /// Where it is in its life.
    pub state: State,
}

/// The name of the record file inside a container's directory.
pub const RECORD_FILE: &str = "state.json";

impl ContainerRecord {
    /// Writes the record atomically (temp file, fsync, rename), so a reader never sees half of it
    /// and it survives a crash of the machine: for what defines the container (its creation, its
    /// name, its configuration).
    pub fn save(&self, dir: &Path) -> Result<()> {
        self.write(dir, true)
    }

    // ANCHOR: save_state
    /// Writes the record atomically (temp file, rename) but does not force it to disk: for a
    /// change of the *state* of its processes (running, exited, being removed), as runc writes
    /// its `state.json`. Such a state does not outlive a crash of the machine anyway — its
    /// processes are gone, and the first command that reads the record repairs it (see
    /// `repair`) — while every `fsync` costs a disk flush on the path of every `ferry run`.
    pub fn save_state(&self, dir: &Path) -> Result<()> {
        self.write(dir, false)
    }
    // ANCHOR_END: save_state

    fn write(&self, dir: &Path, durable: bool) -> Result<()> {
        let path = dir.join(RECORD_FILE);
        let tmp = dir.join(".state.json.tmp");
        let json = serde_json::to_vec_pretty(self).expect("a container record serializes");
        let write = || -> std::io::Result<()> {
            // Readable by root alone: the record holds the container's environment (`-e` secrets).
            let _ = fs::remove_file(&tmp); // a killed writer's, with whatever mode it had
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&json)?;
            if durable {
                f.sync_all()?;
            }
            fs::rename(&tmp, &path)
        };
        write().map_err(Error::io("write", &path))
    }

    /// Reads a container's record.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(RECORD_FILE);
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("corrupt state file {}: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_its_file_with_dockers_field_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::created();
        state.status = Status::Exited;
        state.exit_code = 137;
        state.oom_killed = true;
        let record = ContainerRecord {
            id: ContainerId::random().unwrap(),
            name: "web".into(),
            created: Timestamp::now(),
            config: ContainerConfig::for_tests(),
            state,
        };
        record.save(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(RECORD_FILE)).unwrap();
        for expected in [
            "\"OOMKilled\": true",
            "\"Status\": \"exited\"",
            "\"ExitCode\": 137",
            "\"FinishedAt\": \"0001-01-01T00:00:00Z\"",
        ] {
            assert!(text.contains(expected), "{expected} missing from {text}");
        }
        let back = ContainerRecord::load(dir.path()).unwrap();
        assert_eq!(back.state, record.state);
        assert_eq!(back.name, "web");
    }

    #[test]
    fn status_names_are_dockers_and_parse_back() {
        for status in [
            Status::Created,
            Status::Restarting,
            Status::Running,
            Status::Removing,
            Status::Paused,
            Status::Exited,
            Status::Dead,
        ] {
            assert_eq!(Status::parse(status.as_str()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
        assert_eq!(Status::parse("stopped"), None);
        assert!(
            Status::Paused.is_active()
                && !Status::Exited.is_active()
                && !Status::Created.is_active()
        );
    }

    #[test]
    fn a_corrupt_record_is_reported_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(RECORD_FILE), b"{not json").unwrap();
        let err = ContainerRecord::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("corrupt state file") && err.contains("state.json"),
            "{err}"
        );
    }
}
