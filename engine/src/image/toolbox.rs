//! The toolbox image: ferry's embedded default image, made with no network at all.
//!
//! The `toolbox` crate (engine/toolbox) is a statically linked multi-call binary — `sh`, `ls`,
//! `ps`, `ip`, `httpd`, `alloc`… in one file, like busybox. The build script compiles it and this
//! module embeds it, so `ferry run toolbox …` works on a machine that has never seen a registry.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use super::{Image, ImageConfig, ImageStore, Reference};
use crate::{Error, Result};

/// The static toolbox binary, embedded at build time.
pub const BINARY: &[u8] = include_bytes!(env!("FERRY_TOOLBOX_BINARY"));

/// The name the toolbox image is stored under.
pub const IMAGE_NAME: &str = "toolbox";

/// The PATH every container gets unless its image says otherwise (Docker's default).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Returns the toolbox image, installing it first if this state root does not have it yet.
pub fn ensure(store: &ImageStore) -> Result<Image> {
    let reference = Reference::parse(IMAGE_NAME)?;
    match store.get(&reference)? {
        Some(image) => Ok(image),
        None => install(store),
    }
}

/// (Re)installs the toolbox image from the embedded binary.
pub fn install(store: &ImageStore) -> Result<Image> {
    let reference = Reference::parse(IMAGE_NAME)?;
    let config = ImageConfig {
        env: vec![format!("PATH={DEFAULT_PATH}")],
        cmd: vec!["sh".into()],
        ..ImageConfig::default()
    };
    store.commit(&reference, config, write_rootfs)
}

// ANCHOR: toolbox_rootfs
/// Lays out a minimal root filesystem: the binary, one symlink per applet, and the few files a
/// process expects (`/etc/passwd` for `id` and `ps`, empty mount points for /proc, /dev, /sys).
fn write_rootfs(rootfs: &Path) -> Result<()> {
    for (dir, mode) in [
        ("bin", 0o755),
        ("dev", 0o755),
        ("etc", 0o755),
        ("proc", 0o555),
        ("sys", 0o555),
        ("root", 0o700),
        ("tmp", 0o1777),
    ] {
        let path = rootfs.join(dir);
        fs::create_dir(&path).map_err(Error::io("create directory", &path))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(mode))
            .map_err(Error::io("chmod", &path))?;
    }
    let binary = rootfs.join("bin/toolbox");
    fs::write(&binary, BINARY).map_err(Error::io("write", &binary))?;
    fs::set_permissions(&binary, fs::Permissions::from_mode(0o755))
        .map_err(Error::io("chmod", &binary))?;
    for applet in toolbox::APPLETS {
        let link = rootfs.join("bin").join(applet);
        symlink("toolbox", &link).map_err(Error::io("symlink", &link))?;
    }
    let etc = [
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        ),
        ("etc/group", "root:x:0:\nnobody:x:65534:\n"),
    ];
    for (file, content) in etc {
        let path = rootfs.join(file);
        fs::write(&path, content).map_err(Error::io("write", &path))?;
    }
    Ok(())
}
// ANCHOR_END: toolbox_rootfs
