//! Resource limits for containers with Linux control groups (book chapter 2).
//!
//! A cgroup is a directory in a cgroup file system; the processes listed in its `cgroup.procs` share
//! the limits written in its files. ferry gives each container its own cgroup under a parent it
//! owns, `ferry` (for another state root than the default, `ferry-<hash>`: see
//! `container::cgroup::parent_name`), made with the first container and removed with the last:
//!
//! - cgroup v1 (one hierarchy per controller): `/sys/fs/cgroup/{memory,cpu,cpuacct,pids,freezer,blkio,devices}/ferry/<id>`
//! - cgroup v2 (one unified hierarchy): `/sys/fs/cgroup/ferry/<id>`
//!
//! Besides limits, the cgroup decides which device nodes the container may create and open
//! ([`default_rules`]: v1's `devices` controller, an eBPF program on v2).
//!
//! The container is shown its own cgroup at its `/sys/fs/cgroup` ([`CgroupView`], mounted by the
//! runtime), and `ferry stats` reads [`Stats`] from it.
//!
//! Which one a machine has is found at run time ([`Hierarchy::detect`]); everything else goes through
//! one type, [`ContainerCgroup`], whose version-specific half is `v1.rs` or `v2.rs` behind one
//! trait.
//!
//! ```no_run
//! use ferry::cgroups::{parse_memory, ContainerCgroup, Hierarchy, Resources};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let resources = Resources { memory: Some(parse_memory("30m")?), ..Resources::default() };
//! let cgroup = ContainerCgroup::create(&Hierarchy::detect()?, "ferry", "0123abcd", &resources)?;
//! cgroup.add_process(nix::unistd::Pid::from_raw(4242))?;
//! // ... the container runs and exits ...
//! let oom_killed = cgroup.oom_killed()?;
//! cgroup.remove()?;
//! # Ok(()) }
//! ```

mod bpf;
mod container;
mod device_program;
mod devices;
mod error;
mod fs;
mod hierarchy;
mod resources;
mod stats;
mod units;
mod v1;
mod v2;
mod view;

#[cfg(test)]
mod fake_tree_tests;
#[cfg(test)]
mod privileged_tests;

pub use container::ContainerCgroup;
pub use devices::{allow_all, default_rules, DeviceKind, DeviceRule};
pub use error::{CgroupError, InvalidLimit, Result};
pub use fs::SETTLE_TIMEOUT;
pub use hierarchy::{CgroupVersion, Controller, Hierarchy, MOUNTINFO};
pub use resources::{CpuQuota, Resources, DEFAULT_CPU_PERIOD_US, MIN_MEMORY};
pub use stats::{BlockIo, Stats};
pub use units::{available_cpus, parse_cpus, parse_cpus_on, parse_memory};
pub use view::CgroupView;

/// The parent cgroup ferry creates container cgroups in (`/sys/fs/cgroup/.../ferry/<id>`) for the
/// default state root, and the prefix of the parents of other state roots.
pub const PARENT: &str = "ferry";
