//! From a container's recorded configuration to what the runtime starts ([`ContainerSpec`]).

use std::path::Path;

use super::config::RootfsConfig;
use super::mounts::MountPoint;
use super::store::Container;
use crate::cgroups::CgroupView;
use crate::runtime::{BindMount, ContainerSpec, NetworkMode, RootfsSource, Stdio};
use crate::Result;

// ANCHOR: network_mode
/// The network namespace a container's recorded `--network` asks for: a new one (`none`, or a
/// bridge network the monitor's `prepare` hook attaches it to), the host's, or another running
/// container's (see [`crate::network::hooks`]).
pub fn network_mode(container: &Container) -> Result<NetworkMode> {
    crate::network::hooks::runtime_mode(container)
}
// ANCHOR_END: network_mode

fn bind(mount: &MountPoint) -> BindMount {
    BindMount {
        source: mount.source.clone(),
        destination: mount.destination.clone().into(),
        read_only: mount.read_only,
    }
}

// ANCHOR: etc_mounts
/// The engine's /etc files (`hostname`, `hosts`, `resolv.conf`), bind-mounted from the container's
/// own directory as Docker does — unless a `-v` mount takes the same path (the user's wins), and
/// read-only with `--read-only`, as Docker's are. The runtime resolves each destination inside the
/// root, so a symlink the image or the container put at `/etc/hostname` is followed there, never
/// onto the host.
fn etc_mounts(container: &Container) -> Vec<BindMount> {
    let Some(dir) = container.etc_files_dir() else {
        return Vec::new();
    };
    let taken = |dest: &str| {
        container
            .record
            .config
            .mounts
            .iter()
            .any(|m| Path::new(&m.destination) == Path::new(dest))
    };
    crate::network::etc_files::MOUNTS
        .iter()
        .filter(|(_, dest)| !taken(dest))
        .map(|(name, dest)| BindMount {
            source: dir.join(name),
            destination: dest.into(),
            read_only: container.record.config.security.readonly_rootfs,
        })
        .collect()
}
// ANCHOR_END: etc_mounts

/// What the runtime needs to start `container` with its standard streams going to `stdio`. Its
/// /etc files must exist before the runtime mounts them: the `prepare` hook writes them
/// ([`crate::network::hooks::attach_container`]).
pub fn container_spec(container: &Container, stdio: Stdio) -> Result<ContainerSpec> {
    let config = &container.record.config;
    let (root, rootfs) = match &config.rootfs {
        RootfsConfig::Image { layers } => (
            container.merged_dir(),
            RootfsSource::Overlay {
                lower: layers.clone(),
                upper: container.upper_dir(),
                work: container.work_dir(),
            },
        ),
        RootfsConfig::Directory { path } => (path.clone(), RootfsSource::Directory),
    };
    let security = &config.security;
    Ok(ContainerSpec {
        root,
        rootfs,
        hostname: config.hostname.clone(),
        args: config.args.clone(),
        env: config.env.clone(),
        cwd: config.working_dir.clone().into(),
        network: network_mode(container)?,
        mounts: etc_mounts(container)
            .into_iter()
            .chain(config.mounts.iter().map(bind))
            .collect(),
        user: (!config.user.is_empty()).then(|| config.user.clone()),
        stdio,
        // The cgroup is made just before each start; the monitor fills this in then.
        cgroup: CgroupView::Hidden,
        security: security.security()?,
        readonly_rootfs: security.readonly_rootfs,
        tmpfs: security.tmpfs_mounts()?,
        devices: security
            .device_nodes()?
            .into_iter()
            .map(|(node, _permissions)| node)
            .collect(),
    })
}

/// The spec for reaching the files of a container that does not run (`ferry cp`): its /etc files
/// are mounted if a start wrote them (a container never started has none yet, as with Docker).
pub fn stopped_spec(container: &Container) -> Result<ContainerSpec> {
    let mut spec = container_spec(container, Stdio::Inherit { keep_stdin: false })?;
    let unwritten: Vec<_> = etc_mounts(container)
        .into_iter()
        .filter(|m| !m.source.exists())
        .collect();
    spec.mounts.retain(|m| !unwritten.contains(m));
    Ok(spec)
}
