//! The netlink requests behind `ip link`, `ip addr` and `ip route`, one function per command.
//!
//! `ip` and `brctl` are themselves just netlink clients: each command below sends one
//! `RTM_NEWLINK`, `RTM_NEWADDR` or `RTM_NEWROUTE` message to the kernel. `rtnetlink` is async; an
//! [`Rtnl`] owns a single-threaded tokio runtime and waits for each answer, so the demo reads like
//! the seeds' shell script. A connection acts in the network namespace of the thread that opened
//! it (see [`crate::netns::Netns::exec`]).

use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::AsRawFd;

use futures_util::TryStreamExt;
use rtnetlink::packet_route::address::AddressAttribute;
use rtnetlink::packet_route::link::{
    InfoBridge, InfoData, InfoKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage, State,
};
use rtnetlink::{Handle, LinkBridge, LinkUnspec, LinkVeth, RouteMessageBuilder};
use tokio::runtime::Runtime;

use crate::netns::Netns;
use crate::show::Link;
use crate::{Error, Result};

/// A netlink (`NETLINK_ROUTE`) connection in the calling thread's network namespace.
pub struct Rtnl {
    runtime: Runtime,
    handle: Handle,
}

fn failed(op: impl Into<String>) -> impl FnOnce(rtnetlink::Error) -> Error {
    let op = op.into();
    move |e| {
        let message = match &e {
            rtnetlink::Error::NetlinkError(m) => m.to_io().to_string(),
            other => other.to_string(),
        };
        Error::Netlink { op, message }
    }
}

impl Rtnl {
    /// Opens the connection (a socket in this thread's network namespace).
    pub fn connect() -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(Error::io("start a tokio runtime", "current_thread"))?;
        let (connection, handle, _) = {
            let _inside = runtime.enter();
            rtnetlink::new_connection()
                .map_err(Error::io("open a netlink socket", "NETLINK_ROUTE"))?
        };
        runtime.spawn(connection);
        Ok(Self { runtime, handle })
    }

    /// The ifindex of link `name`.
    pub fn index(&self, name: &str) -> Result<u32> {
        let request = self
            .handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute();
        let found = self
            .runtime
            .block_on(async move { std::pin::pin!(request).try_next().await });
        match found.map_err(failed(format!("ip link show {name}")))? {
            Some(link) => Ok(link.header.index),
            None => Err(Error::Netlink {
                op: format!("ip link show {name}"),
                message: "no such device".into(),
            }),
        }
    }

    fn set(&self, op: String, message: LinkMessage) -> Result<()> {
        self.runtime
            .block_on(self.handle.link().set(message).execute())
            .map_err(failed(op))
    }

    // ANCHOR: add_bridge
    /// `ip link add NAME type bridge` (`brctl addbr NAME`), then up.
    pub fn add_bridge(&self, name: &str) -> Result<()> {
        let message = LinkBridge::new(name).build();
        self.runtime
            .block_on(self.handle.link().add(message).execute())
            .map_err(failed(format!("ip link add {name} type bridge")))
    }
    // ANCHOR_END: add_bridge

    // ANCHOR: add_veth
    /// `ip link add NAME type veth peer name PEER`: two linked interfaces, like a cable.
    pub fn add_veth(&self, name: &str, peer: &str) -> Result<()> {
        let message = LinkVeth::new(name, peer).build();
        self.runtime
            .block_on(self.handle.link().add(message).execute())
            .map_err(failed(format!(
                "ip link add {name} type veth peer name {peer}"
            )))
    }
    // ANCHOR_END: add_veth

    /// `ip link set NAME master BRIDGE` (`brctl addif BRIDGE NAME`).
    pub fn set_master(&self, name: &str, bridge: &str) -> Result<()> {
        let message = LinkUnspec::new_with_index(self.index(name)?)
            .controller(self.index(bridge)?)
            .build();
        self.set(format!("ip link set {name} master {bridge}"), message)
    }

    /// `ip link set NAME up`.
    pub fn set_up(&self, name: &str) -> Result<()> {
        let message = LinkUnspec::new_with_index(self.index(name)?).up().build();
        self.set(format!("ip link set {name} up"), message)
    }

    /// `ip link set NAME netns NS`: the link disappears here and appears in `ns`.
    pub fn move_to(&self, name: &str, ns: &Netns) -> Result<()> {
        let message = LinkUnspec::new_with_index(self.index(name)?)
            .setns_by_fd(ns.file().as_raw_fd())
            .build();
        self.set(format!("ip link set {name} netns {}", ns.name()), message)
    }

    /// `ip link set dev NAME name NEW`.
    pub fn rename(&self, name: &str, new: &str) -> Result<()> {
        let message = LinkUnspec::new_with_index(self.index(name)?)
            .name(new.to_string())
            .build();
        self.set(format!("ip link set dev {name} name {new}"), message)
    }

    /// `ip addr add IP/PREFIX dev NAME`.
    pub fn add_address(&self, name: &str, ip: Ipv4Addr, prefix: u8) -> Result<()> {
        let request = self
            .handle
            .address()
            .add(self.index(name)?, IpAddr::V4(ip), prefix)
            .execute();
        self.runtime
            .block_on(request)
            .map_err(failed(format!("ip addr add {ip}/{prefix} dev {name}")))
    }

    /// `ip route add default via GATEWAY`.
    pub fn add_default_route(&self, gateway: Ipv4Addr) -> Result<()> {
        let route = RouteMessageBuilder::<Ipv4Addr>::new()
            .gateway(gateway)
            .build();
        self.runtime
            .block_on(self.handle.route().add(route).execute())
            .map_err(failed(format!("ip route add default via {gateway}")))
    }

    /// `ip link del NAME`.
    pub fn delete(&self, name: &str) -> Result<()> {
        let index = self.index(name)?;
        self.runtime
            .block_on(self.handle.link().del(index).execute())
            .map_err(failed(format!("ip link del {name}")))
    }

    /// Every link of this namespace with its addresses: what `ip a` and `brctl show` read.
    pub fn links(&self) -> Result<Vec<Link>> {
        let messages: Vec<LinkMessage> = self
            .runtime
            .block_on(self.handle.link().get().execute().try_collect())
            .map_err(failed("ip link show"))?;
        let mut links: Vec<Link> = messages.iter().map(describe).collect();
        let names: Vec<(u32, String)> = links.iter().map(|l| (l.index, l.name.clone())).collect();
        for (link, message) in links.iter_mut().zip(&messages) {
            let master = message.attributes.iter().find_map(|a| match a {
                LinkAttribute::Controller(i) => Some(*i),
                _ => None,
            });
            link.master =
                master.and_then(|m| names.iter().find(|(i, _)| *i == m).map(|(_, n)| n.clone()));
        }
        let addresses: Vec<_> = self
            .runtime
            .block_on(self.handle.address().get().execute().try_collect())
            .map_err(failed("ip addr show"))?;
        for message in addresses {
            let ip = message.attributes.iter().find_map(|a| match a {
                AddressAttribute::Address(IpAddr::V4(ip)) => Some(*ip),
                _ => None,
            });
            if let (Some(ip), Some(link)) = (
                ip,
                links.iter_mut().find(|l| l.index == message.header.index),
            ) {
                link.addresses.push((ip, message.header.prefix_len));
            }
        }
        Ok(links)
    }
}

/// The parts of a link message that `ip a` and `brctl show` print.
fn describe(message: &LinkMessage) -> Link {
    let mut link = Link {
        index: message.header.index,
        flags: flag_names(message.header.flags),
        ..Default::default()
    };
    for attribute in &message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => link.name = name.clone(),
            LinkAttribute::Address(mac) => {
                link.mac = mac
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            }
            LinkAttribute::Link(peer) if *peer != message.header.index => link.peer = Some(*peer),
            LinkAttribute::OperState(state) => link.state = state_name(state).to_string(),
            LinkAttribute::LinkInfo(infos) => describe_kind(infos, &mut link),
            _ => {}
        }
    }
    link
}

fn describe_kind(infos: &[LinkInfo], link: &mut Link) {
    for info in infos {
        match info {
            LinkInfo::Kind(InfoKind::Bridge) => link.kind = "bridge".into(),
            LinkInfo::Kind(InfoKind::Veth) => link.kind = "veth".into(),
            LinkInfo::Data(InfoData::Bridge(options)) => {
                link.stp = options
                    .iter()
                    .any(|o| matches!(o, InfoBridge::StpState(s) if u32::from(*s) != 0));
            }
            _ => {}
        }
    }
}

fn flag_names(flags: LinkFlags) -> Vec<&'static str> {
    [
        (LinkFlags::Loopback, "LOOPBACK"),
        (LinkFlags::Broadcast, "BROADCAST"),
        (LinkFlags::Multicast, "MULTICAST"),
        (LinkFlags::Up, "UP"),
        (LinkFlags::LowerUp, "LOWER_UP"),
    ]
    .into_iter()
    .filter(|(flag, _)| flags.contains(*flag))
    .map(|(_, name)| name)
    .collect()
}

fn state_name(state: &State) -> &'static str {
    match state {
        State::Up => "UP",
        State::Down => "DOWN",
        State::LowerLayerDown => "LOWERLAYERDOWN",
        _ => "UNKNOWN",
    }
}
