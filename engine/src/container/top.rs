//! `ferry top`: the container's processes as the host's `ps` shows them.
//!
//! This is what Docker does too: run `ps` on the host (default `-ef`) and keep the lines whose PID
//! is in the container's cgroup. The PIDs are the host's — not the 1, 2, 3 the container sees —
//! which makes `top` the bridge between the two views.

use std::process::Command;

use super::cgroup;
use super::state::Status;
use super::store::Container;
use crate::{Error, Result};

/// The processes of a container: `ps`'s column titles and one row per process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processes {
    /// The column titles (`UID PID PPID C STIME TTY TIME CMD` for `-ef`).
    pub titles: Vec<String>,
    /// One row per process, as many fields as titles (the last holds the command line).
    pub rows: Vec<Vec<String>>,
}

// ANCHOR: top
/// Lists the processes of a running container with the host's `ps` (`ps_args`, default `-ef`).
pub fn top(container: &Container, ps_args: &[String]) -> Result<Processes> {
    if !matches!(container.status(), Status::Running | Status::Paused) {
        return Err(Error::Conflict(format!(
            "Container {} is not running",
            container.id()
        )));
    }
    let pids: Vec<u32> = match cgroup::open(container)? {
        Some(cgroup) => cgroup
            .pids()?
            .into_iter()
            .map(|p| p.as_raw() as u32)
            .collect(),
        None => Vec::new(),
    };
    let args: Vec<String> = if ps_args.is_empty() {
        vec!["-ef".into()]
    } else {
        ps_args.to_vec()
    };
    let output = Command::new("ps")
        .args(&args)
        .output()
        .map_err(Error::io("run", "ps"))?;
    if !output.status.success() {
        return Err(Error::InvalidArgument(format!(
            "ps {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    parse_ps(&String::from_utf8_lossy(&output.stdout), &pids)
}
// ANCHOR_END: top

/// Keeps the lines of `ps` output whose PID column holds one of `pids`.
fn parse_ps(output: &str, pids: &[u32]) -> Result<Processes> {
    let mut lines = output.lines();
    let titles: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    let pid_column = titles
        .iter()
        .position(|t| t == "PID")
        .ok_or_else(|| Error::InvalidArgument("Couldn't find PID field in ps output".into()))?;
    let mut rows = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < titles.len() {
            continue;
        }
        let Ok(pid) = fields[pid_column].parse::<u32>() else {
            continue;
        };
        if pids.contains(&pid) {
            let mut row: Vec<String> = fields[..titles.len() - 1]
                .iter()
                .map(|f| f.to_string())
                .collect();
            row.push(fields[titles.len() - 1..].join(" "));
            rows.push(row);
        }
    }
    Ok(Processes { titles, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_containers_pids_are_kept_and_commands_stay_whole() {
        let output = "UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 08:52 ? 00:00:02 /sbin/init\nroot 4242 4200 0 09:00 ? 00:00:00 sleep 100\nroot 4250 4242 0 09:00 ? 00:00:00 sh -c echo hi\n";
        let processes = parse_ps(output, &[4242, 4250]).unwrap();
        assert_eq!(processes.titles.len(), 8);
        assert_eq!(processes.rows.len(), 2);
        assert_eq!(processes.rows[0][1], "4242");
        assert_eq!(processes.rows[1][7], "sh -c echo hi");
        assert!(parse_ps("USER COMMAND\nroot x\n", &[1]).is_err());
    }
}
