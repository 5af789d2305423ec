//! Where the cgroup file systems are mounted, and which version this machine uses.
//!
//! cgroup v1 mounts one file system per controller (or a few controllers together):
//! `/sys/fs/cgroup/memory`, `/sys/fs/cgroup/cpu`, ... and every container gets a directory in each.
//! cgroup v2 mounts one unified tree (`/sys/fs/cgroup` on current distros) where each directory
//! carries every enabled controller. Hybrid machines mount both; the controllers live where their
//! v1 mount is, so ferry uses v1 as soon as the memory controller is mounted there.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{CgroupError, Result};

/// The mount table ferry reads to find the cgroup file systems.
pub const MOUNTINFO: &str = "/proc/self/mountinfo";

/// A cgroup controller ferry creates a v1 directory for (or enables on v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Controller {
    /// Memory limits, usage and the OOM killer.
    Memory,
    /// CPU bandwidth (quota/period) and shares.
    Cpu,
    /// CPU time accounting (v1 only; v2 reports it in `cpu.stat`).
    Cpuacct,
    /// The process count limit.
    Pids,
    /// Freezing and thawing every process at once (`ferry pause`).
    Freezer,
    /// Block I/O accounting (`ferry stats`); optional: a container runs without it.
    Blkio,
    /// The device allow-list (v1 only; v2 attaches an eBPF program instead). Optional where no
    /// device rules are asked for; a container with rules refuses to start without it.
    Devices,
}

impl Controller {
    /// Every controller a v1 container cgroup is created in (where it is mounted, for the
    /// optional ones).
    pub const ALL: [Controller; 7] = [
        Controller::Memory,
        Controller::Cpu,
        Controller::Cpuacct,
        Controller::Pids,
        Controller::Freezer,
        Controller::Blkio,
        Controller::Devices,
    ];

    /// Whether a container cgroup can be made without this controller: only its statistics
    /// would be missing (blkio), or it is needed only for what the container asks (devices).
    pub fn is_optional(self) -> bool {
        matches!(self, Controller::Blkio | Controller::Devices)
    }

    /// The controller's name as the kernel spells it in mount options and file names.
    pub fn name(self) -> &'static str {
        match self {
            Controller::Memory => "memory",
            Controller::Cpu => "cpu",
            Controller::Cpuacct => "cpuacct",
            Controller::Pids => "pids",
            Controller::Freezer => "freezer",
            Controller::Blkio => "blkio",
            Controller::Devices => "devices",
        }
    }

    fn from_name(name: &str) -> Option<Controller> {
        Controller::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// The two cgroup interfaces of the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// One hierarchy per controller, files like `memory.limit_in_bytes`.
    V1,
    /// One unified hierarchy, files like `memory.max`.
    V2,
}

/// The cgroup file systems of this machine, as ferry will use them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hierarchy {
    /// cgroup v1: the mount point of each controller (co-mounted controllers share one).
    V1 {
        /// Controller → mount point, e.g. memory → `/sys/fs/cgroup/memory`.
        mounts: BTreeMap<Controller, PathBuf>,
    },
    /// cgroup v2: the root of the unified tree.
    V2 {
        /// The cgroup2 mount point, e.g. `/sys/fs/cgroup`.
        root: PathBuf,
    },
}

impl Hierarchy {
    // ANCHOR: detect
    /// Finds this machine's cgroup hierarchy from the mount table of this process.
    pub fn detect() -> Result<Hierarchy> {
        let text =
            std::fs::read_to_string(MOUNTINFO).map_err(CgroupError::io("read", MOUNTINFO))?;
        Hierarchy::from_mountinfo(&text).ok_or_else(|| CgroupError::NoHierarchy {
            source_file: MOUNTINFO.into(),
        })
    }

    /// Picks the hierarchy described by a `/proc/self/mountinfo` text.
    ///
    /// A v1 mount (`cgroup`) lists its controllers in its super options (`rw,memory`); a v2 mount
    /// has type `cgroup2`. If v1 has the memory controller, the machine is v1 (or hybrid, where v2
    /// holds no controller ferry needs); otherwise a cgroup2 mount makes it v2.
    pub fn from_mountinfo(text: &str) -> Option<Hierarchy> {
        let mut v1 = BTreeMap::new();
        let mut v2 = None;
        for mount in text.lines().filter_map(MountLine::parse) {
            match mount.fs_type {
                "cgroup" => {
                    for controller in mount
                        .super_options
                        .split(',')
                        .filter_map(Controller::from_name)
                    {
                        v1.entry(controller)
                            .or_insert_with(|| mount.mount_point.clone());
                    }
                }
                "cgroup2" => {
                    v2.get_or_insert(mount.mount_point);
                }
                _ => {}
            }
        }
        if v1.contains_key(&Controller::Memory) {
            Some(Hierarchy::V1 { mounts: v1 })
        } else {
            v2.map(|root| Hierarchy::V2 { root })
        }
    }
    // ANCHOR_END: detect

    /// A hierarchy rooted at `root`: v1 with every controller at `root/<controller>` (the usual
    /// `/sys/fs/cgroup` layout), or v2 at `root`. Tests use it on a fake tree in a temp dir.
    pub fn at(root: impl AsRef<Path>, version: CgroupVersion) -> Hierarchy {
        let root = root.as_ref();
        match version {
            CgroupVersion::V1 => Hierarchy::V1 {
                mounts: Controller::ALL
                    .into_iter()
                    .map(|c| (c, root.join(c.name())))
                    .collect(),
            },
            CgroupVersion::V2 => Hierarchy::V2 {
                root: root.to_path_buf(),
            },
        }
    }

    /// Which cgroup interface this hierarchy speaks.
    pub fn version(&self) -> CgroupVersion {
        match self {
            Hierarchy::V1 { .. } => CgroupVersion::V1,
            Hierarchy::V2 { .. } => CgroupVersion::V2,
        }
    }
}

/// The fields of one mountinfo line that matter here.
struct MountLine<'a> {
    mount_point: PathBuf,
    fs_type: &'a str,
    super_options: &'a str,
}

impl<'a> MountLine<'a> {
    /// Parses `id parent maj:min root mount_point options [optional...] - type source super_options`.
    fn parse(line: &'a str) -> Option<MountLine<'a>> {
        let (before, after) = line.split_once(" - ")?;
        let mount_point = before.split(' ').nth(4)?;
        let mut after = after.split(' ');
        let fs_type = after.next()?;
        let super_options = after.nth(1).unwrap_or("");
        Some(MountLine {
            mount_point: PathBuf::from(unescape(mount_point)),
            fs_type,
            super_options,
        })
    }
}

/// Undoes mountinfo's octal escapes (`\040` for a space, `\011` tab, `\012` newline, `\134` `\`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|_| bytes[i] == b'\\');
        match octal.and_then(|o| u8::from_str_radix(std::str::from_utf8(o).ok()?, 8).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine's kind: v1 controllers plus a v2 tree holding only hugetlb.
    const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    /// A current distribution: only cgroup2, with optional fields before the separator.
    const UNIFIED: &str = "\
22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw
35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

    #[test]
    fn hybrid_machine_with_v1_memory_is_v1() {
        let Some(Hierarchy::V1 { mounts }) = Hierarchy::from_mountinfo(HYBRID) else {
            panic!("expected v1");
        };
        assert_eq!(
            mounts[&Controller::Memory],
            Path::new("/sys/fs/cgroup/memory")
        );
        assert_eq!(mounts[&Controller::Pids], Path::new("/sys/fs/cgroup/pids"));
        assert_eq!(
            mounts[&Controller::Blkio],
            Path::new("/sys/fs/cgroup/blkio")
        );
        assert_eq!(
            mounts[&Controller::Devices],
            Path::new("/sys/fs/cgroup/devices")
        );
        assert_eq!(
            mounts.len(),
            7,
            "name=systemd is not one of ferry's controllers: {mounts:?}"
        );
    }

    #[test]
    fn unified_only_machine_is_v2_at_its_cgroup2_mount() {
        assert_eq!(
            Hierarchy::from_mountinfo(UNIFIED),
            Some(Hierarchy::V2 {
                root: "/sys/fs/cgroup".into()
            })
        );
    }

    #[test]
    fn co_mounted_controllers_share_one_mount_point() {
        let text = "\
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
";
        let Some(Hierarchy::V1 { mounts }) = Hierarchy::from_mountinfo(text) else {
            panic!("expected v1");
        };
        assert_eq!(
            mounts[&Controller::Cpu],
            Path::new("/sys/fs/cgroup/cpu,cpuacct")
        );
        assert_eq!(
            mounts[&Controller::Cpuacct],
            Path::new("/sys/fs/cgroup/cpu,cpuacct")
        );
    }

    #[test]
    fn systemd_hybrid_without_v1_memory_uses_the_unified_tree() {
        let text = "\
40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
";
        assert_eq!(
            Hierarchy::from_mountinfo(text),
            Some(Hierarchy::V2 {
                root: "/sys/fs/cgroup/unified".into()
            })
        );
    }

    #[test]
    fn no_cgroup_mount_means_no_hierarchy() {
        assert_eq!(
            Hierarchy::from_mountinfo("22 1 259:1 / / rw - ext4 /dev/root rw\n"),
            None
        );
        assert_eq!(Hierarchy::from_mountinfo("garbage\n"), None);
    }

    #[test]
    fn escaped_mount_points_are_unescaped() {
        let text = "31 25 0:27 / /tmp/my\\040cgroups rw - cgroup2 cgroup2 rw\n";
        assert_eq!(
            Hierarchy::from_mountinfo(text),
            Some(Hierarchy::V2 {
                root: "/tmp/my cgroups".into()
            })
        );
    }

    #[test]
    fn at_lays_v1_controllers_out_under_the_root() {
        let h = Hierarchy::at("/fake", CgroupVersion::V1);
        assert_eq!(h.version(), CgroupVersion::V1);
        let Hierarchy::V1 { mounts } = h else {
            unreachable!()
        };
        assert_eq!(mounts[&Controller::Freezer], Path::new("/fake/freezer"));
        assert_eq!(
            Hierarchy::at("/fake", CgroupVersion::V2).version(),
            CgroupVersion::V2
        );
    }
}
