//! IPv4 subnets in CIDR form (`10.77.0.0/16`): which addresses a bridge network hands out.
//!
//! The first address after the network address is the gateway (the bridge's own address, the
//! containers' default route); the last is the broadcast address; everything between is for
//! containers. That is the layout `docker0` uses with 172.17.0.0/16.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::NetworkError;

/// An IPv4 network: its base address and prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subnet {
    base: Ipv4Addr,
    prefix: u8,
}

impl Subnet {
    /// The longest prefix that still leaves a gateway and one container address (/30).
    pub const LONGEST_PREFIX: u8 = 30;

    /// The prefix length (`16` in `10.77.0.0/16`).
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The network address.
    pub fn base(&self) -> Ipv4Addr {
        self.base
    }

    fn mask(&self) -> u32 {
        u32::MAX << (32 - u32::from(self.prefix))
    }

    /// The bridge's address: the first address of the subnet.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.base) + 1)
    }

    /// The subnet's broadcast address (all host bits set).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.base) | !self.mask())
    }

    /// The addresses containers may get, lowest first: after the gateway, before the broadcast.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        (u32::from(self.gateway()) + 1..u32::from(self.broadcast())).map(Ipv4Addr::from)
    }

    /// Whether `ip` lies in this subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.base)
    }

    /// Whether two subnets share any address (then their routes would conflict).
    pub fn overlaps(&self, other: &Subnet) -> bool {
        self.contains(other.base) || other.contains(self.base)
    }
}

impl FromStr for Subnet {
    type Err = NetworkError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            NetworkError::Invalid(format!(
                "invalid subnet {text:?}: expected an IPv4 CIDR such as 10.77.0.0/16"
            ))
        };
        let (addr, prefix) = text.split_once('/').ok_or_else(invalid)?;
        let base: Ipv4Addr = addr.parse().map_err(|_| invalid())?;
        let prefix: u8 = prefix.parse().map_err(|_| invalid())?;
        if !(1..=Self::LONGEST_PREFIX).contains(&prefix) {
            return Err(NetworkError::Invalid(format!(
                "invalid subnet {text}: the prefix must be between /1 and /{}",
                Self::LONGEST_PREFIX
            )));
        }
        let subnet = Subnet { base, prefix };
        let masked = Ipv4Addr::from(u32::from(base) & subnet.mask());
        if masked != base {
            return Err(NetworkError::Invalid(format!(
                "invalid subnet {text}: it has host bits set (did you mean {masked}/{prefix}?)"
            )));
        }
        Ok(subnet)
    }
}

impl TryFrom<String> for Subnet {
    type Error = NetworkError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Subnet> for String {
    fn from(subnet: Subnet) -> String {
        subnet.to_string()
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(text: &str) -> Subnet {
        text.parse().unwrap()
    }

    #[test]
    fn the_gateway_is_the_first_address_and_containers_get_the_rest() {
        let net = subnet("10.77.0.0/29");
        assert_eq!(net.gateway(), Ipv4Addr::new(10, 77, 0, 1));
        assert_eq!(net.broadcast(), Ipv4Addr::new(10, 77, 0, 7));
        let hosts: Vec<_> = net.hosts().map(|ip| ip.octets()[3]).collect();
        assert_eq!(hosts, [2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_slash_30_leaves_exactly_one_container_address() {
        assert_eq!(
            subnet("10.99.0.0/30").hosts().collect::<Vec<_>>(),
            [Ipv4Addr::new(10, 99, 0, 2)]
        );
    }

    #[test]
    fn cidr_text_round_trips_and_bad_text_is_refused() {
        assert_eq!(subnet("10.77.0.0/16").to_string(), "10.77.0.0/16");
        for bad in [
            "10.77.0.0",
            "10.77.0.0/33",
            "10.77.0.0/31",
            "10.77.0.1/16",
            "abc/8",
            "10.77.0.0/x",
        ] {
            assert!(bad.parse::<Subnet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn overlapping_subnets_are_detected_both_ways() {
        assert!(subnet("10.0.0.0/8").overlaps(&subnet("10.77.0.0/16")));
        assert!(subnet("10.77.0.0/16").overlaps(&subnet("10.0.0.0/8")));
        assert!(!subnet("10.77.0.0/16").overlaps(&subnet("10.78.0.0/16")));
    }

    #[test]
    fn membership_follows_the_prefix() {
        let net = subnet("192.168.4.0/22");
        assert!(net.contains(Ipv4Addr::new(192, 168, 7, 255)));
        assert!(!net.contains(Ipv4Addr::new(192, 168, 8, 0)));
    }
}
