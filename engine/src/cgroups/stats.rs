//! What a container's cgroup reports about its use of resources (what `ferry stats` shows), and
//! the parsers for the cgroup files whose format is the same whatever the hierarchy they are in.

/// One reading of a container's resource use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Memory in use, in bytes, counted as `docker stats` counts it: what is charged to the cgroup
    /// minus the inactive page cache, which the kernel drops first when the limit is reached.
    pub memory_usage: u64,
    /// The memory limit in bytes, or `None` when there is none.
    pub memory_limit: Option<u64>,
    /// CPU time used by every process of the container so far, in nanoseconds.
    pub cpu_usage_ns: u64,
    /// How many processes (and threads) the container has now.
    pub pids_current: u64,
    /// Bytes read from and written to block devices so far (zero where the kernel does not count
    /// them for the container: no v1 `blkio` hierarchy, or no `io` controller on v2).
    pub block_io: BlockIo,
}

/// Bytes a container moved to and from block devices, summed over the devices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockIo {
    /// Bytes read.
    pub read: u64,
    /// Bytes written.
    pub written: u64,
}

/// Memory in use the way `docker stats` shows it: `usage` without the `inactive_file` page cache
/// (`total_inactive_file` on v1), which the kernel can reclaim at once.
pub fn without_inactive_cache(usage: u64, inactive_file: u64) -> u64 {
    usage.saturating_sub(inactive_file)
}

// ANCHOR: parse_blkio
/// Sums v1's `blkio.throttle.io_service_bytes_recursive`: `MAJ:MIN Read|Write|Sync|… BYTES` per
/// device, plus a `Total` line. Only the `Read` and `Write` lines count (the others regroup them).
pub fn parse_v1_blkio(text: &str) -> BlockIo {
    let mut io = BlockIo::default();
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let (Some(_device), Some(op), Some(bytes)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let bytes: u64 = bytes.parse().unwrap_or(0);
        match op {
            "Read" => io.read = io.read.saturating_add(bytes),
            "Write" => io.written = io.written.saturating_add(bytes),
            _ => {}
        }
    }
    io
}

/// Sums v2's `io.stat`: one line per device, `MAJ:MIN rbytes=N wbytes=N rios=N wios=N …`.
pub fn parse_io_stat(text: &str) -> BlockIo {
    let mut io = BlockIo::default();
    for (key, value) in text
        .split_whitespace()
        .filter_map(|field| field.split_once('='))
    {
        let bytes: u64 = value.parse().unwrap_or(0);
        match key {
            "rbytes" => io.read = io.read.saturating_add(bytes),
            "wbytes" => io.written = io.written.saturating_add(bytes),
            _ => {}
        }
    }
    io
}
// ANCHOR_END: parse_blkio

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_blkio_sums_read_and_write_over_devices_and_ignores_the_totals() {
        let text = "\
8:16 Read 4096
8:16 Write 8192
8:16 Sync 12288
8:16 Async 0
8:16 Discard 0
8:16 Total 12288
8:0 Read 1000
8:0 Write 0
8:0 Total 1000
Total 13288
";
        assert_eq!(
            parse_v1_blkio(text),
            BlockIo {
                read: 5096,
                written: 8192
            }
        );
        assert_eq!(parse_v1_blkio("Total 0\n"), BlockIo::default());
    }

    #[test]
    fn io_stat_sums_rbytes_and_wbytes_over_devices() {
        let text = "\
8:0 rbytes=1048576 wbytes=4096 rios=12 wios=1 dbytes=0 dios=0
253:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0
";
        assert_eq!(
            parse_io_stat(text),
            BlockIo {
                read: 1048586,
                written: 4116
            }
        );
        assert_eq!(parse_io_stat(""), BlockIo::default());
    }

    #[test]
    fn inactive_cache_is_not_counted_as_in_use() {
        assert_eq!(without_inactive_cache(10 << 20, 4 << 20), 6 << 20);
        assert_eq!(
            without_inactive_cache(1 << 20, 2 << 20),
            0,
            "never below zero"
        );
    }
}
