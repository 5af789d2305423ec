//! Chapter 2, `oom`: a memory limit and the OOM killer (the seeds' `mem-allocate.c` exercise).
//!
//! It creates the cgroup `ch02-oom-<pid>` with a memory limit, forks a child that joins it and
//! allocates 1 MiB per step, and reports how the child died and what the cgroup counted. When the
//! child's memory reaches the limit the kernel cannot reclaim anything (the pages are in use and
//! there is no swap to move them to), so the OOM killer sends it SIGKILL.
//!
//! Usage, as root: `oom [--limit-mb N] [--interval-ms MS]` (defaults: 30 MiB, 100 ms per step).
//! Exits with 0 when the OOM killer struck, 1 otherwise.

use std::time::Duration;

use ch02_cgroups::args::numeric_flags;
use ch02_cgroups::cgroupfs::{Cgroup, Version};
use ch02_cgroups::{exit_with, Error};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, getpid, ForkResult, Pid};

const MIB: usize = 1024 * 1024;

fn main() {
    exit_with("oom", run());
}

fn run() -> Result<i32, Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [limit_mb, interval_ms] =
        numeric_flags(&args, [("--limit-mb", 30), ("--interval-ms", 100)])?;
    let limit = (limit_mb as usize * MIB).to_string();

    let cgroup = Cgroup::create("memory", &format!("ch02-oom-{}", getpid()))?;
    println!("cgroup: {} ({:?})", cgroup.path.display(), cgroup.version);
    // ANCHOR: oom_limit
    match cgroup.version {
        Version::V1 => {
            cgroup.write("memory.limit_in_bytes", &limit)?;
            // With swap, the kernel would swap the child out rather than kill it: the limit on
            // memory+swap must then be the same. (Without swap it changes nothing, except that
            // limit hits are counted in memory.memsw.failcnt instead of memory.failcnt.)
            if host_has_swap() && cgroup.has("memory.memsw.limit_in_bytes") {
                cgroup.write("memory.memsw.limit_in_bytes", &limit)?;
            }
        }
        Version::V2 => {
            cgroup.write("memory.max", &limit)?;
            // v2 limits swap on its own: none at all.
            if cgroup.has("memory.swap.max") {
                cgroup.write("memory.swap.max", "0")?;
            }
        }
    }
    // ANCHOR_END: oom_limit
    println!("memory limit: {limit} bytes ({limit_mb} MiB)");

    // SAFETY: this process has a single thread, so the child may do anything after fork.
    match unsafe { fork() }.map_err(|source| Error::Sys { op: "fork", source })? {
        ForkResult::Child => {
            // exit() and not return: the parent owns the cgroup and removes it, not the child.
            let steps = limit_mb * 4;
            std::process::exit(allocate(&cgroup, steps, Duration::from_millis(interval_ms)))
        }
        ForkResult::Parent { child } => report(cgroup, child),
    }
}

/// The child: join the cgroup, then allocate and touch 1 MiB per step, like `mem-allocate.c`.
///
/// It stops after `steps` MiB, so a machine where the limit does not hold is not exhausted.
fn allocate(cgroup: &Cgroup, steps: u64, interval: Duration) -> i32 {
    // ANCHOR: oom_join
    // Joining is writing our own pid to cgroup.procs; from now on every page we touch is charged
    // to the cgroup.
    if let Err(err) = cgroup.add(getpid()) {
        eprintln!("oom child: {err}");
        return 1;
    }
    // ANCHOR_END: oom_join
    // ANCHOR: oom_allocate
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for n in 1..=steps {
        // malloc alone reserves address space; memory is charged when a page is first written,
        // so write every byte as the seeds' memset does.
        let mut block = vec![0u8; MIB];
        block.fill(1);
        blocks.push(std::hint::black_box(block));
        println!("{n}M memory allocated");
        std::thread::sleep(interval);
    }
    // ANCHOR_END: oom_allocate
    0
}

/// The parent: wait for the child, say how it ended and what the cgroup counted, clean up.
fn report(cgroup: Cgroup, child: Pid) -> Result<i32, Error> {
    let status = waitpid(child, None).map_err(|source| Error::Sys {
        op: "waitpid",
        source,
    })?;
    // ANCHOR: oom_kills
    // The kernel counts the OOM killer's kills per cgroup (Linux >= 4.13 on v1).
    let oom_kills = match cgroup.version {
        Version::V1 => cgroup.read_key("memory.oom_control", "oom_kill")?,
        Version::V2 => cgroup.read_key("memory.events", "oom_kill")?,
    };
    // ANCHOR_END: oom_kills
    let killed_by_oom = match status {
        WaitStatus::Signaled(_, Signal::SIGKILL, _) if oom_kills != Some(0) => {
            println!("child {child} was killed by SIGKILL (the OOM killer)");
            true
        }
        WaitStatus::Exited(_, code) => {
            println!("child {child} exited with {code}: the memory limit was not enforced");
            false
        }
        other => {
            println!("child {child} ended otherwise: {other:?}");
            false
        }
    };
    print_counters(&cgroup, oom_kills)?;
    let path = cgroup.path.clone();
    cgroup.remove()?;
    println!("removed {}", path.display());
    Ok(if killed_by_oom { 0 } else { 1 })
}

/// Whether the machine has swap space (`/proc/swaps` lists a device or file under its header).
fn host_has_swap() -> bool {
    std::fs::read_to_string("/proc/swaps").is_ok_and(|swaps| swaps.lines().count() > 1)
}

/// Prints what the cgroup counted, under the names of the files it read.
fn print_counters(cgroup: &Cgroup, oom_kills: Option<u64>) -> Result<(), Error> {
    let kills = oom_kills.map_or("not reported by this kernel".into(), |k| k.to_string());
    // ANCHOR: oom_report
    match cgroup.version {
        Version::V1 => {
            // How often usage hit the limit, the kills, and the highest usage seen.
            println!("memory.failcnt = {}", cgroup.read("memory.failcnt")?);
            println!("memory.oom_control: oom_kill = {kills}");
            let peak = cgroup.read("memory.max_usage_in_bytes")?;
            println!("memory.max_usage_in_bytes = {peak}");
        }
        Version::V2 => {
            let hits = cgroup.read_key("memory.events", "max")?.unwrap_or(0);
            println!("memory.events: max = {hits}");
            println!("memory.events: oom_kill = {kills}");
            // memory.peak exists since Linux 5.19.
            if let Ok(peak) = cgroup.read("memory.peak") {
                println!("memory.peak = {peak}");
            }
        }
    }
    // ANCHOR_END: oom_report
    Ok(())
}
