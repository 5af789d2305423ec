//! Address and host-port management: who holds which IP on a network, and which host ports are
//! published.
//!
//! A lease is a file named after what it reserves, created with `O_EXCL` and holding the owner's
//! container id. The caller also holds the store lock ([`super::store::StoreLock`]), so two
//! parallel `ferry run`s never pick the same address; `O_EXCL` makes that true even for a caller
//! that forgot the lock. Removing a container deletes its lease files, freeing the address.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::path::Path;

use super::error::{NetworkError, Result};
use super::ports::{PortMapping, Protocol};
use super::store::StoreLock;
use super::subnet::Subnet;

/// Leases the lowest free container address of `subnet` to `owner`.
pub(super) fn allocate_ip(
    _lock: &StoreLock,
    leases: &Path,
    subnet: &Subnet,
    network: &str,
    owner: &str,
) -> Result<Ipv4Addr> {
    fs::create_dir_all(leases).map_err(NetworkError::io("create directory", leases))?;
    for ip in subnet.hosts() {
        if try_lease(&leases.join(ip.to_string()), owner)? {
            return Ok(ip);
        }
    }
    Err(NetworkError::Invalid(format!(
        "no available IPv4 addresses on this network's address pools: {network} ({subnet})"
    )))
}

/// Frees an address, if `owner` still holds it.
pub(super) fn release_ip(leases: &Path, ip: Ipv4Addr, owner: &str) -> Result<()> {
    release(&leases.join(ip.to_string()), owner)
}

/// Every address leased on a network, with its owner, lowest first.
pub(super) fn leases(dir: &Path) -> Result<Vec<(Ipv4Addr, String)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(NetworkError::io("read directory", dir)(e)),
    };
    let mut leases = Vec::new();
    for entry in entries.flatten() {
        let Ok(ip) = entry.file_name().to_string_lossy().parse::<Ipv4Addr>() else {
            continue;
        };
        let owner =
            fs::read_to_string(entry.path()).map_err(NetworkError::io("read", entry.path()))?;
        leases.push((ip, owner));
    }
    leases.sort();
    Ok(leases)
}

/// Reserves the host port of every mapping for `owner`, choosing one for each `host_port` 0, and
/// returns the mappings with their ports. Refuses a port another ferry container published or any
/// host process listens on, before anything is created; on refusal, nothing stays reserved.
pub(super) fn reserve_ports(
    _lock: &StoreLock,
    dir: &Path,
    wanted: &[PortMapping],
    owner: &str,
) -> Result<Vec<PortMapping>> {
    fs::create_dir_all(dir).map_err(NetworkError::io("create directory", dir))?;
    let mut reserved: Vec<PortMapping> = Vec::new();
    for mapping in wanted {
        match reserve_one(dir, mapping, owner) {
            Ok(done) => reserved.push(done),
            Err(e) => {
                release_ports(dir, &reserved, owner)?;
                return Err(e);
            }
        }
    }
    Ok(reserved)
}

/// Frees the host ports of `mappings`, where `owner` still holds them.
pub(super) fn release_ports(dir: &Path, mappings: &[PortMapping], owner: &str) -> Result<()> {
    for mapping in mappings {
        release(
            &dir.join(port_lease_name(mapping.protocol, mapping.host_port)),
            owner,
        )?;
    }
    Ok(())
}

fn reserve_one(dir: &Path, mapping: &PortMapping, owner: &str) -> Result<PortMapping> {
    let taken = |port| {
        NetworkError::Invalid(format!(
            "Bind for {}:{port} failed: port is already allocated",
            mapping.host_ip_or_any()
        ))
    };
    if mapping.host_port != 0 {
        if !host_port_is_free(mapping, mapping.host_port)
            || !try_lease(
                &dir.join(port_lease_name(mapping.protocol, mapping.host_port)),
                owner,
            )?
        {
            return Err(taken(mapping.host_port));
        }
        return Ok(*mapping);
    }
    // A random port: ask the kernel for a free ephemeral one, as binding port 0 does, until one is
    // also free of ferry leases.
    for _ in 0..64 {
        let port = ephemeral_port(mapping)?;
        if try_lease(&dir.join(port_lease_name(mapping.protocol, port)), owner)? {
            return Ok(PortMapping {
                host_port: port,
                ..*mapping
            });
        }
    }
    Err(NetworkError::Invalid(
        "no free host port left to publish on".into(),
    ))
}

fn port_lease_name(protocol: Protocol, port: u16) -> String {
    format!("{protocol}-{port}")
}

/// Whether a host process could bind this port now (if not, a process already owns it).
fn host_port_is_free(mapping: &PortMapping, port: u16) -> bool {
    let addr = (mapping.host_ip_or_any(), port);
    match mapping.protocol {
        Protocol::Tcp => TcpListener::bind(addr).is_ok(),
        Protocol::Udp => UdpSocket::bind(addr).is_ok(),
    }
}

fn ephemeral_port(mapping: &PortMapping) -> Result<u16> {
    let addr = (mapping.host_ip_or_any(), 0);
    let port = match mapping.protocol {
        Protocol::Tcp => TcpListener::bind(addr).and_then(|l| l.local_addr()),
        Protocol::Udp => UdpSocket::bind(addr).and_then(|s| s.local_addr()),
    };
    port.map(|a| a.port()).map_err(NetworkError::io(
        "find a free port on",
        mapping.host_ip_or_any().to_string(),
    ))
}

/// Creates a lease file; `false` if someone already holds it.
fn try_lease(path: &Path, owner: &str) -> Result<bool> {
    match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(mut file) => {
            file.write_all(owner.as_bytes())
                .map_err(NetworkError::io("write", path))?;
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(NetworkError::io("create", path)(e)),
    }
}

/// Deletes a lease file if it is `owner`'s (an already missing lease is fine).
fn release(path: &Path, owner: &str) -> Result<()> {
    match fs::read_to_string(path) {
        Ok(holder) if holder == owner => {
            fs::remove_file(path).map_err(NetworkError::io("remove", path))
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(NetworkError::io("read", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::store::NetworkStore;

    fn setup() -> (tempfile::TempDir, NetworkStore) {
        let root = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(root.path());
        (root, store)
    }

    #[test]
    fn addresses_are_handed_out_once_and_reused_after_release() {
        let (root, store) = setup();
        let lock = store.lock().unwrap();
        let leases = root.path().join("leases");
        let subnet: Subnet = "10.9.0.0/29".parse().unwrap();
        let a = allocate_ip(&lock, &leases, &subnet, "n", "a").unwrap();
        let b = allocate_ip(&lock, &leases, &subnet, "n", "b").unwrap();
        assert_eq!(
            (a, b),
            (Ipv4Addr::new(10, 9, 0, 2), Ipv4Addr::new(10, 9, 0, 3))
        );
        release_ip(&leases, a, "not-the-owner").unwrap();
        assert_eq!(
            allocate_ip(&lock, &leases, &subnet, "n", "c").unwrap(),
            Ipv4Addr::new(10, 9, 0, 4)
        );
        let held: Vec<String> = super::leases(&leases)
            .unwrap()
            .into_iter()
            .map(|(_, owner)| owner)
            .collect();
        assert_eq!(held, ["a", "b", "c"]);
        release_ip(&leases, a, "a").unwrap();
        assert_eq!(allocate_ip(&lock, &leases, &subnet, "n", "d").unwrap(), a);
    }

    #[test]
    fn an_exhausted_subnet_is_refused_with_dockers_message() {
        let (root, store) = setup();
        let lock = store.lock().unwrap();
        let leases = root.path().join("leases");
        let subnet: Subnet = "10.9.0.0/30".parse().unwrap();
        allocate_ip(&lock, &leases, &subnet, "tiny", "a").unwrap();
        let err = allocate_ip(&lock, &leases, &subnet, "tiny", "b")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "no available IPv4 addresses on this network's address pools: tiny (10.9.0.0/30)"
        );
    }

    #[test]
    fn a_published_port_cannot_be_published_twice_and_a_failed_set_keeps_nothing() {
        let (root, store) = setup();
        let lock = store.lock().unwrap();
        let dir = root.path().join("ports");
        let web = PortMapping {
            host_ip: Some(Ipv4Addr::LOCALHOST),
            host_port: 0,
            container_port: 80,
            protocol: Protocol::Tcp,
        };
        let first = reserve_ports(&lock, &dir, &[web], "a").unwrap();
        assert_ne!(first[0].host_port, 0);
        let again = PortMapping {
            host_port: first[0].host_port,
            ..web
        };
        let other = PortMapping {
            host_port: 0,
            container_port: 81,
            ..web
        };
        let err = reserve_ports(&lock, &dir, &[other, again], "b")
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("port is already allocated"), "{err}");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "b's random port was released"
        );
        release_ports(&dir, &first, "a").unwrap();
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_port_a_host_process_listens_on_is_refused() {
        let (root, store) = setup();
        let lock = store.lock().unwrap();
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let wanted = PortMapping {
            host_ip: Some(Ipv4Addr::LOCALHOST),
            host_port: port,
            container_port: 80,
            protocol: Protocol::Tcp,
        };
        let err = reserve_ports(&lock, &root.path().join("ports"), &[wanted], "a").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Bind for 127.0.0.1:{port} failed: port is already allocated")
        );
    }
}
