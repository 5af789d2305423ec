//! `ps`: lists processes from /proc in busybox's layout (`PID   USER     TIME  COMMAND`).
//!
//! Arguments such as `aux` or `-ef` are accepted and ignored, so commands copied from tutorials
//! work. In a container with its own PID namespace and /proc this shows PID 1 as its command.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};

use crate::users;

/// The header busybox prints.
const HEADER: &str = "PID   USER     TIME  COMMAND";

/// What ps shows about one process.
#[derive(Debug, PartialEq, Eq)]
struct Process {
    pid: u32,
    uid: u32,
    /// CPU time (user + system) in clock ticks.
    ticks: u64,
    command: String,
}

/// Prints one line per process in /proc, lowest PID first.
pub fn main(_args: &[String]) -> i32 {
    let Ok(entries) = fs::read_dir("/proc") else {
        eprintln!("ps: can't open '/proc': is /proc mounted?");
        return 1;
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    // SAFETY: sysconf has no preconditions.
    let ticks_per_sec = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) })
        .unwrap_or(100)
        .max(1);
    let mut names: HashMap<u32, String> = HashMap::new();
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{HEADER}");
    // A process can exit between listing /proc and reading its files; it is simply skipped.
    for process in pids.into_iter().filter_map(read_process) {
        let user = names
            .entry(process.uid)
            .or_insert_with(|| users::user_label(process.uid));
        let _ = writeln!(out, "{}", format_line(&process, user, ticks_per_sec));
    }
    0
}

fn read_process(pid: u32) -> Option<Process> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let (comm, ticks) = parse_stat(&stat)?;
    Some(Process {
        pid,
        uid: parse_uid(&status)?,
        ticks,
        command: command_line(&cmdline, comm),
    })
}

/// The command name and CPU ticks (utime + stime) from a /proc/PID/stat line.
///
/// The name sits in parentheses and may itself contain spaces or `)`, so the fields are counted
/// from the *last* `)`.
fn parse_stat(stat: &str) -> Option<(&str, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // After the name: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime(11) stime(12).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// The real uid from the `Uid:` line of /proc/PID/status.
fn parse_uid(status: &str) -> Option<u32> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The arguments joined by spaces; kernel threads have none and show as `[name]`.
fn command_line(cmdline: &[u8], comm: &str) -> String {
    let args: Vec<String> = cmdline
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    if args.is_empty() {
        format!("[{comm}]")
    } else {
        args.join(" ")
    }
}

/// `    1 root      0:00 sh`.
fn format_line(p: &Process, user: &str, ticks_per_sec: u64) -> String {
    let secs = p.ticks / ticks_per_sec;
    let user: String = user.chars().take(8).collect();
    format!(
        "{:>5} {:<8} {:>2}:{:02} {}",
        p.pid,
        user,
        secs / 60,
        secs % 60,
        p.command
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_parsing_survives_parentheses_and_spaces_in_the_name() {
        let stat = "42 (my (odd) prog) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
        assert_eq!(parse_stat(stat), Some(("my (odd) prog", 300)));
    }

    #[test]
    fn uid_is_the_real_uid_field() {
        let status = "Name:\tsh\nUid:\t1000\t0\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_uid(status), Some(1000));
    }

    #[test]
    fn command_joins_arguments_or_brackets_kernel_threads() {
        assert_eq!(command_line(b"sleep\x0030\x00", "sleep"), "sleep 30");
        assert_eq!(command_line(b"", "kthreadd"), "[kthreadd]");
    }

    #[test]
    fn line_layout_matches_busybox() {
        let p = Process {
            pid: 1,
            uid: 0,
            ticks: 6100,
            command: "sh".into(),
        };
        assert_eq!(format_line(&p, "root", 100), "    1 root      1:01 sh");
        assert_eq!(
            HEADER.find("USER"),
            format_line(&p, "root", 100).find("root")
        );
    }
}
