//! The state root's layout and a container's state file.
//!
//! ```text
//! <root>/
//!   images/<repository>/<tag>/      one image (see crate::image)
//!   containers/<id>/state.json      the container's state, rewritten atomically
//!   containers/<id>/upper, work     its writable layer (OverlayFS upper and work dirs)
//!   containers/<id>/merged          where its root filesystem is assembled
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ContainerId;
use crate::{Error, Result};

/// The directory that holds all of ferry's images and containers.
#[derive(Debug, Clone)]
pub struct StateRoot {
    path: PathBuf,
}

impl StateRoot {
    /// The default, as Docker's is /var/lib/docker.
    pub const DEFAULT: &'static str = "/var/lib/ferry";

    /// Opens (creating if needed) the state root at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        for dir in ["images", "containers"] {
            let dir = path.join(dir);
            fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
        }
        Ok(Self { path })
    }

    /// The root directory itself.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where images are stored.
    pub fn images(&self) -> PathBuf {
        self.path.join("images")
    }

    /// The directory a container owns.
    pub fn container_dir(&self, id: &ContainerId) -> PathBuf {
        self.path.join("containers").join(id.as_str())
    }
}

/// Where a container is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Its directory exists; no process yet.
    Created,
    /// Its PID 1 is alive.
    Running,
    /// Its PID 1 has exited.
    Exited,
}

/// What ferry records about a container, in `containers/<id>/state.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerState {
    /// The full id.
    pub id: ContainerId,
    /// The image reference or rootfs directory it was created from.
    pub image: String,
    /// The command (argv) of its PID 1.
    pub command: Vec<String>,
    /// Lifecycle status.
    pub status: Status,
    /// PID 1's pid in the host's PID namespace while running.
    pub pid: Option<i32>,
    /// The exit code once exited (128+N when killed by signal N).
    pub exit_code: Option<i32>,
    /// Whether the kernel's OOM killer ended it.
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
}

impl ContainerState {
    /// Writes the state file atomically (temp file, fsync, rename), so a reader never sees half of it.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join("state.json");
        let tmp = dir.join(".state.json.tmp");
        let json = serde_json::to_vec_pretty(self).expect("state serializes");
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(Error::io("write", &path))
    }

    /// Reads a container's state file.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("state.json");
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("corrupt state file {}: {e}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let state = ContainerState {
            id: ContainerId::random().unwrap(),
            image: "toolbox".into(),
            command: vec!["true".into()],
            status: Status::Exited,
            pid: None,
            exit_code: Some(137),
            oom_killed: true,
        };
        state.save(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join("state.json")).unwrap();
        assert!(text.contains("\"OOMKilled\": true"), "{text}");
        let back = ContainerState::load(dir.path()).unwrap();
        assert_eq!(back.exit_code, Some(137));
        assert_eq!(back.status, Status::Exited);
    }
}
