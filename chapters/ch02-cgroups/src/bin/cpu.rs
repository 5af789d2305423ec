//! Chapter 2, `cpu`: a CPU quota on a busy loop (the seeds' `busyloop` exercise).
//!
//! It creates the cgroup `ch02-cpu-<pid>` allowing `--percent` of one CPU: a quota of CPU time per
//! 100 ms period of the CFS scheduler. A busy loop would use all of a CPU; once it has used its
//! quota in a period the scheduler stops running it until the next period starts. The demo
//! measures the share the loop really got, from its CPU time in `/proc/PID/stat`.
//!
//! Usage, as root: `cpu [--percent N] [--seconds S]` (defaults: 10 %, 3 s).

use std::time::{Duration, Instant};

use ch02_cgroups::args::numeric_flags;
use ch02_cgroups::cgroupfs::{Cgroup, Version};
use ch02_cgroups::proc_stat::cpu_time;
use ch02_cgroups::{exit_with, Error};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::waitpid;
use nix::unistd::{fork, getpid, ForkResult, Pid};

/// The CFS period: the quota is CPU time per this much wall time (100 ms, as Docker uses).
const PERIOD_US: u64 = 100_000;

fn main() {
    exit_with("cpu", run());
}

fn run() -> Result<i32, Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [percent, seconds] = numeric_flags(&args, [("--percent", 10), ("--seconds", 3)])?;
    if percent == 0 || seconds == 0 {
        return Err(Error::Usage(
            "--percent and --seconds must be at least 1".into(),
        ));
    }
    let quota_us = percent * PERIOD_US / 100;

    let cgroup = Cgroup::create("cpu", &format!("ch02-cpu-{}", getpid()))?;
    println!("cgroup: {} ({:?})", cgroup.path.display(), cgroup.version);
    // ANCHOR: cpu_quota
    match cgroup.version {
        Version::V1 => {
            cgroup.write("cpu.cfs_period_us", &PERIOD_US.to_string())?;
            cgroup.write("cpu.cfs_quota_us", &quota_us.to_string())?;
        }
        // v2 has one file for both: "QUOTA PERIOD".
        Version::V2 => cgroup.write("cpu.max", &format!("{quota_us} {PERIOD_US}"))?,
    }
    // ANCHOR_END: cpu_quota
    println!("cpu quota: {quota_us} us every {PERIOD_US} us ({percent}% of one CPU)");

    // SAFETY: this process has a single thread, so the child may do anything after fork.
    let child = match unsafe { fork() }.map_err(|source| Error::Sys { op: "fork", source })? {
        ForkResult::Child => busy_loop(),
        ForkResult::Parent { child } => BusyChild(child),
    };
    // ANCHOR: cpu_join
    // Like the seeds' `echo PID > cgroup.procs`: the parent moves the running loop into the
    // cgroup. From then on the scheduler holds it to the quota.
    cgroup.add(child.0)?;
    // ANCHOR_END: cpu_join
    let share = measure(child.0, Duration::from_secs(seconds))?;
    println!("measured: the busy loop got {share:.1}% of one CPU (quota {percent}%)");
    print_throttling(&cgroup)?;

    drop(child);
    let path = cgroup.path.clone();
    cgroup.remove()?;
    println!("removed {}", path.display());
    Ok(0)
}

/// The child: burn CPU until killed.
fn busy_loop() -> ! {
    let mut n = 0u64;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}

// ANCHOR: cpu_measure
/// The CPU time `pid` used during `wall` of waiting, as a percentage of one CPU.
fn measure(pid: Pid, wall: Duration) -> Result<f64, Error> {
    let (cpu_before, start) = (cpu_time(pid)?, Instant::now());
    std::thread::sleep(wall);
    let (cpu_after, elapsed) = (cpu_time(pid)?, start.elapsed());
    Ok((cpu_after - cpu_before).as_secs_f64() / elapsed.as_secs_f64() * 100.0)
}
// ANCHOR_END: cpu_measure

/// Prints how many periods the loop was stopped in (`cpu.stat`).
fn print_throttling(cgroup: &Cgroup) -> Result<(), Error> {
    let periods = cgroup.read_key("cpu.stat", "nr_periods")?.unwrap_or(0);
    let throttled = cgroup.read_key("cpu.stat", "nr_throttled")?.unwrap_or(0);
    println!("cpu.stat: throttled in {throttled} of {periods} periods");
    Ok(())
}

/// The busy loop's pid; it is killed and reaped when this is dropped, whatever happened.
struct BusyChild(Pid);

impl Drop for BusyChild {
    fn drop(&mut self) {
        let _ = kill(self.0, Signal::SIGKILL);
        let _ = waitpid(self.0, None);
    }
}
