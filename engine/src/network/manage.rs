//! `ferry network create|rm|ls|inspect`: user-defined bridge networks.
//!
//! Creating a network defines it and creates its bridge and rules at once, as Docker does;
//! removing it is refused while a container is attached.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::endpoint::{ensure_network, teardown};
use super::error::Result;
use super::ipam;
use super::netlink::{mac_for, mac_text};
use super::store::{host_lock, Network, NetworkStore, DEFAULT_NETWORK};
use super::subnet::Subnet;
use crate::container::StateRoot;

/// `ferry network create NAME [--subnet CIDR]`: defines the network and creates its bridge.
pub fn create_network(root: &StateRoot, name: &str, subnet: Option<Subnet>) -> Result<Network> {
    let store = NetworkStore::new(root.path());
    let lock = store.lock()?;
    let network = store.create(&lock, name, subnet)?;
    let host = host_lock()?;
    if let Err(e) = ensure_network(&host, &network) {
        let _ = teardown(&host, &network);
        let _ = store.remove(&lock, &network);
        return Err(e);
    }
    Ok(network)
}

/// `ferry network rm NAME`: refused for the default network and while containers are attached;
/// otherwise removes its rules, its bridge and its definition.
pub fn remove_network(root: &StateRoot, name: &str) -> Result<Network> {
    let store = NetworkStore::new(root.path());
    let lock = store.lock()?;
    let network = store.get(&lock, name)?;
    store.check_removable(&network)?;
    teardown(&host_lock()?, &network)?;
    store.remove(&lock, &network)?;
    Ok(network)
}

/// `ferry network ls`: every network, the default one included.
pub fn list_networks(root: &StateRoot) -> Result<Vec<Network>> {
    let store = NetworkStore::new(root.path());
    let lock = store.lock()?;
    store.get(&lock, DEFAULT_NETWORK)?;
    store.list()
}

/// `ferry network inspect`'s JSON, shaped like Docker's.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInspect {
    /// The name.
    pub name: String,
    /// The id.
    pub id: String,
    /// `bridge`.
    pub driver: String,
    /// `{"Config": [{"Subnet": …, "Gateway": …}]}`.
    #[serde(rename = "IPAM")]
    pub ipam: IpamInspect,
    /// The attached containers by id.
    pub containers: std::collections::BTreeMap<String, EndpointInspect>,
    /// `com.docker.network.bridge.name` and friends.
    pub options: std::collections::BTreeMap<String, String>,
}

/// The IPAM part of [`NetworkInspect`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpamInspect {
    /// The address pools: ferry has one per network.
    pub config: Vec<PoolInspect>,
}

/// One address pool.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PoolInspect {
    /// CIDR.
    pub subnet: String,
    /// The bridge address.
    pub gateway: String,
}

/// One attached container in [`NetworkInspect`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointInspect {
    /// Its MAC address.
    pub mac_address: String,
    /// `IP/prefix`.
    #[serde(rename = "IPv4Address")]
    pub ipv4_address: String,
}

/// `ferry network inspect NAME`.
pub fn inspect_network(root: &StateRoot, name: &str) -> Result<NetworkInspect> {
    let store = NetworkStore::new(root.path());
    let network = {
        let lock = store.lock()?;
        store.get(&lock, name)?
    };
    let prefix = network.subnet.prefix();
    let endpoint = |ip: Ipv4Addr| EndpointInspect {
        mac_address: mac_text(&mac_for(ip)),
        ipv4_address: format!("{ip}/{prefix}"),
    };
    let containers = ipam::leases(&store.leases_dir(&network))?
        .into_iter()
        .map(|(ip, owner)| (owner, endpoint(ip)))
        .collect();
    let options = [
        (
            "com.docker.network.bridge.name".to_string(),
            network.bridge.clone(),
        ),
        (
            "com.docker.network.bridge.enable_ip_masquerade".to_string(),
            "true".to_string(),
        ),
    ]
    .into_iter()
    .collect();
    Ok(NetworkInspect {
        name: network.name.clone(),
        id: network.id.clone(),
        driver: network.driver.clone(),
        ipam: IpamInspect {
            config: vec![PoolInspect {
                subnet: network.subnet.to_string(),
                gateway: network.gateway.to_string(),
            }],
        },
        containers,
        options,
    })
}
