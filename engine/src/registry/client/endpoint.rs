//! Where a registry is, and whether to speak HTTP or HTTPS to it.
//!
//! Docker talks HTTPS to every registry except those listed as *insecure* — which is why the
//! seeds' `docker push 172.16.1.226:5000/…` first fails with "server gave HTTP response to HTTPS
//! client", and works once `/etc/docker/daemon.json` lists the registry under
//! `insecure-registries`. ferry reads the same key from `<state root>/daemon.json`, adds the
//! comma-separated `FERRY_INSECURE_REGISTRIES`, and, like Docker, treats loopback registries
//! (`localhost`, `127.0.0.0/8`, `::1`) as insecure without being told.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use serde::Deserialize;

/// The environment variable adding insecure registries (`host:port`, `host` or an IPv4 CIDR).
pub const INSECURE_ENV: &str = "FERRY_INSECURE_REGISTRIES";
/// The file (under the state root) with Docker's daemon.json key `insecure-registries`.
pub const DAEMON_JSON: &str = "daemon.json";
/// Docker Hub's name in references (`nginx` is `docker.io/library/nginx`).
pub const DOCKER_HUB: &str = "docker.io";
/// The host Docker Hub's registry API lives at (`docker.io` is only its name in references).
pub const DOCKER_HUB_HOST: &str = "registry-1.docker.io";

/// A registry's base URL parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// `host[:port]`.
    pub host: String,
}

impl Endpoint {
    /// `scheme://host/v2/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}://{}/v2/{}",
            self.scheme,
            self.host,
            path.trim_start_matches('/')
        )
    }

    /// Whether requests go over plain HTTP.
    pub fn is_insecure(&self) -> bool {
        self.scheme == "http"
    }
}

/// The registries to reach over plain HTTP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsecureRegistries {
    entries: Vec<String>,
}

#[derive(Deserialize)]
struct DaemonJson {
    #[serde(default, rename = "insecure-registries")]
    insecure_registries: Vec<String>,
}

impl InsecureRegistries {
    /// Exactly these entries (plus the loopback default).
    pub fn new(entries: impl IntoIterator<Item = String>) -> Self {
        Self {
            entries: entries
                .into_iter()
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect(),
        }
    }

    /// `<state_root>/daemon.json` and `FERRY_INSECURE_REGISTRIES`.
    pub fn load(state_root: &Path) -> Result<Self, String> {
        let path = state_root.join(DAEMON_JSON);
        let mut entries = match std::fs::read(&path) {
            Ok(bytes) => {
                let daemon: DaemonJson = serde_json::from_slice(&bytes)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                daemon.insecure_registries
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if let Ok(extra) = std::env::var(INSECURE_ENV) {
            entries.extend(extra.split(',').map(str::to_string));
        }
        Ok(Self::new(entries))
    }

    // ANCHOR: is_insecure
    /// Whether `registry` (`host[:port]`) is to be reached over HTTP.
    pub fn contains(&self, registry: &str) -> bool {
        let host = host_of(registry);
        if is_loopback(host) {
            return true;
        }
        self.entries
            .iter()
            .any(|entry| entry == registry || entry == host || in_cidr(entry, host))
    }
    // ANCHOR_END: is_insecure

    /// The endpoint of a registry named in a reference (`docker.io` is Docker Hub's API host).
    pub fn endpoint(&self, domain: &str) -> Endpoint {
        let host = if domain == DOCKER_HUB {
            DOCKER_HUB_HOST.to_string()
        } else {
            domain.to_string()
        };
        let scheme = if self.contains(domain) {
            "http"
        } else {
            "https"
        };
        Endpoint { scheme, host }
    }
}

/// The host part of `host[:port]` (IPv6 literals are written `[::1]:5000`).
fn host_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match registry.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => registry,
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether `host` is an IPv4 address inside `cidr` (`10.0.0.0/8`).
fn in_cidr(cidr: &str, host: &str) -> bool {
    let Some((network, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(network), Ok(bits), Ok(host)) = (
        network.parse::<Ipv4Addr>(),
        bits.parse::<u32>(),
        host.parse::<Ipv4Addr>(),
    ) else {
        return false;
    };
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX.checked_shl(32 - bits.min(32)).unwrap_or(0)
    };
    u32::from(network) & mask == u32::from(host) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_are_insecure_by_default_like_docker() {
        let none = InsecureRegistries::default();
        for local in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "localhost",
        ] {
            assert!(none.contains(local), "{local}");
        }
        assert!(!none.contains("172.16.1.226:5000"));
        assert_eq!(
            none.endpoint("127.0.0.1:5000").url("app/manifests/v1"),
            "http://127.0.0.1:5000/v2/app/manifests/v1"
        );
    }

    #[test]
    fn listed_registries_hosts_and_cidrs_are_insecure() {
        let listed = InsecureRegistries::new([
            "172.16.1.226:5000".to_string(),
            "reg.local".into(),
            "10.0.0.0/8".into(),
        ]);
        assert!(listed.contains("172.16.1.226:5000"));
        assert!(
            !listed.contains("172.16.1.226:5001"),
            "a listed host:port covers that port only"
        );
        assert!(listed.contains("reg.local:443"));
        assert!(listed.contains("10.1.2.3:5000"));
        assert!(!listed.contains("11.0.0.1:5000"));
    }

    #[test]
    fn docker_hub_is_reached_over_https_at_its_api_host() {
        let endpoint = InsecureRegistries::default().endpoint("docker.io");
        assert_eq!(
            endpoint.url("/library/nginx/manifests/alpine"),
            "https://registry-1.docker.io/v2/library/nginx/manifests/alpine"
        );
        assert!(!endpoint.is_insecure());
    }

    #[test]
    fn daemon_json_lists_insecure_registries_as_the_seeds_write_it() {
        let dir = tempfile::tempdir().unwrap();
        let json = r#"{"registry-mirrors": ["https://8xpk5wnt.mirror.aliyuncs.com"], "insecure-registries": ["172.16.1.226:5000"]}"#;
        std::fs::write(dir.path().join(DAEMON_JSON), json).unwrap();
        let loaded = InsecureRegistries::load(dir.path()).unwrap();
        assert!(loaded.contains("172.16.1.226:5000"));
        std::fs::write(dir.path().join(DAEMON_JSON), "{not json").unwrap();
        assert!(InsecureRegistries::load(dir.path())
            .unwrap_err()
            .contains("daemon.json"));
    }
}
