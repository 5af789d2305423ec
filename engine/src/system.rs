//! `ferry info`: what the engine holds and the machine it runs on, as `docker info` reports its
//! daemon's — containers by state, images, the storage and cgroup drivers, the kernel, the OS, CPUs
//! and memory. Everything is read from the state root and the kernel each time it is asked, so the
//! report is never stale.

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::cgroups::{available_cpus, CgroupVersion, Hierarchy};
use crate::container::{store, StateRoot, Status};
use crate::image::{driver, ImageStore};
use crate::Result;

/// Where the operating system names itself (and the fallback the os-release spec gives).
const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
/// Where the kernel reports the machine's memory.
const MEMINFO: &str = "/proc/meminfo";

/// The report, with Docker's field names (what `info --format '{{.Containers}}'` uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Info {
    /// Every container, whatever its state.
    pub containers: usize,
    /// Running (or restarting) ones.
    pub containers_running: usize,
    /// Paused ones.
    pub containers_paused: usize,
    /// The others: created, exited, dead.
    pub containers_stopped: usize,
    /// Distinct images (by id).
    pub images: usize,
    /// ferry's version.
    pub server_version: String,
    /// Docker's name for the storage driver new containers get (`overlay2`, `vfs`).
    pub driver: String,
    /// How container output is kept: `json-file`, as Docker's default.
    pub logging_driver: String,
    /// How cgroups are managed: directly in cgroupfs (ferry does not go through systemd).
    pub cgroup_driver: String,
    /// `1` or `2` (empty when the machine has no cgroup hierarchy ferry can use).
    pub cgroup_version: String,
    /// The kernel's release (`uname -r`).
    pub kernel_version: String,
    /// The distribution's name (os-release `PRETTY_NAME`).
    pub operating_system: String,
    /// Always `linux`.
    #[serde(rename = "OSType")]
    pub os_type: String,
    /// The machine (`uname -m`).
    pub architecture: String,
    /// CPUs this process may run on.
    #[serde(rename = "NCPU")]
    pub ncpu: usize,
    /// Total memory in bytes.
    pub mem_total: u64,
    /// The host name.
    pub name: String,
    /// The state root (Docker's is /var/lib/docker).
    pub docker_root_dir: PathBuf,
}

/// How many containers are in each of the states `info` counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Running or restarting.
    pub running: usize,
    /// Paused.
    pub paused: usize,
    /// Anything else.
    pub stopped: usize,
}

// ANCHOR: info
/// Gathers the report for the engine at `root`.
pub fn info(root: &StateRoot) -> Result<Info> {
    let containers = store::list(root)?;
    let counts = count_states(containers.iter().map(|c| c.status()));
    let images = ImageStore::open(root)?.list()?;
    let image_ids: HashSet<String> = images.iter().map(|i| i.id.to_string()).collect();
    let uname = nix::sys::utsname::uname().map_err(crate::Error::sys("uname"))?;
    let text = |s: &std::ffi::OsStr| s.to_string_lossy().into_owned();
    Ok(Info {
        containers: containers.len(),
        containers_running: counts.running,
        containers_paused: counts.paused,
        containers_stopped: counts.stopped,
        images: image_ids.len(),
        server_version: env!("CARGO_PKG_VERSION").to_string(),
        driver: driver::choose(&root.containers())?
            .driver
            .docker_name()
            .to_string(),
        logging_driver: "json-file".into(),
        cgroup_driver: "cgroupfs".into(),
        cgroup_version: cgroup_version(),
        kernel_version: text(uname.release()),
        operating_system: operating_system(),
        os_type: "linux".into(),
        architecture: text(uname.machine()),
        ncpu: available_cpus(),
        mem_total: host_memory().unwrap_or(0),
        name: text(uname.nodename()),
        docker_root_dir: std::path::absolute(root.path())
            .unwrap_or_else(|_| root.path().to_path_buf()),
    })
}
// ANCHOR_END: info

/// Counts states as Docker does: a restarting container counts as running, and everything that
/// is neither running nor paused (created, exited, dead) as stopped.
pub fn count_states(statuses: impl IntoIterator<Item = Status>) -> StateCounts {
    let mut counts = StateCounts::default();
    for status in statuses {
        match status {
            Status::Running | Status::Restarting => counts.running += 1,
            Status::Paused => counts.paused += 1,
            _ => counts.stopped += 1,
        }
    }
    counts
}

fn cgroup_version() -> String {
    match Hierarchy::detect().map(|h| h.version()) {
        Ok(CgroupVersion::V1) => "1".into(),
        Ok(CgroupVersion::V2) => "2".into(),
        Err(_) => String::new(),
    }
}

fn operating_system() -> String {
    OS_RELEASE
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| pretty_name(&text))
        .unwrap_or_else(|| "Linux".into())
}

/// `PRETTY_NAME` of an os-release file, unquoted.
pub fn pretty_name(os_release: &str) -> Option<String> {
    os_release.lines().find_map(|line| {
        let value = line.strip_prefix("PRETTY_NAME=")?;
        Some(value.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// The host's memory in bytes: what `info` reports, and `stats` shows as the limit of a container
/// that has none.
pub fn host_memory() -> Result<u64> {
    let text = std::fs::read_to_string(MEMINFO).map_err(crate::Error::io("read", MEMINFO))?;
    mem_total(&text).ok_or_else(|| crate::Error::Corrupt(format!("{MEMINFO}: no MemTotal line")))
}

/// `MemTotal` of a /proc/meminfo text, in bytes.
pub fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarting_counts_as_running_and_created_exited_dead_as_stopped() {
        use Status::*;
        let counts = count_states([Running, Restarting, Paused, Created, Exited, Dead, Exited]);
        assert_eq!(
            counts,
            StateCounts {
                running: 2,
                paused: 1,
                stopped: 4
            }
        );
    }

    #[test]
    fn the_os_name_is_the_unquoted_pretty_name() {
        let text = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
        assert_eq!(
            pretty_name(text).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(pretty_name("ID=alpine\n"), None);
    }

    #[test]
    fn total_memory_is_memtotal_in_bytes() {
        let text = "MemTotal:        8148324 kB\nMemFree:          123456 kB\n";
        assert_eq!(mem_total(text), Some(8_148_324 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
        assert!(host_memory().unwrap() > 0, "this machine has memory");
    }

    #[test]
    fn the_report_counts_what_the_state_root_holds_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        store::create(&root, Some("one"), |_, _| {
            Ok(crate::container::ContainerConfig::for_tests())
        })
        .unwrap();
        let info = info(&root).unwrap();
        assert_eq!((info.containers, info.containers_stopped), (1, 1));
        assert_eq!((info.containers_running, info.containers_paused), (0, 0));
        assert_eq!(info.images, 0);
        assert_eq!(info.docker_root_dir, dir.path());
        assert_eq!(info.ncpu, available_cpus());
        assert!(info.mem_total > 0, "this machine has memory");
    }
}
