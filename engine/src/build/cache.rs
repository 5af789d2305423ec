//! The build cache: a step whose inputs did not change reuses the image it made last time.
//!
//! Every step extends a *chain key*: the SHA-256 of the previous key and what the step is — its
//! instruction after expansion, plus, for COPY/ADD, the content of the copied files, and for RUN,
//! its environment. So a key names the whole history that led to a step: change line 3 and
//! every step from line 3 on misses, while the steps before it still hit. The cache itself is a
//! directory of files `<key>` holding the digest of the manifest the step produced.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::image::digest;
use crate::image::{Image, ImageStore};

/// The cache of one state root.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    /// `--no-cache`: never reuse (results are still recorded).
    read: bool,
}

// ANCHOR: chain
/// The key of a step: the previous key and what the step is.
pub fn chain(previous: &str, step: &str) -> String {
    hex::encode(Sha256::digest(format!("{previous}\n{step}")))
}
// ANCHOR_END: chain

impl Cache {
    /// The cache in `dir`; `read` false for `--no-cache`.
    pub fn new(dir: &Path, read: bool) -> Self {
        Self {
            dir: dir.to_path_buf(),
            read,
        }
    }

    /// The image a previous build made for `key`, if the cache may be used and it still exists.
    pub fn lookup(&self, store: &ImageStore, key: &str) -> Option<Image> {
        if !self.read {
            return None;
        }
        let text = fs::read_to_string(self.dir.join(key)).ok()?;
        let manifest = digest::parse(text.trim()).ok()?;
        store
            .list()
            .ok()?
            .into_iter()
            .find(|image| image.manifest_digest == manifest)
    }

    /// Remembers that `key` made `image`.
    pub fn record(&self, key: &str, image: &Image) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{key}.tmp"));
        fs::write(&tmp, image.manifest_digest.to_string())?;
        fs::rename(&tmp, self.dir.join(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::config::{derive, Settings};

    #[test]
    fn keys_depend_on_everything_before_them() {
        let a = chain(&chain("base", "RUN a"), "RUN b");
        assert_eq!(a, chain(&chain("base", "RUN a"), "RUN b"));
        assert_ne!(
            a,
            chain(&chain("base", "RUN x"), "RUN b"),
            "an earlier change misses later steps"
        );
        assert_ne!(
            a,
            chain(&chain("other", "RUN a"), "RUN b"),
            "so does another base image"
        );
    }

    #[test]
    fn a_recorded_step_is_found_unless_the_cache_is_off_or_the_image_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(&dir.path().join("images")).unwrap();
        let image = derive(&store, None, None, &Settings::default(), Vec::new(), "test").unwrap();
        let cache = Cache::new(&dir.path().join("cache"), true);
        cache.record("k1", &image).unwrap();
        assert_eq!(
            cache.lookup(&store, "k1").map(|i| i.manifest_digest),
            Some(image.manifest_digest.clone())
        );
        assert!(cache.lookup(&store, "k2").is_none());
        assert!(Cache::new(&dir.path().join("cache"), false)
            .lookup(&store, "k1")
            .is_none());
        store.delete(&image, &Default::default()).unwrap();
        assert!(
            cache.lookup(&store, "k1").is_none(),
            "a removed image is a miss, not an error"
        );
    }
}
