//! Reading and writing cgroup files, and creating and removing cgroup directories.
//!
//! The cgroup file system is the whole interface: a directory is a cgroup, a write is a setting.
//! Every helper here turns a failure into a [`CgroupError`] that names the step and the path, so
//! `ferry run -m 1k` ends with `write /sys/fs/cgroup/memory/ferry/ID/memory.limit_in_bytes: ...`
//! instead of a bare errno.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::error::{CgroupError, Result};

/// How long ferry waits for the kernel to settle a cgroup: processes to leave it before `rmdir`,
/// or every task to reach the frozen state.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(3);

/// How often a settling cgroup is looked at again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Writes one setting (a cgroup file takes one value per `write(2)`).
pub fn write(path: &Path, value: &str) -> Result<()> {
    std::fs::write(path, value).map_err(CgroupError::io("write", path))
}

/// Reads a whole cgroup file.
pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(CgroupError::io("read", path))
}

/// Reads a file holding a single number, such as `memory.usage_in_bytes`.
pub fn read_u64(path: &Path) -> Result<u64> {
    let content = read(path)?;
    parse_u64(path, content.trim(), &content)
}

/// Reads a file holding a number or `max`, such as `memory.max` (`None` for `max`).
pub fn read_limit(path: &Path) -> Result<Option<u64>> {
    let content = read(path)?;
    match content.trim() {
        "max" => Ok(None),
        value => parse_u64(path, value, &content).map(Some),
    }
}

/// Reads the value of `key` in a flat keyed file such as `memory.events` (`oom_kill 1` lines);
/// `None` when the kernel does not report that key.
pub fn read_key(path: &Path, key: &str) -> Result<Option<u64>> {
    let content = read(path)?;
    content
        .lines()
        .filter_map(|line| line.split_once(' '))
        .find(|(k, _)| *k == key)
        .map(|(_, value)| parse_u64(path, value.trim(), &content))
        .transpose()
}

fn parse_u64(path: &Path, value: &str, content: &str) -> Result<u64> {
    value.parse().map_err(|_| CgroupError::Parse {
        path: path.to_path_buf(),
        content: content.to_string(),
    })
}

/// Reads the process ids listed in a `cgroup.procs` file.
pub fn read_pids(path: &Path) -> Result<Vec<Pid>> {
    let content = read(path)?;
    content
        .lines()
        .map(|line| parse_u64(path, line.trim(), &content).map(|pid| Pid::from_raw(pid as i32)))
        .collect()
}

/// Creates `dir` if it is missing (a parent cgroup such as `ferry`, shared by containers).
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(CgroupError::io("create cgroup", dir))
}

/// Creates each of `dirs` (their parents must exist), refusing any that already exists: ferry
/// only manages cgroups it created. On failure the ones already created are removed again.
pub fn create_dirs(dirs: &[PathBuf]) -> Result<()> {
    for (done, dir) in dirs.iter().enumerate() {
        let created = std::fs::create_dir(dir).map_err(|source| match source.kind() {
            ErrorKind::AlreadyExists => CgroupError::AlreadyExists { path: dir.clone() },
            _ => CgroupError::Io {
                op: "create cgroup",
                path: dir.clone(),
                source,
            },
        });
        if let Err(error) = created {
            for earlier in &dirs[..done] {
                let _ = std::fs::remove_dir(earlier);
            }
            return Err(error);
        }
    }
    Ok(())
}

/// Checks that each of `dirs` exists (opening the cgroup of a container created earlier).
pub fn require_dirs(dirs: &[PathBuf]) -> Result<()> {
    for dir in dirs {
        std::fs::metadata(dir).map_err(CgroupError::io("open cgroup", dir))?;
    }
    Ok(())
}

/// Removes a cgroup directory once its processes are gone, trying until `deadline`.
///
/// The kernel refuses `rmdir` with `EBUSY` while a process is still inside, which happens for a
/// moment after a container's processes were killed, so ferry retries. A directory that is
/// already gone counts as removed, so removal can be repeated.
pub fn remove_dir(dir: &Path, deadline: Instant) -> Result<()> {
    let start = Instant::now();
    loop {
        match std::fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                std::thread::sleep(POLL_INTERVAL)
            }
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                return Err(CgroupError::Timeout {
                    op: "remove cgroup (processes still inside)",
                    path: dir.to_path_buf(),
                    waited_ms: start.elapsed().as_millis(),
                })
            }
            Err(source) => {
                return Err(CgroupError::Io {
                    op: "remove cgroup",
                    path: dir.into(),
                    source,
                })
            }
        }
    }
}

// ANCHOR: remove_if_unused
/// Removes a shared parent cgroup such as `ferry` if no container cgroup is left in it.
///
/// `rmdir` tests and removes at once, so no other `ferry` can slip a container in between: the
/// kernel refuses it (`EBUSY`; `ENOTEMPTY` on a plain directory) while a child cgroup exists,
/// which means another container still uses the parent and it stays. Gone already is removed.
pub fn remove_if_unused(dir: &Path) -> Result<()> {
    match std::fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::ENOTEMPTY)) => Ok(()),
        Err(source) => Err(CgroupError::Io {
            op: "remove parent cgroup",
            path: dir.into(),
            source,
        }),
    }
}
// ANCHOR_END: remove_if_unused

/// Polls `done` until it holds or `timeout` passes.
pub fn wait_until(
    op: &'static str,
    path: &Path,
    timeout: Duration,
    mut done: impl FnMut() -> Result<bool>,
) -> Result<()> {
    let start = Instant::now();
    while !done()? {
        if start.elapsed() >= timeout {
            return Err(CgroupError::Timeout {
                op,
                path: path.to_path_buf(),
                waited_ms: start.elapsed().as_millis(),
            });
        }
        std::thread::sleep(POLL_INTERVAL);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_errors_name_the_step_and_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/memory.limit_in_bytes");
        let err = write(&path, "1").unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("write {}: ", path.display())),
            "{err}"
        );
    }

    #[test]
    fn keyed_files_yield_the_value_of_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.events");
        std::fs::write(&path, "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\n").unwrap();
        assert_eq!(read_key(&path, "oom_kill").unwrap(), Some(1));
        assert_eq!(read_key(&path, "oom").unwrap(), Some(2));
        assert_eq!(read_key(&path, "oom_group_kill").unwrap(), None);
    }

    #[test]
    fn unparsable_numbers_are_reported_with_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pids.current");
        std::fs::write(&path, "lots\n").unwrap();
        let err = read_u64(&path).unwrap_err();
        assert!(err.to_string().contains("\"lots\\n\""), "{err}");
    }

    #[test]
    fn limits_read_max_as_unlimited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("memory.max");
        std::fs::write(&path, "max\n").unwrap();
        assert_eq!(read_limit(&path).unwrap(), None);
        std::fs::write(&path, "31457280\n").unwrap();
        assert_eq!(read_limit(&path).unwrap(), Some(31457280));
    }

    #[test]
    fn cgroup_procs_lists_pids() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cgroup.procs");
        std::fs::write(&path, "12\n345\n").unwrap();
        assert_eq!(
            read_pids(&path).unwrap(),
            vec![Pid::from_raw(12), Pid::from_raw(345)]
        );
        std::fs::write(&path, "").unwrap();
        assert_eq!(read_pids(&path).unwrap(), vec![]);
    }

    #[test]
    fn creating_an_existing_cgroup_is_refused_and_rolls_back() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh");
        let taken = dir.path().join("taken");
        std::fs::create_dir(&taken).unwrap();
        let err = create_dirs(&[fresh.clone(), taken.clone()]).unwrap_err();
        assert!(
            matches!(err, CgroupError::AlreadyExists { ref path } if *path == taken),
            "{err}"
        );
        assert!(
            !fresh.exists(),
            "the directory created before the failure is removed again"
        );
    }

    #[test]
    fn removing_a_removed_cgroup_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        std::fs::create_dir(&gone).unwrap();
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        remove_dir(&gone, deadline).unwrap();
        remove_dir(&gone, deadline).unwrap();
        assert!(!gone.exists());
    }

    #[test]
    fn a_parent_is_removed_only_once_it_holds_no_child() {
        let dir = tempfile::tempdir().unwrap();
        let parent = dir.path().join("ferry");
        std::fs::create_dir_all(parent.join("other-container")).unwrap();
        remove_if_unused(&parent).unwrap();
        assert!(parent.join("other-container").is_dir(), "still in use");
        std::fs::remove_dir(parent.join("other-container")).unwrap();
        remove_if_unused(&parent).unwrap();
        assert!(!parent.exists());
        remove_if_unused(&parent).unwrap();
    }

    #[test]
    fn waiting_gives_up_after_the_timeout_with_the_step() {
        let err = wait_until(
            "freeze",
            Path::new("/x/freezer.state"),
            Duration::from_millis(30),
            || Ok(false),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("freeze /x/freezer.state: still not done after"),
            "{err}"
        );
    }
}
