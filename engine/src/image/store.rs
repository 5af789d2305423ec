//! The image store: one directory per `repository:tag`, written atomically.
//!
//! An image is assembled in a staging directory next to its final place and renamed into place in
//! one step, so an interrupted `import` never leaves a half-unpacked image that `run` could use.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{archive, Reference};
use crate::container::{ContainerId, StateRoot};
use crate::{Error, Result};

/// The defaults an image gives its containers (a subset of the OCI image config).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageConfig {
    /// `KEY=value` pairs every container starts with.
    pub env: Vec<String>,
    /// The command when `run` is given none.
    pub cmd: Vec<String>,
    /// Prepended to the command.
    pub entrypoint: Vec<String>,
    /// The initial working directory ("" means /).
    pub working_dir: String,
}

/// A stored image: its root filesystem and its defaults.
#[derive(Debug, Clone)]
pub struct Image {
    /// The name it is stored under.
    pub reference: Reference,
    /// The read-only root filesystem containers are made from.
    pub rootfs: PathBuf,
    /// Its defaults.
    pub config: ImageConfig,
}

/// The images under a state root.
#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
}

impl ImageStore {
    /// The store of the given state root.
    pub fn new(root: &StateRoot) -> Self {
        Self { dir: root.images() }
    }

    /// The image stored under `reference`, if any.
    pub fn get(&self, reference: &Reference) -> Result<Option<Image>> {
        let dir = self.image_dir(reference);
        let config_path = dir.join("image.json");
        if !config_path.exists() {
            return Ok(None);
        }
        let bytes = fs::read(&config_path).map_err(Error::io("read", &config_path))?;
        let config = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Corrupt(format!(
                "corrupt image config {}: {e}",
                config_path.display()
            ))
        })?;
        Ok(Some(Image {
            reference: reference.clone(),
            rootfs: dir.join("rootfs"),
            config,
        }))
    }

    /// Stores a root filesystem tarball as an image (what `ferry import` does).
    pub fn import(
        &self,
        tarball: impl std::io::Read,
        reference: &Reference,
        config: ImageConfig,
    ) -> Result<Image> {
        self.commit(reference, config, |rootfs| {
            archive::unpack_safely(tarball, rootfs)
        })
    }

    /// Stores an image whose root filesystem `fill` writes into an empty directory.
    ///
    /// `fill` works in a staging directory; only when it succeeds does the image replace any
    /// earlier image of the same name, in one rename.
    pub fn commit(
        &self,
        reference: &Reference,
        config: ImageConfig,
        fill: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<Image> {
        let staging = self
            .dir
            .join(format!(".staging-{}", ContainerId::random()?.short()));
        let result = self
            .stage(&staging, &config, fill)
            .and_then(|()| self.publish(&staging, reference));
        if result.is_err() {
            let _ = fs::remove_dir_all(&staging);
        }
        result?;
        self.get(reference)?
            .ok_or_else(|| Error::Corrupt(format!("image {reference} vanished after being stored")))
    }

    fn stage(
        &self,
        staging: &Path,
        config: &ImageConfig,
        fill: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        let rootfs = staging.join("rootfs");
        fs::create_dir_all(&rootfs).map_err(Error::io("create directory", &rootfs))?;
        fill(&rootfs)?;
        let config_path = staging.join("image.json");
        let json = serde_json::to_vec_pretty(config).expect("image config serializes");
        fs::write(&config_path, json).map_err(Error::io("write", &config_path))
    }

    /// Renames the staged image into place, moving any older image of that name aside first.
    fn publish(&self, staging: &Path, reference: &Reference) -> Result<()> {
        let target = self.image_dir(reference);
        let parent = target.parent().expect("an image dir has a parent");
        fs::create_dir_all(parent).map_err(Error::io("create directory", parent))?;
        let old = staging.with_extension("old");
        let had_old = fs::rename(&target, &old).is_ok();
        fs::rename(staging, &target).map_err(Error::io("store image at", &target))?;
        if had_old {
            fs::remove_dir_all(&old).map_err(Error::io("remove old image", &old))?;
        }
        Ok(())
    }

    /// `images/<repository>/<tag>`; the reference was validated, so it cannot climb out.
    fn image_dir(&self, reference: &Reference) -> PathBuf {
        self.dir.join(reference.repository()).join(reference.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ImageStore) {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        (dir, ImageStore::new(&root))
    }

    #[test]
    fn a_committed_image_is_found_with_its_config() {
        let (_dir, store) = store();
        let r = Reference::parse("demo:v1").unwrap();
        let config = ImageConfig {
            cmd: vec!["sh".into()],
            ..Default::default()
        };
        store
            .commit(&r, config.clone(), |rootfs| {
                fs::write(rootfs.join("f"), b"x").map_err(Error::io("w", rootfs))
            })
            .unwrap();
        let image = store.get(&r).unwrap().expect("stored");
        assert_eq!(image.config, config);
        assert!(image.rootfs.join("f").exists());
        assert!(store
            .get(&Reference::parse("demo:v2").unwrap())
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_failed_fill_leaves_no_image_and_no_staging_dir() {
        let (dir, store) = store();
        let r = Reference::parse("demo").unwrap();
        let err = store.commit(&r, ImageConfig::default(), |_| {
            Err(Error::Archive("broken tar".into()))
        });
        assert!(err.is_err());
        assert!(store.get(&r).unwrap().is_none());
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("images")).unwrap().collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn importing_again_replaces_the_image_whole() {
        let (_dir, store) = store();
        let r = Reference::parse("demo").unwrap();
        let write = |name: &'static str| {
            move |rootfs: &Path| fs::write(rootfs.join(name), b"x").map_err(Error::io("w", rootfs))
        };
        store
            .commit(&r, ImageConfig::default(), write("old"))
            .unwrap();
        let image = store
            .commit(&r, ImageConfig::default(), write("new"))
            .unwrap();
        assert!(image.rootfs.join("new").exists());
        assert!(!image.rootfs.join("old").exists());
    }
}
