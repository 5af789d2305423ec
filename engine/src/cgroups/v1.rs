//! A container's cgroup on cgroup v1: one directory per controller hierarchy.
//!
//! `/sys/fs/cgroup/memory/ferry/ID`, `/sys/fs/cgroup/cpu/ferry/ID`, ... each hold the files of
//! their own controller; the container's processes are listed in the `cgroup.procs` of all of them.
//! The `devices` hierarchy holds the device allow-list (`devices.allow`, `devices.deny`).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::container::Backend;
use super::devices::DeviceRule;
use super::error::{CgroupError, Result};
use super::fs;
use super::hierarchy::{Controller, MOUNTINFO};
use super::resources::Resources;
use super::stats::{self, BlockIo, Stats};
use super::view::CgroupView;

/// v1 reports "no memory limit" as the largest page-aligned `i64` (9223372036854771712); anything
/// this large is no limit a container could reach.
const V1_UNLIMITED: u64 = 1 << 62;

/// One container's directories in the v1 controller hierarchies.
#[derive(Debug)]
pub struct V1Cgroup {
    /// Controller → the container's directory in that controller's hierarchy.
    dirs: BTreeMap<Controller, PathBuf>,
    /// The container's directory in each hierarchy once (co-mounted controllers share one), with
    /// the name of the hierarchy's mount point (`memory`, `cpu,cpuacct`).
    hierarchies: Vec<(String, PathBuf)>,
    /// Whether the kernel accounts swap (`memory.memsw.*` exists; `swapaccount=1`).
    swap_accounting: bool,
}

impl V1Cgroup {
    /// Where the container's cgroup lives in each controller ferry uses, under `relative`
    /// (`ferry/ID`). Fails when a controller other than an optional one is not mounted.
    pub fn at(mounts: &BTreeMap<Controller, PathBuf>, relative: &Path) -> Result<V1Cgroup> {
        let mut dirs = BTreeMap::new();
        let mut hierarchies = Vec::new();
        for controller in Controller::ALL {
            let Some(mount) = mounts.get(&controller) else {
                if controller.is_optional() {
                    continue;
                }
                return Err(CgroupError::ControllerMissing {
                    controller: controller.name(),
                    path: MOUNTINFO.into(),
                });
            };
            let dir = mount.join(relative);
            if !hierarchies.iter().any(|(_, known)| *known == dir) {
                let name = mount.file_name().unwrap_or_default().to_string_lossy();
                hierarchies.push((name.into_owned(), dir.clone()));
            }
            dirs.insert(controller, dir);
        }
        let swap_accounting = mounts[&Controller::Memory]
            .join("memory.memsw.limit_in_bytes")
            .exists();
        Ok(V1Cgroup {
            dirs,
            hierarchies,
            swap_accounting,
        })
    }

    fn file(&self, controller: Controller, name: &str) -> PathBuf {
        self.dirs[&controller].join(name)
    }

    fn apply_memory(&self, resources: &Resources) -> Result<()> {
        // ANCHOR: v1_memory_limit
        // The memory limit first: the kernel refuses a memory+swap total below it.
        if let Some(limit) = resources.memory {
            fs::write(
                &self.file(Controller::Memory, "memory.limit_in_bytes"),
                &limit.to_string(),
            )?;
        }
        // memory.memsw.limit_in_bytes is memory *plus* swap, like Docker's --memory-swap; the file
        // exists only when the kernel accounts swap.
        if let Some(total) = resources
            .memory_swap_total()
            .filter(|_| self.swap_accounting)
        {
            let memsw = self.file(Controller::Memory, "memory.memsw.limit_in_bytes");
            fs::write(&memsw, &total.to_string())?;
        }
        // ANCHOR_END: v1_memory_limit
        Ok(())
    }

    /// The container's block I/O, where a `blkio` hierarchy counts it (zero otherwise: no such
    /// hierarchy, or a kernel built without the throttling files).
    fn block_io(&self) -> Result<BlockIo> {
        let file = self
            .dirs
            .get(&Controller::Blkio)
            .map(|dir| dir.join("blkio.throttle.io_service_bytes_recursive"))
            .filter(|file| file.exists());
        match file {
            Some(file) => Ok(stats::parse_v1_blkio(&fs::read(&file)?)),
            None => Ok(BlockIo::default()),
        }
    }

    // ANCHOR: v1_devices
    /// Writes the device allow-list: `a` to `devices.deny` first, so that nothing the parent
    /// allows is left (a new cgroup starts with its parent's list, which for ferry's is the
    /// host's: everything), then each rule to `devices.allow` or `devices.deny`, in order. The
    /// kernel takes one rule per `write(2)`.
    fn apply_devices(&self, rules: &[DeviceRule]) -> Result<()> {
        let Some(dir) = self.dirs.get(&Controller::Devices) else {
            return Err(CgroupError::ControllerMissing {
                controller: Controller::Devices.name(),
                path: MOUNTINFO.into(),
            });
        };
        let allow_path = dir.join("devices.allow");
        let deny_path = dir.join("devices.deny");
        let mut allow = open_for_rules(&allow_path)?;
        let mut deny = open_for_rules(&deny_path)?;
        write_rule(&mut deny, &deny_path, "a")?;
        for rule in rules {
            let (file, path) = if rule.allow {
                (&mut allow, &allow_path)
            } else {
                (&mut deny, &deny_path)
            };
            write_rule(file, path, &rule.to_string())?;
        }
        Ok(())
    }
    // ANCHOR_END: v1_devices

    fn apply_cpu(&self, resources: &Resources) -> Result<()> {
        if let Some(cpu) = resources.cpu_quota {
            // The period first: the kernel checks the quota against the current period.
            fs::write(
                &self.file(Controller::Cpu, "cpu.cfs_period_us"),
                &cpu.period_us.to_string(),
            )?;
            fs::write(
                &self.file(Controller::Cpu, "cpu.cfs_quota_us"),
                &cpu.quota_us.to_string(),
            )?;
        }
        if let Some(shares) = resources.cpu_shares {
            fs::write(
                &self.file(Controller::Cpu, "cpu.shares"),
                &shares.to_string(),
            )?;
        }
        Ok(())
    }
}

impl Backend for V1Cgroup {
    fn create(&self) -> Result<()> {
        // The parent (e.g. `ferry`) is shared by containers: created by the first, removed with
        // the last (see `ContainerCgroup::remove`).
        let dirs = self.dirs();
        for dir in &dirs {
            if let Some(parent) = dir.parent() {
                fs::ensure_dir(parent)?;
            }
        }
        fs::create_dirs(&dirs)
    }

    fn dirs(&self) -> Vec<PathBuf> {
        self.hierarchies
            .iter()
            .map(|(_, dir)| dir.clone())
            .collect()
    }

    fn view(&self) -> CgroupView {
        CgroupView::V1 {
            hierarchies: self.hierarchies.clone(),
        }
    }

    fn apply(&self, resources: &Resources) -> Result<()> {
        self.apply_memory(resources)?;
        self.apply_cpu(resources)?;
        if let Some(limit) = resources.pids_limit {
            let value = if limit > 0 {
                limit.to_string()
            } else {
                "max".into()
            };
            fs::write(&self.file(Controller::Pids, "pids.max"), &value)?;
        }
        if let Some(rules) = &resources.devices {
            self.apply_devices(rules)?;
        }
        Ok(())
    }

    // ANCHOR: oom_killed
    fn oom_killed(&self) -> Result<bool> {
        // Since Linux 4.13 memory.oom_control counts the kills: "oom_kill N".
        let control = self.file(Controller::Memory, "memory.oom_control");
        if let Some(kills) = fs::read_key(&control, "oom_kill")? {
            return Ok(kills > 0);
        }
        // Older kernels only count how often usage hit the limit (of memory, or of memory+swap
        // when swap is accounted). A hit usually ends in reclaim failing and the OOM killer
        // acting, so it is the best answer they allow.
        let mut hits = fs::read_u64(&self.file(Controller::Memory, "memory.failcnt"))?;
        if self.swap_accounting {
            hits += fs::read_u64(&self.file(Controller::Memory, "memory.memsw.failcnt"))?;
        }
        Ok(hits > 0)
    }
    // ANCHOR_END: oom_killed

    fn stats(&self) -> Result<Stats> {
        let memory = |name| self.file(Controller::Memory, name);
        let limit = fs::read_u64(&memory("memory.limit_in_bytes"))?;
        let usage = fs::read_u64(&memory("memory.usage_in_bytes"))?;
        let inactive = fs::read_key(&memory("memory.stat"), "total_inactive_file")?;
        Ok(Stats {
            memory_usage: stats::without_inactive_cache(usage, inactive.unwrap_or(0)),
            memory_limit: (limit < V1_UNLIMITED).then_some(limit),
            cpu_usage_ns: fs::read_u64(&self.file(Controller::Cpuacct, "cpuacct.usage"))?,
            pids_current: fs::read_u64(&self.file(Controller::Pids, "pids.current"))?,
            block_io: self.block_io()?,
        })
    }

    fn set_frozen(&self, frozen: bool) -> Result<()> {
        let state = self.file(Controller::Freezer, "freezer.state");
        let want = if frozen { "FROZEN" } else { "THAWED" };
        fs::write(&state, want)?;
        // Freezing passes through FREEZING until every task has stopped.
        fs::wait_until("wait for freezer state", &state, fs::SETTLE_TIMEOUT, || {
            Ok(fs::read(&state)?.trim() == want)
        })
    }
}

/// Opens `devices.allow` or `devices.deny` once for all its rules (created only in the fake
/// trees of tests: the kernel's are always there).
fn open_for_rules(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(CgroupError::io("open", path))
}

/// Writes one rule, a line, in one `write(2)` (cgroup files take a whole value per write, so a
/// partial write cannot happen: it is all or an error).
fn write_rule(file: &mut File, path: &Path, rule: &str) -> Result<()> {
    file.write_all(format!("{rule}\n").as_bytes())
        .map_err(|source| CgroupError::DeviceRule {
            rule: rule.to_string(),
            path: path.to_path_buf(),
            source,
        })
}
