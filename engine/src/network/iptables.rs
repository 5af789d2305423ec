//! The iptables half of networking: port publishing (DNAT), outbound NAT (MASQUERADE), hairpin
//! and forwarding, all in ferry's own chains.
//!
//! ferry drives the `iptables` binary, as Docker does, so `iptables -t nat -nvL` shows exactly
//! what it asked for. The layout is Docker's with the userland proxy off ("hairpin mode"):
//!
//! ```text
//! nat    PREROUTING  -m addrtype --dst-type LOCAL -j FERRY      packets for a host address…
//! nat    OUTPUT      -m addrtype --dst-type LOCAL -j FERRY      …from outside or from the host
//! nat    FERRY       -p tcp --dport 8080 -j DNAT --to-destination 10.77.0.2:80    one per -p
//! nat    POSTROUTING -j FERRY-POSTROUTING
//! nat    FERRY-POSTROUTING -s 10.77.0.0/16 ! -o ferry0 -j MASQUERADE   containers → outside
//! nat    FERRY-POSTROUTING -o ferry0 -m addrtype --src-type LOCAL -j MASQUERADE   host (127.0.0.1) → container
//! nat    FERRY-POSTROUTING -s IP -d IP -p tcp --dport 80 -j MASQUERADE   a container → its own port
//! filter FORWARD     -j FERRY-FORWARD                            accept what the rules above let in
//! ```
//!
//! Every rule is data ([`Rule`]) first, so the layout is unit-tested without root, and removing a
//! container deletes exactly the rules its attachment added.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::{NetworkError, Result};
use super::ports::PortMapping;
use super::subnet::Subnet;

/// The nat chain holding one DNAT rule per published port (Docker's `DOCKER` chain).
pub const NAT_CHAIN: &str = "FERRY";
/// The nat chain holding the MASQUERADE rules.
pub const POSTROUTING_CHAIN: &str = "FERRY-POSTROUTING";
/// The filter chain that accepts forwarded container traffic.
pub const FORWARD_CHAIN: &str = "FERRY-FORWARD";

/// One iptables rule: `-t TABLE -A CHAIN SPEC…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `nat` or `filter`.
    pub table: &'static str,
    /// The chain it lives in.
    pub chain: &'static str,
    /// The match and target, as iptables arguments.
    pub spec: Vec<String>,
}

impl Rule {
    fn new(table: &'static str, chain: &'static str, spec: &str) -> Self {
        Self {
            table,
            chain,
            spec: spec.split_whitespace().map(str::to_string).collect(),
        }
    }
}

/// As `iptables -S` would print it: `-t nat -A FERRY -p tcp …`.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "-t {} -A {} {}",
            self.table,
            self.chain,
            self.spec.join(" ")
        )
    }
}

/// The jumps from the built-in chains into ferry's chains, shared by every network.
fn jumps() -> Vec<Rule> {
    vec![
        Rule::new(
            "nat",
            "PREROUTING",
            &format!("-m addrtype --dst-type LOCAL -j {NAT_CHAIN}"),
        ),
        Rule::new(
            "nat",
            "OUTPUT",
            &format!("-m addrtype --dst-type LOCAL -j {NAT_CHAIN}"),
        ),
        Rule::new("nat", "POSTROUTING", &format!("-j {POSTROUTING_CHAIN}")),
        Rule::new("filter", "FORWARD", &format!("-j {FORWARD_CHAIN}")),
    ]
}

// ANCHOR: network_rules
/// The rules a bridge network needs whatever its containers publish.
pub fn network_rules(bridge: &str, subnet: &Subnet) -> Vec<Rule> {
    vec![
        // Containers reach the outside with the host's address (SNAT to the outgoing interface).
        Rule::new(
            "nat",
            POSTROUTING_CHAIN,
            &format!("-s {subnet} ! -o {bridge} -j MASQUERADE"),
        ),
        // The host reaches a published port on 127.0.0.1: 127.0.0.1 cannot be a source on the
        // bridge, so it is replaced with the bridge's address.
        Rule::new(
            "nat",
            POSTROUTING_CHAIN,
            &format!("-o {bridge} -m addrtype --src-type LOCAL -j MASQUERADE"),
        ),
        // Replies to connections containers made, and everything containers send, are forwarded.
        Rule::new(
            "filter",
            FORWARD_CHAIN,
            &format!("-o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
        ),
        Rule::new("filter", FORWARD_CHAIN, &format!("-i {bridge} -j ACCEPT")),
    ]
}
// ANCHOR_END: network_rules

// ANCHOR: port_rules
/// The rules that publish one container port: `-p 8080:80` for a container at 10.77.0.2.
pub fn port_rules(bridge: &str, container_ip: Ipv4Addr, port: &PortMapping) -> Vec<Rule> {
    let proto = port.protocol.as_str();
    let only_on = port
        .host_ip
        .map(|ip| format!("-d {ip}/32 "))
        .unwrap_or_default();
    let (host_port, ctr_port) = (port.host_port, port.container_port);
    vec![
        // PREROUTING/OUTPUT → FERRY: a packet for host port 8080 is sent to 10.77.0.2:80 instead.
        Rule::new(
            "nat",
            NAT_CHAIN,
            &format!("{only_on}-p {proto} -m {proto} --dport {host_port} -j DNAT --to-destination {container_ip}:{ctr_port}"),
        ),
        // Hairpin: when the container itself connected to the host port, the reply must come
        // back through the bridge, so the source is rewritten too.
        Rule::new(
            "nat",
            POSTROUTING_CHAIN,
            &format!("-s {container_ip}/32 -d {container_ip}/32 -p {proto} -m {proto} --dport {ctr_port} -j MASQUERADE"),
        ),
        // The translated packet is forwarded to the bridge even where FORWARD's policy is DROP.
        Rule::new(
            "filter",
            FORWARD_CHAIN,
            &format!("-d {container_ip}/32 ! -i {bridge} -o {bridge} -p {proto} -m {proto} --dport {ctr_port} -j ACCEPT"),
        ),
    ]
}
// ANCHOR_END: port_rules

/// Creates ferry's chains and their jumps (once), and the network's rules; turns on IP forwarding
/// and lets 127.0.0.1 be routed to the bridge (`route_localnet`), as hairpin mode needs.
pub fn install_network(bridge: &str, subnet: &Subnet) -> Result<()> {
    let iptables = Iptables::find()?;
    for (table, chain) in [
        ("nat", NAT_CHAIN),
        ("nat", POSTROUTING_CHAIN),
        ("filter", FORWARD_CHAIN),
    ] {
        iptables.ensure_chain(table, chain)?;
    }
    for rule in jumps().iter().chain(&network_rules(bridge, subnet)) {
        iptables.ensure(rule)?;
    }
    write_sysctl("/proc/sys/net/ipv4/ip_forward", "1")?;
    write_sysctl(
        &format!("/proc/sys/net/ipv4/conf/{bridge}/route_localnet"),
        "1",
    )
}

/// Removes a network's rules (its chains' jumps stay for the other networks).
pub fn remove_network(bridge: &str, subnet: &Subnet) -> Result<()> {
    Iptables::find()?.delete_all(&network_rules(bridge, subnet))
}

/// Deletes ferry's chains and the jumps into them once no network has a rule left in them, so a
/// host without ferry networks carries no ferry rule at all.
pub fn remove_chains_if_unused() -> Result<()> {
    let iptables = Iptables::find()?;
    let chains = [
        ("nat", NAT_CHAIN),
        ("nat", POSTROUTING_CHAIN),
        ("filter", FORWARD_CHAIN),
    ];
    for (table, chain) in chains {
        if iptables.rule_count(table, chain)? > 0 {
            return Ok(());
        }
    }
    iptables.delete_all(&jumps())?;
    for (table, chain) in chains {
        iptables.run(&["-t", table, "-X", chain].map(str::to_string))?;
    }
    Ok(())
}

/// Adds the rules publishing `ports` of the container at `ip`.
pub fn publish(bridge: &str, ip: Ipv4Addr, ports: &[PortMapping]) -> Result<()> {
    let iptables = Iptables::find()?;
    for rule in ports.iter().flat_map(|p| port_rules(bridge, ip, p)) {
        iptables.ensure(&rule)?;
    }
    Ok(())
}

/// Deletes the rules [`publish`] added (missing ones are fine: removal must always finish).
pub fn unpublish(bridge: &str, ip: Ipv4Addr, ports: &[PortMapping]) -> Result<()> {
    let rules: Vec<Rule> = ports
        .iter()
        .flat_map(|p| port_rules(bridge, ip, p))
        .collect();
    Iptables::find()?.delete_all(&rules)
}

/// The `iptables` program, always run with `-w` (wait for the xtables lock) so parallel ferry
/// runs do not fail on each other.
struct Iptables {
    program: PathBuf,
}

impl Iptables {
    /// `iptables` from `PATH`, else from /usr/sbin or /sbin (root's PATH is not always set).
    fn find() -> Result<Self> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/sbin".into()]);
        for dir in dirs {
            let candidate = dir.join("iptables");
            if candidate.is_file() {
                return Ok(Self { program: candidate });
            }
        }
        Err(NetworkError::Iptables {
            args: String::new(),
            message: "iptables not found: install the iptables package".into(),
        })
    }

    /// Runs iptables; `Ok(false)` for exit status 1 (a rule or chain that does not exist).
    fn run(&self, args: &[String]) -> Result<bool> {
        let shown = args.join(" ");
        let output = Command::new(&self.program)
            .arg("-w")
            .args(args)
            .output()
            .map_err(|e| NetworkError::Iptables {
                args: shown.clone(),
                message: e.to_string(),
            })?;
        match output.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(NetworkError::Iptables {
                args: shown,
                message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            }),
        }
    }

    fn rule_args(op: &str, rule: &Rule) -> Vec<String> {
        let head = ["-t", rule.table, op, rule.chain].map(str::to_string);
        head.into_iter().chain(rule.spec.iter().cloned()).collect()
    }

    /// How many rules `chain` holds (0 when the chain does not exist).
    fn rule_count(&self, table: &str, chain: &str) -> Result<usize> {
        let args = ["-t", table, "-S", chain].map(str::to_string);
        let output = Command::new(&self.program)
            .arg("-w")
            .args(&args)
            .output()
            .map_err(|e| NetworkError::Iptables {
                args: args.join(" "),
                message: e.to_string(),
            })?;
        let listing = String::from_utf8_lossy(&output.stdout);
        Ok(listing.lines().filter(|l| l.starts_with("-A ")).count())
    }

    /// Creates `chain` (`-N` exits 1 when it exists already: just as good). One call, because
    /// every `ferry run` pays for each iptables process.
    fn ensure_chain(&self, table: &str, chain: &str) -> Result<()> {
        self.run(&["-t", table, "-N", chain].map(str::to_string))?;
        Ok(())
    }

    /// Adds `rule` unless an identical one exists (`-C`); jumps into FORWARD go first (`-I`), so a
    /// DROP rule another tool appended does not hide them.
    fn ensure(&self, rule: &Rule) -> Result<()> {
        if self.run(&Self::rule_args("-C", rule))? {
            return Ok(());
        }
        let op = if rule.chain == "FORWARD" { "-I" } else { "-A" };
        if !self.run(&Self::rule_args(op, rule))? {
            return Err(NetworkError::Iptables {
                args: rule.to_string(),
                message: "the rule was refused".into(),
            });
        }
        Ok(())
    }

    /// Deletes every copy of each rule (`-D` exits 1 once none is left).
    fn delete_all(&self, rules: &[Rule]) -> Result<()> {
        for rule in rules {
            while self.run(&Self::rule_args("-D", rule))? {}
        }
        Ok(())
    }
}

fn write_sysctl(path: &str, value: &str) -> Result<()> {
    let current =
        std::fs::read_to_string(path).map_err(NetworkError::io("read", Path::new(path)))?;
    if current.trim() == value {
        return Ok(());
    }
    std::fs::write(path, value).map_err(NetworkError::io("write", Path::new(path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::ports::parse_publish;

    #[test]
    fn a_published_port_is_a_dnat_a_hairpin_masquerade_and_a_forward_accept() {
        let rules = port_rules(
            "ferry0",
            Ipv4Addr::new(10, 77, 0, 2),
            &parse_publish("8080:80").unwrap(),
        );
        let text: Vec<String> = rules.iter().map(Rule::to_string).collect();
        assert_eq!(
            text,
            [
                "-t nat -A FERRY -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.77.0.2:80",
                "-t nat -A FERRY-POSTROUTING -s 10.77.0.2/32 -d 10.77.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE",
                "-t filter -A FERRY-FORWARD -d 10.77.0.2/32 ! -i ferry0 -o ferry0 -p tcp -m tcp --dport 80 -j ACCEPT",
            ]
        );
    }

    #[test]
    fn a_port_bound_to_one_address_matches_only_that_destination() {
        let rules = port_rules(
            "ferry0",
            Ipv4Addr::new(10, 77, 0, 2),
            &parse_publish("127.0.0.1:53:53/udp").unwrap(),
        );
        assert_eq!(rules[0].to_string(), "-t nat -A FERRY -d 127.0.0.1/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.77.0.2:53");
    }

    #[test]
    fn a_network_masquerades_its_subnet_leaving_by_another_interface() {
        let rules = network_rules("ferry0", &"10.77.0.0/16".parse().unwrap());
        assert_eq!(
            rules[0].to_string(),
            "-t nat -A FERRY-POSTROUTING -s 10.77.0.0/16 ! -o ferry0 -j MASQUERADE"
        );
        assert!(
            rules.iter().all(|r| r.chain.starts_with("FERRY")),
            "network rules live in ferry's chains"
        );
    }

    #[test]
    fn local_destinations_jump_to_ferry_from_prerouting_and_output() {
        let jumps: Vec<String> = jumps().iter().map(Rule::to_string).collect();
        assert!(jumps
            .contains(&"-t nat -A PREROUTING -m addrtype --dst-type LOCAL -j FERRY".to_string()));
        assert!(
            jumps.contains(&"-t nat -A OUTPUT -m addrtype --dst-type LOCAL -j FERRY".to_string())
        );
    }
}
