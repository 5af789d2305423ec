//! Where each blob is known to exist: which repositories of which registries it was pulled from
//! or pushed to. A push uses it to *mount* a blob from a sibling repository of the same registry
//! instead of uploading it again (Docker keeps the same record, its "v2 metadata").
//!
//! One file per blob, `<dir>/<hex>`, one `registry repository` line per place; lines are
//! appended, which is atomic for lines this short, so concurrent pushes cannot corrupt it.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::image::digest::Digest;

/// The record of blob locations.
#[derive(Debug, Clone)]
pub struct BlobSources {
    dir: PathBuf,
}

impl BlobSources {
    /// The record kept in `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    /// Notes that `registry`/`repository` has blob `digest`.
    pub fn add(&self, digest: &Digest, registry: &str, repository: &str) -> std::io::Result<()> {
        if self
            .all(digest)
            .iter()
            .any(|(r, p)| r == registry && p == repository)
        {
            return Ok(());
        }
        fs::create_dir_all(&self.dir)?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(digest.digest()))?;
        file.write_all(format!("{registry} {repository}\n").as_bytes())
    }

    /// Repositories of `registry` other than `except` known to have `digest`: mount candidates.
    pub fn mount_candidates(&self, digest: &Digest, registry: &str, except: &str) -> Vec<String> {
        self.all(digest)
            .into_iter()
            .filter(|(r, p)| r == registry && p != except)
            .map(|(_, p)| p)
            .collect()
    }

    fn all(&self, digest: &Digest) -> Vec<(String, String)> {
        let text = fs::read_to_string(self.dir.join(digest.digest())).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(r, p)| (r.to_string(), p.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::digest::sha256;

    #[test]
    fn candidates_are_other_repositories_of_the_same_registry() {
        let dir = tempfile::tempdir().unwrap();
        let sources = BlobSources::new(dir.path());
        let blob = sha256(b"layer");
        sources.add(&blob, "127.0.0.1:5000", "base").unwrap();
        sources.add(&blob, "127.0.0.1:5000", "base").unwrap();
        sources.add(&blob, "127.0.0.1:5000", "app").unwrap();
        sources.add(&blob, "docker.io", "library/alpine").unwrap();
        assert_eq!(
            sources.mount_candidates(&blob, "127.0.0.1:5000", "app"),
            ["base"]
        );
        assert!(sources
            .mount_candidates(&sha256(b"other"), "127.0.0.1:5000", "app")
            .is_empty());
        let lines = fs::read_to_string(dir.path().join(blob.digest())).unwrap();
        assert_eq!(lines.lines().count(), 3, "no duplicate lines");
    }
}
