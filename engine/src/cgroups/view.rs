//! A container's cgroup as the container itself is shown it: the directories the runtime mounts,
//! read-only, at `/sys/fs/cgroup` inside the container, so that programs in it (a JVM sizing its
//! heap, `cat memory.limit_in_bytes`) read their own limits and usage as under Docker.

use std::path::PathBuf;

// ANCHOR: cgroup_view
/// What the runtime mounts at the container's `/sys/fs/cgroup`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CgroupView {
    /// Nothing: `/sys/fs/cgroup` stays the empty directory of the container's sysfs.
    #[default]
    Hidden,
    /// cgroup v1: a tmpfs with one directory per hierarchy, named as the host names its mount
    /// (`memory`, or `cpu,cpuacct` for co-mounted controllers), each a bind mount of the
    /// container's own cgroup in that hierarchy.
    V1 {
        /// (name under `/sys/fs/cgroup`, the container's directory on the host), per hierarchy.
        hierarchies: Vec<(String, PathBuf)>,
    },
    /// cgroup v2: the container's one directory is `/sys/fs/cgroup` itself.
    V2 {
        /// The container's directory on the host, e.g. `/sys/fs/cgroup/ferry/ID`.
        dir: PathBuf,
    },
}
// ANCHOR_END: cgroup_view
