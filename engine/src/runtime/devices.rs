//! Device nodes beyond the standard six: `--device /dev/fuse`, and every host device for
//! `--privileged`.
//!
//! A device node is only a name for a (type, major, minor) triple; what makes it usable is the
//! cgroup's device allow-list, which the engine extends for each node given here. The nodes are
//! created with `mknod` in the container's own /dev (a tmpfs) — never bind-mounted from the host's
//! /dev, whose permissions the container must not be able to change.

use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use nix::sys::stat::{major, makedev, minor, mknodat, Mode, SFlag};

use super::exec::Failure;
use super::inroot::mkdir_all_in_root;

/// Character or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceType {
    /// A character device (`c`): terminals, `/dev/null`, `/dev/fuse`.
    Char,
    /// A block device (`b`): disks, loop devices.
    Block,
}

/// One device node to create in the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNode {
    /// Where it appears in the container (absolute, under /dev as a rule).
    pub path: PathBuf,
    /// Character or block.
    pub kind: DeviceType,
    /// The kernel's numbers for the device.
    pub major: u64,
    /// The kernel's numbers for the device.
    pub minor: u64,
    /// Permission bits, as on the host.
    pub mode: u32,
    /// Owner, as on the host.
    pub uid: u32,
    /// Group, as on the host.
    pub gid: u32,
}

impl DeviceNode {
    /// The node for the host device `host`, to appear at `path` in the container. Refuses
    /// anything that is not a device, with the error Docker gives.
    pub fn from_host(host: &Path, path: &Path) -> crate::Result<DeviceNode> {
        let refuse = |why: String| {
            crate::Error::InvalidArgument(format!(
                "error gathering device information while adding custom device {:?}: {why}",
                host.display()
            ))
        };
        let meta = std::fs::metadata(host).map_err(|e| refuse(io_reason(&e)))?;
        let kind = if meta.file_type().is_char_device() {
            DeviceType::Char
        } else if meta.file_type().is_block_device() {
            DeviceType::Block
        } else {
            return Err(refuse("not a device node".into()));
        };
        Ok(DeviceNode {
            path: path.to_path_buf(),
            kind,
            major: major(meta.rdev()),
            minor: minor(meta.rdev()),
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
        })
    }

    /// Every device node under the host's /dev, at the same paths: `--privileged`. Skips the
    /// pseudo-terminals and the shared-memory and message-queue mounts, which the container has
    /// its own instances of.
    pub fn all_on_host() -> Vec<DeviceNode> {
        let mut found = Vec::new();
        collect(Path::new("/dev"), &mut found);
        found
    }
}

fn collect(dir: &Path, found: &mut Vec<DeviceNode>) {
    const OWN_INSTANCES: [&str; 4] = ["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console"];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if OWN_INSTANCES.iter().any(|p| path == Path::new(p)) {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => collect(&path, found),
            Ok(t) if t.is_char_device() || t.is_block_device() => {
                if let Ok(node) = DeviceNode::from_host(&path, &path) {
                    found.push(node);
                }
            }
            _ => {}
        }
    }
}

/// The lower-case reason of an I/O error, as Go prints it ("no such file or directory").
fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_lowercase(),
        None => e.to_string(),
    }
}

// ANCHOR: create_nodes
/// Creates `nodes` in the container's root (its /dev is already mounted), resolving their paths
/// inside the root.
pub(super) fn create(root: &OwnedFd, nodes: &[DeviceNode]) -> Result<(), Failure> {
    for node in nodes {
        let failed = |step: &str, e: nix::Error| {
            Failure::engine(format!("{step} device {}: {e}", node.path.display()))
        };
        let (Some(parent), Some(name)) = (node.path.parent(), node.path.file_name()) else {
            return Err(Failure::engine(format!(
                "bad device path {}",
                node.path.display()
            )));
        };
        let dir = mkdir_all_in_root(root, parent).map_err(|e| failed("mkdir for", e))?;
        let kind = match node.kind {
            DeviceType::Char => SFlag::S_IFCHR,
            DeviceType::Block => SFlag::S_IFBLK,
        };
        let dir_fd = std::os::fd::AsRawFd::as_raw_fd(&dir);
        match mknodat(
            Some(dir_fd),
            name,
            kind,
            Mode::from_bits_truncate(node.mode),
            makedev(node.major, node.minor),
        ) {
            Ok(()) => {}
            // Already there (the standard six, /dev/ptmx): the container's own node wins.
            Err(nix::errno::Errno::EEXIST) => continue,
            Err(e) => return Err(failed("mknod", e)),
        }
        // mknod's mode passes through the umask, and the owner must be the host node's.
        nix::sys::stat::fchmodat(
            Some(dir_fd),
            name,
            Mode::from_bits_truncate(node.mode),
            nix::sys::stat::FchmodatFlags::NoFollowSymlink,
        )
        .map_err(|e| failed("chmod", e))?;
        nix::unistd::fchownat(
            Some(dir_fd),
            name,
            Some(node.uid.into()),
            Some(node.gid.into()),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(|e| failed("chown", e))?;
    }
    Ok(())
}
// ANCHOR_END: create_nodes

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_device_keeps_its_numbers() {
        let null = DeviceNode::from_host(Path::new("/dev/null"), Path::new("/dev/mynull")).unwrap();
        assert_eq!(
            (null.kind, null.major, null.minor),
            (DeviceType::Char, 1, 3)
        );
        assert_eq!(null.path, Path::new("/dev/mynull"));
    }

    #[test]
    fn what_is_not_a_device_is_refused_as_docker_refuses_it() {
        let err = DeviceNode::from_host(Path::new("/nonexistent"), Path::new("/x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error gathering device information while adding custom device \"/nonexistent\": no such file or directory"
        );
        let err = DeviceNode::from_host(Path::new("/etc/hostname"), Path::new("/x")).unwrap_err();
        assert!(err.to_string().ends_with("not a device node"), "{err}");
    }
}
