//! A cgroup is a directory; its settings are files; its members are listed in `cgroup.procs`.
//!
//! The seeds do it in a shell:
//!
//! ```text
//! cd /sys/fs/cgroup/memory && mkdir memorydemo && cd memorydemo
//! echo 104960000 > memory.limit_in_bytes
//! echo PID > cgroup.procs
//! ```
//!
//! This module is the same three steps in code, plus `rmdir` at the end, for both cgroup versions:
//! v1 mounts each controller on its own (`/sys/fs/cgroup/memory`), v2 has one tree
//! (`/sys/fs/cgroup`) where a controller must be enabled for the children of a directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use crate::Error;

/// Where the cgroup file systems are mounted on every common distribution.
pub const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Which cgroup interface holds a controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// One hierarchy per controller, files like `memory.limit_in_bytes`.
    V1,
    /// One unified hierarchy, files like `memory.max`.
    V2,
}

// ANCHOR: find_controller
/// Finds where cgroups with `controller` are made: `/sys/fs/cgroup/<controller>` on v1, the
/// root of the tree on v2.
pub fn find_controller(controller: &str) -> Result<(Version, PathBuf), Error> {
    let root = Path::new(CGROUP_ROOT);
    // v1: the controller is a file system of its own, mounted in a directory named after it.
    let v1 = root.join(controller);
    if v1.join("cgroup.procs").exists() {
        return Ok((Version::V1, v1));
    }
    // v2: one tree, whose root lists the controllers it has in cgroup.controllers.
    let controllers = std::fs::read_to_string(root.join("cgroup.controllers")).unwrap_or_default();
    if controllers.split_whitespace().any(|c| c == controller) {
        return Ok((Version::V2, root.to_path_buf()));
    }
    Err(Error::NoController(controller.to_string()))
}
// ANCHOR_END: find_controller

/// A cgroup directory this demo created; it is removed again when dropped, should the demo stop
/// early (the normal end calls [`Cgroup::remove`] to see the outcome).
#[derive(Debug)]
pub struct Cgroup {
    /// The directory, e.g. `/sys/fs/cgroup/memory/ch02-oom-1234`.
    pub path: PathBuf,
    /// The interface it belongs to, which decides the file names.
    pub version: Version,
    removed: bool,
}

impl Cgroup {
    // ANCHOR: create
    /// Creates the cgroup `name` for `controller`: `mkdir /sys/fs/cgroup/<controller>/<name>` on
    /// v1; on v2 first `echo +<controller> > /sys/fs/cgroup/cgroup.subtree_control` (if it is not
    /// enabled yet), then `mkdir /sys/fs/cgroup/<name>`.
    pub fn create(controller: &str, name: &str) -> Result<Cgroup, Error> {
        let (version, base) = find_controller(controller)?;
        if version == Version::V2 {
            let subtree_control = base.join("cgroup.subtree_control");
            let enabled = read(&subtree_control)?;
            if !enabled.split_whitespace().any(|c| c == controller) {
                write(&subtree_control, &format!("+{controller}"))?;
            }
        }
        let path = base.join(name);
        std::fs::create_dir(&path).map_err(Error::io("create cgroup", &path))?;
        Ok(Cgroup {
            path,
            version,
            removed: false,
        })
    }
    // ANCHOR_END: create

    /// Writes a setting, like `echo VALUE > FILE` in the cgroup directory.
    pub fn write(&self, file: &str, value: &str) -> Result<(), Error> {
        write(&self.path.join(file), value)
    }

    /// Reads a file of the cgroup, trimmed.
    pub fn read(&self, file: &str) -> Result<String, Error> {
        Ok(read(&self.path.join(file))?.trim().to_string())
    }

    /// Reads a file holding one number, such as `memory.failcnt`.
    pub fn read_number(&self, file: &str) -> Result<u64, Error> {
        let value = self.read(file)?;
        value.parse().map_err(|_| Error::Parse {
            path: self.path.join(file),
            content: value,
        })
    }

    /// Reads the number after `key` in a file of `key value` lines (`memory.oom_control`,
    /// `memory.events`, `cpu.stat`); `None` when the kernel does not report that key.
    pub fn read_key(&self, file: &str, key: &str) -> Result<Option<u64>, Error> {
        Ok(self
            .read(file)?
            .lines()
            .filter_map(|line| line.split_once(' '))
            .find(|(k, _)| *k == key)
            .and_then(|(_, value)| value.trim().parse().ok()))
    }

    /// Whether the kernel offers this file (e.g. swap accounting adds `memory.memsw.*`).
    pub fn has(&self, file: &str) -> bool {
        self.path.join(file).exists()
    }

    /// Moves process `pid` into the cgroup: `echo PID > cgroup.procs`.
    pub fn add(&self, pid: Pid) -> Result<(), Error> {
        self.write("cgroup.procs", &pid.to_string())
    }

    // ANCHOR: remove
    /// Removes the cgroup: `rmdir`, which the kernel allows once no process is inside (the files
    /// are not real files and need no deleting). A process that was just killed may still be
    /// leaving, so `EBUSY` is retried for a moment.
    pub fn remove(mut self) -> Result<(), Error> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match std::fs::remove_dir(&self.path) {
                Ok(()) => break,
                Err(e)
                    if e.raw_os_error() == Some(nix::libc::EBUSY) && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => return Err(Error::io("remove cgroup", &self.path)(e)),
            }
        }
        self.removed = true;
        Ok(())
    }
    // ANCHOR_END: remove
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        if !self.removed {
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}

fn write(path: &Path, value: &str) -> Result<(), Error> {
    std::fs::write(path, value).map_err(Error::io("write", path))
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(Error::io("read", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "cgroup" on a plain temp directory: the file handling is the same.
    fn fake() -> (tempfile::TempDir, Cgroup) {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("ch02-test");
        std::fs::create_dir(&path).unwrap();
        let cgroup = Cgroup {
            path,
            version: Version::V1,
            removed: false,
        };
        (tmp, cgroup)
    }

    #[test]
    fn keyed_files_give_the_number_after_the_key() {
        let (_tmp, cg) = fake();
        cg.write(
            "memory.oom_control",
            "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
        )
        .unwrap();
        assert_eq!(
            cg.read_key("memory.oom_control", "oom_kill").unwrap(),
            Some(1)
        );
        assert_eq!(cg.read_key("memory.oom_control", "oom").unwrap(), None);
    }

    #[test]
    fn numbers_are_read_trimmed_and_garbage_is_an_error() {
        let (_tmp, cg) = fake();
        cg.write("memory.failcnt", "42\n").unwrap();
        assert_eq!(cg.read_number("memory.failcnt").unwrap(), 42);
        cg.write("memory.failcnt", "many\n").unwrap();
        assert!(matches!(
            cg.read_number("memory.failcnt"),
            Err(Error::Parse { .. })
        ));
    }

    #[test]
    fn add_writes_the_pid_to_cgroup_procs() {
        let (_tmp, cg) = fake();
        cg.add(Pid::from_raw(4242)).unwrap();
        assert_eq!(cg.read("cgroup.procs").unwrap(), "4242");
    }

    #[test]
    fn an_empty_cgroup_is_removed_and_a_dropped_one_too() {
        let (_tmp, cg) = fake();
        let path = cg.path.clone();
        cg.remove().unwrap();
        assert!(!path.exists());
        let (_tmp, cg) = fake();
        let path = cg.path.clone();
        drop(cg);
        assert!(!path.exists());
    }
}
