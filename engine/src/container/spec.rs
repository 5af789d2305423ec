//! From a container's recorded configuration to what the runtime starts ([`ContainerSpec`]).

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

/// What the runtime needs to start `container` with its standard streams going to `stdio`.
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
        mounts: config.mounts.iter().map(bind).collect(),
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
