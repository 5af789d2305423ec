//! The flags that choose a container's confinement — `--privileged`, `--cap-add`, `--cap-drop`,
//! `--security-opt`, `--read-only`, `--tmpfs`, `--device` — checked when the container is created
//! and recorded as Docker records them in `HostConfig`; turned into the runtime's
//! [`Security`](crate::runtime::Security) each time it starts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::cgroups::{allow_all, DeviceKind, DeviceRule};
use crate::runtime::seccomp::Profile;
use crate::runtime::{capabilities, CapabilityName, DeviceNode, DeviceType, Security, Tmpfs};
use crate::{Error, Result};

/// The flags as the user gave them.
#[derive(Debug, Clone, Default)]
pub struct SecurityFlags {
    /// `--privileged`.
    pub privileged: bool,
    /// `--cap-add`.
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--security-opt`.
    pub security_opt: Vec<String>,
    /// `--read-only`.
    pub read_only: bool,
    /// `--tmpfs PATH[:OPTIONS]`.
    pub tmpfs: Vec<String>,
    /// `--device HOST[:CONTAINER[:PERMISSIONS]]`.
    pub devices: Vec<String>,
}

/// A `--device`, as `inspect` shows it in `HostConfig.Devices`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceMapping {
    /// The device on the host.
    pub path_on_host: String,
    /// Where it appears in the container.
    pub path_in_container: String,
    /// What the container may do with it: `r`, `w`, `m` (mknod).
    pub cgroup_permissions: String,
}

/// The recorded choice, in Docker's `HostConfig` field names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityConfig {
    /// `--privileged`.
    pub privileged: bool,
    /// `--cap-add`, as given.
    pub cap_add: Vec<String>,
    /// `--cap-drop`, as given.
    pub cap_drop: Vec<String>,
    /// `--security-opt`; a seccomp profile file is recorded by its content (`seccomp={…}`), as
    /// the Docker CLI sends it, so the container does not depend on the file staying there.
    pub security_opt: Vec<String>,
    /// `--read-only`.
    pub readonly_rootfs: bool,
    /// `--tmpfs`: path → options.
    pub tmpfs: BTreeMap<String, String>,
    /// `--device`.
    pub devices: Vec<DeviceMapping>,
}

/// What `--security-opt seccomp=…` chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeccompChoice {
    /// Docker's default profile.
    Default,
    /// `seccomp=unconfined`: no filter.
    Unconfined,
    /// A profile in Docker's format, given as JSON.
    Profile(String),
}

impl SecurityConfig {
    // ANCHOR: parse
    /// Checks every flag before anything is created: unknown capabilities, options, tmpfs
    /// options and devices that are not devices are refused with one line (exit 125).
    pub fn parse(flags: &SecurityFlags) -> Result<SecurityConfig> {
        parse_caps(&flags.cap_add)?;
        parse_caps(&flags.cap_drop)?;
        let security_opt = flags
            .security_opt
            .iter()
            .map(|opt| parse_security_opt(opt))
            .collect::<Result<Vec<_>>>()?;
        let mut tmpfs = BTreeMap::new();
        for flag in &flags.tmpfs {
            let mount = Tmpfs::parse(flag)?;
            tmpfs.insert(mount.destination.display().to_string(), mount.options);
        }
        let devices = flags
            .devices
            .iter()
            .map(|d| parse_device(d))
            .collect::<Result<Vec<_>>>()?;
        Ok(SecurityConfig {
            privileged: flags.privileged,
            cap_add: flags.cap_add.clone(),
            cap_drop: flags.cap_drop.clone(),
            security_opt,
            readonly_rootfs: flags.read_only,
            tmpfs,
            devices,
        })
    }
    // ANCHOR_END: parse

    /// `--security-opt no-new-privileges[=true]`.
    /// (`parse` records the `:true` spelling as `=true`.)
    pub fn no_new_privileges(&self) -> bool {
        self.security_opt
            .iter()
            .any(|opt| matches!(opt.as_str(), "no-new-privileges" | "no-new-privileges=true"))
    }

    /// The seccomp profile in effect. `--privileged` runs unconfined, as in Docker.
    pub fn seccomp(&self) -> SeccompChoice {
        if self.privileged {
            return SeccompChoice::Unconfined;
        }
        let mut choice = SeccompChoice::Default;
        for opt in &self.security_opt {
            if let Some(value) = opt.strip_prefix("seccomp=") {
                choice = match value {
                    "unconfined" => SeccompChoice::Unconfined,
                    json => SeccompChoice::Profile(json.to_string()),
                };
            }
        }
        choice
    }

    // ANCHOR: runtime_security
    /// The runtime's confinement for this container: Docker's default, or everything the engine
    /// holds with `--privileged`, with `--cap-drop` then `--cap-add` applied.
    pub fn security(&self) -> Result<Security> {
        let mut security = if self.privileged {
            Security::privileged()
        } else {
            Security::docker_default()
        };
        security.capabilities = capabilities::resolve(
            &security.capabilities,
            &parse_caps(&self.cap_add)?,
            &parse_caps(&self.cap_drop)?,
        );
        security.no_new_privileges = self.no_new_privileges();
        match self.seccomp() {
            SeccompChoice::Unconfined => Ok(security),
            SeccompChoice::Default => security.with_seccomp(&Profile::docker_default()),
            SeccompChoice::Profile(json) => security.with_seccomp(&Profile::from_json(&json)?),
        }
    }
    // ANCHOR_END: runtime_security

    /// The `--tmpfs` mounts.
    pub fn tmpfs_mounts(&self) -> Result<Vec<Tmpfs>> {
        self.tmpfs
            .iter()
            .map(|(path, options)| match options.as_str() {
                "" => Tmpfs::parse(path),
                options => Tmpfs::parse(&format!("{path}:{options}")),
            })
            .collect()
    }

    // ANCHOR: device_rules
    /// The cgroup's device allow-list: everything with `--privileged`, else Docker's default list
    /// with a rule for each `--device` after it.
    pub fn device_rules(&self) -> Result<Vec<DeviceRule>> {
        if self.privileged {
            return Ok(allow_all());
        }
        let extra = self
            .device_nodes()?
            .into_iter()
            .map(|(node, access)| DeviceRule {
                allow: true,
                kind: match node.kind {
                    DeviceType::Char => DeviceKind::Char,
                    DeviceType::Block => DeviceKind::Block,
                },
                major: Some(node.major as u32),
                minor: Some(node.minor as u32),
                access,
            })
            .collect::<Vec<_>>();
        Ok(super::cgroup::device_rules(&extra))
    }
    // ANCHOR_END: device_rules

    /// The device nodes to create: every host device with `--privileged`, else the `--device`s
    /// (each with its cgroup permissions).
    pub fn device_nodes(&self) -> Result<Vec<(DeviceNode, String)>> {
        if self.privileged {
            return Ok(DeviceNode::all_on_host()
                .into_iter()
                .map(|node| (node, "rwm".to_string()))
                .collect());
        }
        self.devices
            .iter()
            .map(|d| {
                let node =
                    DeviceNode::from_host(d.path_on_host.as_ref(), d.path_in_container.as_ref())?;
                Ok((node, d.cgroup_permissions.clone()))
            })
            .collect()
    }
}

fn parse_caps(names: &[String]) -> Result<Vec<CapabilityName>> {
    names
        .iter()
        .map(|n| n.parse::<CapabilityName>().map_err(Error::InvalidArgument))
        .collect()
}

/// Checks one `--security-opt` and returns what to record.
fn parse_security_opt(opt: &str) -> Result<String> {
    let invalid = || Error::InvalidArgument(format!("invalid --security-opt: {opt:?}"));
    let (key, value) = match opt.split_once(['=', ':']) {
        Some((key, value)) => (key, Some(value)),
        None => (opt, None),
    };
    match (key, value) {
        ("no-new-privileges", None) => Ok(opt.to_string()),
        ("no-new-privileges", Some("true" | "false")) => {
            Ok(format!("no-new-privileges={}", value.unwrap_or_default()))
        }
        ("seccomp", Some("unconfined")) => Ok("seccomp=unconfined".into()),
        ("seccomp", Some(path)) if !path.is_empty() => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::InvalidArgument(format!(
                    "opening seccomp profile ({path}) failed: {}",
                    e.kind().to_string().to_lowercase()
                ))
            })?;
            let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                Error::InvalidArgument(format!("decoding seccomp profile ({path}) failed: {e}"))
            })?;
            Profile::from_json(&text)?;
            Ok(format!("seccomp={json}"))
        }
        // There is no AppArmor or SELinux on the hosts ferry supports; Docker accepts these there
        // and so does ferry, recording them without effect.
        ("apparmor" | "label", Some(_)) => Ok(opt.to_string()),
        _ => Err(invalid()),
    }
}

/// Parses `--device HOST[:CONTAINER[:PERMISSIONS]]` and checks the host device now.
fn parse_device(flag: &str) -> Result<DeviceMapping> {
    let parts: Vec<&str> = flag.split(':').collect();
    let (host, container, permissions) = match parts[..] {
        [host] => (host, host, "rwm"),
        [host, perms] if is_permissions(perms) => (host, host, perms),
        [host, container] => (host, container, "rwm"),
        [host, container, perms] => (host, container, perms),
        _ => {
            return Err(Error::InvalidArgument(format!(
                "invalid device specification: {flag}"
            )))
        }
    };
    if !is_permissions(permissions) || !host.starts_with('/') || !container.starts_with('/') {
        return Err(Error::InvalidArgument(format!(
            "invalid device specification: {flag}"
        )));
    }
    DeviceNode::from_host(host.as_ref(), PathBuf::from(container).as_path())?;
    Ok(DeviceMapping {
        path_on_host: host.to_string(),
        path_in_container: container.to_string(),
        cgroup_permissions: permissions.to_string(),
    })
}

fn is_permissions(text: &str) -> bool {
    !text.is_empty() && text.len() <= 3 && text.chars().all(|c| "rwm".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> SecurityFlags {
        SecurityFlags::default()
    }

    #[test]
    fn the_default_is_dockers_confinement() {
        let config = SecurityConfig::parse(&flags()).unwrap();
        let security = config.security().unwrap();
        assert_eq!(security.capabilities.hex(), "00000000a80425fb");
        assert!(!security.no_new_privileges);
        assert_eq!(config.seccomp(), SeccompChoice::Default);
    }

    #[test]
    fn cap_flags_and_no_new_privileges_are_applied() {
        let config = SecurityConfig::parse(&SecurityFlags {
            cap_drop: vec!["ALL".into()],
            cap_add: vec!["net_bind_service".into()],
            security_opt: vec!["no-new-privileges".into(), "seccomp=unconfined".into()],
            ..flags()
        })
        .unwrap();
        let security = config.security().unwrap();
        assert_eq!(security.capabilities.names(), ["CAP_NET_BIND_SERVICE"]);
        assert!(security.no_new_privileges);
        assert_eq!(config.seccomp(), SeccompChoice::Unconfined);
        let colon = SecurityConfig::parse(&SecurityFlags {
            security_opt: vec!["no-new-privileges:true".into()],
            ..flags()
        })
        .unwrap();
        assert!(
            colon.security().unwrap().no_new_privileges,
            "Docker's old spelling"
        );
    }

    #[test]
    fn bad_values_are_refused_in_one_line() {
        let cases = [
            SecurityFlags {
                cap_add: vec!["NOPE".into()],
                ..flags()
            },
            SecurityFlags {
                security_opt: vec!["bogus".into()],
                ..flags()
            },
            SecurityFlags {
                security_opt: vec!["seccomp=/nonexistent.json".into()],
                ..flags()
            },
            SecurityFlags {
                devices: vec!["/nonexistent".into()],
                ..flags()
            },
            SecurityFlags {
                devices: vec!["/dev/null:/dev/x:rwx".into()],
                ..flags()
            },
            SecurityFlags {
                tmpfs: vec!["relative".into()],
                ..flags()
            },
        ];
        for case in cases {
            let err = SecurityConfig::parse(&case).unwrap_err();
            assert_eq!(err.exit_code(), 125, "{case:?}");
            assert!(!err.to_string().contains('\n'), "{err}");
        }
    }

    #[test]
    fn a_seccomp_profile_file_is_recorded_by_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n").unwrap();
        let config = SecurityConfig::parse(&SecurityFlags {
            security_opt: vec![format!("seccomp={}", path.display())],
            ..flags()
        })
        .unwrap();
        assert_eq!(
            config.security_opt,
            [r#"seccomp={"defaultAction":"SCMP_ACT_ALLOW"}"#]
        );
    }

    #[test]
    fn devices_default_to_the_same_path_and_rwm() {
        let config = SecurityConfig::parse(&SecurityFlags {
            devices: vec!["/dev/null".into(), "/dev/zero:/dev/z:r".into()],
            ..flags()
        })
        .unwrap();
        assert_eq!(config.devices[0].path_in_container, "/dev/null");
        assert_eq!(config.devices[0].cgroup_permissions, "rwm");
        assert_eq!(config.devices[1].path_in_container, "/dev/z");
        assert_eq!(config.devices[1].cgroup_permissions, "r");
    }
}
