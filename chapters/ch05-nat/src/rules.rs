//! The NAT rules of one published port and one bridge, in the layout the seeds list.

use std::net::Ipv4Addr;

/// The chain our DNAT rules live in, jumped to from PREROUTING and OUTPUT (Docker's `DOCKER`).
pub const CHAIN: &str = "FERRY";

/// What to publish: host port → container address and port, on which bridge and subnet.
#[derive(Debug, Clone)]
pub struct Publish {
    /// The bridge the container hangs off (`br0`).
    pub bridge: String,
    /// The bridge's subnet, `172.17.0.0/16`.
    pub subnet: String,
    /// The container's address.
    pub container_ip: Ipv4Addr,
    /// The port inside the container.
    pub container_port: u16,
    /// The port on the host.
    pub host_port: u16,
}

// ANCHOR: rules
/// The `iptables` argument lists, in order, for `-p HOST_PORT:CONTAINER_PORT`.
pub fn rules(p: &Publish) -> Vec<Vec<String>> {
    let (br, ip, cport, hport) = (&p.bridge, p.container_ip, p.container_port, p.host_port);
    [
        // Our own chain in the nat table.
        format!("-t nat -N {CHAIN}"),
        // Packets to any local address — arriving (PREROUTING) or sent by the host itself
        // (OUTPUT, but not to 127.0.0.0/8) — go through it.
        format!("-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j {CHAIN}"),
        format!("-t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j {CHAIN}"),
        // Traffic from the bridge itself is left alone.
        format!("-t nat -A {CHAIN} -i {br} -j RETURN"),
        // The port mapping: destination host:8080 becomes 172.17.0.2:80.
        format!("-t nat -A {CHAIN} ! -i {br} -p tcp -m tcp --dport {hport} -j DNAT --to-destination {ip}:{cport}"),
        // Containers going out through another interface take the host's address.
        format!("-t nat -A POSTROUTING -s {} ! -o {br} -j MASQUERADE", p.subnet),
        // A container reaching its own published port is answered through the host too.
        format!("-t nat -A POSTROUTING -s {ip}/32 -d {ip}/32 -p tcp -m tcp --dport {cport} -j MASQUERADE"),
    ]
    .iter()
    .map(|rule| rule.split_whitespace().map(str::to_string).collect())
    .collect()
}
// ANCHOR_END: rules

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rules_are_the_seeds_dnat_and_masquerade_in_order() {
        let publish = Publish {
            bridge: "br0".into(),
            subnet: "172.17.0.0/16".into(),
            container_ip: Ipv4Addr::new(172, 17, 0, 2),
            container_port: 80,
            host_port: 8080,
        };
        let rules: Vec<String> = rules(&publish).iter().map(|r| r.join(" ")).collect();
        assert_eq!(rules[0], "-t nat -N FERRY");
        assert_eq!(rules[4], "-t nat -A FERRY ! -i br0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80");
        assert_eq!(
            rules[5],
            "-t nat -A POSTROUTING -s 172.17.0.0/16 ! -o br0 -j MASQUERADE"
        );
        assert_eq!(rules.len(), 7);
    }
}
