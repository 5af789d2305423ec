//! Prints links, addresses and routes the way iproute2's `ip` does, so what learners see in a
//! ferry container matches tutorials (minus iproute2's `valid_lft` lines, like busybox).

use std::collections::HashMap;
use std::net::IpAddr;

use super::netlink::{Address, Link, Route};

/// IFF_* interface flags (<linux/if.h>), in the order iproute2 prints them.
const LINK_FLAGS: &[(u32, &str)] = &[
    (0x8, "LOOPBACK"),
    (0x2, "BROADCAST"),
    (0x10, "POINTOPOINT"),
    (0x1000, "MULTICAST"),
    (0x80, "NOARP"),
    (0x200, "ALLMULTI"),
    (0x100, "PROMISC"),
    (0x400, "MASTER"),
    (0x800, "SLAVE"),
    (0x4, "DEBUG"),
    (0x8000, "DYNAMIC"),
    (0x4000, "AUTOMEDIA"),
    (0x2000, "PORTSEL"),
    (0x20, "NOTRAILERS"),
    (0x1, "UP"),
    (0x10000, "LOWER_UP"),
    (0x20000, "DORMANT"),
    (0x40000, "ECHO"),
];
const IFF_UP: u32 = 0x1;
const IFF_RUNNING: u32 = 0x40;

/// ARPHRD_* hardware types (<linux/if_arp.h>) and iproute2's names for them.
const HW_TYPES: &[(u16, &str)] = &[
    (1, "ether"),
    (768, "ipip"),
    (772, "loopback"),
    (776, "sit"),
    (778, "gre"),
    (65534, "none"),
];

/// IFA_F_* address flags iproute2 prints after the scope.
const ADDRESS_FLAGS: &[(u32, &str)] = &[
    (0x02, "nodad"),
    (0x08, "dadfailed"),
    (0x20, "deprecated"),
    (0x40, "tentative"),
    (0x200, "noprefixroute"),
];
const IFA_F_SECONDARY: u32 = 0x01;
const IFA_F_PERMANENT: u32 = 0x80;

/// Operational states (IF_OPER_*, <linux/if.h>).
const OPER_STATES: [&str; 7] = [
    "UNKNOWN",
    "NOTPRESENT",
    "DOWN",
    "LOWERLAYERDOWN",
    "TESTING",
    "DORMANT",
    "UP",
];

/// RTNH_F_* route flags (<linux/rtnetlink.h>) iproute2 prints at the end of a route.
const ROUTE_FLAGS: &[(u32, &str)] = &[
    (0x1, "dead"),
    (0x4, "onlink"),
    (0x2, "pervasive"),
    (0x10, "linkdown"),
];

/// The main routing table, the only one `ip route` shows by default.
pub const RT_TABLE_MAIN: u32 = 254;

/// Interface names by index, to print `dev eth0` and `master br0`.
pub type Names = HashMap<u32, String>;

/// The two lines iproute2 prints for a link:
/// `2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP qlen 1000`
/// and `    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0`.
pub fn link(link: &Link, names: &Names) -> String {
    let mut first = format!(
        "{}: {}{}: <{}>",
        link.index,
        link.name,
        peer_suffix(link, names),
        flags(link.flags)
    );
    if let Some(mtu) = link.mtu {
        first.push_str(&format!(" mtu {mtu}"));
    }
    if let Some(qdisc) = &link.qdisc {
        first.push_str(&format!(" qdisc {qdisc}"));
    }
    if let Some(master) = link.master {
        first.push_str(&format!(" master {}", name_or_index(master, names)));
    }
    if let Some(state) = link.operstate {
        first.push_str(&format!(
            " state {}",
            OPER_STATES.get(usize::from(state)).unwrap_or(&"UNKNOWN")
        ));
    }
    if let Some(qlen) = link.txqlen {
        first.push_str(&format!(" qlen {qlen}"));
    }
    format!("{first}\n{}", hardware_line(link))
}

/// `@if7` for a veth whose peer is in another namespace (the index is all we can know),
/// `@eth1` when the parent is in this namespace, nothing when the link has no parent.
fn peer_suffix(link: &Link, names: &Names) -> String {
    match link.link {
        Some(peer) if peer != link.index => match (link.link_netnsid, names.get(&peer)) {
            (None, Some(name)) => format!("@{name}"),
            _ => format!("@if{peer}"),
        },
        _ => String::new(),
    }
}

fn flags(bits: u32) -> String {
    let mut names: Vec<&str> = Vec::new();
    if bits & IFF_UP != 0 && bits & IFF_RUNNING == 0 {
        names.push("NO-CARRIER");
    }
    names.extend(
        LINK_FLAGS
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, name)| *name),
    );
    names.join(",")
}

fn hardware_line(link: &Link) -> String {
    let kind = HW_TYPES
        .iter()
        .find(|(t, _)| *t == link.hw_type)
        .map_or_else(
            || format!("[{}]", link.hw_type),
            |(_, name)| name.to_string(),
        );
    let mut line = format!("    link/{kind}");
    if let Some(address) = &link.address {
        line.push_str(&format!(" {}", hw_address(address)));
    }
    if let Some(broadcast) = &link.broadcast {
        line.push_str(&format!(" brd {}", hw_address(broadcast)));
    }
    if let Some(id) = link.link_netnsid {
        line.push_str(&format!(" link-netnsid {id}"));
    }
    line
}

/// MAC addresses as `02:42:ac:11:00:02`; tunnel endpoints (4 bytes) as IPv4.
fn hw_address(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return std::net::Ipv4Addr::from(v4).to_string();
    }
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `    inet 10.0.0.2/24 brd 10.0.0.255 scope global eth0` or `    inet6 ::1/128 scope host`.
pub fn address(addr: &Address) -> String {
    let v4 = addr.family == libc::AF_INET as u8;
    let Some(local) = addr.local else {
        return String::new();
    };
    let mut line = format!("    {} {local}", if v4 { "inet" } else { "inet6" });
    match addr.peer {
        Some(peer) => line.push_str(&format!(" peer {peer}/{}", addr.prefix_len)),
        None => line.push_str(&format!("/{}", addr.prefix_len)),
    }
    if let Some(brd) = addr.broadcast {
        line.push_str(&format!(" brd {brd}"));
    }
    line.push_str(&format!(" scope {}", scope(addr.scope)));
    if addr.flags & IFA_F_SECONDARY != 0 {
        line.push_str(if v4 { " secondary" } else { " temporary" });
    }
    if addr.flags & IFA_F_PERMANENT == 0 {
        line.push_str(" dynamic");
    }
    for (bit, name) in ADDRESS_FLAGS {
        if addr.flags & bit != 0 {
            line.push_str(&format!(" {name}"));
        }
    }
    if let (true, Some(label)) = (v4, &addr.label) {
        line.push_str(&format!(" {label}"));
    }
    line
}

/// `default via 10.0.0.1 dev eth0` or `10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2`.
pub fn route(route: &Route, names: &Names) -> String {
    let mut line = String::new();
    if let Some(kind) = route_type(route.kind) {
        line.push_str(kind);
        line.push(' ');
    }
    let full_len = if route.family == libc::AF_INET as u8 {
        32
    } else {
        128
    };
    match route.dst {
        None if route.dst_len == 0 => line.push_str("default"),
        Some(dst) if route.dst_len == full_len => line.push_str(&dst.to_string()),
        dst => {
            let dst = dst.map_or_else(|| "0.0.0.0".to_string(), |d: IpAddr| d.to_string());
            line.push_str(&format!("{dst}/{}", route.dst_len));
        }
    }
    if let Some(gateway) = route.gateway {
        line.push_str(&format!(" via {gateway}"));
    }
    if let Some(oif) = route.oif {
        line.push_str(&format!(" dev {}", name_or_index(oif, names)));
    }
    if let Some(proto) = protocol(route.protocol) {
        line.push_str(&format!(" proto {proto}"));
    }
    if route.scope != 0 {
        line.push_str(&format!(" scope {}", scope(route.scope)));
    }
    if let Some(src) = route.prefsrc {
        line.push_str(&format!(" src {src}"));
    }
    if let Some(metric) = route.priority {
        line.push_str(&format!(" metric {metric}"));
    }
    for (bit, name) in ROUTE_FLAGS {
        if route.flags & bit != 0 {
            line.push_str(&format!(" {name}"));
        }
    }
    line
}

fn name_or_index(index: u32, names: &Names) -> String {
    names
        .get(&index)
        .cloned()
        .unwrap_or_else(|| format!("if{index}"))
}

/// RT_SCOPE_* names.
fn scope(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        other => other.to_string(),
    }
}

/// RTPROT_* names; `boot` (the default for routes added by hand) is not printed, like iproute2.
fn protocol(protocol: u8) -> Option<String> {
    match protocol {
        3 => None,
        0 => Some("unspec".into()),
        1 => Some("redirect".into()),
        2 => Some("kernel".into()),
        4 => Some("static".into()),
        16 => Some("dhcp".into()),
        other => Some(other.to_string()),
    }
}

/// RTN_* names for everything but ordinary unicast routes.
fn route_type(kind: u8) -> Option<&'static str> {
    match kind {
        2 => Some("local"),
        3 => Some("broadcast"),
        4 => Some("anycast"),
        5 => Some("multicast"),
        6 => Some("blackhole"),
        7 => Some("unreachable"),
        8 => Some("prohibit"),
        9 => Some("throw"),
        10 => Some("nat"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::netlink::{parse_address, parse_link, parse_route, tests as wire};
    use super::*;

    fn loopback() -> Link {
        Link {
            index: 1,
            name: "lo".into(),
            flags: 0x10049, // LOOPBACK|UP|RUNNING|LOWER_UP
            hw_type: 772,
            mtu: Some(65536),
            qdisc: Some("noqueue".into()),
            operstate: Some(0),
            txqlen: Some(1000),
            address: Some(vec![0; 6]),
            broadcast: Some(vec![0; 6]),
            ..Link::default()
        }
    }

    #[test]
    fn loopback_link_matches_iproute2() {
        assert_eq!(
            link(&loopback(), &Names::new()),
            "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN qlen 1000\n    \
             link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
        );
    }

    #[test]
    fn veth_shows_at_if_peer_index_and_netnsid() {
        let veth = parse_link(&wire::veth_payload()).unwrap();
        assert_eq!(
            link(&veth, &Names::new()),
            "2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\n    \
             link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0"
        );
    }

    #[test]
    fn parent_in_same_namespace_is_shown_by_name() {
        let vlan = Link {
            index: 5,
            name: "eth0.10".into(),
            link: Some(2),
            ..Link::default()
        };
        let names = Names::from([(2, "eth0".to_string())]);
        assert!(link(&vlan, &names).starts_with("5: eth0.10@eth0: <>"));
    }

    #[test]
    fn up_without_carrier_says_no_carrier() {
        assert_eq!(flags(0x1003), "NO-CARRIER,BROADCAST,MULTICAST,UP");
    }

    #[test]
    fn ipv4_address_line_matches_iproute2() {
        let addr = parse_address(&wire::ipv4_address_payload()).unwrap();
        assert_eq!(
            address(&addr),
            "    inet 10.0.0.2/24 brd 10.0.0.255 scope global eth0"
        );
    }

    #[test]
    fn loopback_addresses_have_host_scope() {
        let v4 = Address {
            family: libc::AF_INET as u8,
            prefix_len: 8,
            scope: 254,
            flags: IFA_F_PERMANENT,
            index: 1,
            local: Some("127.0.0.1".parse().unwrap()),
            label: Some("lo".into()),
            ..Address::default()
        };
        assert_eq!(address(&v4), "    inet 127.0.0.1/8 scope host lo");
        let v6 = Address {
            family: libc::AF_INET6 as u8,
            prefix_len: 128,
            local: Some("::1".parse().unwrap()),
            ..v4
        };
        assert_eq!(address(&v6), "    inet6 ::1/128 scope host");
    }

    #[test]
    fn default_route_line_matches_iproute2() {
        let r = parse_route(&wire::default_route_payload()).unwrap();
        let names = Names::from([(2, "eth0".to_string())]);
        assert_eq!(route(&r, &names), "default via 10.0.0.1 dev eth0");
    }

    #[test]
    fn connected_route_line_matches_iproute2() {
        let r = Route {
            family: libc::AF_INET as u8,
            dst_len: 24,
            table: RT_TABLE_MAIN,
            protocol: 2,
            scope: 253,
            kind: 1,
            dst: Some("10.0.0.0".parse().unwrap()),
            prefsrc: Some("10.0.0.2".parse().unwrap()),
            oif: Some(2),
            ..Route::default()
        };
        let names = Names::from([(2, "eth0".to_string())]);
        assert_eq!(
            route(&r, &names),
            "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2"
        );
        let down = Route {
            flags: 0x14,
            ..r.clone()
        };
        assert!(route(&down, &names).ends_with("src 10.0.0.2 onlink linkdown"));
        let host = Route {
            dst_len: 32,
            dst: Some("10.0.0.9".parse().unwrap()),
            kind: 7,
            oif: None,
            prefsrc: None,
            ..r
        };
        assert_eq!(
            route(&host, &names),
            "unreachable 10.0.0.9 proto kernel scope link"
        );
    }
}
