//! The three files every container gets in /etc: `hostname`, `hosts` and `resolv.conf`.
//!
//! Docker writes them per container (and bind-mounts them) because the image cannot know the
//! container's name or address. ferry writes them into the container's writable layer before its
//! root filesystem is assembled, so the image's own files are shadowed, never changed.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;

use super::error::{NetworkError, Result};

/// Nameservers a container gets when the host only has local ones (a stub resolver on 127.0.0.53
/// is unreachable from another network namespace). Docker falls back to the same two.
const FALLBACK_NAMESERVERS: &[&str] = &["8.8.8.8", "8.8.4.4"];

/// What goes into the container's /etc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcFiles {
    /// `/etc/hostname`.
    pub hostname: String,
    /// `/etc/hosts`.
    pub hosts: String,
    /// `/etc/resolv.conf`.
    pub resolv_conf: String,
}

impl EtcFiles {
    /// The files for a container with its own network stack: `ip` is its address on its first
    /// network (`None` with `--network none`), `peers` are other containers' addresses and names.
    pub fn for_container(
        hostname: &str,
        ip: Option<Ipv4Addr>,
        peers: &[(Ipv4Addr, String)],
        host_resolv_conf: &str,
    ) -> Self {
        let mut hosts = String::from(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
        );
        for (peer_ip, name) in peers {
            hosts.push_str(&format!("{peer_ip}\t{name}\n"));
        }
        if let Some(ip) = ip {
            hosts.push_str(&format!("{ip}\t{hostname}\n"));
        }
        Self {
            hostname: format!("{hostname}\n"),
            hosts,
            resolv_conf: container_resolv_conf(host_resolv_conf),
        }
    }

    /// The files for `--network host`: the host's own `hosts` and `resolv.conf`.
    pub fn for_host_network(hostname: &str, host_hosts: &str, host_resolv_conf: &str) -> Self {
        Self {
            hostname: format!("{hostname}\n"),
            hosts: host_hosts.to_string(),
            resolv_conf: host_resolv_conf.to_string(),
        }
    }

    /// Writes the three files into `etc` (created if missing).
    pub fn write(&self, etc: &Path) -> Result<()> {
        fs::create_dir_all(etc).map_err(NetworkError::io("create directory", etc))?;
        for (name, text) in [
            ("hostname", &self.hostname),
            ("hosts", &self.hosts),
            ("resolv.conf", &self.resolv_conf),
        ] {
            let path = etc.join(name);
            fs::write(&path, text).map_err(NetworkError::io("write", &path))?;
        }
        Ok(())
    }
}

/// The host's resolv.conf without loopback nameservers, which mean nothing in another network
/// namespace; if none is left, Docker's public fallbacks.
pub fn container_resolv_conf(host: &str) -> String {
    let is_loopback_server = |line: &str| {
        let mut words = line.split_whitespace();
        words.next() == Some("nameserver")
            && words
                .next()
                .is_some_and(|ip| ip.starts_with("127.") || ip == "::1")
    };
    let mut kept: Vec<String> = host
        .lines()
        .filter(|l| !is_loopback_server(l))
        .map(str::to_string)
        .collect();
    if !kept
        .iter()
        .any(|l| l.trim_start().starts_with("nameserver"))
    {
        kept.extend(
            FALLBACK_NAMESERVERS
                .iter()
                .map(|ip| format!("nameserver {ip}")),
        );
    }
    kept.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_maps_localhost_peers_and_the_container_itself() {
        let files = EtcFiles::for_container(
            "web",
            Some(Ipv4Addr::new(10, 77, 0, 2)),
            &[(Ipv4Addr::new(10, 77, 0, 3), "db".into())],
            "",
        );
        assert!(files.hosts.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(files.hosts.contains("10.77.0.3\tdb\n"));
        assert!(files.hosts.ends_with("10.77.0.2\tweb\n"));
        assert_eq!(files.hostname, "web\n");
    }

    #[test]
    fn loopback_nameservers_are_dropped_and_replaced_only_when_none_is_left() {
        assert_eq!(
            container_resolv_conf("nameserver 127.0.0.53\nsearch lan\n"),
            "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
        assert_eq!(
            container_resolv_conf("nameserver 127.0.0.1\nnameserver 192.0.2.53\n"),
            "nameserver 192.0.2.53\n"
        );
    }

    #[test]
    fn the_files_are_written_into_the_given_etc() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        EtcFiles::for_container("box", None, &[], "nameserver 192.0.2.1\n")
            .write(&etc)
            .unwrap();
        assert_eq!(fs::read_to_string(etc.join("hostname")).unwrap(), "box\n");
        assert_eq!(
            fs::read_to_string(etc.join("resolv.conf")).unwrap(),
            "nameserver 192.0.2.1\n"
        );
        assert!(
            !fs::read_to_string(etc.join("hosts"))
                .unwrap()
                .contains("box"),
            "no address, no line for the container"
        );
    }
}
