//! Published ports: parsing `-p` as Docker does, and what a mapping looks like once it has a host
//! port.
//!
//! `-p` takes `[IP:][HOST_PORT:]CONTAINER_PORT[/PROTO]`: `8080:80`, `127.0.0.1:8080:80`,
//! `80` (a random host port), `127.0.0.1::80`, `5353:53/udp`. Every check here happens while the
//! command line is parsed, so a bad `-p` never leaves a link or a rule behind.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::NetworkError;

/// The transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
}

impl Protocol {
    /// The name iptables and Docker use: `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl FromStr for Protocol {
    type Err = NetworkError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            _ => Err(NetworkError::Invalid(format!("invalid proto: {text}"))),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One published port. `host_port` 0 means "any free port", chosen when the container starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortMapping {
    /// The host address it is reachable on; `None` means every address (0.0.0.0).
    pub host_ip: Option<Ipv4Addr>,
    /// The port on the host.
    pub host_port: u16,
    /// The port inside the container.
    pub container_port: u16,
    /// TCP or UDP.
    pub protocol: Protocol,
}

impl PortMapping {
    /// The host address as `ferry port` shows it.
    pub fn host_ip_or_any(&self) -> Ipv4Addr {
        self.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED)
    }
}

/// `ferry port`'s line: `80/tcp -> 0.0.0.0:8080`.
impl fmt::Display for PortMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} -> {}:{}",
            self.container_port,
            self.protocol,
            self.host_ip_or_any(),
            self.host_port
        )
    }
}

/// Parses one `-p` value.
pub fn parse_publish(spec: &str) -> Result<PortMapping, NetworkError> {
    let (addr, protocol) = match spec.rsplit_once('/') {
        Some((addr, proto)) => (addr, proto.parse()?),
        None => (spec, Protocol::Tcp),
    };
    let parts: Vec<&str> = addr.split(':').collect();
    let (ip, host, container) = match parts[..] {
        [container] => ("", "", container),
        [host, container] => ("", host, container),
        [ip, host, container] => (ip, host, container),
        _ => {
            return Err(NetworkError::Invalid(format!(
                "invalid port specification: {spec:?}"
            )))
        }
    };
    let host_ip = match ip {
        "" | "0.0.0.0" => None,
        ip => Some(
            ip.parse()
                .map_err(|_| NetworkError::Invalid(format!("invalid IP address: {ip}")))?,
        ),
    };
    let host_port = match host {
        "" => 0,
        host => port_number(host)
            .ok_or_else(|| NetworkError::Invalid(format!("invalid hostPort: {host}")))?,
    };
    let container_port = port_number(container)
        .ok_or_else(|| NetworkError::Invalid(format!("invalid containerPort: {container}")))?;
    Ok(PortMapping {
        host_ip,
        host_port,
        container_port,
        protocol,
    })
}

/// Parses a `--expose` value (`80`, `53/udp`): a container port that `-P` publishes.
pub fn parse_expose(spec: &str) -> Result<(u16, Protocol), NetworkError> {
    let (port, protocol) = match spec.rsplit_once('/') {
        Some((port, proto)) => (port, proto.parse()?),
        None => (spec, Protocol::Tcp),
    };
    let port =
        port_number(port).ok_or_else(|| NetworkError::Invalid(format!("invalid port: {spec}")))?;
    Ok((port, protocol))
}

/// A TCP/UDP port: 1 to 65535.
fn port_number(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|p| *p != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(spec: &str) -> PortMapping {
        parse_publish(spec).unwrap()
    }

    #[test]
    fn host_and_container_ports_with_tcp_by_default() {
        let m = mapping("8080:80");
        assert_eq!(
            (m.host_ip, m.host_port, m.container_port, m.protocol),
            (None, 8080, 80, Protocol::Tcp)
        );
    }

    #[test]
    fn an_address_a_protocol_and_a_random_host_port() {
        let m = mapping("127.0.0.1:5353:53/udp");
        assert_eq!(
            (m.host_ip, m.host_port, m.protocol),
            (Some(Ipv4Addr::LOCALHOST), 5353, Protocol::Udp)
        );
        assert_eq!(mapping("80").host_port, 0);
        assert_eq!(mapping("127.0.0.1::80").host_port, 0);
        assert_eq!(mapping("0.0.0.0:1:2").host_ip, None);
    }

    #[test]
    fn bad_ports_are_refused_with_dockers_words() {
        let message = |spec| parse_publish(spec).unwrap_err().to_string();
        assert_eq!(message("99999:80"), "invalid hostPort: 99999");
        assert_eq!(message("abc"), "invalid containerPort: abc");
        assert_eq!(message("8080:0"), "invalid containerPort: 0");
        assert_eq!(message("80/sctp"), "invalid proto: sctp");
        assert_eq!(message("1.2.3:80:80"), "invalid IP address: 1.2.3");
        assert!(message("1:2:3:4").starts_with("invalid port specification"));
    }

    #[test]
    fn a_mapping_prints_as_ferry_port_shows_it() {
        assert_eq!(mapping("8080:80").to_string(), "80/tcp -> 0.0.0.0:8080");
        assert_eq!(
            mapping("127.0.0.1:53:53/udp").to_string(),
            "53/udp -> 127.0.0.1:53"
        );
    }

    #[test]
    fn expose_takes_a_port_and_an_optional_protocol() {
        assert_eq!(parse_expose("80").unwrap(), (80, Protocol::Tcp));
        assert_eq!(parse_expose("53/udp").unwrap(), (53, Protocol::Udp));
        assert!(parse_expose("http").is_err());
    }
}
