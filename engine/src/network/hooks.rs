//! Where a container's life meets its network: checking `--network` and `-p` when the container
//! is created, choosing the runtime's [`NetworkMode`] when it starts, attaching it while its first
//! process is held, and detaching it when that process has exited or the container is removed.
//!
//! `--network` is recorded normalised, as Docker records `HostConfig.NetworkMode`: `bridge`,
//! `host`, `none`, a network name, or `container:<full id>` (the target is resolved once, when
//! the container is created).

use std::net::Ipv4Addr;

use super::endpoint::{attach, detach, peers, NetworkRequest};
use super::etc_files::EtcFiles;
use super::links;
use super::ports::PortMapping;
use super::store::{NetworkStore, DEFAULT_NETWORK};
use crate::container::{store, Container, ContainerId, StateRoot, Status};
use crate::runtime::NetworkMode;
use crate::{Error, Result};

/// What a `--network` value asks for, before any name is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeRequest<'a> {
    /// `none`.
    None,
    /// `host`.
    Host,
    /// `bridge` (the default network) or the name of a user-defined network.
    Network(&'a str),
    /// `container:NAME`.
    Container(&'a str),
}

/// Parses a `--network` value.
pub fn parse_mode(text: &str) -> Result<ModeRequest<'_>> {
    match text {
        "none" => Ok(ModeRequest::None),
        "host" => Ok(ModeRequest::Host),
        "" | "default" => Ok(ModeRequest::Network(DEFAULT_NETWORK)),
        _ => match text.strip_prefix("container:") {
            Some("") => Err(Error::InvalidArgument(
                "invalid container format container:<name|id>".into(),
            )),
            Some(target) => Ok(ModeRequest::Container(target)),
            None => Ok(ModeRequest::Network(text)),
        },
    }
}

// ANCHOR: normalize
/// Checks `--network` and `-p` together when a container is created, before anything exists, and
/// returns the mode to record. Refused: a network that does not exist, a `container:` target that
/// is not running, ports published into another container's network namespace.
pub fn normalize_mode(root: &StateRoot, text: &str, published: &[PortMapping]) -> Result<String> {
    match parse_mode(text)? {
        ModeRequest::None => Ok("none".into()),
        ModeRequest::Host => {
            if !published.is_empty() {
                eprintln!("WARNING: Published ports are discarded when using host network mode");
            }
            Ok("host".into())
        }
        ModeRequest::Network(name) => {
            let store = NetworkStore::new(root.path());
            let network = store.get(&store.lock()?, name)?;
            Ok(network.name)
        }
        ModeRequest::Container(target) => {
            if !published.is_empty() {
                return Err(Error::InvalidArgument(
                    "conflicting options: port publishing and the container type network mode"
                        .into(),
                ));
            }
            let target = store::find(root, target)?;
            running_pid(&target)?;
            Ok(format!("container:{}", target.id()))
        }
    }
}
// ANCHOR_END: normalize

/// The runtime's network mode for a container about to start; `container:<id>` becomes the PID 1
/// of that container, which must be running now.
pub fn runtime_mode(container: &Container) -> Result<NetworkMode> {
    match parse_mode(&container.record.config.network_mode)? {
        ModeRequest::None => Ok(NetworkMode::None),
        ModeRequest::Host => Ok(NetworkMode::Host),
        ModeRequest::Network(name) => Ok(NetworkMode::Bridge(name.to_string())),
        ModeRequest::Container(id) => {
            // Containers are siblings under <root>/containers, and the target is recorded by id.
            let id = ContainerId::parse(id)?;
            let target = Container::load(&container.dir.with_file_name(id.as_str()))
                .map_err(|_| Error::NoSuchContainer(id.to_string()))?;
            Ok(NetworkMode::Container(running_pid(&target)?))
        }
    }
}

fn running_pid(target: &Container) -> Result<i32> {
    match (target.status(), target.record.state.pid) {
        (Status::Running, Some(pid)) => Ok(pid),
        _ => Err(Error::InvalidArgument(format!(
            "cannot join network of a non running container: {}",
            target.name()
        ))),
    }
}

// ANCHOR: prepare
/// The network part of the `prepare(pid)` hook: with a bridge network, attach the held PID 1
/// (veth, address, route, published ports); in every mode, write its /etc/hostname, /etc/hosts
/// and /etc/resolv.conf into its own directory — before the held child mounts them.
pub fn attach_container(root: &StateRoot, container: &Container, pid: i32) -> Result<()> {
    let config = &container.record.config;
    let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let files = match runtime_mode(container)? {
        NetworkMode::Bridge(network) => {
            let mut aliases = vec![config.hostname.clone()];
            if container.name() != config.hostname {
                aliases.push(container.name().to_string());
            }
            let request = NetworkRequest {
                network: network.clone(),
                ports: config.published.clone(),
                aliases,
            };
            // Links first: a linked container that is not running refuses the start before
            // anything is attached.
            let linked = links::link_hosts(root, &config.links, &network, container.name())?;
            let attachment = attach(root, container.id(), pid, &request)?;
            let mut peers = peers(root, &network, container.id())?;
            peers.extend(linked);
            EtcFiles::for_container(
                &config.hostname,
                Some(attachment.ip_address),
                &peers,
                &host_resolv,
            )
        }
        NetworkMode::Host => {
            let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
            EtcFiles::for_host_network(&config.hostname, &hosts, &host_resolv)
        }
        NetworkMode::None | NetworkMode::Container(_) => {
            EtcFiles::for_container(&config.hostname, None::<Ipv4Addr>, &[], &host_resolv)
        }
    };
    if let Some(dir) = container.etc_files_dir() {
        files.write(dir)?;
    }
    Ok(())
}
// ANCHOR_END: prepare

/// Undoes [`attach_container`]'s network part (safe to call when there is nothing to undo).
pub fn detach_container(root: &StateRoot, id: &ContainerId) -> Result<()> {
    Ok(detach(root, id)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_values_parse_into_modes() {
        assert_eq!(parse_mode("none").unwrap(), ModeRequest::None);
        assert_eq!(parse_mode("host").unwrap(), ModeRequest::Host);
        assert_eq!(
            parse_mode("bridge").unwrap(),
            ModeRequest::Network("bridge")
        );
        assert_eq!(parse_mode("mynet").unwrap(), ModeRequest::Network("mynet"));
        assert_eq!(
            parse_mode("container:web").unwrap(),
            ModeRequest::Container("web")
        );
        assert!(parse_mode("container:").is_err());
    }

    #[test]
    fn an_unknown_network_is_refused_at_create() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        let err = normalize_mode(&root, "nosuch", &[]).unwrap_err();
        assert_eq!(err.to_string(), "network nosuch not found");
        assert_eq!(normalize_mode(&root, "bridge", &[]).unwrap(), "bridge");
    }

    #[test]
    fn publishing_into_another_containers_network_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        let ports = [crate::network::parse_publish("8080:80").unwrap()];
        let err = normalize_mode(&root, "container:web", &ports).unwrap_err();
        assert!(
            err.to_string()
                .contains("port publishing and the container type network mode"),
            "{err}"
        );
    }
}
