//! The three files every container gets in /etc: `hostname`, `hosts` and `resolv.conf`.
//!
//! The image cannot know the container's name or address, so the engine writes them per container.
//! Like Docker, ferry keeps them in the container's own directory (`containers/<id>/hostname`, …),
//! which only the engine can reach, and the runtime bind-mounts them over the image's paths
//! ([`MOUNTS`]). They are never written *inside* the root filesystem: a path there belongs to the
//! container, which could have made `/etc/hostname` a symlink to a host file — and the engine, root
//! on the host, would have overwritten that file at the next start.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::error::{NetworkError, Result};

/// Nameservers a container gets when the host only has local ones (a stub resolver on 127.0.0.53
/// is unreachable from another network namespace). Docker falls back to the same two.
const FALLBACK_NAMESERVERS: &[&str] = &["8.8.8.8", "8.8.4.4"];

/// Each file: its name in the container's directory, and where it is mounted inside the container.
pub const MOUNTS: [(&str, &str); 3] = [
    ("hostname", "/etc/hostname"),
    ("hosts", "/etc/hosts"),
    ("resolv.conf", "/etc/resolv.conf"),
];

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

    /// Writes the three files into `dir`, the container's own directory (see [`MOUNTS`]), each
    /// atomically: a container that is running keeps the file it has mounted, and a new start
    /// mounts a whole new one.
    pub fn write(&self, dir: &Path) -> Result<()> {
        for ((name, _), text) in MOUNTS
            .iter()
            .zip([&self.hostname, &self.hosts, &self.resolv_conf])
        {
            write_atomically(&dir.join(name), text)?;
        }
        Ok(())
    }
}

/// Writes `text` to a new file beside `path` (never following a link there), then renames it over
/// `path`. Readable by every user of the container, as Docker's are.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let _ = fs::remove_file(&tmp); // a start killed half-way left it
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .map_err(NetworkError::io("create", &tmp))?;
    file.write_all(text.as_bytes())
        .map_err(NetworkError::io("write", &tmp))?;
    fs::rename(&tmp, path).map_err(NetworkError::io("rename", path))
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
    fn the_files_are_written_into_the_given_directory() {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path();
        EtcFiles::for_container("box", None, &[], "nameserver 192.0.2.1\n")
            .write(etc)
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
        assert_eq!(
            fs::read_dir(etc).unwrap().count(),
            3,
            "no temporary file is left"
        );
    }

    #[test]
    fn a_symlink_in_the_directory_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "host\n").unwrap();
        let files = dir.path().join("ctr");
        fs::create_dir(&files).unwrap();
        std::os::unix::fs::symlink(&victim, files.join("hostname")).unwrap();
        std::os::unix::fs::symlink(&victim, files.join(".hosts.tmp")).unwrap();
        EtcFiles::for_container("box", None, &[], "")
            .write(&files)
            .unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "host\n");
        assert_eq!(fs::read_to_string(files.join("hostname")).unwrap(), "box\n");
    }
}
