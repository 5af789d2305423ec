//! `ferry inspect`: a container as Docker's `docker inspect` shows it — the same field names and
//! nesting (`State.Pid`, `Config.Env`, `Mounts[].Source`, `NetworkSettings`), so scripts and
//! `--format` templates written for Docker work unchanged.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::config::RootfsConfig;
use super::mounts::MountKind;
use super::restart::RestartPolicy;
use super::security::DeviceMapping;
use super::state::Status;
use super::store::Container;
use super::time::Timestamp;
use crate::image::driver::ContainerLayer;
use crate::image::inspect::GraphDriverJson;

/// `docker inspect`'s container object (the fields ferry has).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerJson {
    /// The full id.
    pub id: String,
    /// When it was created.
    pub created: Timestamp,
    /// PID 1's program.
    pub path: String,
    /// PID 1's arguments.
    pub args: Vec<String>,
    /// Where it is in its life.
    pub state: StateJson,
    /// The id (`sha256:…`) of the image it was created from, as Docker reports it (the name as
    /// given is `Config.Image`); empty for a container run from a root filesystem directory.
    pub image: String,
    /// The json-file log.
    pub log_path: PathBuf,
    /// The name, with Docker's leading `/`.
    pub name: String,
    /// How often the restart policy restarted it.
    pub restart_count: u32,
    /// `overlay2` for an image layer, `vfs` for a plain directory.
    pub driver: String,
    /// Always `linux`.
    pub platform: String,
    /// Host-side settings.
    pub host_config: HostConfigJson,
    /// Where its files are.
    pub graph_driver: GraphDriverJson,
    /// Its volumes and bind mounts.
    pub mounts: Vec<MountJson>,
    /// How it was configured.
    pub config: ConfigJson,
    /// Its network namespace.
    pub network_settings: NetworkSettingsJson,
    /// `-s`: bytes in its writable layer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<u64>,
    /// `-s`: its writable layer plus its image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_root_fs: Option<u64>,
}

/// `State`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StateJson {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    pub status: Status,
    /// Docker says running while running, paused or restarting.
    pub running: bool,
    /// Frozen by `pause`.
    pub paused: bool,
    /// Waiting for the restart policy to start it again.
    pub restarting: bool,
    /// The OOM killer ended the last run.
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    /// Its monitor was lost, or removal failed.
    pub dead: bool,
    /// PID 1 as the host sees it (0 when not running): what `nsenter -t` takes.
    pub pid: i32,
    /// The last exit code.
    pub exit_code: i32,
    /// Why the last start failed (or why it is dead).
    pub error: String,
    /// When PID 1 last started.
    pub started_at: Timestamp,
    /// When PID 1 last exited.
    pub finished_at: Timestamp,
}

/// `HostConfig` (the parts ferry implements).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfigJson {
    /// `-v` host paths as `src:dst[:ro]`.
    pub binds: Option<Vec<String>>,
    /// `--network`.
    pub network_mode: String,
    /// `--restart`.
    pub restart_policy: RestartPolicy,
    /// `--rm`.
    pub auto_remove: bool,
    /// `-m` in bytes (0: unlimited).
    pub memory: u64,
    /// `--memory-swap` (0: unset, -1: unlimited).
    pub memory_swap: i64,
    /// `--cpus` in billionths of a CPU.
    pub nano_cpus: u64,
    /// `--cpu-shares` (0: default).
    pub cpu_shares: u64,
    /// `--pids-limit`.
    pub pids_limit: Option<i64>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--cap-add`, as given (`null` when none, as Docker shows it).
    pub cap_add: Option<Vec<String>>,
    /// `--cap-drop`, as given.
    pub cap_drop: Option<Vec<String>>,
    /// `--security-opt`.
    pub security_opt: Option<Vec<String>>,
    /// `--read-only`.
    pub readonly_rootfs: bool,
    /// `--tmpfs`: path → options.
    pub tmpfs: Option<BTreeMap<String, String>>,
    /// `--device`.
    pub devices: Vec<DeviceMapping>,
}

/// One of `Mounts`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountJson {
    /// `bind` or `volume`.
    #[serde(rename = "Type")]
    pub kind: MountKind,
    /// The volume's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The host directory.
    pub source: PathBuf,
    /// The path in the container.
    pub destination: String,
    /// `local` for volumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// The options as given (`ro`, or empty).
    pub mode: String,
    /// Writable.
    #[serde(rename = "RW")]
    pub rw: bool,
    /// Mount propagation.
    pub propagation: String,
}

/// `Config`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigJson {
    /// The host name.
    pub hostname: String,
    /// Always empty.
    pub domainname: String,
    /// `-u`.
    pub user: String,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub open_stdin: bool,
    /// The environment.
    pub env: Vec<String>,
    /// The command.
    pub cmd: Vec<String>,
    /// The image as given.
    pub image: String,
    /// The anonymous volumes' paths.
    pub volumes: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// The working directory.
    pub working_dir: String,
    /// The entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// Labels (none yet).
    pub labels: BTreeMap<String, String>,
}

/// `NetworkSettings`: what issue 6 fills in for bridge networking.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkSettingsJson {
    /// The network namespace file of PID 1 (`/proc/<pid>/ns/net`), empty when not running.
    pub sandbox_key: String,
    /// Published ports: `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}`.
    pub ports: BTreeMap<String, Vec<BTreeMap<String, String>>>,
    /// The container's address on its first network (empty without one).
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    /// Its gateway.
    pub gateway: String,
    /// Its MAC address.
    pub mac_address: String,
    /// The networks it is attached to, by name.
    pub networks: BTreeMap<String, EndpointJson>,
}

/// One of `NetworkSettings.Networks`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointJson {
    /// The address on that network.
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    /// The gateway on that network.
    pub gateway: String,
    /// The MAC address on that network.
    pub mac_address: String,
}

/// Sizes for `inspect -s`, in bytes: the writable layer, and that plus the image.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    /// Bytes in the writable layer.
    pub rw: u64,
    /// `rw` plus the image's size.
    pub root_fs: u64,
}

// ANCHOR: inspect
/// The `docker inspect` object of `container`.
pub fn inspect(container: &Container, sizes: Option<Sizes>) -> ContainerJson {
    let record = &container.record;
    let (config, state) = (&record.config, &record.state);
    let status = state.status;
    let pid = state
        .pid
        .filter(|_| matches!(status, Status::Running | Status::Paused))
        .unwrap_or(0);
    ContainerJson {
        id: record.id.to_string(),
        created: record.created,
        path: config.args.first().cloned().unwrap_or_default(),
        args: config.args.iter().skip(1).cloned().collect(),
        state: StateJson {
            status,
            running: status.is_active(),
            paused: status == Status::Paused,
            restarting: status == Status::Restarting,
            oom_killed: state.oom_killed,
            dead: status == Status::Dead,
            pid,
            exit_code: state.exit_code,
            error: state.error.clone(),
            started_at: state.started_at,
            finished_at: state.finished_at,
        },
        image: image_id(container),
        log_path: container.log_path(),
        name: format!("/{}", record.name),
        restart_count: state.restart_count,
        driver: graph_driver(container).name,
        platform: "linux".into(),
        host_config: host_config(container),
        graph_driver: graph_driver(container),
        mounts: mounts(container),
        config: ConfigJson {
            hostname: config.hostname.clone(),
            domainname: String::new(),
            user: config.user.clone(),
            tty: config.tty,
            open_stdin: config.open_stdin,
            env: config.env.clone(),
            cmd: config.cmd.clone(),
            image: config.image.clone(),
            volumes: anonymous_volumes(container),
            working_dir: config.working_dir.clone(),
            entrypoint: (!config.entrypoint.is_empty()).then(|| config.entrypoint.clone()),
            labels: BTreeMap::new(),
        },
        network_settings: network_settings(container, pid),
        size_rw: sizes.map(|s| s.rw),
        size_root_fs: sizes.map(|s| s.root_fs),
    }
}
// ANCHOR_END: inspect

/// The image id its layer record names (the image may since have lost its name, or be gone).
fn image_id(container: &Container) -> String {
    ContainerLayer::load(&container.dir)
        .map(|layer| layer.image_id)
        .unwrap_or_default()
}

fn host_config(container: &Container) -> HostConfigJson {
    let config = &container.record.config;
    let binds: Vec<String> = config
        .mounts
        .iter()
        .filter(|m| m.kind == MountKind::Bind || !m.anonymous)
        .map(|m| {
            let source = if m.kind == MountKind::Bind {
                m.source.display().to_string()
            } else {
                m.name.clone()
            };
            let ro = if m.read_only { ":ro" } else { "" };
            format!("{source}:{}{ro}", m.destination)
        })
        .collect();
    let limits = &config.limits;
    let security = &config.security;
    let nano_cpus = match (limits.cpu_quota, limits.cpu_period) {
        (Some(quota), Some(period)) if period > 0 => quota * 1_000_000_000 / period,
        _ => 0,
    };
    HostConfigJson {
        binds: (!binds.is_empty()).then_some(binds),
        network_mode: config.network_mode.clone(),
        restart_policy: config.restart_policy,
        auto_remove: config.auto_remove,
        memory: limits.memory.unwrap_or(0),
        memory_swap: limits.memory_swap.unwrap_or(0),
        nano_cpus,
        cpu_shares: limits.cpu_shares.unwrap_or(0),
        pids_limit: limits.pids_limit,
        privileged: security.privileged,
        cap_add: unless_empty(&security.cap_add),
        cap_drop: unless_empty(&security.cap_drop),
        security_opt: unless_empty(&security.security_opt),
        readonly_rootfs: security.readonly_rootfs,
        tmpfs: (!security.tmpfs.is_empty()).then(|| security.tmpfs.clone()),
        devices: security.devices.clone(),
    }
}

/// Docker shows an empty list of flags as `null`.
fn unless_empty(list: &[String]) -> Option<Vec<String>> {
    (!list.is_empty()).then(|| list.to_vec())
}

fn graph_driver(container: &Container) -> GraphDriverJson {
    let path = |p: PathBuf| p.display().to_string();
    match &container.record.config.rootfs {
        RootfsConfig::Image { layers } => GraphDriverJson {
            data: BTreeMap::from([
                (
                    "LowerDir".to_string(),
                    layers
                        .iter()
                        .map(|l| l.display().to_string())
                        .collect::<Vec<_>>()
                        .join(":"),
                ),
                ("MergedDir".to_string(), path(container.merged_dir())),
                ("UpperDir".to_string(), path(container.upper_dir())),
                ("WorkDir".to_string(), path(container.work_dir())),
            ]),
            name: "overlay2".into(),
        },
        RootfsConfig::Directory { path: dir } => GraphDriverJson {
            data: BTreeMap::from([("Dir".to_string(), path(dir.clone()))]),
            name: "vfs".into(),
        },
    }
}

fn mounts(container: &Container) -> Vec<MountJson> {
    container
        .record
        .config
        .mounts
        .iter()
        .map(|m| {
            let volume = m.kind == MountKind::Volume;
            MountJson {
                kind: m.kind,
                name: volume.then(|| m.name.clone()),
                source: m.source.clone(),
                destination: m.destination.clone(),
                driver: volume.then(|| "local".to_string()),
                mode: if m.read_only {
                    "ro".into()
                } else {
                    String::new()
                },
                rw: !m.read_only,
                propagation: if volume {
                    String::new()
                } else {
                    "rprivate".into()
                },
            }
        })
        .collect()
}

fn anonymous_volumes(container: &Container) -> Option<BTreeMap<String, BTreeMap<String, String>>> {
    let volumes: BTreeMap<String, BTreeMap<String, String>> = container
        .record
        .config
        .mounts
        .iter()
        .filter(|m| m.anonymous)
        .map(|m| (m.destination.clone(), BTreeMap::new()))
        .collect();
    (!volumes.is_empty()).then_some(volumes)
}

/// From the container's `network.json` (written by `crate::network` while it runs).
fn network_settings(container: &Container, pid: i32) -> NetworkSettingsJson {
    let attached = crate::network::settings(&container.dir).unwrap_or_default();
    let endpoint = |a: &crate::network::Attachment| EndpointJson {
        ip_address: a.ip_address.to_string(),
        gateway: a.gateway.to_string(),
        mac_address: a.mac_address.clone(),
    };
    let mut networks: BTreeMap<String, EndpointJson> = attached
        .networks
        .iter()
        .map(|a| (a.network.clone(), endpoint(a)))
        .collect();
    if networks.is_empty() {
        let unattached = EndpointJson {
            ip_address: String::new(),
            gateway: String::new(),
            mac_address: String::new(),
        };
        networks.insert(container.record.config.network_mode.clone(), unattached);
    }
    let first = attached.networks.first().map(endpoint);
    NetworkSettingsJson {
        sandbox_key: if pid > 0 {
            format!("/proc/{pid}/ns/net")
        } else {
            String::new()
        },
        ports: attached.inspect_ports(),
        ip_address: first
            .as_ref()
            .map(|e| e.ip_address.clone())
            .unwrap_or_default(),
        gateway: first
            .as_ref()
            .map(|e| e.gateway.clone())
            .unwrap_or_default(),
        mac_address: first.map(|e| e.mac_address).unwrap_or_default(),
        networks,
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::ContainerConfig;
    use super::super::mounts::MountPoint;
    use super::super::{store, StateRoot};
    use super::*;

    #[test]
    fn inspect_has_dockers_shape() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        let mut config = ContainerConfig::for_tests();
        config.args = vec!["sh".into(), "-c".into(), "sleep 5".into()];
        config.mounts = vec![MountPoint {
            kind: MountKind::Bind,
            name: String::new(),
            source: "/opt".into(),
            destination: "/opt".into(),
            read_only: true,
            anonymous: false,
        }];
        let mut container = store::create(&root, Some("web"), |_, _| Ok(config)).unwrap();
        container
            .update(|r| {
                r.state.status = Status::Running;
                r.state.pid = Some(4242);
                Ok(())
            })
            .unwrap();
        let image_id = format!("sha256:{}", "ab".repeat(32));
        let layer = serde_json::json!({
            "ImageId": image_id, "Driver": "overlay", "Layers": [], "Lower": []
        });
        std::fs::write(
            container.dir.join(crate::image::driver::LAYER_FILE),
            layer.to_string(),
        )
        .unwrap();
        let json = serde_json::to_value(inspect(&container, None)).unwrap();
        assert_eq!(json["Image"], image_id.as_str(), "Image is the image's id");
        assert_eq!(
            json["Config"]["Image"], "toolbox",
            "Config.Image is its name"
        );
        assert_eq!(json["Name"], "/web");
        assert_eq!(json["Path"], "sh");
        assert_eq!(json["Args"], serde_json::json!(["-c", "sleep 5"]));
        assert_eq!(json["State"]["Status"], "running");
        assert_eq!(json["State"]["Pid"], 4242);
        assert_eq!(json["State"]["Running"], true);
        assert_eq!(json["State"]["OOMKilled"], false);
        assert_eq!(json["State"]["FinishedAt"], "0001-01-01T00:00:00Z");
        assert_eq!(json["Mounts"][0]["Type"], "bind");
        assert_eq!(json["Mounts"][0]["RW"], false);
        assert_eq!(json["HostConfig"]["Binds"][0], "/opt:/opt:ro");
        assert_eq!(json["HostConfig"]["RestartPolicy"]["Name"], "no");
        assert_eq!(json["NetworkSettings"]["SandboxKey"], "/proc/4242/ns/net");
        assert!(json.get("SizeRw").is_none());
    }
}
