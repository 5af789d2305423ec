//! Unpacked layers: each layer's files in a directory of its own, `layers/<diff-id>/diff`, made once
//! and shared by every image and container that uses the layer.
//!
//! A layer is named by its *diff id*, the SHA-256 of its uncompressed tarball (what the image config
//! lists), not by the digest of its possibly compressed blob: the same files are the same layer,
//! however they travelled. Unpacking hashes the tarball as it goes and keeps the result only when the
//! hash is the diff id; it works in a temporary directory renamed into place at the end.

use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::blobs::{random_suffix, write_atomically};
use super::digest::{self, Digest, Hashing};
use super::{archive, Blobs};
use crate::{Error, Result};

/// The unpacked layers below an image store.
#[derive(Debug, Clone)]
pub struct Layers {
    dir: PathBuf,
}

impl Layers {
    /// The layer directories below `store_dir` (created if needed).
    pub fn open(store_dir: &Path) -> Result<Self> {
        let dir = store_dir.join("layers");
        fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
        Ok(Self { dir })
    }

    /// The directory holding the layer's files: what OverlayFS gets as one `lowerdir`.
    pub fn dir(&self, diff_id: &Digest) -> PathBuf {
        self.dir.join(diff_id.digest()).join("diff")
    }

    /// Whether the layer is unpacked.
    pub fn contains(&self, diff_id: &Digest) -> bool {
        self.dir(diff_id).is_dir()
    }

    /// Every unpacked layer's diff id.
    pub fn list(&self) -> Result<Vec<Digest>> {
        let entries = fs::read_dir(&self.dir).map_err(Error::io("read directory", &self.dir))?;
        let names = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok());
        Ok(names
            .filter_map(|name| digest::from_hex(&name).ok())
            .collect())
    }

    /// The layer's size: the bytes of its regular files, recorded when it was unpacked.
    pub fn size(&self, diff_id: &Digest) -> Result<u64> {
        let path = self.dir.join(diff_id.digest()).join("size");
        let text = fs::read_to_string(&path).map_err(Error::io("read", &path))?;
        text.trim()
            .parse()
            .map_err(|_| Error::Corrupt(format!("corrupt layer size file {}", path.display())))
    }

    // ANCHOR: unpack_layer
    /// Unpacks the stored blob `blob` (a tarball, maybe gzip-compressed) as the layer `diff_id`,
    /// unless it is unpacked already. Returns the layer's directory.
    pub fn unpack(&self, blobs: &Blobs, blob: &Digest, diff_id: &Digest) -> Result<PathBuf> {
        if self.contains(diff_id) {
            return Ok(self.dir(diff_id));
        }
        let staging = self.dir.join(format!(".tmp-{}", random_suffix()?));
        let result = self.unpack_into(&staging, blobs.open_blob(blob)?, diff_id);
        let published = result.and_then(|()| self.publish(&staging, diff_id));
        if published.is_err() {
            let _ = fs::remove_dir_all(&staging);
        }
        published?;
        Ok(self.dir(diff_id))
    }

    fn unpack_into(&self, staging: &Path, blob: fs::File, diff_id: &Digest) -> Result<()> {
        let diff = staging.join("diff");
        fs::create_dir_all(&diff).map_err(Error::io("create directory", &diff))?;
        let mut tarball = Hashing::new(decompress(BufReader::new(blob))?);
        let size = archive::unpack_safely(&mut tarball, &diff)?;
        // The tar reader stops at the end-of-archive marker; the digest covers every byte.
        io::copy(&mut tarball, &mut io::sink())
            .map_err(|e| Error::Archive(format!("cannot read layer {diff_id}: {e}")))?;
        let (actual, _, _) = tarball.finish();
        if &actual != diff_id {
            return Err(Error::Corrupt(format!(
                "layer rejected: expected diff id {diff_id}, but its tarball hashes to {actual}"
            )));
        }
        write_atomically(&staging.join("size"), size.to_string().as_bytes())
    }
    // ANCHOR_END: unpack_layer

    /// Renames the staging directory into place; another process that got there first wins.
    fn publish(&self, staging: &Path, diff_id: &Digest) -> Result<()> {
        let target = self.dir.join(diff_id.digest());
        match fs::rename(staging, &target) {
            Ok(()) => Ok(()),
            Err(_) if self.contains(diff_id) => {
                fs::remove_dir_all(staging).map_err(Error::io("remove", staging))
            }
            Err(e) => Err(Error::Io {
                op: "rename layer to",
                path: target,
                source: e,
            }),
        }
    }

    /// Deletes an unpacked layer.
    pub fn remove(&self, diff_id: &Digest) -> Result<()> {
        let dir = self.dir.join(diff_id.digest());
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(Error::io("remove layer", &dir))?;
        }
        Ok(())
    }
}

/// The uncompressed tarball: gzip is recognised by its magic bytes (a layer's media type is not
/// always telling: Docker archives say nothing at all).
pub fn decompress<'a>(mut reader: impl BufRead + 'a) -> Result<Box<dyn Read + 'a>> {
    let head = reader
        .fill_buf()
        .map_err(|e| Error::Archive(format!("cannot read layer: {e}")))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Err(Error::Archive(
            "zstd-compressed layers are not supported (gzip and plain tar are)".into(),
        ))
    } else {
        Ok(Box::new(reader))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in files {
            let mut header = tar::Header::new_gnu();
            header.set_path(name).unwrap();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(1_700_000_000);
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn setup() -> (tempfile::TempDir, Blobs, Layers) {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let layers = Layers::open(dir.path()).unwrap();
        (dir, blobs, layers)
    }

    #[test]
    fn a_layer_is_unpacked_once_under_its_diff_id_with_its_size() {
        let (_dir, blobs, layers) = setup();
        let tar = layer_tar(&[("a.txt", b"abc"), ("b.txt", b"de")]);
        let (blob, _) = blobs.put_bytes(&tar).unwrap();
        let dir = layers.unpack(&blobs, &blob, &blob).unwrap();
        assert_eq!(fs::read(dir.join("a.txt")).unwrap(), b"abc");
        assert_eq!(layers.size(&blob).unwrap(), 5);
        fs::write(dir.join("marker"), b"").unwrap();
        layers.unpack(&blobs, &blob, &blob).unwrap();
        assert!(
            dir.join("marker").exists(),
            "an unpacked layer is reused, not unpacked again"
        );
        assert_eq!(layers.list().unwrap(), [blob]);
    }

    #[test]
    fn a_gzipped_blob_unpacks_to_the_layer_named_by_its_uncompressed_digest() {
        let (_dir, blobs, layers) = setup();
        let tar = layer_tar(&[("hello", b"world")]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let (blob, _) = blobs.put_bytes(&gz.finish().unwrap()).unwrap();
        let diff_id = digest::sha256(&tar);
        let dir = layers.unpack(&blobs, &blob, &diff_id).unwrap();
        assert_eq!(fs::read(dir.join("hello")).unwrap(), b"world");
    }

    #[test]
    fn a_layer_whose_content_is_not_its_diff_id_is_rejected_and_nothing_is_left() {
        let (_dir, blobs, layers) = setup();
        let (blob, _) = blobs.put_bytes(&layer_tar(&[("x", b"y")])).unwrap();
        let wrong = digest::sha256(b"another layer");
        let err = layers
            .unpack(&blobs, &blob, &wrong)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected diff id"), "{err}");
        assert!(!layers.contains(&wrong));
        assert_eq!(
            fs::read_dir(&layers.dir).unwrap().count(),
            0,
            "staging directory left behind"
        );
    }
}
