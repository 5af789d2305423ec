//! `ferry stats`: what running containers use — CPU, memory, network, block I/O, processes — read
//! from their cgroups and their network namespaces, the numbers of `docker stats`.
//!
//! Most numbers are a reading at one moment. CPU % is a rate, so it takes two readings: like
//! `docker stats`, [`measure`] reads every container, waits a moment, reads again, and divides the
//! CPU time used in between by the time that passed (100% is one CPU kept busy).

use std::time::{Duration, Instant};

use super::{cgroup, Container, Status};
use crate::cgroups::{BlockIo, Stats};
use crate::Result;

/// How long [`measure`] waits between its two readings of CPU time.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(500);

/// Bytes a container received and sent on its network interfaces (`lo` excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetIo {
    /// Bytes received.
    pub received: u64,
    /// Bytes sent.
    pub sent: u64,
}

/// One reading of a running container.
#[derive(Debug, Clone, Copy)]
struct Sample {
    taken: Instant,
    cgroup: Stats,
    network: NetIo,
}

/// What one container used, as one row of `docker stats` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// CPU time used per time passed between the two readings, in percent of one CPU.
    pub cpu_percent: f64,
    /// Memory in use, in bytes (without the inactive page cache, as Docker counts it).
    pub memory: u64,
    /// The memory limit (`-m`), or the host's memory when there is none, in bytes.
    pub memory_limit: u64,
    /// `memory` in percent of `memory_limit`.
    pub memory_percent: f64,
    /// Network traffic so far.
    pub network: NetIo,
    /// Block device traffic so far.
    pub block_io: BlockIo,
    /// Processes and threads now.
    pub pids: u64,
}

impl Usage {
    /// A container that does not run uses nothing (Docker shows such a row as zeros).
    fn none() -> Usage {
        Usage {
            cpu_percent: 0.0,
            memory: 0,
            memory_limit: 0,
            memory_percent: 0.0,
            network: NetIo::default(),
            block_io: BlockIo::default(),
            pids: 0,
        }
    }
}

// ANCHOR: measure
/// Measures what each of `containers` uses: every container is read, then again `interval`
/// later (the CPU % is over that interval), so measuring many takes no longer than one.
pub fn measure(containers: &[Container], interval: Duration) -> Result<Vec<Usage>> {
    let host_memory = crate::system::host_memory()?;
    let first: Vec<Option<Sample>> = containers.iter().map(sample).collect::<Result<_>>()?;
    std::thread::sleep(interval);
    let mut usages = Vec::with_capacity(containers.len());
    for (container, first) in containers.iter().zip(first) {
        let usage = match (first, sample(container)?) {
            (Some(first), Some(second)) => usage(&first, &second, host_memory),
            _ => Usage::none(),
        };
        usages.push(usage);
    }
    Ok(usages)
}
// ANCHOR_END: measure

/// Reads `container` now: its cgroup, and its network namespace through its PID 1. `None` when
/// it does not run (any more).
fn sample(container: &Container) -> Result<Option<Sample>> {
    if !matches!(container.status(), Status::Running | Status::Paused) {
        return Ok(None);
    }
    let Some(cgroup) = cgroup::open(container)? else {
        return Ok(None);
    };
    let stats = match cgroup.stats() {
        Ok(stats) => stats,
        // It exited between `open` and the reading, and its cgroup went with it.
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // With --network host the interfaces are the host's, not the container's: Docker shows none.
    let own_network = container.record.config.network_mode != "host";
    let network = match container.record.state.pid.filter(|_| own_network) {
        Some(pid) => read_net_dev(pid),
        None => NetIo::default(),
    };
    Ok(Some(Sample {
        taken: Instant::now(),
        cgroup: stats,
        network,
    }))
}

/// The traffic of the network namespace PID `pid` is in; none if it has exited meanwhile.
fn read_net_dev(pid: i32) -> NetIo {
    let path = format!("/proc/{pid}/net/dev");
    std::fs::read_to_string(path)
        .map(|text| parse_net_dev(&text))
        .unwrap_or_default()
}

/// One `docker stats` row from two readings of one container.
fn usage(first: &Sample, second: &Sample, host_memory: u64) -> Usage {
    let stats = second.cgroup;
    let cpu_ns = stats.cpu_usage_ns.saturating_sub(first.cgroup.cpu_usage_ns);
    let wall_ns = second.taken.duration_since(first.taken).as_nanos();
    let memory_limit = stats.memory_limit.unwrap_or(host_memory);
    Usage {
        cpu_percent: percent(u128::from(cpu_ns), wall_ns),
        memory: stats.memory_usage,
        memory_limit,
        memory_percent: percent(u128::from(stats.memory_usage), u128::from(memory_limit)),
        network: second.network,
        block_io: stats.block_io,
        pids: stats.pids_current,
    }
}

fn percent(part: u128, whole: u128) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 * 100.0 / whole as f64
}

// ANCHOR: net_dev
/// Sums `/proc/PID/net/dev` over the interfaces other than `lo`. After two header lines, each line
/// is `name: rx_bytes rx_packets … (8 receive columns) tx_bytes …`.
fn parse_net_dev(text: &str) -> NetIo {
    let mut io = NetIo::default();
    for (name, counters) in text.lines().skip(2).filter_map(|l| l.split_once(':')) {
        if name.trim() == "lo" {
            continue;
        }
        let counters: Vec<u64> = counters
            .split_whitespace()
            .map(|n| n.parse().unwrap_or(0))
            .collect();
        if let (Some(rx), Some(tx)) = (counters.first(), counters.get(8)) {
            io.received = io.received.saturating_add(*rx);
            io.sent = io.sent.saturating_add(*tx);
        }
    }
    io
}
// ANCHOR_END: net_dev

#[cfg(test)]
mod tests {
    use super::*;

    const NET_DEV: &str = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0
  eth0:    1500      10    0    0    0     0          0         0      648       8    0    0    0     0       0          0
  eth1:     500       2    0    0    0     0          0         0      100       1    0    0    0     0       0          0
";

    #[test]
    fn network_traffic_sums_every_interface_but_lo() {
        assert_eq!(
            parse_net_dev(NET_DEV),
            NetIo {
                received: 2000,
                sent: 748
            }
        );
        let only_lo: String = NET_DEV.lines().take(3).collect::<Vec<_>>().join("\n");
        assert_eq!(parse_net_dev(&only_lo), NetIo::default());
    }

    fn sample_at(taken: Instant, cpu_usage_ns: u64, memory_limit: Option<u64>) -> Sample {
        Sample {
            taken,
            cgroup: Stats {
                memory_usage: 15 << 20,
                memory_limit,
                cpu_usage_ns,
                pids_current: 3,
                block_io: BlockIo {
                    read: 4096,
                    written: 0,
                },
            },
            network: NetIo {
                received: 10,
                sent: 20,
            },
        }
    }

    #[test]
    fn cpu_percent_is_cpu_time_over_wall_time_with_one_cpu_as_100() {
        let start = Instant::now();
        let first = sample_at(start, 1_000_000_000, Some(30 << 20));
        let second = sample_at(
            start + Duration::from_millis(500),
            1_100_000_000,
            Some(30 << 20),
        );
        let usage = usage(&first, &second, 1 << 34);
        assert!((usage.cpu_percent - 20.0).abs() < 1e-9, "{usage:?}");
        assert_eq!(usage.memory_limit, 30 << 20);
        assert!((usage.memory_percent - 50.0).abs() < 1e-9, "{usage:?}");
        assert_eq!(usage.pids, 3);
        assert_eq!(usage.network.sent, 20);
        assert_eq!(usage.block_io.read, 4096);

        let two_cpus = sample_at(
            start + Duration::from_millis(500),
            2_000_000_000,
            Some(30 << 20),
        );
        let busy = super::usage(&first, &two_cpus, 1 << 34);
        assert!((busy.cpu_percent - 200.0).abs() < 1e-9, "{busy:?}");
    }

    #[test]
    fn without_a_limit_the_hosts_memory_is_the_limit() {
        let start = Instant::now();
        let first = sample_at(start, 0, None);
        let second = sample_at(start + Duration::from_millis(100), 0, None);
        let usage = usage(&first, &second, 60 << 20);
        assert_eq!(usage.memory_limit, 60 << 20);
        assert!((usage.memory_percent - 25.0).abs() < 1e-9, "{usage:?}");
        assert_eq!(usage.cpu_percent, 0.0);
    }
}
