//! A container's cgroup, as the container's life uses it: made (with the `-m`/`--cpus`/
//! `--pids-limit` limits and the device allow-list) before each start, joined by `exec`, frozen by `pause`, read by `stats`,
//! emptied and removed when the container stops or is removed.
//!
//! The cgroup is named after the container's full id, under a parent cgroup named after the
//! container's state root ([`parent_name`]), so containers of different state roots (several
//! users, parallel tests) never share a parent. It lives only while the container runs: the
//! monitor removes it after PID 1 exits (having read `OOMKilled` from it), and `rm -f` or the
//! repair of a dead monitor removes what is left; the last container of a root takes the parent
//! with it.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use sha2::{Digest, Sha256};

use super::config::Limits;
use super::{Container, StateRoot};
use crate::cgroups::{default_rules, ContainerCgroup, DeviceRule, Hierarchy, PARENT};
use crate::Result;

// ANCHOR: parent_name
/// The parent cgroup of the containers of the state root at `root`: `ferry` for the default root
/// (`/var/lib/ferry`, as Docker's is `docker`), `ferry-<12 hex digits of the SHA-256 of the
/// canonical path>` for any other. A parent is shared only by containers of one root.
pub fn parent_name(root: &Path) -> String {
    let canonical = |path: &Path| path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let root = canonical(root);
    if root == canonical(Path::new(StateRoot::DEFAULT)) {
        return PARENT.to_string();
    }
    let digest = Sha256::digest(root.as_os_str().as_bytes());
    format!("{PARENT}-{}", &hex::encode(digest)[..12])
}
// ANCHOR_END: parent_name

/// The parent cgroup of `container`: that of the state root its directory (`<root>/containers/<id>`)
/// is in.
fn parent_of(container: &Container) -> String {
    let root = container.dir.parent().and_then(Path::parent);
    parent_name(root.unwrap_or(&container.dir))
}

// ANCHOR: device_rules
/// The devices a container may use: Docker's default list (`mknod` of anything, opening only
/// the standard character devices and terminals), then `extra`, the rules for the devices the
/// user hands the container, which come later and so take precedence.
pub fn device_rules(extra: &[DeviceRule]) -> Vec<DeviceRule> {
    let mut rules = default_rules();
    rules.extend_from_slice(extra);
    rules
}
// ANCHOR_END: device_rules

/// Creates the container's cgroup with its limits and device allow-list, clearing a stale one a
/// crashed run left.
pub fn create(container: &Container, limits: &Limits) -> Result<ContainerCgroup> {
    destroy(container)?;
    let devices = container.record.config.security.device_rules()?;
    Ok(ContainerCgroup::create(
        &Hierarchy::detect()?,
        &parent_of(container),
        container.id().as_str(),
        &limits.resources(devices),
    )?)
}

/// The container's cgroup, if it exists (the container is running or was not cleaned up).
pub fn open(container: &Container) -> Result<Option<ContainerCgroup>> {
    let hierarchy = Hierarchy::detect()?;
    Ok(ContainerCgroup::open(&hierarchy, &parent_of(container), container.id().as_str()).ok())
}

// ANCHOR: destroy
/// Kills every process left in the container's cgroup and removes the cgroup. Frozen processes
/// cannot die, so the cgroup is thawed first. Does nothing if there is no cgroup.
pub fn destroy(container: &Container) -> Result<()> {
    let Some(cgroup) = open(container)? else {
        return Ok(());
    };
    cgroup.thaw()?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let pids = cgroup.pids()?;
        if pids.is_empty() || Instant::now() > deadline {
            break;
        }
        for pid in pids {
            let _ = kill(pid, Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(cgroup.remove()?)
}
// ANCHOR_END: destroy

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::{store, ContainerConfig};

    #[test]
    fn a_containers_devices_are_dockers_defaults_then_its_own() {
        assert_eq!(device_rules(&[]), default_rules());
        let disk = DeviceRule::parse("b 8:0 rw").unwrap();
        let rules = device_rules(std::slice::from_ref(&disk));
        assert_eq!(rules.len(), default_rules().len() + 1);
        assert_eq!(
            rules.last(),
            Some(&disk),
            "last, so it overrides the defaults"
        );
    }

    #[test]
    fn the_default_root_keeps_dockers_style_parent_ferry() {
        assert_eq!(parent_name(Path::new(StateRoot::DEFAULT)), "ferry");
    }

    #[test]
    fn other_roots_get_a_parent_of_their_own_named_after_the_canonical_path() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let name = parent_name(a.path());
        assert_eq!(name.len(), "ferry-".len() + 12, "{name}");
        assert!(name.starts_with("ferry-"), "{name}");
        assert!(name[6..].bytes().all(|c| c.is_ascii_hexdigit()), "{name}");
        assert_ne!(name, parent_name(b.path()));
        let roundabout = a.path().join("sub/..");
        std::fs::create_dir(a.path().join("sub")).unwrap();
        assert_eq!(
            parent_name(&roundabout),
            name,
            "one root, one parent, however it is spelled"
        );
    }

    #[test]
    fn a_container_uses_the_parent_of_the_root_its_directory_is_in() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        let container =
            store::create(&root, Some("web"), |_, _| Ok(ContainerConfig::for_tests())).unwrap();
        assert_eq!(parent_of(&container), parent_name(dir.path()));
    }
}
