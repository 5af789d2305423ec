//! Resource-hungry demos for the cgroup chapters: `alloc` (memory), `spin` (CPU), `fork` (pids).
//!
//! They replace the course's `mem-allocate.c` and `busyloop` so a learner can watch a limit
//! bite without a compiler in the image.

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use crate::error::{report, AppletError, Result};
use crate::sys::{self, Fork};

/// One mebibyte, the unit `alloc` counts in.
const MIB: usize = 1024 * 1024;
/// How long each child of `fork` sleeps before it would exit on its own.
const FORK_CHILD_SECS: libc::c_uint = 30;

/// What `alloc` was asked to do.
#[derive(Debug, PartialEq)]
struct AllocPlan {
    mib_per_step: usize,
    interval: Duration,
    steps: Option<u64>,
}

impl AllocPlan {
    fn parse(args: &[String]) -> Result<AllocPlan> {
        let usage = || AppletError::Usage("alloc MB_PER_STEP [--interval MS] [--steps N]".into());
        let mut plan = AllocPlan {
            mib_per_step: 0,
            interval: Duration::from_millis(50),
            steps: None,
        };
        let mut size = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--interval" => {
                    let ms = rest.next().and_then(|v| v.parse().ok()).ok_or_else(usage)?;
                    plan.interval = Duration::from_millis(ms);
                }
                "--steps" => {
                    plan.steps = Some(rest.next().and_then(|v| v.parse().ok()).ok_or_else(usage)?)
                }
                number => size = Some(number.parse().map_err(|_| usage())?),
            }
        }
        plan.mib_per_step = size.filter(|&mib| mib > 0).ok_or_else(usage)?;
        Ok(plan)
    }
}

/// `alloc MB_PER_STEP [--interval MS] [--steps N]`: every step allocates MB_PER_STEP MiB, writes
/// to all of it (so the pages are really resident and charged to the memory cgroup), and prints
/// `{total}M memory allocated`. Under a memory limit the OOM killer ends it.
pub fn alloc_main(args: &[String]) -> i32 {
    report("alloc", alloc(args))
}

fn alloc(args: &[String]) -> Result<i32> {
    let plan = AllocPlan::parse(args)?;
    let bytes = plan.mib_per_step * MIB;
    let mut held: Vec<Vec<u8>> = Vec::new();
    let mut out = io::stdout();
    let mut step = 0;
    while not_reached(plan.steps, step) {
        let mut block = Vec::new();
        block
            .try_reserve_exact(bytes)
            .map_err(|_| AppletError::Msg(format!("can't allocate {} MiB", plan.mib_per_step)))?;
        // Untouched memory is only reserved address space; filling it makes every page real.
        block.resize(bytes, 0xa5);
        held.push(black_box(block));
        step += 1;
        let total = held.len() * plan.mib_per_step;
        writeln!(out, "{total}M memory allocated")
            .and_then(|()| out.flush())
            .map_err(|_| AppletError::Msg("write error".into()))?;
        std::thread::sleep(plan.interval);
    }
    Ok(0)
}

/// `spin [SECONDS]`: burns one CPU for SECONDS (default: forever), to watch a CPU quota.
pub fn spin_main(args: &[String]) -> i32 {
    report("spin", spin(args))
}

fn spin(args: &[String]) -> Result<i32> {
    let deadline = match args {
        [] => None,
        [secs] => {
            let secs: f64 = secs
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| AppletError::Msg(format!("invalid number '{secs}'")))?;
            Some(Instant::now() + Duration::from_secs_f64(secs))
        }
        _ => return Err(AppletError::Usage("spin [SECONDS]".into())),
    };
    let mut x: u64 = 1;
    while not_reached(deadline, Instant::now()) {
        for _ in 0..100_000 {
            x = black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
    }
    Ok(0)
}

/// `fork N`: tries to start N sleeping children, prints `forked K of N` (and `fork: <error>` if
/// one failed), then kills and reaps them. Exits 0 only if all N forks worked — under a pids
/// limit it proves a fork bomb is stopped.
pub fn fork_main(args: &[String]) -> i32 {
    report("fork", fork_children(args))
}

fn fork_children(args: &[String]) -> Result<i32> {
    let [count] = args else {
        return Err(AppletError::Usage("fork N".into()));
    };
    let wanted: usize = count
        .parse()
        .map_err(|_| AppletError::Msg(format!("invalid number '{count}'")))?;
    let _ = io::stdout().flush();
    let mut children = Vec::with_capacity(wanted);
    let mut failure = None;
    while children.len() < wanted {
        match sys::fork() {
            Ok(Fork::Child) => {
                // SAFETY: sleep and _exit are async-signal-safe; the child never returns to Rust.
                unsafe {
                    libc::sleep(FORK_CHILD_SECS);
                    libc::_exit(0)
                }
            }
            Ok(Fork::Parent(pid)) => children.push(pid),
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }
    println!("forked {} of {wanted}", children.len());
    if let Some(err) = &failure {
        eprintln!("fork: {}", sys::describe(err));
    }
    for &pid in &children {
        // SAFETY: `pid` is our own child, not yet reaped, so the pid cannot have been reused.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        let _ = sys::wait_for(pid);
    }
    Ok(if failure.is_none() { 0 } else { 1 })
}

/// Whether `now` is still short of an optional `limit` (no limit: forever).
fn not_reached<T: PartialOrd>(limit: Option<T>, now: T) -> bool {
    match limit {
        Some(limit) => now < limit,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn alloc_plan_defaults_to_50ms_forever() {
        let plan = AllocPlan::parse(&strings(&["10"])).unwrap();
        assert_eq!(
            plan,
            AllocPlan {
                mib_per_step: 10,
                interval: Duration::from_millis(50),
                steps: None
            }
        );
    }

    #[test]
    fn alloc_plan_reads_interval_and_steps_in_any_order() {
        let plan = AllocPlan::parse(&strings(&["--steps", "3", "1", "--interval", "0"])).unwrap();
        assert_eq!(
            plan,
            AllocPlan {
                mib_per_step: 1,
                interval: Duration::ZERO,
                steps: Some(3)
            }
        );
    }

    #[test]
    fn alloc_plan_rejects_missing_or_zero_size() {
        assert!(AllocPlan::parse(&[]).is_err());
        assert!(AllocPlan::parse(&strings(&["0"])).is_err());
        assert!(AllocPlan::parse(&strings(&["1", "--steps"])).is_err());
    }
}
