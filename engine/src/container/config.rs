//! A container's configuration: everything needed to start it again, fixed when it is created.
//!
//! `ferry run` resolves the image, the command, the environment and the volumes once, at create
//! time, and writes the result into the container's record; `ferry start` (and the monitor, for
//! every restart) only reads it back. So a container keeps running the same thing even if the image
//! or the volume flags would resolve differently later.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::mounts::MountPoint;
use super::restart::RestartPolicy;
use crate::cgroups::{CpuQuota, DeviceRule, Resources};

/// Where the root filesystem comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Type", rename_all = "lowercase")]
pub enum RootfsConfig {
    /// An image's read-only layers (uppermost first) under the container's own writable layer.
    Image {
        /// The image's layer directories, uppermost first.
        #[serde(rename = "Layers")]
        layers: Vec<PathBuf>,
    },
    /// A directory used as it is (`ferry run /path/to/rootfs`): writes go straight to it.
    Directory {
        /// The directory.
        #[serde(rename = "Path")]
        path: PathBuf,
    },
}

/// Resource limits as recorded (cgroups' [`Resources`] but the device list, in a shape that
/// serializes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Limits {
    /// `-m`, bytes.
    pub memory: Option<u64>,
    /// `--memory-swap`, bytes of memory plus swap (-1: unlimited).
    pub memory_swap: Option<i64>,
    /// `--cpus` as a CFS quota, microseconds per period.
    pub cpu_quota: Option<u64>,
    /// The CFS period the quota is measured in, microseconds.
    pub cpu_period: Option<u64>,
    /// `--cpu-shares`.
    pub cpu_shares: Option<u64>,
    /// `--pids-limit`.
    pub pids_limit: Option<i64>,
}

impl From<&Resources> for Limits {
    fn from(r: &Resources) -> Self {
        Limits {
            memory: r.memory,
            memory_swap: r.memory_swap,
            cpu_quota: r.cpu_quota.map(|q| q.quota_us),
            cpu_period: r.cpu_quota.map(|q| q.period_us),
            cpu_shares: r.cpu_shares,
            pids_limit: r.pids_limit,
        }
    }
}

impl Limits {
    /// The limits for the cgroups module, with the device allow-list `devices` (every container
    /// has one: see `container::cgroup::device_rules`).
    pub fn resources(&self, devices: Vec<DeviceRule>) -> Resources {
        let cpu_quota = match (self.cpu_quota, self.cpu_period) {
            (Some(quota_us), Some(period_us)) => Some(CpuQuota {
                quota_us,
                period_us,
            }),
            _ => None,
        };
        Resources {
            memory: self.memory,
            memory_swap: self.memory_swap,
            cpu_quota,
            cpu_shares: self.cpu_shares,
            pids_limit: self.pids_limit,
            devices: Some(devices),
        }
    }
}

/// How to start a container (Docker splits this into `Config` and `HostConfig`; ferry keeps one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// The image argument as given (`toolbox`, `busybox:1.36`, or a rootfs path).
    pub image: String,
    /// Where the root filesystem comes from.
    pub rootfs: RootfsConfig,
    /// The entrypoint in effect (`--entrypoint`, else the image's).
    pub entrypoint: Vec<String>,
    /// The command in effect (the given one, else the image's `Cmd`).
    pub cmd: Vec<String>,
    /// PID 1's argv: `entrypoint` followed by `cmd`.
    pub args: Vec<String>,
    /// PID 1's environment, `KEY=value`.
    pub env: Vec<String>,
    /// PID 1's working directory (absolute).
    pub working_dir: String,
    /// The container's host name.
    pub hostname: String,
    /// `-u`: `user[:group]` by name or number; empty means root.
    pub user: String,
    /// `-t`: PID 1 gets a pseudo-terminal.
    pub tty: bool,
    /// `-i`: PID 1's stdin stays open.
    pub open_stdin: bool,
    /// `--network`, normalised: `bridge`, `host`, `none`, a network name or `container:<id>`.
    pub network_mode: String,
    /// `-p` / `-P`: ports published on the host (bridge networks only; host port 0 = any free one).
    #[serde(default)]
    pub published: Vec<crate::network::PortMapping>,
    /// Bind mounts and volumes, in the order given.
    pub mounts: Vec<MountPoint>,
    /// `--restart`.
    pub restart_policy: RestartPolicy,
    /// `--rm`: remove the container (and its anonymous volumes) when it exits.
    pub auto_remove: bool,
    /// Resource limits for its cgroup.
    #[serde(default)]
    pub limits: Limits,
    /// `--link`: containers whose names go into this one's /etc/hosts.
    #[serde(default)]
    pub links: Vec<crate::network::links::Link>,
    /// `--privileged`, `--cap-add`, `--security-opt`, `--read-only`…: its confinement.
    #[serde(default)]
    pub security: super::security::SecurityConfig,
}

#[cfg(test)]
impl ContainerConfig {
    /// A small valid configuration for unit tests.
    pub(crate) fn for_tests() -> Self {
        ContainerConfig {
            image: "toolbox".into(),
            rootfs: RootfsConfig::Image {
                layers: vec![PathBuf::from("/images/toolbox/rootfs")],
            },
            entrypoint: vec![],
            cmd: vec!["sh".into()],
            args: vec!["sh".into()],
            env: vec!["PATH=/bin".into()],
            working_dir: "/".into(),
            hostname: "box".into(),
            user: String::new(),
            tty: false,
            open_stdin: false,
            network_mode: "none".into(),
            published: vec![],
            mounts: vec![],
            restart_policy: RestartPolicy::No,
            auto_remove: false,
            limits: Limits::default(),
            links: Vec::new(),
            security: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_carry_every_resource_through_the_record() {
        let resources = Resources {
            memory: Some(64 << 20),
            memory_swap: Some(-1),
            cpu_quota: Some(CpuQuota::from_cpus(0.5)),
            cpu_shares: Some(512),
            pids_limit: Some(20),
            devices: Some(crate::cgroups::default_rules()),
        };
        let limits = Limits::from(&resources);
        let json = serde_json::to_string(&limits).unwrap();
        let back: Limits = serde_json::from_str(&json).unwrap();
        assert_eq!(back.resources(crate::cgroups::default_rules()), resources);
    }

    #[test]
    fn a_config_round_trips_with_its_rootfs_kind() {
        let mut config = ContainerConfig::for_tests();
        config.rootfs = RootfsConfig::Directory {
            path: "/srv/rootfs".into(),
        };
        let json = serde_json::to_string(&config).unwrap();
        assert!(
            json.contains(r#""Rootfs":{"Type":"directory","Path":"/srv/rootfs"}"#),
            "{json}"
        );
        let back: ContainerConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
    }
}
