//! File locks: how independent `ferry` processes take turns without a daemon.
//!
//! ferry uses Linux *open file description* locks (`F_OFD_SETLK`): like `flock` they belong to an
//! open file, not to a process, so closing some other descriptor of the same file does not drop
//! them (a trap of classic POSIX locks); like POSIX locks they can be *tested* with `F_OFD_GETLK`
//! without taking them. The kernel drops a lock when its last descriptor closes — also when the
//! holder is killed — so a crashed `ferry` never leaves a lock behind.
//!
//! Three locks are used:
//! - `<root>/containers.lock`: held while a name is checked and claimed (create, rename, rm), so two
//!   `ferry run --name web` never both succeed;
//! - `<container>/state.lock`: held for each read-modify-write of `state.json`;
//! - `<container>/monitor.lock`: held by the container's monitor for as long as it lives, so anyone
//!   can ask "is the monitor alive?" without trusting a PID that may have been reused.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// An exclusive lock on a file, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

fn lock_request(kind: libc::c_short) -> libc::flock {
    // SAFETY: flock is plain old data; all-zero is valid (whole file, l_pid 0 as OFD locks need).
    let mut request: libc::flock = unsafe { std::mem::zeroed() };
    request.l_type = kind;
    request.l_whence = libc::SEEK_SET as libc::c_short;
    request
}

fn fcntl_lock(file: &File, command: libc::c_int, request: &mut libc::flock) -> io::Result<()> {
    // SAFETY: the descriptor is open for the call and `request` is a valid flock.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), command, request as *mut libc::flock) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn open(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(Error::io("open lock", path))
}

impl FileLock {
    /// Takes the lock, waiting for whoever holds it.
    pub fn exclusive(path: &Path) -> Result<Self> {
        let file = open(path)?;
        let mut request = lock_request(libc::F_WRLCK as libc::c_short);
        loop {
            match fcntl_lock(&file, libc::F_OFD_SETLKW, &mut request) {
                Ok(()) => {
                    return Ok(Self {
                        file,
                        path: path.to_path_buf(),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error::Io {
                        op: "lock",
                        path: path.to_path_buf(),
                        source: e,
                    })
                }
            }
        }
    }

    /// Takes the lock if nobody holds it; `None` if somebody does.
    pub fn try_exclusive(path: &Path) -> Result<Option<Self>> {
        let file = open(path)?;
        let mut request = lock_request(libc::F_WRLCK as libc::c_short);
        match fcntl_lock(&file, libc::F_OFD_SETLK, &mut request) {
            Ok(()) => Ok(Some(Self {
                file,
                path: path.to_path_buf(),
            })),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES)) => {
                Ok(None)
            }
            Err(e) => Err(Error::Io {
                op: "lock",
                path: path.to_path_buf(),
                source: e,
            }),
        }
    }

    /// Whether some open file holds a lock on `path` now (a missing file is not locked).
    pub fn is_held(path: &Path) -> Result<bool> {
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => {
                return Err(Error::Io {
                    op: "open lock",
                    path: path.to_path_buf(),
                    source: e,
                })
            }
        };
        let mut request = lock_request(libc::F_WRLCK as libc::c_short);
        fcntl_lock(&file, libc::F_OFD_GETLK, &mut request).map_err(Error::io("test lock", path))?;
        Ok(request.l_type != libc::F_UNLCK as libc::c_short)
    }

    /// Takes over a lock whose descriptor this process inherited (the monitor gets the container's
    /// monitor lock from the `ferry` that started it, so the lock is never free in between).
    pub fn inherit(fd: std::os::fd::OwnedFd, path: PathBuf) -> Self {
        FileLock {
            file: File::from(fd),
            path,
        }
    }

    /// The locked file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock's descriptor (to hand the lock to a child process that outlives this one).
    pub fn file(&self) -> &File {
        &self.file
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_seen_and_refused_then_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        assert!(
            !FileLock::is_held(&path).unwrap(),
            "a missing file is not locked"
        );
        let held = FileLock::exclusive(&path).unwrap();
        assert!(FileLock::is_held(&path).unwrap());
        assert!(
            FileLock::try_exclusive(&path).unwrap().is_none(),
            "OFD locks conflict even within one process"
        );
        drop(held);
        assert!(!FileLock::is_held(&path).unwrap());
        assert!(FileLock::try_exclusive(&path).unwrap().is_some());
    }

    #[test]
    fn closing_another_descriptor_of_the_file_keeps_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let _held = FileLock::exclusive(&path).unwrap();
        drop(File::open(&path).unwrap()); // would release a classic POSIX lock
        assert!(FileLock::is_held(&path).unwrap());
    }
}
