//! The registry's files: content-addressed blobs, per-repository links, tags and uploads.
//!
//! ```text
//! <root>/blobs/sha256/<hex>                              every blob and manifest, once
//! <root>/repositories/<name>/_layers/<hex>              the repository may serve blob <hex>
//! <root>/repositories/<name>/_manifests/revisions/<hex> it holds manifest <hex>; the file
//!                                                        holds the manifest's media type
//! <root>/repositories/<name>/_manifests/tags/<tag>      the digest the tag points at
//! <root>/uploads/<uuid>/{data,repository}               an upload in progress
//! ```
//!
//! Like the reference registry's layout, data lives once under `blobs/` and repositories only
//! hold *links*, so pushing the same layer to two repositories (or mounting it) stores it once.
//! The `_` prefixes cannot collide with a repository component, which must start with a letter or
//! digit. Every file is written under a temporary name and renamed, so a reader — or a crash —
//! never sees half a blob, tag or manifest.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::image::digest::{self, Digest};
use crate::registry::hash_file;

/// Why finishing an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum FinishError {
    /// The uploaded bytes do not have the digest the client claimed.
    #[error("the upload's content is {computed}, not {expected}")]
    DigestMismatch {
        /// The digest the client gave.
        expected: Digest,
        /// The digest of what arrived.
        computed: Digest,
    },
    /// A file operation failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// The registry's storage directory.
#[derive(Debug, Clone)]
pub struct Storage {
    root: PathBuf,
}

impl Storage {
    /// Opens (creating) the storage under `root`.
    pub fn open(root: &Path) -> io::Result<Self> {
        for dir in ["blobs/sha256", "repositories", "uploads"] {
            fs::create_dir_all(root.join(dir))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Where blob `digest`'s bytes are (they may not exist).
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.digest())
    }

    /// The size of blob `digest`, if stored.
    pub fn blob_size(&self, digest: &Digest) -> Option<u64> {
        fs::metadata(self.blob_path(digest))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    fn repository(&self, name: &str) -> PathBuf {
        self.root.join("repositories").join(name)
    }

    fn layer_link(&self, name: &str, digest: &Digest) -> PathBuf {
        self.repository(name).join("_layers").join(digest.digest())
    }

    fn revision(&self, name: &str, digest: &Digest) -> PathBuf {
        self.repository(name)
            .join("_manifests/revisions")
            .join(digest.digest())
    }

    fn tag_path(&self, name: &str, tag: &str) -> PathBuf {
        self.repository(name).join("_manifests/tags").join(tag)
    }

    /// Whether repository `name` may serve blob `digest` (it was pushed or mounted there, and the
    /// data is still stored).
    pub fn repository_has_blob(&self, name: &str, digest: &Digest) -> bool {
        self.layer_link(name, digest).exists() && self.blob_size(digest).is_some()
    }

    /// Lets repository `name` serve blob `digest`.
    pub fn link_blob(&self, name: &str, digest: &Digest) -> io::Result<()> {
        write_atomically(&self.layer_link(name, digest), b"")
    }

    /// Removes repository `name`'s link to blob `digest`; `false` when there was none.
    ///
    /// The data stays: other repositories may link it (removing unreferenced data is a garbage
    /// collector's job, as in the reference registry).
    pub fn unlink_blob(&self, name: &str, digest: &Digest) -> io::Result<bool> {
        remove_if_present(&self.layer_link(name, digest))
    }

    // ANCHOR: uploads
    /// Starts an upload into repository `name` and returns its id.
    pub fn start_upload(&self, name: &str) -> io::Result<String> {
        let uuid = random_uuid()?;
        let dir = self.root.join("uploads").join(&uuid);
        fs::create_dir(&dir)?;
        File::create(dir.join("data"))?;
        fs::write(dir.join("repository"), name)?;
        Ok(uuid)
    }

    /// Where upload `uuid`'s bytes accumulate; `None` if there is no such upload for `name`.
    pub fn upload_data(&self, name: &str, uuid: &str) -> Option<PathBuf> {
        let valid_id = !uuid.is_empty() && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        if !valid_id {
            return None;
        }
        let dir = self.root.join("uploads").join(uuid);
        let owner = fs::read_to_string(dir.join("repository")).ok()?;
        (owner == name).then(|| dir.join("data"))
    }

    /// Verifies upload `uuid` against `expected`, moves it into place as a blob, and links it
    /// into `name`. The upload is gone afterwards, whether it succeeded or not.
    ///
    /// Two clients pushing the same blob at once each verify their own upload, then rename it
    /// over the same name: the rename is atomic, and both files hold the same bytes.
    pub fn finish_upload(
        &self,
        name: &str,
        uuid: &str,
        expected: &Digest,
    ) -> Result<u64, FinishError> {
        let data = self
            .upload_data(name, uuid)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such upload"))?;
        let result = self.verify_and_move(&data, expected);
        self.cancel_upload(uuid)?;
        let size = result?;
        self.link_blob(name, expected)?;
        Ok(size)
    }

    fn verify_and_move(&self, data: &Path, expected: &Digest) -> Result<u64, FinishError> {
        let (computed, size) = hash_file(data)?;
        if computed != *expected {
            return Err(FinishError::DigestMismatch {
                expected: expected.clone(),
                computed,
            });
        }
        File::open(data)?.sync_all()?;
        fs::rename(data, self.blob_path(expected))?;
        Ok(size)
    }
    // ANCHOR_END: uploads

    /// Abandons upload `uuid` (deleting what it received).
    pub fn cancel_upload(&self, uuid: &str) -> io::Result<()> {
        match fs::remove_dir_all(self.root.join("uploads").join(uuid)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Stores a manifest (already validated) in repository `name`, tagging it if `tag` is given.
    pub fn put_manifest(
        &self,
        name: &str,
        bytes: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> io::Result<Digest> {
        let digest = digest::sha256(bytes);
        if self.blob_size(&digest).is_none() {
            write_atomically(&self.blob_path(&digest), bytes)?;
        }
        write_atomically(&self.revision(name, &digest), media_type.as_bytes())?;
        if let Some(tag) = tag {
            write_atomically(&self.tag_path(name, tag), digest.to_string().as_bytes())?;
        }
        Ok(digest)
    }

    /// The digest a tag or digest string names in repository `name`, if it holds that manifest.
    pub fn resolve(&self, name: &str, reference: &str) -> Option<Digest> {
        let digest = match digest::parse(reference) {
            Ok(d) => d,
            Err(_) => digest::parse(
                fs::read_to_string(self.tag_path(name, reference))
                    .ok()?
                    .trim(),
            )
            .ok()?,
        };
        self.revision(name, &digest).exists().then_some(digest)
    }

    /// A manifest of repository `name`: its bytes and media type.
    pub fn manifest(&self, name: &str, digest: &Digest) -> Option<(Vec<u8>, String)> {
        let media_type = fs::read_to_string(self.revision(name, digest)).ok()?;
        let bytes = fs::read(self.blob_path(digest)).ok()?;
        Some((bytes, media_type))
    }

    /// Whether repository `name` holds manifest `digest`.
    pub fn has_manifest(&self, name: &str, digest: &Digest) -> bool {
        self.revision(name, digest).exists()
    }

    /// Deletes manifest `digest` from repository `name`, with every tag pointing at it.
    pub fn delete_manifest(&self, name: &str, digest: &Digest) -> io::Result<bool> {
        for tag in self.tags(name).unwrap_or_default() {
            if self.resolve(name, &tag).as_ref() == Some(digest) {
                remove_if_present(&self.tag_path(name, &tag))?;
            }
        }
        remove_if_present(&self.revision(name, digest))
    }

    /// Removes a tag (not the manifest it points at).
    pub fn untag(&self, name: &str, tag: &str) -> io::Result<bool> {
        remove_if_present(&self.tag_path(name, tag))
    }

    /// The tags of repository `name`, sorted; `None` if the repository does not exist.
    pub fn tags(&self, name: &str) -> Option<Vec<String>> {
        let dir = self.repository(name).join("_manifests");
        if !dir.is_dir() {
            return None;
        }
        let mut tags: Vec<String> = fs::read_dir(dir.join("tags"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        Some(tags)
    }

    /// Every repository holding at least one manifest, sorted.
    pub fn repositories(&self) -> io::Result<Vec<String>> {
        let mut found = Vec::new();
        collect_repositories(&self.root.join("repositories"), "", &mut found)?;
        found.sort();
        Ok(found)
    }
}

fn collect_repositories(dir: &Path, prefix: &str, found: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('_') || !entry.file_type()?.is_dir() {
            continue;
        }
        let full = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.path().join("_manifests").is_dir() {
            found.push(full.clone());
        }
        collect_repositories(&entry.path(), &full, found)?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("a path without a directory"))?;
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".tmp-{}", random_uuid()?));
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    match written.and_then(|()| fs::rename(&tmp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

fn remove_if_present(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// A random version-4 UUID, from the kernel's random source.
pub fn random_uuid() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage() -> (tempfile::TempDir, Storage) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path()).unwrap();
        (dir, storage)
    }

    fn upload(storage: &Storage, name: &str, bytes: &[u8]) -> String {
        let uuid = storage.start_upload(name).unwrap();
        fs::write(storage.upload_data(name, &uuid).unwrap(), bytes).unwrap();
        uuid
    }

    #[test]
    fn a_verified_upload_becomes_a_linked_blob_and_the_upload_is_gone() {
        let (_dir, storage) = storage();
        let uuid = upload(&storage, "app", b"layer");
        let digest = digest::sha256(b"layer");
        assert_eq!(storage.finish_upload("app", &uuid, &digest).unwrap(), 5);
        assert!(storage.repository_has_blob("app", &digest));
        assert!(
            !storage.repository_has_blob("other", &digest),
            "only the pushing repository links it"
        );
        assert!(storage.upload_data("app", &uuid).is_none());
    }

    #[test]
    fn an_upload_with_the_wrong_digest_stores_nothing() {
        let (_dir, storage) = storage();
        let uuid = upload(&storage, "app", b"layer");
        let claimed = digest::sha256(b"something else");
        let err = storage.finish_upload("app", &uuid, &claimed).unwrap_err();
        assert!(
            matches!(err, FinishError::DigestMismatch { ref computed, .. } if *computed == digest::sha256(b"layer"))
        );
        assert!(storage.blob_size(&claimed).is_none());
        assert!(storage.blob_size(&digest::sha256(b"layer")).is_none());
        assert!(
            storage.upload_data("app", &uuid).is_none(),
            "the failed upload is discarded"
        );
    }

    #[test]
    fn uploads_belong_to_their_repository_and_ids_are_not_paths() {
        let (_dir, storage) = storage();
        let uuid = storage.start_upload("app").unwrap();
        assert!(storage.upload_data("app", &uuid).is_some());
        assert!(storage.upload_data("other", &uuid).is_none());
        assert!(storage.upload_data("app", "../../etc").is_none());
    }

    #[test]
    fn manifests_resolve_by_tag_and_by_digest_and_deleting_removes_their_tags() {
        let (_dir, storage) = storage();
        let digest = storage
            .put_manifest("team/app", b"{}", "application/x", Some("v1"))
            .unwrap();
        storage
            .put_manifest("team/app", b"{}", "application/x", Some("latest"))
            .unwrap();
        assert_eq!(storage.resolve("team/app", "v1"), Some(digest.clone()));
        assert_eq!(
            storage.resolve("team/app", digest.as_ref()),
            Some(digest.clone())
        );
        assert_eq!(
            storage.manifest("team/app", &digest),
            Some((b"{}".to_vec(), "application/x".to_string()))
        );
        assert_eq!(storage.resolve("other", "v1"), None);
        assert_eq!(storage.repositories().unwrap(), ["team/app"]);
        assert_eq!(storage.tags("team/app").unwrap(), ["latest", "v1"]);
        assert!(storage.delete_manifest("team/app", &digest).unwrap());
        assert_eq!(storage.tags("team/app").unwrap(), Vec::<String>::new());
        assert_eq!(storage.resolve("team/app", digest.as_ref()), None);
    }

    #[test]
    fn nested_repositories_are_all_listed() {
        let (_dir, storage) = storage();
        storage.put_manifest("a", b"1", "t", Some("x")).unwrap();
        storage.put_manifest("a/b", b"2", "t", Some("x")).unwrap();
        storage.put_manifest("c/d/e", b"3", "t", Some("x")).unwrap();
        assert_eq!(storage.repositories().unwrap(), ["a", "a/b", "c/d/e"]);
    }
}
