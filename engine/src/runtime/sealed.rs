//! Running the engine from a sealed copy of itself before it enters a container (CVE-2019-5736).
//!
//! `ferry exec` joins a running container's namespaces and clones a child there. Until that
//! child calls `execve`, it *is* the ferry binary: `/proc/<pid>/exe` of a process inside the
//! container's PID namespace points at ferry on the host. In 2019 that was enough to break out of
//! runc: a process in the container waited for runc to appear, opened `/proc/<pid>/exe`, and once
//! runc had exited wrote its own program over the host's runc binary — which root ran next time.
//!
//! The answer here is runc's: before entering, the engine copies its own binary into a memory-only
//! file (`memfd_create`), **seals** it so that nobody can ever change its contents, and executes
//! that. From then on `/proc/<pid>/exe` of the engine and of every child it clones is the sealed
//! copy: opening it for writing fails, and the file on the host is not reachable from it. It
//! costs one copy of the binary per `ferry exec` (the page cache makes that a memory copy);
//! `ferry run` needs none, since nothing else lives in a new container's PID namespace until its
//! first process has executed its command.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd};

use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};

use crate::{Error, Result};

/// The name the copy carries: `/proc/<pid>/exe` reads `/memfd:ferry-sealed (deleted)`.
const NAME: &str = "ferry-sealed";

/// Whether this process already runs from the sealed copy.
fn running_sealed() -> bool {
    std::fs::read_link("/proc/self/exe")
        .is_ok_and(|exe| exe.to_string_lossy().starts_with(&format!("/memfd:{NAME}")))
}

// ANCHOR: reexec
/// Re-executes this program, with the same arguments and environment, from a sealed in-memory
/// copy of its binary; returns at once if it already runs from one. Call it before doing anything
/// that must not happen twice.
pub fn reexec_from_sealed_copy() -> Result<()> {
    if running_sealed() {
        return Ok(());
    }
    let memfd = memfd_create(
        &std::ffi::CString::new(NAME).expect("no NUL in the name"),
        MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING,
    )
    .map_err(Error::sys("create a memory file for the sealed copy"))?;
    let mut copy = File::from(memfd);
    let mut binary = File::open("/proc/self/exe").map_err(Error::io("open", "/proc/self/exe"))?;
    std::io::copy(&mut binary, &mut copy).map_err(Error::io("copy", "/proc/self/exe"))?;
    let seals = SealFlag::F_SEAL_SEAL
        | SealFlag::F_SEAL_SHRINK
        | SealFlag::F_SEAL_GROW
        | SealFlag::F_SEAL_WRITE;
    fcntl(copy.as_raw_fd(), FcntlArg::F_ADD_SEALS(seals))
        .map_err(Error::sys("seal the copy of the binary"))?;
    let args: Vec<std::ffi::CString> = std::env::args_os()
        .map(|a| std::ffi::CString::new(a.into_encoded_bytes()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::InvalidArgument("an argument contains a NUL byte".into()))?;
    let env: Vec<std::ffi::CString> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k.into_encoded_bytes();
            kv.push(b'=');
            kv.extend(v.into_encoded_bytes());
            std::ffi::CString::new(kv)
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| {
            Error::InvalidArgument("an environment variable contains a NUL byte".into())
        })?;
    let errno = nix::unistd::fexecve(copy.as_fd().as_raw_fd(), &args, &env).unwrap_err();
    Err(Error::Sys {
        op: "execute the sealed copy of the binary",
        source: errno,
    })
}
// ANCHOR_END: reexec
