//! What the scenarios stand on besides the engine: the `bb` root filesystem every engine
//! imports, and the registry with auth that the registry scenario pushes to.
//!
//! The registry is the reference implementation (Distribution, Debian's `docker-registry`) run as
//! a host process, the same for every engine, so the scenario tests the engine's client side.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Error;

/// Where the registry fixture listens (loopback only; Docker trusts plain HTTP on 127.0.0.0/8).
pub const REGISTRY_ADDR: &str = "127.0.0.1:15000";

/// The registry's one user, as in the seed (`htpasswd -Bbn admin admin`).
pub const REGISTRY_USER: (&str, &str) = ("admin", "admin");

/// Where busybox-static installs its binary.
const BUSYBOX: &str = "/bin/busybox";

/// Writes `dir/rootfs.tar`: /bin/busybox, a symlink per applet at the path busybox gives it,
/// a minimal /etc/passwd and /etc/group, and /tmp.
pub fn busybox_rootfs(dir: &Path) -> Result<PathBuf, Error> {
    let applets = Command::new(BUSYBOX)
        .arg("--list-full")
        .output()
        .map_err(|e| {
            Error::Unavailable(format!("{BUSYBOX}: {e} (apt-get install busybox-static)"))
        })?;
    let list = String::from_utf8_lossy(&applets.stdout).into_owned();
    let path = dir.join("rootfs.tar");
    let file = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    let mut tar = tar::Builder::new(file);
    let io = |e| Error::io(&path, e);
    for d in [
        "bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "tmp",
    ] {
        let mode = if d == "tmp" { 0o1777 } else { 0o755 };
        let mut h = header(tar::EntryType::Directory, mode, 0);
        tar.append_data(&mut h, d, std::io::empty()).map_err(io)?;
    }
    let mut binary = std::fs::File::open(BUSYBOX).map_err(|e| Error::io(Path::new(BUSYBOX), e))?;
    tar.append_file("bin/busybox", &mut binary).map_err(io)?;
    for applet in list
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "bin/busybox")
    {
        let mut h = header(tar::EntryType::Symlink, 0o777, 0);
        tar.append_link(&mut h, applet, "/bin/busybox")
            .map_err(io)?;
    }
    let etc = [
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        ),
        ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
    ];
    for (name, text) in etc {
        let mut h = header(tar::EntryType::Regular, 0o644, text.len() as u64);
        tar.append_data(&mut h, name, text.as_bytes()).map_err(io)?;
    }
    tar.finish().map_err(io)?;
    Ok(path)
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h
}

/// A running Distribution registry with htpasswd auth, stopped on drop.
#[derive(Debug)]
pub struct Registry {
    child: Child,
}

impl Registry {
    /// Starts `docker-registry serve` on [`REGISTRY_ADDR`] with its storage and config in `dir`,
    /// and waits until it accepts connections.
    pub fn start(dir: &Path) -> Result<Registry, Error> {
        if TcpStream::connect(REGISTRY_ADDR).is_ok() {
            return Err(Error::Unavailable(format!(
                "{REGISTRY_ADDR} is already in use"
            )));
        }
        let htpasswd = dir.join("htpasswd");
        let (user, password) = REGISTRY_USER;
        // Cost 5 keeps each authenticated request fast; the seed's `htpasswd -B` uses the same scheme.
        let hash = bcrypt::hash_with_result(password, 5)
            .map_err(|e| Error::Unavailable(format!("bcrypt: {e}")))?
            .format_for_version(bcrypt::Version::TwoY);
        std::fs::write(&htpasswd, format!("{user}:{hash}\n"))
            .map_err(|e| Error::io(&htpasswd, e))?;
        let config = dir.join("registry.yml");
        std::fs::write(&config, registry_config(&dir.join("data"), &htpasswd))
            .map_err(|e| Error::io(&config, e))?;
        let log = dir.join("registry.log");
        let log_file = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().map_err(|e| Error::io(&log, e))?)
            .stderr(log_file)
            .spawn()
            .map_err(|e| {
                Error::Unavailable(format!(
                    "docker-registry: {e} (apt-get install docker-registry)"
                ))
            })?;
        let registry = Registry { child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(REGISTRY_ADDR).is_err() {
            if Instant::now() > deadline {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(Error::Unavailable(format!(
                    "docker-registry did not listen on {REGISTRY_ADDR}: {}",
                    text.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(registry)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The seed's registry (`REGISTRY_AUTH=htpasswd`, realm "Registry Realm") as a config file.
fn registry_config(data: &Path, htpasswd: &Path) -> String {
    format!(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {REGISTRY_ADDR}\nauth:\n  htpasswd:\n    realm: Registry Realm\n    path: {}\n",
        data.display(),
        htpasswd.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rootfs_has_busybox_its_applets_and_users() {
        if !Path::new(BUSYBOX).exists() {
            eprintln!("SKIPPED the_rootfs_has_busybox_its_applets_and_users: no {BUSYBOX}");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let tar_path = busybox_rootfs(dir.path()).unwrap();
        let mut archive = tar::Archive::new(std::fs::File::open(tar_path).unwrap());
        let mut names = std::collections::HashMap::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let link = entry.link_name().unwrap().map(|l| l.display().to_string());
            names.insert(entry.path().unwrap().display().to_string(), link);
        }
        assert!(names.contains_key("bin/busybox"));
        assert_eq!(names["bin/sh"].as_deref(), Some("/bin/busybox"));
        assert!(names.contains_key("etc/passwd") && names.contains_key("tmp"));
    }

    #[test]
    fn the_registry_config_requires_htpasswd_auth_on_loopback() {
        let text = registry_config(Path::new("/d"), Path::new("/h"));
        assert!(text.contains("addr: 127.0.0.1:15000"));
        assert!(text.contains("htpasswd:\n    realm: Registry Realm\n    path: /h"));
    }
}
