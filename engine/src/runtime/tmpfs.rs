//! `--tmpfs PATH[:OPTIONS]`: a memory-backed file system at a path of the container — the
//! writable places of a `--read-only` container.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use nix::mount::{mount, MsFlags};

use super::exec::Failure;
use super::inroot::{fd_path, mkdir_all_in_root};

/// One `--tmpfs` mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tmpfs {
    /// Where, inside the container (absolute).
    pub destination: PathBuf,
    /// The options as given (`rw,size=64m`), as `inspect` shows them.
    pub options: String,
    flags: MsFlags,
    data: String,
}

/// Options that are mount flags: (name, flags it sets, flags it clears).
const FLAGS: [(&str, MsFlags, MsFlags); 16] = [
    ("ro", MsFlags::MS_RDONLY, MsFlags::empty()),
    ("rw", MsFlags::empty(), MsFlags::MS_RDONLY),
    ("noexec", MsFlags::MS_NOEXEC, MsFlags::empty()),
    ("exec", MsFlags::empty(), MsFlags::MS_NOEXEC),
    ("nosuid", MsFlags::MS_NOSUID, MsFlags::empty()),
    ("suid", MsFlags::empty(), MsFlags::MS_NOSUID),
    ("nodev", MsFlags::MS_NODEV, MsFlags::empty()),
    ("dev", MsFlags::empty(), MsFlags::MS_NODEV),
    ("sync", MsFlags::MS_SYNCHRONOUS, MsFlags::empty()),
    ("async", MsFlags::empty(), MsFlags::MS_SYNCHRONOUS),
    ("noatime", MsFlags::MS_NOATIME, MsFlags::empty()),
    ("atime", MsFlags::empty(), MsFlags::MS_NOATIME),
    ("nodiratime", MsFlags::MS_NODIRATIME, MsFlags::empty()),
    ("relatime", MsFlags::MS_RELATIME, MsFlags::empty()),
    ("strictatime", MsFlags::MS_STRICTATIME, MsFlags::empty()),
    ("defaults", MsFlags::empty(), MsFlags::empty()),
];

/// Options that tmpfs itself takes (`size=64m`), passed on as mount data.
const DATA_KEYS: [&str; 7] = [
    "size",
    "mode",
    "uid",
    "gid",
    "nr_inodes",
    "nr_blocks",
    "huge",
];

impl Tmpfs {
    /// Parses `PATH[:OPTIONS]`. Docker's defaults come first — `noexec,nosuid,nodev` — and the
    /// given options override them (`exec` undoes `noexec`).
    pub fn parse(flag: &str) -> crate::Result<Tmpfs> {
        let invalid =
            |why: &str| crate::Error::InvalidArgument(format!("invalid tmpfs {flag:?}: {why}"));
        let (path, options) = flag.split_once(':').unwrap_or((flag, ""));
        if !path.starts_with('/') {
            return Err(invalid("the path must be absolute"));
        }
        if path == "/" {
            return Err(invalid("cannot mount a tmpfs over the root"));
        }
        let mut flags = MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
        let mut data = Vec::new();
        for option in options.split(',').filter(|o| !o.is_empty()) {
            if let Some((_, set, clear)) = FLAGS.iter().find(|(name, ..)| *name == option) {
                flags = (flags - *clear) | *set;
            } else if DATA_KEYS
                .iter()
                .any(|k| option.split_once('=').is_some_and(|(key, _)| key == *k))
            {
                data.push(option);
            } else {
                return Err(invalid(&format!("unknown option {option:?}")));
            }
        }
        Ok(Tmpfs {
            destination: PathBuf::from(path),
            options: options.to_string(),
            flags,
            data: data.join(","),
        })
    }
}

// ANCHOR: mount_tmpfs
/// Mounts each tmpfs at its destination, resolved inside the root.
pub(super) fn mount_all(root: &OwnedFd, mounts: &[Tmpfs]) -> Result<(), Failure> {
    for tmpfs in mounts {
        let failed = |step: &str, e: nix::Error| {
            Failure::engine(format!(
                "{step} tmpfs on {}: {e}",
                tmpfs.destination.display()
            ))
        };
        let target =
            mkdir_all_in_root(root, &tmpfs.destination).map_err(|e| failed("create", e))?;
        let data = (!tmpfs.data.is_empty()).then_some(tmpfs.data.as_str());
        mount(
            Some("tmpfs"),
            &fd_path(&target),
            Some("tmpfs"),
            tmpfs.flags,
            data,
        )
        .map_err(|e| failed("mount", e))?;
    }
    Ok(())
}
// ANCHOR_END: mount_tmpfs

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_defaults_apply_and_options_override_them() {
        let plain = Tmpfs::parse("/run").unwrap();
        assert_eq!(
            plain.flags,
            MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID | MsFlags::MS_NODEV
        );
        assert_eq!(plain.options, "");
        let exec = Tmpfs::parse("/tmp:exec,size=64m,mode=1777").unwrap();
        assert!(!exec.flags.contains(MsFlags::MS_NOEXEC));
        assert_eq!(exec.data, "size=64m,mode=1777");
        assert_eq!(exec.options, "exec,size=64m,mode=1777");
        assert!(Tmpfs::parse("/ro:ro")
            .unwrap()
            .flags
            .contains(MsFlags::MS_RDONLY));
    }

    #[test]
    fn bad_tmpfs_flags_are_refused_in_one_line() {
        for bad in ["tmp", "/", "/x:bogus", "/x:color=red"] {
            let err = Tmpfs::parse(bad).unwrap_err().to_string();
            assert!(err.starts_with("invalid tmpfs"), "{bad}: {err}");
            assert!(!err.contains('\n'));
        }
    }
}
