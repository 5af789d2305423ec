//! `-v`: what a volume flag says, and what it becomes once resolved — a host directory mounted at a
//! path inside the container.
//!
//! Docker's short syntax, as its Linux parser reads it:
//! - `-v /host/dir:/ctr[:ro]` — a bind mount; the host directory is created if it is missing;
//! - `-v my-vol:/ctr[:ro]` — a named volume, created on first use, kept after the container;
//! - `-v /ctr` — an anonymous volume (a volume with a random name) that `rm -v` removes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::volume;
use crate::{Error, Result};

/// What a `-v` flag names as its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeSource {
    /// An absolute host path: a bind mount.
    HostPath(PathBuf),
    /// A volume name.
    Named(String),
    /// No source: a new anonymous volume.
    Anonymous,
}

/// A parsed `-v` flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeFlag {
    /// Where the data comes from.
    pub source: VolumeSource,
    /// The absolute path inside the container.
    pub destination: String,
    /// `:ro`.
    pub read_only: bool,
}

/// Whether a mount is a host directory or a volume (Docker's `Mounts[].Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    /// A host directory.
    Bind,
    /// A volume managed by ferry.
    Volume,
}

/// A resolved mount, as recorded in the container's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    /// Bind or volume.
    #[serde(rename = "Type")]
    pub kind: MountKind,
    /// The volume's name (empty for a bind mount).
    pub name: String,
    /// The host directory that is mounted.
    pub source: PathBuf,
    /// The absolute path inside the container.
    pub destination: String,
    /// Mounted read-only.
    pub read_only: bool,
    /// An anonymous volume: removed with the container by `rm -v` and `--rm`.
    pub anonymous: bool,
}

/// The mount options Docker's short syntax accepts; only `ro`/`rw` change anything here.
fn parse_mode(mode: &str) -> Option<bool> {
    let mut read_only = false;
    for option in mode.split(',') {
        match option {
            "ro" => read_only = true,
            "rw" | "z" | "Z" | "nocopy" | "private" | "rprivate" => {}
            _ => return None,
        }
    }
    Some(read_only)
}

// ANCHOR: parse_volume_flag
/// Parses one `-v` flag as Docker's Linux parser does.
pub fn parse_volume_flag(spec: &str) -> Result<VolumeFlag> {
    let invalid = || Error::InvalidArgument(format!("invalid volume specification: '{spec}'"));
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, destination, read_only) = match parts.as_slice() {
        [dest] => (None, *dest, false),
        [dest, mode] if parse_mode(mode).is_some() && dest.starts_with('/') => {
            (None, *dest, parse_mode(mode).unwrap_or(false))
        }
        [src, dest] => (Some(*src), *dest, false),
        [src, dest, mode] => (Some(*src), *dest, parse_mode(mode).ok_or_else(invalid)?),
        _ => return Err(invalid()),
    };
    if !destination.starts_with('/') {
        return Err(Error::InvalidArgument(format!(
            "invalid volume specification: '{spec}': invalid mount config for type \"bind\": invalid mount path: '{destination}' mount path must be absolute"
        )));
    }
    if Path::new(destination).components().count() == 1 {
        return Err(Error::InvalidArgument(format!(
            "invalid volume specification: '{spec}': destination can't be '/'"
        )));
    }
    let source = match source {
        None => VolumeSource::Anonymous,
        Some("") => return Err(invalid()),
        Some(path) if path.starts_with('/') => VolumeSource::HostPath(PathBuf::from(path)),
        Some(name) => VolumeSource::Named(volume::validate_name(name)?),
    };
    Ok(VolumeFlag {
        source,
        destination: destination.to_string(),
        read_only,
    })
}
// ANCHOR_END: parse_volume_flag

/// Refuses two mounts at the same container path, as Docker does.
pub fn check_duplicates(flags: &[VolumeFlag]) -> Result<()> {
    let mut seen: Vec<PathBuf> = Vec::new();
    for flag in flags {
        let normalized: PathBuf = Path::new(&flag.destination).components().collect();
        if seen.contains(&normalized) {
            return Err(Error::InvalidArgument(format!(
                "Duplicate mount point: {}",
                flag.destination
            )));
        }
        seen.push(normalized);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_paths_are_bind_mounts_and_names_are_volumes() {
        let bind = parse_volume_flag("/opt/data:/var/lib/data:ro").unwrap();
        assert_eq!(bind.source, VolumeSource::HostPath("/opt/data".into()));
        assert_eq!(bind.destination, "/var/lib/data");
        assert!(bind.read_only);
        let named = parse_volume_flag("my-vol:/opt/my-vol").unwrap();
        assert_eq!(named.source, VolumeSource::Named("my-vol".into()));
        assert!(!named.read_only);
        let anonymous = parse_volume_flag("/cache").unwrap();
        assert_eq!(anonymous.source, VolumeSource::Anonymous);
        let anonymous_ro = parse_volume_flag("/cache:ro").unwrap();
        assert_eq!(
            (anonymous_ro.source, anonymous_ro.read_only),
            (VolumeSource::Anonymous, true)
        );
    }

    #[test]
    fn bad_volume_flags_get_dockers_errors() {
        let err = |s: &str| parse_volume_flag(s).unwrap_err().to_string();
        assert!(err("/a:relative").contains("must be absolute"));
        assert!(err("/a:/").contains("destination can't be '/'"));
        assert!(err("/a:/b:bogus").contains("invalid volume specification"));
        assert!(err("./data:/b")
            .contains("If you intended to pass a host directory, use absolute path"));
        assert!(err("a:b:c:d").contains("invalid volume specification"));
    }

    #[test]
    fn two_mounts_at_one_path_are_refused() {
        let flags = [
            parse_volume_flag("/a:/data").unwrap(),
            parse_volume_flag("v1:/data/").unwrap(),
        ];
        assert!(check_duplicates(&flags)
            .unwrap_err()
            .to_string()
            .contains("Duplicate mount point: /data/"));
        assert!(check_duplicates(&flags[..1]).is_ok());
    }
}
