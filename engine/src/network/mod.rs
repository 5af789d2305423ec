//! Container networking: what Docker's bridge driver does, one kernel object at a time.
//!
//! A container on a bridge network gets a veth pair: one end (`veth<hash>`) is a port of the
//! network's Linux bridge on the host, the other is moved into the container's network namespace
//! and renamed `eth0`, with an address from the network's subnet and a default route via the
//! bridge. Published ports are DNAT rules, outbound traffic is MASQUERADEd (see [`iptables`]).
//!
//! | module | what it owns |
//! |---|---|
//! | [`subnet`] | CIDR arithmetic: gateway, container addresses, overlaps |
//! | [`ports`] | `-p` / `--expose` parsing and the mapping type |
//! | [`store`] | network definitions under the state root, and the lock |
//! | `ipam` | address and host-port leases (never one twice, freed on removal) |
//! | [`netlink`] | bridges, veths, addresses, routes (rtnetlink on a current-thread runtime) |
//! | [`iptables`] | ferry's nat and filter chains |
//! | [`etc_files`] | the container's /etc/hostname, /etc/hosts, /etc/resolv.conf |
//! | `endpoint` | attaching a held container to a network and detaching it |
//! | `manage` | `ferry network create|rm|ls|inspect` |
//! | [`hooks`] | a container's `--network` checked at create, attached at start, detached at exit |
//! | [`links`] | `--link NAME:ALIAS`: the linked container's address in /etc/hosts |
//!
//! Everything runs in the engine, never in a cloned child: `runtime::spawn`'s `prepare(pid)` hook
//! calls [`attach`] (through [`hooks::attach_container`]) while the child waits, and the container's
//! exit or removal calls [`detach`].

mod endpoint;
pub mod error;
pub mod etc_files;
pub mod hooks;
mod ipam;
pub mod iptables;
pub mod links;
mod manage;
pub mod netlink;
pub mod ports;
pub mod store;
pub mod subnet;

pub use endpoint::{
    attach, detach, disconnect, peers, settings, Attachment, NetworkRequest, NetworkSettings,
};
pub use error::NetworkError;
pub use etc_files::EtcFiles;
pub use manage::{create_network, inspect_network, list_networks, remove_network, NetworkInspect};
pub use ports::{parse_expose, parse_publish, PortMapping, Protocol};
pub use store::{Network, NetworkStore, DEFAULT_BRIDGE, DEFAULT_NETWORK, DEFAULT_SUBNET};
pub use subnet::Subnet;

impl From<NetworkError> for crate::Error {
    fn from(e: NetworkError) -> Self {
        match e {
            NetworkError::Invalid(message) => crate::Error::InvalidArgument(message),
            NetworkError::NotFound(name) => {
                crate::Error::InvalidArgument(format!("network {name} not found"))
            }
            other => crate::Error::Network(other.to_string()),
        }
    }
}
