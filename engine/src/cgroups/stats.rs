//! What a container's cgroup reports about its use of resources (what `ferry stats` shows).

/// One reading of a container's resource use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Memory charged to the container now, in bytes (page cache included, as the kernel counts it).
    pub memory_usage: u64,
    /// The memory limit in bytes, or `None` when there is none.
    pub memory_limit: Option<u64>,
    /// CPU time used by every process of the container so far, in nanoseconds.
    pub cpu_usage_ns: u64,
    /// How many processes (and threads) the container has now.
    pub pids_current: u64,
}
