//! The content-addressed blob store: `blobs/sha256/<hex>`, as the OCI image layout lays it out.
//!
//! A blob's name is the SHA-256 of its bytes. Writing streams the bytes into a temporary file while
//! hashing them, `fsync`s, and renames the file to its name only when the digest is the expected one:
//! a wrong or truncated blob is never visible under a name, and a crash leaves at most a temporary
//! file that no reader looks at.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::digest::{self, Digest, Hashing};
use crate::{Error, Result};

/// The blobs of one OCI image layout.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

impl Blobs {
    /// The blob store below `layout` (an OCI image layout directory), creating `blobs/sha256`.
    pub fn open(layout: &Path) -> Result<Self> {
        let dir = layout.join("blobs").join(digest::ALGORITHM);
        fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
        Ok(Self { dir })
    }

    /// Where the blob named `digest` is (whether or not it exists).
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.dir.join(digest.digest())
    }

    /// Whether the blob is stored.
    pub fn contains(&self, digest: &Digest) -> bool {
        self.path(digest).is_file()
    }

    /// Opens a stored blob for reading.
    pub fn open_blob(&self, digest: &Digest) -> Result<File> {
        let path = self.path(digest);
        File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                Error::Corrupt(format!("blob {digest} is missing from the image store"))
            }
            _ => Error::Io {
                op: "open",
                path,
                source: e,
            },
        })
    }

    /// Reads a whole (small) blob, checking that its bytes still hash to its name.
    pub fn read(&self, digest: &Digest) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let path = self.path(digest);
        self.open_blob(digest)?
            .read_to_end(&mut bytes)
            .map_err(Error::io("read", &path))?;
        let actual = digest::sha256(&bytes);
        if &actual != digest {
            return Err(Error::Corrupt(format!(
                "blob {digest} is corrupt: its content hashes to {actual}"
            )));
        }
        Ok(bytes)
    }

    // ANCHOR: put
    /// Stores the bytes `content` yields and returns their digest and length.
    ///
    /// With `expected`, the blob is stored only if its bytes hash to it; otherwise nothing is left
    /// behind and the error names both digests.
    pub fn put(&self, content: impl Read, expected: Option<&Digest>) -> Result<(Digest, u64)> {
        let tmp = self.dir.join(format!(".tmp-{}", random_suffix()?));
        let result = self.write_verified(content, &tmp, expected);
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    fn write_verified(
        &self,
        mut content: impl Read,
        tmp: &Path,
        expected: Option<&Digest>,
    ) -> Result<(Digest, u64)> {
        let file = File::create(tmp).map_err(Error::io("create", tmp))?;
        let mut writer = Hashing::new(BufWriter::new(file));
        io::copy(&mut content, &mut writer)
            .map_err(|e| Error::Archive(format!("cannot read blob content: {e}")))?;
        let (digest, size, buffered) = writer.finish();
        let file = buffered
            .into_inner()
            .map_err(|e| Error::io("write", tmp)(e.into_error()))?;
        if let Some(expected) = expected {
            if &digest != expected {
                return Err(Error::Corrupt(format!(
                    "blob rejected: expected {expected}, but its content hashes to {digest}"
                )));
            }
        }
        file.sync_all().map_err(Error::io("fsync", tmp))?;
        let path = self.path(&digest);
        fs::rename(tmp, &path).map_err(Error::io("rename blob to", &path))?;
        sync_dir(&self.dir)?;
        Ok((digest, size))
    }
    // ANCHOR_END: put

    /// Stores a small in-memory blob (a manifest or config).
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<(Digest, u64)> {
        self.put(bytes, None)
    }

    /// Deletes a blob (nothing happens if it is absent).
    pub fn remove(&self, digest: &Digest) -> Result<()> {
        let path = self.path(digest);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::Io {
                op: "remove",
                path,
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

/// Writes `bytes` to `path` atomically: temporary file in the same directory, fsync, rename.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".tmp-{}", random_suffix()?));
    let write = || -> io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::Io {
            op: "write",
            path: path.into(),
            source: e,
        }
    })?;
    sync_dir(dir)
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("fsync", dir))
}

/// A random name part for temporary files, so concurrent writers never collide.
pub(super) fn random_suffix() -> Result<String> {
    let mut bytes = [0u8; 8];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(Error::io("read", "/dev/urandom"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(blobs: &Blobs) -> Vec<String> {
        fs::read_dir(&blobs.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_blob_is_stored_under_the_hash_of_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let (digest, size) = blobs.put_bytes(b"hello").unwrap();
        assert_eq!(digest, digest::sha256(b"hello"));
        assert_eq!(size, 5);
        assert_eq!(blobs.read(&digest).unwrap(), b"hello");
        assert_eq!(leftovers(&blobs), [digest.digest().to_string()]);
    }

    #[test]
    fn a_blob_with_the_wrong_digest_is_rejected_and_nothing_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let claimed = digest::sha256(b"what the manifest promised");
        let err = blobs
            .put(&b"something else"[..], Some(&claimed))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(claimed.as_ref()) && err.contains("hashes to"),
            "{err}"
        );
        assert!(leftovers(&blobs).is_empty(), "{:?}", leftovers(&blobs));
        assert!(!blobs.contains(&claimed));
    }

    #[test]
    fn a_reader_failing_midway_leaves_nothing() {
        struct Broken(usize);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("connection reset"));
                }
                self.0 -= 1;
                buf[0] = b'x';
                Ok(1)
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        assert!(blobs.put(Broken(100), None).is_err());
        assert!(leftovers(&blobs).is_empty());
    }

    #[test]
    fn a_blob_corrupted_on_disk_is_detected_when_read() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let (digest, _) = blobs.put_bytes(b"{}").unwrap();
        fs::write(blobs.path(&digest), b"{\"evil\":1}").unwrap();
        assert!(blobs
            .read(&digest)
            .unwrap_err()
            .to_string()
            .contains("corrupt"));
    }

    #[test]
    fn atomic_writes_replace_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
