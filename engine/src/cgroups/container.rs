//! One container's cgroup, whatever the cgroup version: create it with limits, put processes in it,
//! ask whether the OOM killer struck, read usage, freeze it, remove it.
//!
//! The version-specific parts (file names, units, where swap is counted) sit behind [`Backend`],
//! implemented by [`V1Cgroup`] and [`V2Cgroup`]; what is the same on both (a cgroup is a directory,
//! `cgroup.procs` lists its processes, `rmdir` removes it) is written once here.

use std::path::{Component, Path, PathBuf};
use std::time::Instant;

use nix::unistd::Pid;

use super::error::{CgroupError, Result};
use super::fs;
use super::hierarchy::Hierarchy;
use super::resources::Resources;
use super::stats::Stats;
use super::v1::V1Cgroup;
use super::v2::V2Cgroup;

/// What differs between cgroup v1 and v2 for one container's cgroup.
pub trait Backend: std::fmt::Debug + Send + Sync {
    /// Creates the container's directories (and what they need above them, e.g. `ferry`).
    fn create(&self) -> Result<()>;
    /// The container's cgroup directories: one per v1 hierarchy, the single one on v2.
    fn dirs(&self) -> Vec<PathBuf>;
    /// Writes the limits into the cgroup files.
    fn apply(&self, resources: &Resources) -> Result<()>;
    /// Whether the kernel's OOM killer has killed a process of this cgroup.
    fn oom_killed(&self) -> Result<bool>;
    /// Current memory, CPU and process counts.
    fn stats(&self) -> Result<Stats>;
    /// Freezes (`true`) or thaws every process, returning once the kernel reports it done.
    fn set_frozen(&self, frozen: bool) -> Result<()>;
}

/// The cgroup of one container: `<hierarchy>/<parent>/<id>`, e.g. `/sys/fs/cgroup/memory/ferry/ID`.
///
/// ferry only touches cgroups it created: `create` refuses a directory that already exists, and
/// `remove` removes the container's directories, never the shared parent.
#[derive(Debug)]
pub struct ContainerCgroup {
    backend: Box<dyn Backend>,
}

impl ContainerCgroup {
    /// Creates the cgroup of container `id` under ferry's `parent` cgroup and writes `resources`.
    ///
    /// The limits are validated first; if writing one fails, the directories just created are
    /// removed again so a failed `ferry run` leaves no cgroup behind.
    pub fn create(
        hierarchy: &Hierarchy,
        parent: &str,
        id: &str,
        resources: &Resources,
    ) -> Result<Self> {
        resources.validate()?;
        let backend = backend(hierarchy, parent, id)?;
        backend.create()?;
        let cgroup = ContainerCgroup { backend };
        if let Err(error) = cgroup.backend.apply(resources) {
            let _ = cgroup.remove();
            return Err(error);
        }
        Ok(cgroup)
    }

    /// Opens the cgroup of a container created earlier (by another `ferry` process, e.g. for
    /// `ferry stats` or `ferry pause`). Fails when it does not exist.
    pub fn open(hierarchy: &Hierarchy, parent: &str, id: &str) -> Result<Self> {
        let backend = backend(hierarchy, parent, id)?;
        fs::require_dirs(&backend.dirs())?;
        Ok(ContainerCgroup { backend })
    }

    /// The container's cgroup directories (one per v1 controller hierarchy, or one on v2).
    pub fn paths(&self) -> Vec<PathBuf> {
        self.backend.dirs()
    }

    // ANCHOR: add_process
    /// Moves process `pid` (and so every child it forks later) into the container's cgroup.
    ///
    /// On v1 a process is in one cgroup per hierarchy, so it is written into each; on v2 there is
    /// one `cgroup.procs`.
    pub fn add_process(&self, pid: Pid) -> Result<()> {
        for dir in self.backend.dirs() {
            fs::write(&dir.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
    }
    // ANCHOR_END: add_process

    /// The processes in the container's cgroup now.
    pub fn pids(&self) -> Result<Vec<Pid>> {
        match self.backend.dirs().first() {
            Some(dir) => fs::read_pids(&dir.join("cgroup.procs")),
            None => Ok(Vec::new()),
        }
    }

    /// Whether the OOM killer killed a process of the container (Docker's `State.OOMKilled`).
    pub fn oom_killed(&self) -> Result<bool> {
        self.backend.oom_killed()
    }

    /// Memory, CPU and process usage now.
    pub fn stats(&self) -> Result<Stats> {
        self.backend.stats()
    }

    /// Stops every process of the container where it is (`ferry pause`).
    pub fn freeze(&self) -> Result<()> {
        self.backend.set_frozen(true)
    }

    /// Lets the processes of a frozen container run again (`ferry unpause`).
    pub fn thaw(&self) -> Result<()> {
        self.backend.set_frozen(false)
    }

    /// Removes the container's cgroup directories, waiting briefly for exiting processes to
    /// leave. It does not kill anything: the caller stops the container first. Removing twice is
    /// harmless; the parent cgroup (`ferry`) is left in place for other containers.
    pub fn remove(&self) -> Result<()> {
        let deadline = Instant::now() + fs::SETTLE_TIMEOUT;
        let mut first_error = None;
        for dir in self.backend.dirs() {
            if let Err(error) = fs::remove_dir(&dir, deadline) {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// The backend for container `id` under `parent` in this machine's hierarchy.
fn backend(hierarchy: &Hierarchy, parent: &str, id: &str) -> Result<Box<dyn Backend>> {
    let relative = relative(parent, id)?;
    Ok(match hierarchy {
        Hierarchy::V1 { mounts } => Box::new(V1Cgroup::at(mounts, &relative)?),
        Hierarchy::V2 { root } => Box::new(V2Cgroup::at(root, &relative)),
    })
}

/// `parent/id`, refusing names that would reach outside ferry's parent cgroup (`..`, `/`).
fn relative(parent: &str, id: &str) -> Result<PathBuf> {
    for name in [parent, id] {
        let mut components = Path::new(name).components();
        if !matches!(
            (components.next(), components.next()),
            (Some(Component::Normal(_)), None)
        ) {
            return Err(CgroupError::InvalidName {
                name: name.to_string(),
            });
        }
    }
    Ok(Path::new(parent).join(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_single_path_components() {
        assert_eq!(
            relative("ferry", "abc123").unwrap(),
            Path::new("ferry/abc123")
        );
        for (parent, id) in [
            ("ferry", ".."),
            ("ferry", "a/b"),
            ("/", "x"),
            ("ferry", ""),
            ("..", "x"),
        ] {
            let err = relative(parent, id).unwrap_err();
            assert!(
                matches!(err, CgroupError::InvalidName { .. }),
                "{parent}/{id}: {err}"
            );
        }
    }
}
