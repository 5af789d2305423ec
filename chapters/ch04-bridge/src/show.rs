//! What `brctl show` and `ip a` print, from the links netlink reports.
//!
//! The seeds match a container's `eth0` to its host-side veth with two numbers: inside the
//! container `/sys/class/net/eth0/iflink` is the *host* veth's ifindex, and on the host `ip a`
//! prints the veth as `vethXXX@ifN`, where N is the container `eth0`'s ifindex. [`Link::peer`]
//! is that `iflink`, so both listings show the pairing.

use std::fmt::Write;
use std::net::Ipv4Addr;

/// One network interface, as netlink describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    /// Its ifindex in its namespace.
    pub index: u32,
    /// Its name.
    pub name: String,
    /// `bridge`, `veth`, or empty for others (such as `lo`).
    pub kind: String,
    /// The ifindex of its peer (`iflink`), when that differs from its own: a veth's other end.
    pub peer: Option<u32>,
    /// The bridge it is plugged into, by name.
    pub master: Option<String>,
    /// Its MAC address.
    pub mac: String,
    /// The flags `ip` prints between `<` and `>`, e.g. `BROADCAST,MULTICAST,UP,LOWER_UP`.
    pub flags: Vec<&'static str>,
    /// `UP`, `DOWN`, `UNKNOWN`…
    pub state: String,
    /// Its IPv4 addresses with prefix lengths.
    pub addresses: Vec<(Ipv4Addr, u8)>,
    /// For a bridge: whether it runs the spanning tree protocol.
    pub stp: bool,
}

// ANCHOR: brctl_show
/// `brctl show`: each bridge, its id (priority 8000 and its MAC), STP, and its ports.
pub fn brctl_show(links: &[Link]) -> String {
    let mut out = String::from("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n");
    for bridge in links.iter().filter(|l| l.kind == "bridge") {
        let id = format!("8000.{}", bridge.mac.replace(':', ""));
        let stp = if bridge.stp { "yes" } else { "no" };
        let ports: Vec<&str> = links
            .iter()
            .filter(|l| l.master.as_deref() == Some(bridge.name.as_str()))
            .map(|l| l.name.as_str())
            .collect();
        let first = ports.first().copied().unwrap_or("");
        let _ = writeln!(out, "{}\t\t{id}\t{stp}\t\t{first}", bridge.name);
        for port in ports.iter().skip(1) {
            let _ = writeln!(out, "\t\t\t\t\t\t\t{port}");
        }
    }
    out
}
// ANCHOR_END: brctl_show

// ANCHOR: ip_a
/// `ip a`: `N: NAME@ifPEER: <FLAGS> … master BRIDGE state STATE`, the MAC, the addresses.
pub fn ip_addr(links: &[Link]) -> String {
    let mut out = String::new();
    for link in links {
        let peer = link.peer.map(|p| format!("@if{p}")).unwrap_or_default();
        let master = link
            .master
            .as_ref()
            .map(|m| format!(" master {m}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}: {}{peer}: <{}>{master} state {}",
            link.index,
            link.name,
            link.flags.join(","),
            link.state
        );
        let _ = writeln!(
            out,
            "    link/{} {}",
            if link.name == "lo" {
                "loopback"
            } else {
                "ether"
            },
            link.mac
        );
        for (ip, prefix) in &link.addresses {
            let scope = if ip.is_loopback() { "host" } else { "global" };
            let _ = writeln!(out, "    inet {ip}/{prefix} scope {scope} {}", link.name);
        }
    }
    out
}
// ANCHOR_END: ip_a

#[cfg(test)]
mod tests {
    use super::*;

    fn link(index: u32, name: &str, kind: &str) -> Link {
        Link {
            index,
            name: name.into(),
            kind: kind.into(),
            mac: "02:42:ac:11:00:01".into(),
            state: "UP".into(),
            ..Default::default()
        }
    }

    #[test]
    fn brctl_lists_each_bridge_with_its_ports_under_it() {
        let mut a = link(5, "veth-a", "veth");
        a.master = Some("br0".into());
        let mut b = link(7, "veth-b", "veth");
        b.master = Some("br0".into());
        let text = brctl_show(&[link(4, "br0", "bridge"), a, b]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "br0\t\t8000.0242ac110001\tno\t\tveth-a");
        assert_eq!(lines[2].trim(), "veth-b");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn ip_a_shows_the_peer_index_master_and_addresses() {
        let mut veth = link(5, "veth-a", "veth");
        veth.peer = Some(4);
        veth.master = Some("br0".into());
        veth.flags = vec!["BROADCAST", "MULTICAST", "UP", "LOWER_UP"];
        let mut eth0 = link(4, "eth0", "veth");
        eth0.peer = Some(5);
        eth0.addresses = vec![(Ipv4Addr::new(172, 17, 0, 2), 16)];
        let text = ip_addr(&[veth, eth0]);
        assert!(
            text.contains("5: veth-a@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> master br0 state UP"),
            "{text}"
        );
        assert!(text.contains("4: eth0@if5: "), "{text}");
        assert!(
            text.contains("    inet 172.17.0.2/16 scope global eth0"),
            "{text}"
        );
    }
}
