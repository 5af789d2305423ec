//! The two ways the cgroups module fails: a limit the user asked for is not valid, or the kernel's
//! cgroup file system refused an operation.
//!
//! They are separate types because they happen at different times: [`InvalidLimit`] while the CLI
//! parses `-m 500m`, before anything exists; [`CgroupError`] while a container is being set up or
//! torn down, where the message must say which step failed on which file.

use std::path::PathBuf;

/// A resource limit the user gave that ferry (like Docker) refuses, with Docker's wording.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidLimit {
    /// A memory size that is not `<number>[b|k|m|g|t|p]`, e.g. `12q`.
    #[error("invalid size: '{0}'")]
    Size(String),
    /// A `--cpus` value that is not a number.
    #[error("failed to parse '{0}' as a rational number")]
    Cpus(String),
    /// A `--cpus` value outside `0.01..=N` on a machine with N CPUs.
    #[error("range of CPUs is from 0.01 to {available}.00, as there are only {available} CPUs available")]
    CpusOutOfRange {
        /// How many CPUs this process may run on.
        available: usize,
    },
    /// A memory limit below what a container needs to start at all.
    #[error("Minimum memory limit allowed is 6MB")]
    MemoryTooSmall,
    /// `--memory-swap` below `--memory` (it is the total of memory and swap).
    #[error("Minimum memoryswap limit should be larger than memory limit, see usage")]
    SwapBelowMemory,
    /// `--memory-swap` without `--memory`: the total means nothing without the memory part.
    #[error("You should always set the Memory limit when using Memoryswap limit, see usage")]
    SwapWithoutMemory,
    /// A CFS period outside what the kernel accepts.
    #[error(
        "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"
    )]
    CpuPeriod,
    /// A CFS quota below what the kernel accepts.
    #[error("CPU cfs quota can not be less than 1ms (i.e. 1000)")]
    CpuQuota,
    /// A device rule that is not `TYPE MAJOR:MINOR ACCESS` as the kernel reads it.
    #[error("invalid device cgroup format '{0}'")]
    DeviceRule(String),
}

/// A cgroup operation that failed, naming the step and the path.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// The resources asked for are not valid (see [`InvalidLimit`]).
    #[error(transparent)]
    Invalid(#[from] InvalidLimit),
    /// Reading, writing, creating or removing a cgroup file or directory failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The step, e.g. "write" or "create cgroup".
        op: &'static str,
        /// The file or directory it concerned.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// A cgroup file held something that is not what the kernel documents.
    #[error("parse {path}: unexpected content {content:?}")]
    Parse {
        /// The file that was read.
        path: PathBuf,
        /// What it contained.
        content: String,
    },
    /// No cgroup hierarchy ferry can use is mounted.
    #[error("no usable cgroup hierarchy in {source_file}: need a cgroup v1 memory controller or a cgroup2 mount")]
    NoHierarchy {
        /// The mount table that was read.
        source_file: PathBuf,
    },
    /// A cgroup name that is not a single path component (`..`, `a/b`, empty).
    #[error("invalid cgroup name {name:?}: it must be a single path component")]
    InvalidName {
        /// The name given.
        name: String,
    },
    /// A controller a container needs is not available.
    #[error("the cgroup {controller} controller is not available (looked in {path})")]
    ControllerMissing {
        /// The controller, e.g. "pids".
        controller: &'static str,
        /// Where ferry looked for it.
        path: PathBuf,
    },
    /// The container's cgroup already exists: ferry only manages cgroups it created.
    #[error("create cgroup {path}: it already exists, and ferry does not take over cgroups it did not create")]
    AlreadyExists {
        /// The directory that was already there.
        path: PathBuf,
    },
    /// The kernel refused one rule of the device allow-list (cgroup v1).
    #[error("write {rule:?} to {path}: {source}")]
    DeviceRule {
        /// The rule, as written (`c 1:3 rwm`).
        rule: String,
        /// `devices.allow` or `devices.deny` of the container's cgroup.
        path: PathBuf,
        /// What the kernel said.
        #[source]
        source: std::io::Error,
    },
    /// The kernel refused to load or attach the device program of a container (cgroup v2).
    #[error("{op} the device program of {path}: {detail}")]
    DeviceProgram {
        /// "load" or "attach".
        op: &'static str,
        /// The container's cgroup directory.
        path: PathBuf,
        /// What the kernel said, with the verifier's reason when it refused the program.
        detail: String,
    },
    /// A cgroup did not reach the expected state in time (processes still inside, not frozen).
    #[error("{op} {path}: still not done after {waited_ms} ms")]
    Timeout {
        /// The step, e.g. "remove cgroup (processes still inside)".
        op: &'static str,
        /// The cgroup directory or file.
        path: PathBuf,
        /// How long ferry waited.
        waited_ms: u128,
    },
}

impl CgroupError {
    /// Whether a file or directory the operation needed did not exist (for a cgroup being
    /// created: its parent was removed meanwhile by another `ferry` removing its last container).
    pub fn is_not_found(&self) -> bool {
        matches!(self, CgroupError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// Whether the operation met a cgroup that another `ferry` was removing at the same time: a
    /// directory that is gone ([`Self::is_not_found`]), or, on cgroup v2, a file of a cgroup
    /// already being torn down, which the kernel answers with ENODEV.
    pub fn is_vanishing_cgroup(&self) -> bool {
        self.is_not_found()
            || matches!(self, CgroupError::Io { source, .. } if source.raw_os_error() == Some(libc::ENODEV))
    }

    /// Wraps an I/O error with the step and the path it concerned.
    pub fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| CgroupError::Io { op, path, source }
    }
}

/// The result type of the cgroups module.
pub type Result<T, E = CgroupError> = std::result::Result<T, E>;
