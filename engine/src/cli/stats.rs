//! `ferry stats [--no-stream] [CONTAINER...]`: a live table of what containers use, with Docker's
//! columns and units.
//!
//! The numbers come from [`crate::container::stats`]; this file picks the containers and prints.
//! Like Docker's CLI it exits 1 when a container is unknown.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::container::print_table;
use super::sizes::{binary_size, human_size};
use crate::container::stats::{self, Usage, SAMPLE_INTERVAL};
use crate::container::{store, Container, StateRoot, Status};
use crate::Result;

/// How long the live table waits between refreshes, on top of the measuring interval (Docker
/// redraws about once a second).
const REFRESH_PAUSE: Duration = Duration::from_millis(500);

/// The column titles, as `docker stats` prints them.
const HEADER: [&str; 8] = [
    "CONTAINER ID",
    "NAME",
    "CPU %",
    "MEM USAGE / LIMIT",
    "MEM %",
    "NET I/O",
    "BLOCK I/O",
    "PIDS",
];

/// `ferry stats`.
#[derive(Debug, clap::Args)]
pub(super) struct StatsArgs {
    /// Print one table and exit, instead of refreshing it until interrupted.
    #[arg(long = "no-stream")]
    no_stream: bool,
    /// Containers (name, id or id prefix); all running containers when none is given.
    containers: Vec<String>,
}

/// Runs `ferry stats`, printing its error and exiting 1 on failure, as Docker's CLI does.
pub(super) fn stats(root: &StateRoot, args: StatsArgs) -> Result<i32> {
    match show(root, &args) {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("ferry: {e}");
            Ok(1)
        }
    }
}

fn show(root: &StateRoot, args: &StatsArgs) -> Result<()> {
    let named: Vec<Container> = args
        .containers
        .iter()
        .map(|name| store::find(root, name))
        .collect::<Result<_>>()?;
    let live = !args.no_stream && std::io::stdout().is_terminal();
    loop {
        let containers = if args.containers.is_empty() {
            running(root)?
        } else {
            refreshed(&named)
        };
        let usages = stats::measure(&containers, SAMPLE_INTERVAL)?;
        if live {
            // Clear the screen and go home, so the table redraws in place.
            print!("\x1b[2J\x1b[H");
            let _ = std::io::stdout().flush();
        }
        print_table(&table(&containers, &usages));
        if args.no_stream {
            return Ok(());
        }
        std::thread::sleep(REFRESH_PAUSE);
    }
}

/// The containers that run now (paused ones included, as in Docker).
fn running(root: &StateRoot) -> Result<Vec<Container>> {
    let mut containers = store::list(root)?;
    containers.retain(|c| matches!(c.status(), Status::Running | Status::Paused));
    Ok(containers)
}

/// The named containers as they are now; one removed meanwhile keeps its last record (and shows
/// as using nothing, its cgroup being gone).
fn refreshed(named: &[Container]) -> Vec<Container> {
    let mut containers = named.to_vec();
    for container in &mut containers {
        let _ = container.reload();
    }
    containers
}

/// The header and one row per container.
fn table(containers: &[Container], usages: &[Usage]) -> Vec<Vec<String>> {
    let mut rows = vec![HEADER.iter().map(|h| h.to_string()).collect()];
    for (container, usage) in containers.iter().zip(usages) {
        rows.push(row(container, usage));
    }
    rows
}

// ANCHOR: row
/// One row: memory in binary units (`1.5MiB / 30MiB`), traffic in decimal ones (`648B / 1.5kB`),
/// as Docker prints them.
fn row(container: &Container, usage: &Usage) -> Vec<String> {
    vec![
        container.id().short().to_string(),
        container.name().to_string(),
        format!("{:.2}%", usage.cpu_percent),
        format!(
            "{} / {}",
            binary_size(usage.memory),
            binary_size(usage.memory_limit)
        ),
        format!("{:.2}%", usage.memory_percent),
        format!(
            "{} / {}",
            human_size(usage.network.received),
            human_size(usage.network.sent)
        ),
        format!(
            "{} / {}",
            human_size(usage.block_io.read),
            human_size(usage.block_io.written)
        ),
        usage.pids.to_string(),
    ]
}
// ANCHOR_END: row

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroups::BlockIo;
    use crate::container::stats::NetIo;

    #[test]
    fn a_row_has_dockers_columns_and_units() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        let container = store::create(&root, Some("web"), |_, _| {
            Ok(crate::container::ContainerConfig::for_tests())
        })
        .unwrap();
        let usage = Usage {
            cpu_percent: 19.876,
            memory: 1_572_864,
            memory_limit: 30 << 20,
            memory_percent: 5.0,
            network: NetIo {
                received: 1500,
                sent: 648,
            },
            block_io: BlockIo::default(),
            pids: 2,
        };
        let row = row(&container, &usage);
        assert_eq!(row[0], container.id().short());
        assert_eq!(
            row[1..],
            [
                "web",
                "19.88%",
                "1.5MiB / 30MiB",
                "5.00%",
                "1.5kB / 648B",
                "0B / 0B",
                "2"
            ]
        );
        let table = table(&[container], &[usage]);
        assert_eq!(table[0], HEADER);
        assert_eq!(table.len(), 2);
    }
}
