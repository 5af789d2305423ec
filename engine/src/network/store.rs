//! Network definitions under the state root, and the lock that serialises changes to them.
//!
//! ```text
//! <root>/networks/.lock                      flock(2) held while addresses, ports or networks change
//! <root>/networks/<name>/network.json         the definition: id, bridge device, subnet, gateway
//! <root>/networks/<name>/leases/<ip>          one file per address in use, holding the container id
//! <root>/networks/ports/<proto>-<port>        one file per published host port, same content
//! ```
//!
//! The default network is called `bridge` (as Docker's is), its device `ferry0` and its subnet
//! 10.77.0.0/16 — not Docker's 172.17.0.0/16, so ferry lives beside Docker. Both can be changed
//! with `FERRY_BRIDGE` and `FERRY_BRIDGE_SUBNET` when the state root is first used: ferry has no
//! daemon to take a `--bip` flag, so the first use writes the definition and later runs read it.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::error::{NetworkError, Result};
use super::subnet::Subnet;

/// The name of the network containers join when `--network` is not given.
pub const DEFAULT_NETWORK: &str = "bridge";
/// The default network's bridge device (Docker's is `docker0`).
pub const DEFAULT_BRIDGE: &str = "ferry0";
/// The default network's subnet.
pub const DEFAULT_SUBNET: &str = "10.77.0.0/16";
/// Overrides [`DEFAULT_BRIDGE`] when the default network is first defined.
pub const BRIDGE_ENV: &str = "FERRY_BRIDGE";
/// Overrides [`DEFAULT_SUBNET`] when the default network is first defined.
pub const SUBNET_ENV: &str = "FERRY_BRIDGE_SUBNET";
/// Names that are network modes, not networks: `ferry network create` refuses them.
const RESERVED: &[&str] = &["host", "none", "default", "container"];

/// One bridge network, as `network.json` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Network {
    /// Its name (`bridge` for the default).
    pub name: String,
    /// 64 hex digits, as Docker's network ids.
    pub id: String,
    /// Always `bridge`: the only driver ferry has.
    pub driver: String,
    /// The Linux bridge device, e.g. `ferry0` or `br-1a2b3c4d5e6f`.
    pub bridge: String,
    /// The addresses it hands out.
    pub subnet: Subnet,
    /// The bridge's own address, every container's default route.
    pub gateway: Ipv4Addr,
}

/// The networks under one state root.
#[derive(Debug, Clone)]
pub struct NetworkStore {
    dir: PathBuf,
}

/// Proof that the caller holds the store's lock; dropping it unlocks.
pub struct StoreLock {
    _flock: Flock<File>,
}

/// The lock over what every ferry on this machine shares whatever its state root: bridges and
/// iptables rules. Held while a bridge is created, a veth is plugged into it, or an empty default
/// bridge is removed, so one ferry never deletes a bridge another is about to use.
pub const HOST_LOCK: &str = "/run/ferry-network.lock";

/// Proof that the caller holds [`HOST_LOCK`].
pub struct HostLock {
    _flock: Flock<File>,
}

/// Takes [`HOST_LOCK`], waiting for other ferry processes.
pub fn host_lock() -> Result<HostLock> {
    Ok(HostLock {
        _flock: flock(Path::new(HOST_LOCK))?,
    })
}

fn flock(path: &Path) -> Result<Flock<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(NetworkError::io("open", path))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| NetworkError::io("lock", path)(errno.into()))
}

impl NetworkStore {
    /// The store under `state_root` (its directories are created on first use).
    pub fn new(state_root: &Path) -> Self {
        Self {
            dir: state_root.join("networks"),
        }
    }

    /// Takes the store's exclusive lock, waiting for other ferry processes to release it. Address
    /// and port allocation happen under it, so 20 parallel runs get 20 different addresses.
    pub fn lock(&self) -> Result<StoreLock> {
        fs::create_dir_all(&self.dir).map_err(NetworkError::io("create directory", &self.dir))?;
        Ok(StoreLock {
            _flock: flock(&self.dir.join(".lock"))?,
        })
    }

    /// The directory holding one lease file per address in use on `network`.
    pub(super) fn leases_dir(&self, network: &Network) -> PathBuf {
        self.dir.join(&network.name).join("leases")
    }

    /// The directory holding one lease file per published host port.
    pub(super) fn ports_dir(&self) -> PathBuf {
        self.dir.join("ports")
    }

    fn definition(&self, name: &str) -> PathBuf {
        self.dir.join(name).join("network.json")
    }

    /// Finds a network by name, full id or unique id prefix; the default network is defined on
    /// first use.
    pub fn get(&self, _lock: &StoreLock, reference: &str) -> Result<Network> {
        if reference == DEFAULT_NETWORK {
            return self.default_network();
        }
        if let Some(network) = self.read(reference)? {
            return Ok(network);
        }
        let by_id: Vec<Network> = self
            .list()?
            .into_iter()
            .filter(|n| n.id.starts_with(reference))
            .collect();
        match (reference.len() >= 3, &by_id[..]) {
            (true, [one]) => Ok(one.clone()),
            _ => Err(NetworkError::NotFound(reference.to_string())),
        }
    }

    /// Every defined network, sorted by name (the default one included once it exists).
    pub fn list(&self) -> Result<Vec<Network>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(NetworkError::io("read directory", &self.dir)(e)),
        };
        let mut networks = Vec::new();
        for entry in entries.flatten() {
            if let Some(network) = self.read(&entry.file_name().to_string_lossy())? {
                networks.push(network);
            }
        }
        networks.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(networks)
    }

    /// Defines a new network (`ferry network create`). Without a subnet, the first free /16 from
    /// 10.78.0.0 on is taken.
    pub fn create(&self, lock: &StoreLock, name: &str, subnet: Option<Subnet>) -> Result<Network> {
        check_name(name)?;
        if name == DEFAULT_NETWORK || self.read(name)?.is_some() {
            return Err(NetworkError::Invalid(format!(
                "network with name {name} already exists"
            )));
        }
        let mut taken: Vec<Subnet> = self.list()?.iter().map(|n| n.subnet).collect();
        taken.push(self.get(lock, DEFAULT_NETWORK)?.subnet);
        let subnet = match subnet {
            Some(subnet) => match taken.iter().find(|t| t.overlaps(&subnet)) {
                Some(other) => {
                    return Err(NetworkError::Invalid(format!(
                        "subnet {subnet} overlaps with {other}, used by another ferry network"
                    )))
                }
                None => subnet,
            },
            None => free_subnet(&taken)?,
        };
        let id = random_id()?;
        let network = Network {
            name: name.to_string(),
            bridge: format!("br-{}", &id[..12]),
            id,
            driver: "bridge".into(),
            gateway: subnet.gateway(),
            subnet,
        };
        self.write(&network)?;
        Ok(network)
    }

    /// Forgets a network's definition; the caller has removed its bridge and rules. The default
    /// network and a network with containers on it are refused, as Docker refuses them.
    pub fn remove(&self, _lock: &StoreLock, network: &Network) -> Result<()> {
        self.check_removable(network)?;
        let dir = self.dir.join(&network.name);
        fs::remove_dir_all(&dir).map_err(NetworkError::io("remove directory", &dir))
    }

    /// Refuses to remove the default network or one with containers attached.
    pub fn check_removable(&self, network: &Network) -> Result<()> {
        if network.name == DEFAULT_NETWORK {
            return Err(NetworkError::Invalid(format!(
                "{} is a pre-defined network and cannot be removed",
                network.name
            )));
        }
        let in_use = fs::read_dir(self.leases_dir(network))
            .map(|d| d.count())
            .unwrap_or(0);
        if in_use > 0 {
            return Err(NetworkError::Invalid(format!(
                "error while removing network: network {} id {} has active endpoints",
                network.name, network.id
            )));
        }
        Ok(())
    }

    /// The default network, written from the environment (or the defaults) on first use.
    fn default_network(&self) -> Result<Network> {
        if let Some(network) = self.read(DEFAULT_NETWORK)? {
            return Ok(network);
        }
        let subnet: Subnet = std::env::var(SUBNET_ENV)
            .unwrap_or_else(|_| DEFAULT_SUBNET.into())
            .parse()?;
        let bridge = std::env::var(BRIDGE_ENV).unwrap_or_else(|_| DEFAULT_BRIDGE.into());
        check_device_name(&bridge)?;
        let network = Network {
            name: DEFAULT_NETWORK.into(),
            id: random_id()?,
            driver: "bridge".into(),
            bridge,
            gateway: subnet.gateway(),
            subnet,
        };
        self.write(&network)?;
        Ok(network)
    }

    fn read(&self, name: &str) -> Result<Option<Network>> {
        if check_name(name).is_err() {
            return Ok(None);
        }
        let path = self.definition(name);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(NetworkError::io("read", &path)(e)),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| NetworkError::Corrupt {
                path,
                message: e.to_string(),
            })
    }

    /// Writes a definition to a temporary file and renames it, so a reader never sees half.
    fn write(&self, network: &Network) -> Result<()> {
        let path = self.definition(&network.name);
        let dir = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(dir).map_err(NetworkError::io("create directory", dir))?;
        let tmp = dir.join(".network.json.tmp");
        let json = serde_json::to_vec_pretty(network).expect("a network serializes");
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(NetworkError::io("write", &path))
    }
}

/// Docker's rule for network names: a letter or digit, then letters, digits, `_`, `.`, `-`.
fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !first_ok || !rest_ok || name.len() > 64 || RESERVED.contains(&name) {
        return Err(NetworkError::Invalid(format!(
            "invalid network name {name:?}"
        )));
    }
    Ok(())
}

/// A Linux interface name: 1 to 15 bytes, no `/`, no whitespace.
fn check_device_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && !name.contains(['/', ':'])
        && !name.contains(char::is_whitespace);
    if !ok {
        return Err(NetworkError::Invalid(format!(
            "invalid bridge name {name:?}: at most 15 characters, no '/', ':' or spaces"
        )));
    }
    Ok(())
}

/// The first /16 from 10.78.0.0/16 upward that no existing network overlaps.
fn free_subnet(taken: &[Subnet]) -> Result<Subnet> {
    (78u8..=254)
        .filter_map(|second| format!("10.{second}.0.0/16").parse::<Subnet>().ok())
        .find(|candidate| !taken.iter().any(|t| t.overlaps(candidate)))
        .ok_or_else(|| NetworkError::Invalid("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network".into()))
}

/// 64 random hex digits, as Docker's network ids.
fn random_id() -> Result<String> {
    let mut bytes = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(NetworkError::io("read", "/dev/urandom"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_network_is_defined_once_and_then_read_back() {
        let root = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(root.path());
        let lock = store.lock().unwrap();
        let first = store.get(&lock, DEFAULT_NETWORK).unwrap();
        assert_eq!(first.name, "bridge");
        assert_eq!(first.gateway, first.subnet.gateway());
        assert_eq!(store.get(&lock, DEFAULT_NETWORK).unwrap(), first);
    }

    #[test]
    fn created_networks_get_free_subnets_and_bridge_names_from_their_id() {
        let root = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(root.path());
        let lock = store.lock().unwrap();
        let a = store.create(&lock, "a", None).unwrap();
        let b = store.create(&lock, "b", None).unwrap();
        assert!(!a.subnet.overlaps(&b.subnet));
        assert_eq!(a.bridge, format!("br-{}", &a.id[..12]));
        assert_eq!(store.get(&lock, &a.id[..6]).unwrap(), a);
        let names: Vec<_> = store.list().unwrap().into_iter().map(|n| n.name).collect();
        assert_eq!(names, ["a", "b", "bridge"]);
    }

    #[test]
    fn duplicate_reserved_and_overlapping_networks_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(root.path());
        let lock = store.lock().unwrap();
        store
            .create(&lock, "web", Some("10.90.0.0/24".parse().unwrap()))
            .unwrap();
        assert!(store.create(&lock, "web", None).is_err());
        assert!(store.create(&lock, "host", None).is_err());
        assert!(store.create(&lock, "../x", None).is_err());
        let overlap = store
            .create(&lock, "other", Some("10.90.0.0/16".parse().unwrap()))
            .unwrap_err();
        assert!(overlap.to_string().contains("overlaps"), "{overlap}");
    }

    #[test]
    fn the_default_network_cannot_be_removed_and_unknown_names_are_not_found() {
        let root = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(root.path());
        let lock = store.lock().unwrap();
        let default = store.get(&lock, DEFAULT_NETWORK).unwrap();
        assert!(store.remove(&lock, &default).is_err());
        assert!(matches!(
            store.get(&lock, "nosuch"),
            Err(NetworkError::NotFound(_))
        ));
    }
}
