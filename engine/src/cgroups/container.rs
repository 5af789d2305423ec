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
use super::view::CgroupView;

/// What differs between cgroup v1 and v2 for one container's cgroup.
pub trait Backend: std::fmt::Debug + Send + Sync {
    /// Creates the container's directories (and what they need above them, e.g. `ferry`).
    fn create(&self) -> Result<()>;
    /// The container's cgroup directories: one per v1 hierarchy, the single one on v2.
    fn dirs(&self) -> Vec<PathBuf>;
    /// What the container is shown of its cgroup at its `/sys/fs/cgroup`.
    fn view(&self) -> CgroupView;
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
/// `remove` removes the container's directories, then the parent if no other container uses it.
/// The parent's name is ferry's own (`ferry`, `ferry-<hash of the state root>`): no other
/// program makes cgroups under it.
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
        retry_while_parent_vanishes(|| backend.create())?;
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

    /// What the runtime mounts read-only at the container's `/sys/fs/cgroup`: its own cgroup.
    pub fn view(&self) -> CgroupView {
        self.backend.view()
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

    // ANCHOR: remove
    /// Removes the container's cgroup directories, waiting briefly for exiting processes to
    /// leave, and then ferry's parent cgroup in each hierarchy if this was its last container. It
    /// does not kill anything: the caller stops the container first. Removing twice is harmless.
    pub fn remove(&self) -> Result<()> {
        let deadline = Instant::now() + fs::SETTLE_TIMEOUT;
        let mut first_error = None;
        for dir in self.backend.dirs() {
            let removed = fs::remove_dir(&dir, deadline)
                .and_then(|()| dir.parent().map_or(Ok(()), fs::remove_if_unused));
            if let Err(error) = removed {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
    // ANCHOR_END: remove
}

/// How often creating a container's cgroup is tried while its parent keeps vanishing.
const CREATE_ATTEMPTS: usize = 10;

/// Runs `create` again when the parent it needed was going away: between making the shared
/// parent and the container's directory in it, another `ferry` removed its last container and
/// with it the parent (gone: ENOENT; being removed: ENODEV), which the next attempt makes again.
fn retry_while_parent_vanishes(mut create: impl FnMut() -> Result<()>) -> Result<()> {
    let mut attempt = 1;
    loop {
        match create() {
            Err(error) if error.is_vanishing_cgroup() && attempt < CREATE_ATTEMPTS => attempt += 1,
            result => return result,
        }
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

    fn vanished(path: &str) -> CgroupError {
        CgroupError::Io {
            op: "create cgroup",
            path: path.into(),
            source: std::io::ErrorKind::NotFound.into(),
        }
    }

    #[test]
    fn creation_is_retried_while_the_parent_vanishes_and_then_given_up() {
        let mut calls = 0;
        retry_while_parent_vanishes(|| {
            calls += 1;
            if calls < 3 {
                Err(vanished("/x/ferry/c1"))
            } else {
                Ok(())
            }
        })
        .unwrap();
        assert_eq!(calls, 3);

        let mut calls = 0;
        let err = retry_while_parent_vanishes(|| {
            calls += 1;
            Err(vanished("/x/ferry/c1"))
        })
        .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert_eq!(calls, CREATE_ATTEMPTS, "bounded");
    }

    #[test]
    fn a_parent_being_torn_down_on_cgroup_v2_is_retried_too() {
        let mut calls = 0;
        retry_while_parent_vanishes(|| {
            calls += 1;
            if calls < 2 {
                Err(CgroupError::Io {
                    op: "write",
                    path: "/x/ferry/cgroup.subtree_control".into(),
                    source: std::io::Error::from_raw_os_error(libc::ENODEV),
                })
            } else {
                Ok(())
            }
        })
        .unwrap();
        assert_eq!(calls, 2);
    }

    #[test]
    fn other_creation_errors_are_not_retried() {
        let mut calls = 0;
        let err = retry_while_parent_vanishes(|| {
            calls += 1;
            Err(CgroupError::AlreadyExists {
                path: "/x/ferry/c1".into(),
            })
        })
        .unwrap_err();
        assert!(matches!(err, CgroupError::AlreadyExists { .. }));
        assert_eq!(calls, 1);
    }

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
