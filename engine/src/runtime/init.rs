//! What the container's first process does between `clone` and `exec`, in order.
//!
//! This runs in the cloned child: already in its new namespaces, still seeing the host's files.
//! Each step must come where it is — see the comments in [`setup`]. Any failure is written to the
//! report pipe as `exit-code\nmessage` and the child exits; on success `exec` closes that pipe.

use std::convert::Infallible;
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use super::exec::{self, Failure};
use super::{loopback, rootfs, ContainerSpec, NetworkMode, RootfsSource};
use crate::Result;

/// The child's instructions, prepared before `clone` so the child does little more than syscalls.
pub(super) struct InitPlan {
    root: PathBuf,
    rootfs: RootfsSource,
    hostname: String,
    args: Vec<String>,
    env: Vec<CString>,
    path_var: String,
    cwd: PathBuf,
    network: NetworkMode,
    keep_stdin: bool,
}

impl InitPlan {
    pub(super) fn new(spec: &ContainerSpec) -> Result<Self> {
        let env = spec
            .env
            .iter()
            .map(|kv| CString::new(kv.as_str()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                crate::Error::InvalidArgument(
                    "environment variables cannot contain NUL bytes".into(),
                )
            })?;
        let path_var = spec
            .env
            .iter()
            .find_map(|kv| kv.strip_prefix("PATH="))
            .unwrap_or(crate::image::toolbox::DEFAULT_PATH)
            .to_string();
        Ok(Self {
            root: spec.root.clone(),
            rootfs: spec.rootfs.clone(),
            hostname: spec.hostname.clone(),
            args: spec.args.clone(),
            env,
            path_var,
            cwd: spec.cwd.clone(),
            network: spec.network,
            keep_stdin: spec.keep_stdin,
        })
    }
}

/// The child's entry point: wait for the engine's go, set up, exec. Returns only on failure.
pub(super) fn run(plan: &InitPlan, go: &OwnedFd, report: &OwnedFd, parent_ends: &[RawFd]) -> isize {
    for fd in parent_ends {
        // SAFETY: these are the parent's pipe ends, duplicated into this child by clone; the child
        // must close its copies so the pipes see EOF when the parent's side goes away.
        unsafe { libc::close(*fd) };
    }
    let mut byte = [0u8; 1];
    if !matches!(nix::unistd::read(go.as_raw_fd(), &mut byte), Ok(1)) {
        return 1; // the engine gave up on us (its prepare step failed)
    }
    let Err(failure) = setup(plan);
    let message = format!("{}\n{}", failure.exit_code, failure.message);
    let _ = nix::unistd::write(report, message.as_bytes());
    1
}

// ANCHOR: init_sequence
/// The container's set-up, step by step. Returns only if a step failed.
fn setup(plan: &InitPlan) -> Result<Infallible, Failure> {
    // 1. Our mount namespace is a copy of the host's. Make every mount private first, so nothing
    //    we mount (or unmount) below propagates back to the host.
    rootfs::make_mounts_private()?;
    // 2. Assemble the root filesystem: the image's layers under our writable layer (OverlayFS),
    //    or a plain directory bind-mounted onto itself (pivot_root needs a mount point).
    rootfs::assemble(&plan.rootfs, &plan.root)?;
    // 3. Kernel file systems inside it. /proc must be mounted by a process of the new PID
    //    namespace — we are its PID 1 — so that it shows only the container's processes.
    rootfs::mount_proc(&plan.root)?;
    rootfs::mount_dev(&plan.root)?;
    rootfs::mount_sys(&plan.root)?;
    // 4. Make it "/": from here on the host's file system is unreachable.
    rootfs::pivot_root(&plan.root)?;
    // 5. Our own UTS namespace: setting the hostname changes nothing on the host.
    nix::unistd::sethostname(&plan.hostname)
        .map_err(|e| Failure::engine(format!("sethostname {:?}: {e}", plan.hostname)))?;
    // 6. A new network namespace starts with `lo` down; --network none means "only lo, up".
    if plan.network == NetworkMode::None {
        loopback::bring_up().map_err(|e| Failure::engine(format!("bring up lo: {e}")))?;
    }
    // 7. stdin: the caller's with -i, otherwise /dev/null (as docker run without -i).
    if !plan.keep_stdin {
        exec::stdin_from_dev_null()?;
    }
    // 8. The working directory, created if the image lacks it, then exec the command as PID 1.
    exec::enter_workdir(&plan.cwd)?;
    exec::exec(&plan.args, &plan.env, &plan.path_var)
}
// ANCHOR_END: init_sequence
