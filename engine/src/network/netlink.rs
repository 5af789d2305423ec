//! The netlink half of networking: bridges, veth pairs, addresses and routes, via `rtnetlink`.
//!
//! `rtnetlink` is asynchronous (tokio). ferry is not: each [`Netlink`] owns a small current-thread
//! runtime and blocks on one request at a time. A netlink socket acts in the network namespace it
//! was *created* in, so [`Netlink::in_netns_of`] creates its socket on a short-lived helper thread
//! that first joins the container's namespace with `setns(2)`; the engine's own thread never
//! leaves the host's namespace. None of this runs in a cloned container child: the engine does all
//! of it from the outside while the child is held (see `runtime::spawn`).

use std::fs::File;
use std::net::{IpAddr, Ipv4Addr};

use futures_util::TryStreamExt;
use nix::sched::CloneFlags;
use rtnetlink::packet_route::link::{LinkAttribute, LinkMessage};
use rtnetlink::{Handle, LinkBridge, LinkBridgePort, LinkUnspec, LinkVeth, RouteMessageBuilder};
use tokio::runtime::Runtime;

use super::error::{is_no_such_device, NetworkError, Result};

/// A netlink connection bound to one network namespace.
pub struct Netlink {
    runtime: Runtime,
    handle: Handle,
}

/// What `ip link` shows about one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// Its index in its namespace (`/sys/class/net/NAME/ifindex`).
    pub index: u32,
    /// For a veth, the index of its peer in the peer's namespace (`iflink`, the `@ifN` of `ip a`).
    pub peer_index: Option<u32>,
    /// Its name.
    pub name: String,
    /// Its MAC address, `aa:bb:cc:dd:ee:ff`.
    pub mac: String,
    /// The index of the bridge it is a port of.
    pub controller: Option<u32>,
}

impl Netlink {
    /// A connection in the calling thread's network namespace.
    pub fn current() -> Result<Self> {
        let runtime = small_runtime()?;
        let (connection, handle, _) = {
            let _inside = runtime.enter();
            rtnetlink::new_connection()
                .map_err(NetworkError::io("open a netlink socket", "NETLINK_ROUTE"))?
        };
        runtime.spawn(connection);
        Ok(Self { runtime, handle })
    }

    /// A connection in the network namespace of process `pid` (a held container child).
    pub fn in_netns_of(pid: i32) -> Result<Self> {
        let path = format!("/proc/{pid}/ns/net");
        let namespace = File::open(&path).map_err(NetworkError::io("open", &path))?;
        let runtime = small_runtime()?;
        // The socket is created on a helper thread that joined the namespace; it stays bound to
        // that namespace after the thread ends.
        let created = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    nix::sched::setns(&namespace, CloneFlags::CLONE_NEWNET)
                        .map_err(|e| NetworkError::io("setns", &path)(e.into()))?;
                    let _inside = runtime.enter();
                    rtnetlink::new_connection()
                        .map_err(NetworkError::io("open a netlink socket in", &path))
                })
                .join()
        });
        let (connection, handle, _) = created.map_err(|_| NetworkError::Netlink {
            op: format!("join {path}"),
            message: "helper thread panicked".into(),
        })??;
        runtime.spawn(connection);
        Ok(Self { runtime, handle })
    }

    /// The interface called `name`, or `None` if there is none.
    pub fn link(&self, name: &str) -> Result<Option<LinkInfo>> {
        let request = self
            .handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute();
        let first = self
            .runtime
            .block_on(async move { std::pin::pin!(request).try_next().await });
        match first {
            Ok(message) => Ok(message.map(|m| link_info(&m))),
            Err(e) if is_no_such_device(&e) => Ok(None),
            Err(e) => Err(NetworkError::netlink(format!("look up link {name}"))(e)),
        }
    }

    /// Every interface in this namespace, by index.
    pub fn links(&self) -> Result<Vec<LinkInfo>> {
        let request = self.handle.link().get().execute();
        let messages: Vec<LinkMessage> = self
            .runtime
            .block_on(request.try_collect())
            .map_err(NetworkError::netlink("list links"))?;
        Ok(messages.iter().map(link_info).collect())
    }

    /// The interface `name`, which must exist.
    pub fn require_link(&self, name: &str) -> Result<LinkInfo> {
        self.link(name)?.ok_or_else(|| NetworkError::Netlink {
            op: format!("look up link {name}"),
            message: "No such device".into(),
        })
    }

    /// Creates bridge `name` with `mac` (fixed, so it never changes as ports come and go) unless
    /// it exists, gives it `gateway/prefix`, and brings it up: `ip link add NAME type bridge`.
    pub fn ensure_bridge(&self, name: &str, gateway: Ipv4Addr, prefix: u8) -> Result<LinkInfo> {
        if self.link(name)?.is_none() {
            let message = LinkBridge::new(name)
                .address(mac_for(gateway).to_vec())
                .build();
            let created = self
                .runtime
                .block_on(self.handle.link().add(message).execute());
            // Another ferry may have created it between our look-up and our request.
            if let Err(e) = created {
                if !is_exists(&e) {
                    return Err(NetworkError::netlink(format!("create bridge {name}"))(e));
                }
            }
        }
        let bridge = self.require_link(name)?;
        self.add_address(bridge.index, gateway, prefix)?;
        self.set_up(bridge.index, name)?;
        Ok(bridge)
    }

    /// `ip link add HOST type veth peer name PEER`.
    pub fn create_veth(&self, host: &str, peer: &str) -> Result<()> {
        let message = LinkVeth::new(host, peer).build();
        self.runtime
            .block_on(self.handle.link().add(message).execute())
            .map_err(NetworkError::netlink(format!(
                "create veth pair {host}/{peer}"
            )))
    }

    /// `ip link set INDEX master BRIDGE up`, with hairpin on so a container can reach its own
    /// published port through the host.
    pub fn plug_into_bridge(&self, index: u32, bridge: u32, name: &str) -> Result<()> {
        let master = LinkUnspec::new_with_index(index)
            .controller(bridge)
            .up()
            .build();
        self.runtime
            .block_on(self.handle.link().set(master).execute())
            .map_err(NetworkError::netlink(format!(
                "attach {name} to its bridge"
            )))?;
        let hairpin = LinkBridgePort::new(index).hairpin(true).build();
        self.runtime
            .block_on(self.handle.link().set_port(hairpin).execute())
            .map_err(NetworkError::netlink(format!(
                "turn on hairpin mode on {name}"
            )))
    }

    /// Sets a link's MAC address (`ip link set INDEX address MAC`).
    pub fn set_mac(&self, index: u32, mac: [u8; 6], name: &str) -> Result<()> {
        let message = LinkUnspec::new_with_index(index)
            .address(mac.to_vec())
            .build();
        self.runtime
            .block_on(self.handle.link().set(message).execute())
            .map_err(NetworkError::netlink(format!(
                "set the MAC address of {name}"
            )))
    }

    /// Moves a link into the network namespace of `pid` (`ip link set INDEX netns PID`).
    pub fn move_to_netns_of(&self, index: u32, pid: i32, name: &str) -> Result<()> {
        let pid =
            u32::try_from(pid).map_err(|_| NetworkError::Invalid(format!("invalid pid {pid}")))?;
        let message = LinkUnspec::new_with_index(index).setns_by_pid(pid).build();
        self.runtime
            .block_on(self.handle.link().set(message).execute())
            .map_err(NetworkError::netlink(format!(
                "move {name} into the network namespace of pid {pid}"
            )))
    }

    /// Renames a (down) link: `ip link set dev OLD name NEW`.
    pub fn rename(&self, index: u32, new_name: &str) -> Result<()> {
        let message = LinkUnspec::new_with_index(index)
            .name(new_name.to_string())
            .build();
        self.runtime
            .block_on(self.handle.link().set(message).execute())
            .map_err(NetworkError::netlink(format!(
                "rename link {index} to {new_name}"
            )))
    }

    /// `ip link set NAME up`.
    pub fn set_up(&self, index: u32, name: &str) -> Result<()> {
        let message = LinkUnspec::new_with_index(index).up().build();
        self.runtime
            .block_on(self.handle.link().set(message).execute())
            .map_err(NetworkError::netlink(format!("bring {name} up")))
    }

    /// `ip addr add IP/PREFIX dev INDEX` (an address already there is fine).
    pub fn add_address(&self, index: u32, ip: Ipv4Addr, prefix: u8) -> Result<()> {
        let added = self.runtime.block_on(
            self.handle
                .address()
                .add(index, IpAddr::V4(ip), prefix)
                .execute(),
        );
        match added {
            Err(e) if !is_exists(&e) => Err(NetworkError::netlink(format!(
                "add address {ip}/{prefix}"
            ))(e)),
            _ => Ok(()),
        }
    }

    /// `ip route add default via GATEWAY`.
    pub fn add_default_route(&self, gateway: Ipv4Addr) -> Result<()> {
        let route = RouteMessageBuilder::<Ipv4Addr>::new()
            .gateway(gateway)
            .build();
        self.runtime
            .block_on(self.handle.route().add(route).execute())
            .map_err(NetworkError::netlink(format!(
                "add default route via {gateway}"
            )))
    }

    /// `ip link del NAME`; returns whether there was such a link. Deleting one end of a veth pair
    /// deletes both.
    pub fn delete_link(&self, name: &str) -> Result<bool> {
        let Some(link) = self.link(name)? else {
            return Ok(false);
        };
        match self
            .runtime
            .block_on(self.handle.link().del(link.index).execute())
        {
            Ok(()) => Ok(true),
            Err(e) if is_no_such_device(&e) => Ok(false),
            Err(e) => Err(NetworkError::netlink(format!("delete link {name}"))(e)),
        }
    }
}

/// The MAC address Docker derives from an IPv4 address: `02:42` then the four address bytes.
/// Locally administered (the `02`), unique as long as the address is, and easy to read.
pub fn mac_for(ip: Ipv4Addr) -> [u8; 6] {
    let [a, b, c, d] = ip.octets();
    [0x02, 0x42, a, b, c, d]
}

/// A MAC address as `ip link` prints it.
pub fn mac_text(mac: &[u8]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn link_info(message: &LinkMessage) -> LinkInfo {
    let mut info = LinkInfo {
        index: message.header.index,
        peer_index: None,
        name: String::new(),
        mac: String::new(),
        controller: None,
    };
    for attribute in &message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => info.name = name.clone(),
            LinkAttribute::Link(peer) => info.peer_index = Some(*peer),
            LinkAttribute::Address(mac) => info.mac = mac_text(mac),
            LinkAttribute::Controller(bridge) => info.controller = Some(*bridge),
            _ => {}
        }
    }
    info
}

fn is_exists(e: &rtnetlink::Error) -> bool {
    matches!(e, rtnetlink::Error::NetlinkError(msg) if msg.raw_code().abs() == libc::EEXIST)
}

/// A current-thread tokio runtime: no worker threads, only the I/O driver netlink sockets need.
fn small_runtime() -> Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(NetworkError::io("start the netlink runtime", "tokio"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_derived_from_the_address_like_dockers() {
        assert_eq!(
            mac_text(&mac_for(Ipv4Addr::new(10, 77, 0, 2))),
            "02:42:0a:4d:00:02"
        );
    }
}
