//! How much CPU time a process has used, from `/proc/PID/stat` (what `top` reads too).

use std::path::PathBuf;
use std::time::Duration;

use nix::unistd::{sysconf, Pid, SysconfVar};

use crate::Error;

/// The CPU time (user + system) process `pid` has used so far.
pub fn cpu_time(pid: Pid) -> Result<Duration, Error> {
    let path = PathBuf::from(format!("/proc/{pid}/stat"));
    let stat = std::fs::read_to_string(&path).map_err(Error::io("read", &path))?;
    let ticks = cpu_ticks(&stat).ok_or_else(|| Error::Parse {
        path,
        content: stat.clone(),
    })?;
    Ok(Duration::from_secs_f64(ticks as f64 / ticks_per_second()))
}

/// `utime + stime` from the text of `/proc/PID/stat`, in clock ticks.
///
/// The command name (field 2) is in parentheses and may contain spaces and `)`, so the fields
/// are counted from the *last* `)`: after it come state (field 3) ... utime (14) and stime (15).
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// How many clock ticks make a second (`getconf CLK_TCK`, almost always 100).
fn ticks_per_second() -> f64 {
    match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(ticks)) if ticks > 0 => ticks as f64,
        _ => 100.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_summed() {
        let stat = "4242 (busy) R 1 4242 4242 0 -1 4194304 100 0 0 0 250 30 0 0 20 0 1 0 1 0 0";
        assert_eq!(cpu_ticks(stat), Some(280));
    }

    #[test]
    fn a_command_name_with_spaces_and_parens_does_not_shift_fields() {
        let stat = "7 (a b) c)) S 1 7 7 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 1 0 0";
        assert_eq!(cpu_ticks(stat), Some(11));
    }

    #[test]
    fn a_truncated_stat_is_not_a_number() {
        assert_eq!(cpu_ticks("7 (x) R 1 2"), None);
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn spinning_for_100ms_shows_as_cpu_time_of_this_process() {
        let before = cpu_time(nix::unistd::getpid()).unwrap();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(100) {
            std::hint::black_box(start);
        }
        let used = cpu_time(nix::unistd::getpid()).unwrap() - before;
        assert!(used >= Duration::from_millis(20), "used {used:?}");
    }
}
