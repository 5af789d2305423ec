//! Host name resolution for `wget` and `nc`: IP literals, then `/etc/hosts`, then the resolver.
//!
//! A static glibc cannot load NSS modules, so `/etc/hosts` (which ferry writes, and which links
//! container names to addresses) is read directly before falling back to `getaddrinfo`.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// The hosts file.
const HOSTS: &str = "/etc/hosts";

/// Every address `host` (a name, an IPv4 literal or a bracketed/bare IPv6 literal) has, on `port`.
pub fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let from_file = std::fs::read_to_string(HOSTS)
        .map(|hosts| hosts_lookup(&hosts, bare))
        .unwrap_or_default();
    if !from_file.is_empty() {
        return Ok(from_file
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect());
    }
    let found: Vec<SocketAddr> = (bare, port).to_socket_addrs()?.collect();
    if found.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("bad address '{host}'"),
        ));
    }
    Ok(found)
}

/// The addresses a hosts file gives `name` (names are case-insensitive; `#` starts a comment).
fn hosts_lookup(hosts: &str, name: &str) -> Vec<IpAddr> {
    hosts
        .lines()
        .filter_map(|line| {
            let line = line.split('#').next()?;
            let mut fields = line.split_whitespace();
            let ip: IpAddr = fields.next()?.parse().ok()?;
            fields
                .any(|alias| alias.eq_ignore_ascii_case(name))
                .then_some(ip)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_file_names_and_aliases_resolve_case_insensitively() {
        let hosts = "127.0.0.1 localhost\n# 10.0.0.9 hidden\n10.0.0.2 web Web.local # comment\n";
        assert_eq!(
            hosts_lookup(hosts, "WEB.local"),
            ["10.0.0.2".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            hosts_lookup(hosts, "localhost"),
            ["127.0.0.1".parse::<IpAddr>().unwrap()]
        );
        assert!(hosts_lookup(hosts, "hidden").is_empty());
    }

    #[test]
    fn ip_literals_need_no_lookup() {
        assert_eq!(
            resolve("10.1.2.3", 80).unwrap(),
            ["10.1.2.3:80".parse().unwrap()]
        );
        assert_eq!(
            resolve("[::1]", 8080).unwrap(),
            ["[::1]:8080".parse().unwrap()]
        );
    }
}
