//! A container's cgroup on cgroup v2: one directory in the unified tree.
//!
//! `/sys/fs/cgroup/ferry/ID` holds the files of every controller enabled for it. A controller is
//! enabled for a directory's children by writing `+memory` to its `cgroup.subtree_control`, so the
//! root enables them for `ferry`, and `ferry` enables them for each container.
//!
//! There is no devices controller: the device allow-list is an eBPF program attached to the
//! container's directory ([`super::device_program`]).

use std::path::{Path, PathBuf};

use super::bpf::DeviceProgram;
use super::container::Backend;
use super::device_program::device_program;
use super::devices::DeviceRule;
use super::error::{CgroupError, Result};
use super::fs;
use super::resources::Resources;
use super::stats::{self, BlockIo, Stats};
use super::view::CgroupView;

/// The controllers a container cgroup needs (freezing is built into every v2 cgroup).
const CONTROLLERS: [&str; 3] = ["memory", "cpu", "pids"];

/// The controllers enabled as well where the root offers them: only statistics depend on them.
const OPTIONAL_CONTROLLERS: [&str; 1] = ["io"];

/// One container's directory in the unified hierarchy.
#[derive(Debug)]
pub struct V2Cgroup {
    /// The mount point of the unified tree.
    root: PathBuf,
    /// ferry's own parent cgroup, e.g. `/sys/fs/cgroup/ferry`.
    parent: PathBuf,
    /// The container's cgroup, e.g. `/sys/fs/cgroup/ferry/ID`.
    dir: PathBuf,
}

impl V2Cgroup {
    /// Where the container's cgroup lives: `root/relative` (`relative` is `ferry/ID`).
    pub fn at(root: &Path, relative: &Path) -> V2Cgroup {
        let dir = root.join(relative);
        V2Cgroup {
            root: root.to_path_buf(),
            parent: dir.parent().unwrap_or(root).to_path_buf(),
            dir,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn apply_memory(&self, resources: &Resources) -> Result<()> {
        // ANCHOR: v2_memory_limit
        if let Some(limit) = resources.memory {
            fs::write(&self.file("memory.max"), &limit.to_string())?;
        }
        // memory.swap.max is swap *alone* (v1's memsw was memory plus swap); it exists only when
        // the kernel accounts swap, which ferry's parent cgroup shows.
        let swap_accounting = self.parent.join("memory.swap.max").exists();
        if let Some(total) = resources.memory_swap_total().filter(|_| swap_accounting) {
            let swap = swap_only(total, resources.memory.unwrap_or(0));
            fs::write(&self.file("memory.swap.max"), &swap)?;
        }
        // ANCHOR_END: v2_memory_limit
        Ok(())
    }

    // ANCHOR: v2_devices
    /// Loads the program for `rules` and attaches it to the container's cgroup. The engine keeps
    /// no handle: the cgroup holds the program, and the kernel frees it with the cgroup.
    fn apply_devices(&self, rules: &[DeviceRule]) -> Result<()> {
        let failed = |op| {
            move |e: super::bpf::BpfError| CgroupError::DeviceProgram {
                op,
                path: self.dir.clone(),
                detail: e.to_string(),
            }
        };
        let program = DeviceProgram::load(&device_program(rules)).map_err(failed("load"))?;
        program.attach(&self.dir).map_err(failed("attach"))
    }
    // ANCHOR_END: v2_devices
}

impl Backend for V2Cgroup {
    fn create(&self) -> Result<()> {
        // Enable the controllers from the root down to ferry's parent, then create the container's.
        let offered = self.root.join("cgroup.controllers");
        let available = fs::read(&offered)?;
        if let Some(controller) = missing(&available, &CONTROLLERS).first() {
            return Err(CgroupError::ControllerMissing {
                controller,
                path: offered,
            });
        }
        let wanted = wanted_controllers(&available);
        enable_controllers(&self.root, &wanted)?;
        // The parent is shared by containers: created by the first, removed with the last.
        fs::ensure_dir(&self.parent)?;
        enable_controllers(&self.parent, &wanted)?;
        fs::create_dirs(std::slice::from_ref(&self.dir))
    }

    fn dirs(&self) -> Vec<PathBuf> {
        vec![self.dir.clone()]
    }

    fn view(&self) -> CgroupView {
        CgroupView::V2 {
            dir: self.dir.clone(),
        }
    }

    fn apply(&self, resources: &Resources) -> Result<()> {
        self.apply_memory(resources)?;
        if let Some(cpu) = resources.cpu_quota {
            fs::write(
                &self.file("cpu.max"),
                &format!("{} {}", cpu.quota_us, cpu.period_us),
            )?;
        }
        if let Some(shares) = resources.cpu_shares {
            fs::write(
                &self.file("cpu.weight"),
                &shares_to_weight(shares).to_string(),
            )?;
        }
        if let Some(limit) = resources.pids_limit {
            let value = if limit > 0 {
                limit.to_string()
            } else {
                "max".into()
            };
            fs::write(&self.file("pids.max"), &value)?;
        }
        if let Some(rules) = &resources.devices {
            self.apply_devices(rules)?;
        }
        Ok(())
    }

    // ANCHOR: oom_killed
    fn oom_killed(&self) -> Result<bool> {
        // memory.events counts every kill of the OOM killer in this cgroup: "oom_kill N".
        let kills = fs::read_key(&self.file("memory.events"), "oom_kill")?;
        Ok(kills.unwrap_or(0) > 0)
    }
    // ANCHOR_END: oom_killed

    fn stats(&self) -> Result<Stats> {
        let cpu_usage_us = fs::read_key(&self.file("cpu.stat"), "usage_usec")?.unwrap_or(0);
        let usage = fs::read_u64(&self.file("memory.current"))?;
        let inactive = fs::read_key(&self.file("memory.stat"), "inactive_file")?;
        // io.stat exists only where the io controller is enabled.
        let io_stat = self.file("io.stat");
        let block_io = if io_stat.exists() {
            stats::parse_io_stat(&fs::read(&io_stat)?)
        } else {
            BlockIo::default()
        };
        Ok(Stats {
            memory_usage: stats::without_inactive_cache(usage, inactive.unwrap_or(0)),
            memory_limit: fs::read_limit(&self.file("memory.max"))?,
            cpu_usage_ns: cpu_usage_us.saturating_mul(1_000),
            pids_current: fs::read_u64(&self.file("pids.current"))?,
            block_io,
        })
    }

    fn set_frozen(&self, frozen: bool) -> Result<()> {
        fs::write(&self.file("cgroup.freeze"), if frozen { "1" } else { "0" })?;
        // cgroup.events says "frozen 1" once every task has stopped.
        let events = self.file("cgroup.events");
        fs::wait_until("wait for frozen state", &events, fs::SETTLE_TIMEOUT, || {
            Ok(fs::read_key(&events, "frozen")? == Some(u64::from(frozen)))
        })
    }
}

/// The controllers of `wanted` that a space-separated list such as `cgroup.controllers` lacks.
fn missing(list: &str, wanted: &[&'static str]) -> Vec<&'static str> {
    wanted
        .iter()
        .copied()
        .filter(|c| !list.split_whitespace().any(|have| have == *c))
        .collect()
}

/// The controllers to enable for containers: the required ones, and the optional ones that
/// `available` (the root's `cgroup.controllers`) lists.
fn wanted_controllers(available: &str) -> Vec<&'static str> {
    let absent = missing(available, &OPTIONAL_CONTROLLERS);
    let optional = OPTIONAL_CONTROLLERS.iter().filter(|c| !absent.contains(c));
    CONTROLLERS.iter().chain(optional).copied().collect()
}

/// Enables the `wanted` controllers for the children of `cgroup`, writing only the missing ones
/// (the engine changes nothing it does not need).
fn enable_controllers(cgroup: &Path, wanted: &[&'static str]) -> Result<()> {
    let control = cgroup.join("cgroup.subtree_control");
    let to_enable = missing(&fs::read(&control)?, wanted);
    if to_enable.is_empty() {
        return Ok(());
    }
    let line: Vec<String> = to_enable.iter().map(|c| format!("+{c}")).collect();
    fs::write(&control, &line.join(" "))
}

/// Turns Docker's memory+swap total into v2's swap-only value (`max` for unlimited, `-1`).
fn swap_only(total: i64, memory: u64) -> String {
    match u64::try_from(total) {
        Ok(total) => total.saturating_sub(memory).to_string(),
        Err(_) => "max".into(),
    }
}

/// Converts v1 `cpu.shares` (2..=262144, default 1024) to v2 `cpu.weight` (1..=10000, default
/// 100) the way runc does, so `--cpu-shares` means the same on both versions.
pub fn shares_to_weight(shares: u64) -> u64 {
    let shares = shares.clamp(2, 262_144);
    1 + ((shares - 2) * 9_999) / 262_142
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_map_to_weights_like_runc() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(1024), 39);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(
            shares_to_weight(0),
            1,
            "below the v1 minimum is the minimum"
        );
        assert_eq!(
            shares_to_weight(1 << 30),
            10_000,
            "above the v1 maximum is the maximum"
        );
    }

    #[test]
    fn swap_only_is_the_total_minus_memory() {
        assert_eq!(swap_only(128 << 20, 64 << 20), (64u64 << 20).to_string());
        assert_eq!(swap_only(64 << 20, 64 << 20), "0");
        assert_eq!(swap_only(-1, 64 << 20), "max");
    }

    #[test]
    fn missing_controllers_are_listed_in_order() {
        assert_eq!(
            missing("cpuset cpu io memory hugetlb pids", &CONTROLLERS),
            Vec::<&str>::new()
        );
        assert_eq!(
            missing("hugetlb", &CONTROLLERS),
            vec!["memory", "cpu", "pids"]
        );
        assert_eq!(missing("memory pids", &CONTROLLERS), vec!["cpu"]);
    }

    #[test]
    fn io_is_wanted_only_where_the_root_offers_it() {
        assert_eq!(
            wanted_controllers("cpuset cpu io memory pids"),
            vec!["memory", "cpu", "pids", "io"]
        );
        assert_eq!(
            wanted_controllers("cpu memory pids"),
            vec!["memory", "cpu", "pids"]
        );
    }
}
