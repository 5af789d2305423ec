//! The containers under a state root: creating one under a unique name, finding one by name, id or
//! id prefix, listing them, and updating a record without losing a concurrent update.
//!
//! There is no daemon holding this in memory: every `ferry` process reads the records from disk,
//! and the locks of [`super::lock`] keep concurrent processes from stepping on each other.

use std::fs;
use std::io::Read;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::config::{ContainerConfig, RootfsConfig};
use super::lock::FileLock;
use super::state::{ContainerRecord, State, Status, RECORD_FILE};
use super::time::Timestamp;
use super::{names, repair, ContainerId, StateRoot};
use crate::{Error, Result};

/// A container found in the state root: its directory and its record as last read.
#[derive(Debug, Clone)]
pub struct Container {
    /// `containers/<id>`.
    pub dir: PathBuf,
    /// The record as last read (see [`Container::update`] to change it).
    pub record: ContainerRecord,
}

impl Container {
    /// Reads the container in `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        Ok(Container {
            dir: dir.to_path_buf(),
            record: ContainerRecord::load(dir)?,
        })
    }

    /// The full id.
    pub fn id(&self) -> &ContainerId {
        &self.record.id
    }

    /// The name, without Docker's leading `/`.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// The status as last read.
    pub fn status(&self) -> Status {
        self.record.state.status
    }

    /// The lock its monitor holds for as long as it lives.
    pub fn monitor_lock(&self) -> PathBuf {
        self.dir.join("monitor.lock")
    }

    /// Whether a monitor is responsible for this container right now.
    pub fn monitor_alive(&self) -> Result<bool> {
        FileLock::is_held(&self.monitor_lock())
    }

    /// The json-file log, named as Docker names it.
    pub fn log_path(&self) -> PathBuf {
        self.dir.join(format!("{}-json.log", self.id()))
    }

    /// The writable layer (OverlayFS upper directory).
    pub fn upper_dir(&self) -> PathBuf {
        self.dir.join("upper")
    }

    /// OverlayFS's work directory.
    pub fn work_dir(&self) -> PathBuf {
        self.dir.join("work")
    }

    /// Where the root filesystem is assembled while it runs.
    pub fn merged_dir(&self) -> PathBuf {
        self.dir.join("merged")
    }

    /// Where the engine writes the container's `hostname`, `hosts` and `resolv.conf`, which the
    /// runtime bind-mounts into it (see [`crate::network::etc_files`]): its own directory, which
    /// the container cannot reach. `None` for a root filesystem directory handed to `ferry run`:
    /// ferry must not create mount points in it, so such a container gets none.
    pub fn etc_files_dir(&self) -> Option<&Path> {
        match &self.record.config.rootfs {
            RootfsConfig::Image { .. } => Some(&self.dir),
            RootfsConfig::Directory { path } if path.starts_with(&self.dir) => Some(&self.dir),
            RootfsConfig::Directory { .. } => None,
        }
    }

    /// Takes the record's lock: hold it across a read-modify-write.
    pub fn lock(&self) -> Result<FileLock> {
        FileLock::exclusive(&self.dir.join("state.lock"))
    }

    /// Re-reads the record from disk.
    pub fn reload(&mut self) -> Result<()> {
        self.record = ContainerRecord::load(&self.dir)?;
        Ok(())
    }

    // ANCHOR: update
    /// Changes the record under its lock: re-read, apply `change`, write back. A concurrent
    /// update (the monitor recording an exit while `ferry pause` runs) is never lost.
    pub fn update<T>(
        &mut self,
        change: impl FnOnce(&mut ContainerRecord) -> Result<T>,
    ) -> Result<T> {
        self.change(change, ContainerRecord::save)
    }

    /// [`update`](Self::update) for a change of its processes' state only (started, exited,
    /// being removed): written atomically, not forced to disk (see
    /// [`ContainerRecord::save_state`]).
    pub fn update_state<T>(
        &mut self,
        change: impl FnOnce(&mut ContainerRecord) -> Result<T>,
    ) -> Result<T> {
        self.change(change, ContainerRecord::save_state)
    }

    fn change<T>(
        &mut self,
        change: impl FnOnce(&mut ContainerRecord) -> Result<T>,
        save: fn(&ContainerRecord, &Path) -> Result<()>,
    ) -> Result<T> {
        let _lock = self.lock()?;
        let mut record = ContainerRecord::load(&self.dir)?;
        let result = change(&mut record)?;
        save(&record, &self.dir)?;
        self.record = record;
        Ok(result)
    }
    // ANCHOR_END: update
}

/// The staging name of a removal a killed `ferry rm` left behind.
fn is_leftover(name: &str) -> bool {
    name.starts_with(".removing-")
}

// ANCHOR: create
/// Creates a container: claims its name (the one given, or a generated one) and writes its
/// record, all under the names lock, so two concurrent `ferry run --name web` cannot both win.
///
/// `build` fills the new container's directory (it is given the id and the directory) and returns
/// its configuration. The record is written last: until then other `ferry` processes do not see
/// the container, and if `build` fails the directory is removed again.
pub fn create(
    root: &StateRoot,
    name: Option<&str>,
    build: impl FnOnce(&ContainerId, &Path) -> Result<ContainerConfig>,
) -> Result<Container> {
    let requested = name.map(names::validate).transpose()?;
    let id = ContainerId::random()?;
    let _names = FileLock::exclusive(&root.names_lock())?;
    remove_leftovers(root);
    let taken = all(root)?;
    let name = match requested {
        Some(name) => match taken.iter().find(|c| c.name() == name) {
            Some(owner) => return Err(name_conflict(&name, owner.id())),
            None => name,
        },
        None => unused_name(&taken)?,
    };
    let dir = root.container_dir(&id);
    fs::DirBuilder::new()
        .mode(StateRoot::MODE)
        .create(&dir)
        .map_err(Error::io("create container directory", &dir))?;
    let written = build(&id, &dir).and_then(|config| {
        let record = ContainerRecord {
            id: id.clone(),
            name,
            created: Timestamp::now(),
            config,
            state: State::created(),
        };
        record.save(&dir)?;
        Ok(record)
    });
    match written {
        Ok(record) => Ok(Container { dir, record }),
        Err(e) => {
            let _ = fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}
// ANCHOR_END: create

/// Docker's message when a name is taken.
pub fn name_conflict(name: &str, owner: &ContainerId) -> Error {
    Error::Conflict(format!(
        "Conflict. The container name \"/{name}\" is already in use by container \"{owner}\". You have to remove (or rename) that container to be able to reuse that name."
    ))
}

fn unused_name(taken: &[Container]) -> Result<String> {
    let mut seed = [0u8; 8];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(Error::io("read", "/dev/urandom"))?;
    let mut random = u64::from_le_bytes(seed);
    for attempt in 0..20 {
        let candidate = names::generate(random, attempt.min(1));
        if !taken.iter().any(|c| c.name() == candidate) {
            return Ok(candidate);
        }
        random = random.rotate_left(13).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    Err(Error::Conflict(
        "could not generate a unique container name".into(),
    ))
}

/// Removes what killed `create`s and `rm`s left: directories without a record, half-removed
/// ones. Call with the names lock held: no creation is in progress then.
fn remove_leftovers(root: &StateRoot) {
    let Ok(entries) = fs::read_dir(root.containers()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let unfinished =
            ContainerId::parse(&name).is_ok() && !entry.path().join(RECORD_FILE).exists();
        if is_leftover(&name) || unfinished {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Every container as recorded, without repairing anything; unreadable entries are skipped.
fn all(root: &StateRoot) -> Result<Vec<Container>> {
    let dir = root.containers();
    let entries = fs::read_dir(&dir).map_err(Error::io("read directory", &dir))?;
    let mut containers = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io("read directory", &dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_leftover(&name)
            || ContainerId::parse(&name).is_err()
            || !entry.path().join(RECORD_FILE).exists()
        {
            continue;
        }
        match Container::load(&entry.path()) {
            Ok(container) => containers.push(container),
            // It was removed between read_dir and load: it is simply gone.
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(containers)
}

/// Every container, newest first, with containers whose monitor died marked as such.
pub fn list(root: &StateRoot) -> Result<Vec<Container>> {
    let mut containers = all(root)?;
    for container in &mut containers {
        repair::if_monitor_died(container)?;
    }
    containers.sort_by_key(|c| std::cmp::Reverse(c.record.created));
    Ok(containers)
}

// ANCHOR: find
/// Finds a container as Docker does: by full id, then by name, then by a unique id prefix.
pub fn find(root: &StateRoot, query: &str) -> Result<Container> {
    let not_found = || Error::NoSuchContainer(query.to_string());
    let name = query.strip_prefix('/').unwrap_or(query);
    if name.is_empty() {
        return Err(not_found());
    }
    let containers = all(root)?;
    let found = if let Some(c) = containers.iter().find(|c| c.id().as_str() == query) {
        c
    } else if let Some(c) = containers.iter().find(|c| c.name() == name) {
        c
    } else {
        let mut matches = containers
            .iter()
            .filter(|c| c.id().as_str().starts_with(query));
        match (matches.next(), matches.next()) {
            (Some(c), None) => c,
            (Some(_), Some(_)) => {
                return Err(Error::InvalidArgument(format!(
                    "multiple IDs found with provided prefix: {query}"
                )))
            }
            (None, _) => return Err(not_found()),
        }
    };
    let mut container = found.clone();
    repair::if_monitor_died(&mut container)?;
    Ok(container)
}
// ANCHOR_END: find

/// Renames a container, under the names lock (Docker's errors for a taken or unchanged name).
pub fn rename(root: &StateRoot, container: &mut Container, new_name: &str) -> Result<()> {
    let new_name = names::validate(new_name)?;
    let _names = FileLock::exclusive(&root.names_lock())?;
    if container.name() == new_name {
        return Err(Error::InvalidArgument(
            "Renaming a container with the same name as its current name".into(),
        ));
    }
    if let Some(owner) = all(root)?.iter().find(|c| c.name() == new_name) {
        return Err(name_conflict(&new_name, owner.id()));
    }
    container.update(|record| {
        record.name = new_name;
        Ok(())
    })
}

/// Deletes a container's directory: renamed away first (so it disappears, and its name is freed,
/// in one step), then removed.
pub fn delete(root: &StateRoot, container: &Container) -> Result<()> {
    let _names = FileLock::exclusive(&root.names_lock())?;
    let doomed = root
        .containers()
        .join(format!(".removing-{}", container.id()));
    fs::rename(&container.dir, &doomed)
        .map_err(Error::io("remove container directory", &container.dir))?;
    fs::remove_dir_all(&doomed).map_err(Error::io("remove container directory", &doomed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> (tempfile::TempDir, StateRoot) {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        (dir, root)
    }

    fn make(root: &StateRoot, name: Option<&str>) -> Result<Container> {
        create(root, name, |_, _| Ok(ContainerConfig::for_tests()))
    }

    #[test]
    fn a_taken_name_gets_dockers_conflict_error() {
        let (_dir, root) = root();
        let web = make(&root, Some("web")).unwrap();
        let err = make(&root, Some("/web")).unwrap_err().to_string();
        assert!(
            err.starts_with("Conflict. The container name \"/web\" is already in use by container"),
            "{err}"
        );
        assert!(err.contains(web.id().as_str()), "{err}");
        assert_eq!(list(&root).unwrap().len(), 1);
    }

    #[test]
    fn containers_are_found_by_id_name_or_unique_prefix() {
        let (_dir, root) = root();
        let a = make(&root, Some("alpha")).unwrap();
        let b = make(&root, None).unwrap();
        assert!(
            names::validate(b.name()).is_ok(),
            "a generated name is a valid name: {}",
            b.name()
        );
        assert_eq!(find(&root, a.id().as_str()).unwrap().id(), a.id());
        assert_eq!(find(&root, "alpha").unwrap().id(), a.id());
        assert_eq!(find(&root, "/alpha").unwrap().id(), a.id());
        assert_eq!(find(&root, &b.id().as_str()[..10]).unwrap().id(), b.id());
        let err = find(&root, "nosuch").unwrap_err().to_string();
        assert_eq!(err, "No such container: nosuch");
        // An empty query names nothing (it would be a prefix of every id).
        assert!(find(&root, "").is_err());
    }

    #[test]
    fn an_ambiguous_prefix_is_refused() {
        let (_dir, root) = root();
        let mut made = Vec::new();
        // With 17 containers two ids must share their first hex digit.
        for _ in 0..17 {
            made.push(make(&root, None).unwrap());
        }
        let shared = made
            .iter()
            .flat_map(|a| made.iter().map(move |b| (a, b)))
            .find(|(a, b)| a.id() != b.id() && a.id().as_str()[..1] == b.id().as_str()[..1])
            .map(|(a, _)| a.id().as_str()[..1].to_string())
            .unwrap();
        let err = find(&root, &shared).unwrap_err().to_string();
        assert!(
            err.contains("multiple IDs found with provided prefix"),
            "{err}"
        );
    }

    #[test]
    fn rename_moves_the_name_and_refuses_taken_or_unchanged_names() {
        let (_dir, root) = root();
        let mut a = make(&root, Some("alpha")).unwrap();
        make(&root, Some("beta")).unwrap();
        assert!(rename(&root, &mut a, "beta")
            .unwrap_err()
            .to_string()
            .contains("already in use"));
        assert!(rename(&root, &mut a, "alpha")
            .unwrap_err()
            .to_string()
            .contains("same name"));
        rename(&root, &mut a, "gamma").unwrap();
        assert_eq!(find(&root, "gamma").unwrap().id(), a.id());
        assert!(find(&root, "alpha").is_err());
        make(&root, Some("alpha")).unwrap();
    }

    #[test]
    fn a_failed_build_leaves_nothing_and_deleting_frees_the_name() {
        let (dir, root) = root();
        let err = create(&root, Some("web"), |_, dir| {
            fs::write(dir.join("half"), b"x").unwrap();
            Err(Error::InvalidArgument("bad image".into()))
        });
        assert!(err.is_err());
        assert_eq!(
            fs::read_dir(dir.path().join("containers")).unwrap().count(),
            0
        );
        let web = make(&root, Some("web")).unwrap();
        delete(&root, &web).unwrap();
        assert_eq!(
            fs::read_dir(dir.path().join("containers")).unwrap().count(),
            0
        );
        make(&root, Some("web")).unwrap();
    }

    #[test]
    fn list_is_newest_first() {
        let (_dir, root) = root();
        let first = make(&root, Some("first")).unwrap();
        let second = make(&root, Some("second")).unwrap();
        let ids: Vec<_> = list(&root)
            .unwrap()
            .into_iter()
            .map(|c| c.record.id)
            .collect();
        assert_eq!(ids, [second.record.id, first.record.id]);
    }
}
