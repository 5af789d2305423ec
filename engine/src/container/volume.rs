//! Named volumes: directories ferry manages under the state root, mounted into containers and kept
//! when the containers go — Docker's `local` volume driver.
//!
//! ```text
//! <root>/volumes/<name>/volume.json    name, creation time, labels
//! <root>/volumes/<name>/_data          the data, bind-mounted into containers
//! ```
//!
//! A volume appears in one `rename` of a fully written staging directory, so two containers
//! creating `my-vol` at once both end up using the same, complete volume.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lock::FileLock;
use super::mounts::MountKind;
use super::time::Timestamp;
use super::{store, ContainerId, StateRoot};
use crate::{Error, Result};

/// The label Docker puts on volumes made for `-v /path` without a name.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// One volume, as `volume inspect` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    /// When it was created.
    pub created_at: Timestamp,
    /// Always `local`: the data is a directory on this host.
    pub driver: String,
    /// Labels; anonymous volumes carry [`ANONYMOUS_LABEL`].
    pub labels: BTreeMap<String, String>,
    /// The directory that is mounted into containers.
    pub mountpoint: PathBuf,
    /// Its name.
    pub name: String,
    /// Driver options (none for `local` here).
    pub options: BTreeMap<String, String>,
    /// Always `local`.
    pub scope: String,
}

impl Volume {
    /// Whether it was made for a `-v /path` without a name.
    pub fn is_anonymous(&self) -> bool {
        self.labels.contains_key(ANONYMOUS_LABEL)
    }
}

/// Checks a volume name against Docker's rule, with Docker's hint for relative host paths.
pub fn validate_name(name: &str) -> Result<String> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if name.len() < 2 || !first_ok || !rest_ok {
        return Err(Error::InvalidArgument(format!(
            "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
        )));
    }
    Ok(name.to_string())
}

/// The volumes under a state root.
#[derive(Debug, Clone)]
pub struct VolumeStore {
    dir: PathBuf,
}

impl VolumeStore {
    /// The store of the given state root.
    pub fn new(root: &StateRoot) -> Self {
        VolumeStore {
            dir: root.volumes(),
        }
    }

    fn volume_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates the volume `name` (a random 64-hex name when `None`, labelled anonymous when
    /// `anonymous`), or returns it if it exists: creating twice is not an error, as in Docker.
    pub fn create(&self, name: Option<&str>, anonymous: bool) -> Result<Volume> {
        let name = match name {
            Some(name) => validate_name(name)?,
            None => ContainerId::random()?.as_str().to_string(),
        };
        if let Some(existing) = self.get(&name)? {
            return Ok(existing);
        }
        let target = self.volume_dir(&name);
        let staging = self
            .dir
            .join(format!(".staging-{}", ContainerId::random()?.short()));
        let mut labels = BTreeMap::new();
        if anonymous {
            labels.insert(ANONYMOUS_LABEL.to_string(), String::new());
        }
        let volume = Volume {
            created_at: Timestamp::now(),
            driver: "local".into(),
            labels,
            mountpoint: target.join("_data"),
            name: name.clone(),
            options: BTreeMap::new(),
            scope: "local".into(),
        };
        let written = write_staged(&staging, &volume);
        let renamed = written.and_then(|()| {
            fs::rename(&staging, &target).map_err(Error::io("create volume", &target))
        });
        if renamed.is_err() {
            let _ = fs::remove_dir_all(&staging);
            // Someone else created it at the same moment: use theirs.
            if let Some(existing) = self.get(&name)? {
                return Ok(existing);
            }
        }
        renamed.map(|()| volume)
    }

    /// The volume called `name`, if it exists.
    pub fn get(&self, name: &str) -> Result<Option<Volume>> {
        if validate_name(name).is_err() {
            return Ok(None);
        }
        let path = self.volume_dir(name).join("volume.json");
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Error::Io {
                    op: "read",
                    path,
                    source: e,
                })
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Corrupt(format!("corrupt volume file {}: {e}", path.display())))
    }

    /// Every volume, sorted by name.
    pub fn list(&self) -> Result<Vec<Volume>> {
        let entries = fs::read_dir(&self.dir).map_err(Error::io("read directory", &self.dir))?;
        let mut volumes = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Error::io("read directory", &self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(volume) = self.get(&name)? {
                volumes.push(volume);
            }
        }
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    /// Deletes a volume and its data. The caller checks that no container uses it.
    pub fn remove(&self, name: &str) -> Result<()> {
        let dir = self.volume_dir(name);
        // Rename first, so the volume disappears in one step even if deleting the data is slow.
        let doomed = self.dir.join(format!(".removing-{name}"));
        fs::rename(&dir, &doomed).map_err(Error::io("remove volume", &dir))?;
        fs::remove_dir_all(&doomed).map_err(Error::io("remove volume", &doomed))
    }
}

fn write_staged(staging: &Path, volume: &Volume) -> Result<()> {
    let data = staging.join("_data");
    fs::create_dir_all(&data).map_err(Error::io("create directory", &data))?;
    let json = serde_json::to_vec_pretty(volume).expect("a volume serializes");
    let path = staging.join("volume.json");
    fs::write(&path, json).map_err(Error::io("write", &path))
}

/// The containers (any state) whose mounts use the volume `name`.
pub fn users(root: &StateRoot, name: &str) -> Result<Vec<ContainerId>> {
    let uses = |c: &store::Container| {
        c.record
            .config
            .mounts
            .iter()
            .any(|m| m.kind == MountKind::Volume && m.name == name)
    };
    Ok(store::list(root)?
        .into_iter()
        .filter(uses)
        .map(|c| c.record.id)
        .collect())
}

// ANCHOR: remove_volume
/// Removes the volume `name` unless a container other than `except` uses it (Docker's "volume is
/// in use" error). Holds the names lock, so no container can start using it meanwhile.
pub fn remove_unused(root: &StateRoot, name: &str, except: Option<&ContainerId>) -> Result<()> {
    let _names = FileLock::exclusive(&root.names_lock())?;
    let store = VolumeStore::new(root);
    if store.get(name)?.is_none() {
        return Err(Error::NoSuchVolume(format!("get {name}: no such volume")));
    }
    let users: Vec<String> = users(root, name)?
        .into_iter()
        .filter(|id| Some(id) != except)
        .map(|id| id.to_string())
        .collect();
    if !users.is_empty() {
        return Err(Error::Conflict(format!(
            "remove {name}: volume is in use - [{}]",
            users.join(", ")
        )));
    }
    store.remove(name)
}
// ANCHOR_END: remove_volume

/// `volume prune`: removes the volumes no container uses — anonymous ones only, unless `all`
/// (Docker 23 and later) — and returns their names and the bytes they held.
pub fn prune(root: &StateRoot, all: bool) -> Result<(Vec<String>, u64)> {
    let mut removed = Vec::new();
    let mut reclaimed = 0;
    for volume in VolumeStore::new(root).list()? {
        if !all && !volume.is_anonymous() {
            continue;
        }
        let size = disk_usage(&volume.mountpoint);
        if remove_unused(root, &volume.name, None).is_ok() {
            reclaimed += size;
            removed.push(volume.name);
        }
    }
    Ok((removed, reclaimed))
}

/// Bytes used by the files below `dir` (not following symlinks): `ps -s`, `prune`'s reclaimed space.
pub fn disk_usage(dir: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(dir) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| disk_usage(&e.path()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, VolumeStore) {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        (dir, VolumeStore::new(&root))
    }

    #[test]
    fn a_created_volume_is_listed_found_and_removed() {
        let (_dir, store) = store();
        let volume = store.create(Some("my-vol"), false).unwrap();
        assert!(volume.mountpoint.is_dir());
        assert!(volume.mountpoint.ends_with("volumes/my-vol/_data"));
        assert_eq!(store.get("my-vol").unwrap(), Some(volume.clone()));
        fs::write(volume.mountpoint.join("a.py"), b"print(1)").unwrap();
        assert_eq!(
            store.create(Some("my-vol"), false).unwrap(),
            volume,
            "creating again returns the same volume"
        );
        assert!(
            volume.mountpoint.join("a.py").exists(),
            "and keeps its data"
        );
        assert_eq!(store.list().unwrap(), vec![volume]);
        store.remove("my-vol").unwrap();
        assert!(store.get("my-vol").unwrap().is_none());
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn anonymous_volumes_get_a_random_name_and_dockers_label() {
        let (_dir, store) = store();
        let volume = store.create(None, true).unwrap();
        assert_eq!(volume.name.len(), 64);
        assert!(volume.is_anonymous());
        assert!(!store.create(Some("named"), false).unwrap().is_anonymous());
    }

    #[test]
    fn invalid_names_are_refused_and_never_become_paths() {
        let (_dir, store) = store();
        for bad in ["../escape", "a/b", ".hidden", "x"] {
            assert!(store.create(Some(bad), false).is_err(), "{bad}");
            assert!(store.get(bad).unwrap().is_none(), "{bad}");
        }
    }

    #[test]
    fn disk_usage_counts_file_bytes_below_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("a"), [0u8; 100]).unwrap();
        fs::write(dir.path().join("sub/b"), [0u8; 23]).unwrap();
        assert_eq!(disk_usage(dir.path()), 123);
    }
}
