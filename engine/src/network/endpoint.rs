//! Attaching a container to a bridge network, and detaching it.
//!
//! [`attach`] runs in the engine while the container's first process is held in its new network
//! namespace. Everything that can be refused (no address left, a taken host port) is decided
//! first, from files under the state root and before any link or rule exists; then the kernel work
//! happens, and a failure there undoes what was done. What was attached is saved in the
//! container's directory as `network.json`, which `ps`, `inspect` and `port` read and which
//! [`detach`] uses to remove exactly what was added.

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{NetworkError, Result};
use super::ipam;
use super::iptables;
use super::netlink::{mac_for, mac_text, Netlink};
use super::ports::PortMapping;
use super::store::{host_lock, HostLock, Network, NetworkStore, DEFAULT_NETWORK};
use crate::container::{ContainerId, StateRoot};

/// The file in a container's directory that records its attachments.
const SETTINGS_FILE: &str = "network.json";

/// What a container asks of one network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRequest {
    /// The network's name or id (`bridge` is the default network).
    pub network: String,
    /// The ports to publish (`host_port` 0 picks a free one).
    pub ports: Vec<PortMapping>,
    /// Names other containers on a user-defined network may use for it (its name, hostname).
    pub aliases: Vec<String>,
}

impl NetworkRequest {
    /// A request for the default network with nothing published.
    pub fn default_bridge() -> Self {
        Self {
            network: DEFAULT_NETWORK.into(),
            ports: Vec::new(),
            aliases: Vec::new(),
        }
    }
}

/// One network a container is attached to, as `network.json` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attachment {
    /// The network's name.
    pub network: String,
    /// The network's id.
    pub network_id: String,
    /// The network's bridge device.
    pub bridge: String,
    /// The host end of the veth pair (a port of the bridge).
    pub host_veth: String,
    /// The container end's name inside the container (`eth0`, `eth1`…).
    pub interface: String,
    /// The container's address on this network.
    #[serde(rename = "IPAddress")]
    pub ip_address: Ipv4Addr,
    /// The subnet's prefix length.
    #[serde(rename = "IPPrefixLen")]
    pub prefix_len: u8,
    /// The bridge's address.
    pub gateway: Ipv4Addr,
    /// The container end's MAC address.
    pub mac_address: String,
    /// The published ports, with their host ports.
    pub ports: Vec<PortMapping>,
    /// Names other containers on the network resolve to this address.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Every network a container is attached to (the content of `network.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkSettings {
    /// In the order they were attached: the first one holds the default route.
    pub networks: Vec<Attachment>,
}

impl NetworkSettings {
    /// Every published port of the container, over all its networks.
    pub fn ports(&self) -> impl Iterator<Item = &PortMapping> {
        self.networks.iter().flat_map(|a| a.ports.iter())
    }

    /// The PORTS column of `ps`: `0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp`.
    pub fn ps_ports(&self) -> String {
        let shown: Vec<String> = self
            .ports()
            .map(|p| {
                format!(
                    "{}:{}->{}/{}",
                    p.host_ip_or_any(),
                    p.host_port,
                    p.container_port,
                    p.protocol
                )
            })
            .collect();
        shown.join(", ")
    }

    /// `inspect`'s `NetworkSettings.Ports`: `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}`.
    pub fn inspect_ports(&self) -> BTreeMap<String, Vec<BTreeMap<String, String>>> {
        let mut ports: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
        for p in self.ports() {
            let binding = BTreeMap::from([
                ("HostIp".to_string(), p.host_ip_or_any().to_string()),
                ("HostPort".to_string(), p.host_port.to_string()),
            ]);
            ports
                .entry(format!("{}/{}", p.container_port, p.protocol))
                .or_default()
                .push(binding);
        }
        ports
    }
}

/// Reads a container's `network.json` (empty settings when it has none).
pub fn settings(container_dir: &Path) -> Result<NetworkSettings> {
    let path = container_dir.join(SETTINGS_FILE);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| NetworkError::Corrupt {
            path,
            message: e.to_string(),
        }),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(NetworkSettings::default()),
        Err(e) => Err(NetworkError::io("read", &path)(e)),
    }
}

fn save_settings(container_dir: &Path, settings: &NetworkSettings) -> Result<()> {
    let path = container_dir.join(SETTINGS_FILE);
    let tmp = container_dir.join(".network.json.tmp");
    let json = serde_json::to_vec_pretty(settings).expect("network settings serialize");
    fs::write(&tmp, json)
        .and_then(|()| fs::rename(&tmp, &path))
        .map_err(NetworkError::io("write", &path))
}

// ANCHOR: attach
/// Attaches the container `id`, whose first process is `pid` (held in its own network namespace),
/// to `request.network`: address, ports, veth pair, rules. Returns what was attached; it is also
/// added to the container's `network.json`.
pub fn attach(
    root: &StateRoot,
    id: &ContainerId,
    pid: i32,
    request: &NetworkRequest,
) -> Result<Attachment> {
    let store = NetworkStore::new(root.path());
    let container_dir = root.container_dir(id);
    let mut settings = settings(&container_dir)?;
    let owner = id.as_str();
    // 1. Decide, under the store lock: the network, an address, the host ports. Nothing exists
    //    in the kernel yet, so a refusal here leaves nothing behind.
    let lock = store.lock()?;
    let network = store.get(&lock, &request.network)?;
    if settings.networks.iter().any(|a| a.network_id == network.id) {
        return Err(NetworkError::Invalid(format!(
            "endpoint with name {} already exists in network {}",
            id.short(),
            network.name
        )));
    }
    let leases = store.leases_dir(&network);
    let ip = ipam::allocate_ip(&lock, &leases, &network.subnet, &network.name, owner)?;
    let ports = match ipam::reserve_ports(&lock, &store.ports_dir(), &request.ports, owner) {
        Ok(ports) => ports,
        Err(e) => {
            ipam::release_ip(&leases, ip, owner)?;
            return Err(e);
        }
    };
    drop(lock);
    let attachment = Attachment {
        network: network.name.clone(),
        network_id: network.id.clone(),
        bridge: network.bridge.clone(),
        host_veth: veth_name(id, &network),
        interface: format!("eth{}", settings.networks.len()),
        ip_address: ip,
        prefix_len: network.subnet.prefix(),
        gateway: network.gateway,
        mac_address: mac_text(&mac_for(ip)),
        ports,
        aliases: request.aliases.clone(),
    };
    // 2. Under the host lock (bridges and rules are shared by every ferry on the machine): the
    //    network's bridge and rules if missing, then the container's veth pair and port rules.
    let wired = host_lock().and_then(|host| {
        ensure_network(&host, &network)?;
        wire(&attachment, pid)?;
        iptables::publish(&attachment.bridge, ip, &attachment.ports)
    });
    if let Err(e) = wired {
        let _ = release(&store, &attachment, owner);
        return Err(e);
    }
    settings.networks.push(attachment.clone());
    save_settings(&container_dir, &settings)?;
    Ok(attachment)
}
// ANCHOR_END: attach

/// Creates the network's bridge (with the gateway address) and its iptables rules if missing.
pub(super) fn ensure_network(_host: &HostLock, network: &Network) -> Result<()> {
    Netlink::current()?.ensure_bridge(&network.bridge, network.gateway, network.subnet.prefix())?;
    iptables::install_network(&network.bridge, &network.subnet)
}

// ANCHOR: wire
/// The seeds' none-mode script, done with netlink: a veth pair, one end on the bridge, the other
/// moved into the container's namespace, renamed, addressed and given the default route.
fn wire(attachment: &Attachment, pid: i32) -> Result<()> {
    let host = Netlink::current()?;
    let peer = format!("ctr{}", &attachment.host_veth[4..]); // a temporary, unique name
    host.create_veth(&attachment.host_veth, &peer)?; //          ip link add vethX type veth peer name ctrX
    let bridge = host.require_link(&attachment.bridge)?;
    let host_end = host.require_link(&attachment.host_veth)?;
    let container_end = host.require_link(&peer)?;
    host.set_mac(container_end.index, mac_for(attachment.ip_address), &peer)?;
    host.plug_into_bridge(host_end.index, bridge.index, &attachment.host_veth)?; // brctl addif; ip link set vethX up
    host.move_to_netns_of(container_end.index, pid, &peer)?; //  ip link set ctrX netns PID

    let inside = Netlink::in_netns_of(pid)?; //                  ip netns exec PID …
    let end = inside.require_link(&peer)?;
    inside.rename(end.index, &attachment.interface)?; //          ip link set dev ctrX name eth0
    inside.add_address(end.index, attachment.ip_address, attachment.prefix_len)?; // ip addr add IP/N dev eth0
    inside.set_up(end.index, &attachment.interface)?; //          ip link set eth0 up
    let lo = inside.require_link("lo")?;
    inside.set_up(lo.index, "lo")?;
    if attachment.interface == "eth0" {
        inside.add_default_route(attachment.gateway)?; //         ip route add default via GATEWAY
    }
    Ok(())
}
// ANCHOR_END: wire

/// Detaches container `id` from every network: its published-port rules, its veth pair, its
/// address and ports. Safe to call twice, and when the container never had a network.
pub fn detach(root: &StateRoot, id: &ContainerId) -> Result<()> {
    let container_dir = root.container_dir(id);
    let settings = settings(&container_dir)?;
    let store = NetworkStore::new(root.path());
    let mut first_error = None;
    for attachment in &settings.networks {
        if let Err(e) = release(&store, attachment, id.as_str()) {
            first_error.get_or_insert(e);
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    match fs::remove_file(container_dir.join(SETTINGS_FILE)) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(NetworkError::io(
            "remove",
            container_dir.join(SETTINGS_FILE),
        )(e)),
        _ => Ok(()),
    }
}

/// Detaches container `id` from one network (`ferry network disconnect`).
pub fn disconnect(root: &StateRoot, id: &ContainerId, network: &str) -> Result<()> {
    let container_dir = root.container_dir(id);
    let mut settings = settings(&container_dir)?;
    let store = NetworkStore::new(root.path());
    let target = {
        let lock = store.lock()?;
        store.get(&lock, network)?
    };
    let Some(position) = settings
        .networks
        .iter()
        .position(|a| a.network_id == target.id)
    else {
        return Err(NetworkError::Invalid(format!(
            "container {} is not connected to network {}",
            id.short(),
            target.name
        )));
    };
    let attachment = settings.networks.remove(position);
    release(&store, &attachment, id.as_str())?;
    save_settings(&container_dir, &settings)
}

// ANCHOR: release
/// Undoes one attachment: rules, veth pair (deleting the host end deletes both), leases; and once
/// the default bridge has no port left, the bridge and its rules too — ferry has no daemon to
/// keep `ferry0` for, so a host without containers carries no trace of it.
fn release(store: &NetworkStore, attachment: &Attachment, owner: &str) -> Result<()> {
    let unwired = host_lock().and_then(|_host| {
        let rules =
            iptables::unpublish(&attachment.bridge, attachment.ip_address, &attachment.ports);
        let link = Netlink::current()
            .and_then(|netlink| netlink.delete_link(&attachment.host_veth).map(|_| ()));
        rules.and(link)
    });
    let lock = store.lock()?;
    let network = store
        .get(&lock, &attachment.network)
        .ok()
        .filter(|n| n.id == attachment.network_id);
    if let Some(network) = &network {
        ipam::release_ip(&store.leases_dir(network), attachment.ip_address, owner)?;
    }
    ipam::release_ports(&store.ports_dir(), &attachment.ports, owner)?;
    drop(lock);
    unwired?;
    match network {
        Some(network) if network.name == DEFAULT_NETWORK => remove_if_unused(&network),
        _ => Ok(()),
    }
}
// ANCHOR_END: release

/// Removes a network's bridge and rules if no veth is plugged into the bridge any more (checked
/// in the kernel, so a container of another state root on the same bridge keeps it alive).
fn remove_if_unused(network: &Network) -> Result<()> {
    let host = host_lock()?;
    let netlink = Netlink::current()?;
    let Some(bridge) = netlink.link(&network.bridge)? else {
        return Ok(());
    };
    if netlink
        .links()?
        .iter()
        .any(|l| l.controller == Some(bridge.index))
    {
        return Ok(());
    }
    teardown(&host, network)
}

/// Deletes a network's rules and bridge, and ferry's chains once no rule is left in them.
pub(super) fn teardown(_host: &HostLock, network: &Network) -> Result<()> {
    iptables::remove_network(&network.bridge, &network.subnet)?;
    Netlink::current()?.delete_link(&network.bridge)?;
    iptables::remove_chains_if_unused()
}

/// The names other containers on `network` answer to, for the new container's /etc/hosts:
/// Docker resolves container names on user-defined networks (not on the default bridge).
pub fn peers(
    root: &StateRoot,
    network: &str,
    except: &ContainerId,
) -> Result<Vec<(Ipv4Addr, String)>> {
    if network == DEFAULT_NETWORK {
        return Ok(Vec::new());
    }
    let store = NetworkStore::new(root.path());
    let network = {
        let lock = store.lock()?;
        store.get(&lock, network)?
    };
    let mut peers = Vec::new();
    for (_, owner) in ipam::leases(&store.leases_dir(&network))? {
        let Ok(peer) = ContainerId::parse(&owner) else {
            continue;
        };
        if &peer == except {
            continue;
        }
        let peer_settings = settings(&root.container_dir(&peer))?;
        for attachment in peer_settings
            .networks
            .iter()
            .filter(|a| a.network_id == network.id)
        {
            peers.extend(
                attachment
                    .aliases
                    .iter()
                    .map(|alias| (attachment.ip_address, alias.clone())),
            );
        }
    }
    Ok(peers)
}

/// The host end's name: `veth` and 7 hex digits of a hash of container and network, as Docker's
/// `veth1a2b3c4` (unique per attachment, and found again from the same two ids).
fn veth_name(id: &ContainerId, network: &Network) -> String {
    let digest = Sha256::digest(format!("{}/{}", id.as_str(), network.id));
    format!("veth{}", &hex::encode(digest)[..7])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn veth_names_fit_ifnamsiz_and_differ_per_network() {
        let id = ContainerId::random().unwrap();
        let net = |nid: &str| Network {
            name: "n".into(),
            id: nid.into(),
            driver: "bridge".into(),
            bridge: "ferry0".into(),
            subnet: "10.77.0.0/16".parse().unwrap(),
            gateway: Ipv4Addr::new(10, 77, 0, 1),
        };
        let a = veth_name(&id, &net("a"));
        assert!(a.starts_with("veth") && a.len() == 11, "{a}");
        assert_eq!(a, veth_name(&id, &net("a")));
        assert_ne!(a, veth_name(&id, &net("b")));
    }

    #[test]
    fn settings_round_trip_and_a_missing_file_means_no_networks() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(settings(dir.path()).unwrap(), NetworkSettings::default());
        let attachment = Attachment {
            network: "bridge".into(),
            network_id: "1".repeat(64),
            bridge: "ferry0".into(),
            host_veth: "veth1234567".into(),
            interface: "eth0".into(),
            ip_address: Ipv4Addr::new(10, 77, 0, 2),
            prefix_len: 16,
            gateway: Ipv4Addr::new(10, 77, 0, 1),
            mac_address: "02:42:0a:4d:00:02".into(),
            ports: vec![crate::network::parse_publish("8080:80").unwrap()],
            aliases: vec![],
        };
        let saved = NetworkSettings {
            networks: vec![attachment],
        };
        save_settings(dir.path(), &saved).unwrap();
        let text = fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains("\"IPAddress\": \"10.77.0.2\""), "{text}");
        assert_eq!(settings(dir.path()).unwrap(), saved);
        assert_eq!(saved.ports().count(), 1);
        assert_eq!(saved.ps_ports(), "0.0.0.0:8080->80/tcp");
        assert_eq!(
            serde_json::to_string(&saved.inspect_ports()).unwrap(),
            r#"{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}"#
        );
    }
}
