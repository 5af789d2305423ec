//! The image store: an OCI image layout (`<root>/images`) plus the unpacked layers.
//!
//! ```text
//! images/
//!   oci-layout                  {"imageLayoutVersion": "1.0.0"}
//!   index.json                  one descriptor per (manifest, name): the tags
//!   blobs/sha256/<hex>          manifests, configs and layer tarballs, named by their digest
//!   layers/<diff-id>/diff       each layer unpacked once (whiteouts in OverlayFS form)
//!   layers/<diff-id>/size       its size in bytes
//! ```
//!
//! The layout is the one `skopeo`, `umoci` and registries read, so the store can be inspected and
//! copied with them. An image's id is the digest of its config, as in Docker. Tags live only in
//! `index.json` (annotation `org.opencontainers.image.ref.name`, holding the full reference); an
//! image whose last tag moved elsewhere stays as a "dangling" `<none>` entry until removed.
//!
//! Every write goes to a temporary name and is renamed into place, and every change of
//! `index.json` happens under an exclusive `flock` on `images/.lock`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use oci_spec::image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, ImageManifestBuilder, MediaType,
};
use serde::{Deserialize, Serialize};

use super::blobs::write_atomically;
use super::digest::{self, Digest};
use super::{Blobs, Layers, Reference};
use crate::container::StateRoot;
use crate::{Error, Result};

/// The annotation holding an image's name in an OCI layout's index.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The same name, as containerd writes it (ferry writes both, reads either).
pub const CONTAINERD_NAME: &str = "io.containerd.image.name";

/// The defaults an image gives its containers (the part of the OCI config `run` uses).
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

/// A stored image: its manifest, its config, and the names it has.
#[derive(Debug, Clone)]
pub struct Image {
    /// The image id: the digest of its config blob.
    pub id: Digest,
    /// The digest of its manifest (what `name@sha256:…` refers to).
    pub manifest_digest: Digest,
    /// Its manifest: config and layer blobs.
    pub manifest: ImageManifest,
    /// Its config: defaults, history, and the layers' diff ids.
    pub config: ImageConfiguration,
    /// The references it is tagged with (none for a dangling image).
    pub tags: Vec<Reference>,
}

impl Image {
    /// The first 12 hex digits of the id, as `docker images` shows it.
    pub fn short_id(&self) -> &str {
        digest::short(&self.id)
    }

    /// The defaults for its containers.
    pub fn defaults(&self) -> ImageConfig {
        let config = self.config.config().clone().unwrap_or_default();
        ImageConfig {
            env: config.env().clone().unwrap_or_default(),
            cmd: config.cmd().clone().unwrap_or_default(),
            entrypoint: config.entrypoint().clone().unwrap_or_default(),
            working_dir: config.working_dir().clone().unwrap_or_default(),
        }
    }

    /// The diff ids of its layers, bottom first.
    pub fn diff_ids(&self) -> Result<Vec<Digest>> {
        self.config
            .rootfs()
            .diff_ids()
            .iter()
            .map(|d| digest::parse(d))
            .collect()
    }

    /// When it was created, in seconds since the epoch (if the config says).
    pub fn created(&self) -> Option<i64> {
        self.config
            .created()
            .as_deref()
            .and_then(super::time::parse_rfc3339)
    }
}

/// The images under a state root.
#[derive(Debug, Clone)]
pub struct ImageStore {
    dir: PathBuf,
    blobs: Blobs,
    layers: Layers,
}

impl ImageStore {
    /// The store of a state root, `<root>/images`, created on first use.
    pub fn open(root: &StateRoot) -> Result<Self> {
        Self::open_dir(&root.images())
    }

    /// A store in any directory (an OCI image layout plus `layers/`).
    pub fn open_dir(dir: &Path) -> Result<Self> {
        let blobs = Blobs::open(dir)?;
        let layers = Layers::open(dir)?;
        let store = Self {
            dir: dir.to_path_buf(),
            blobs,
            layers,
        };
        let marker = dir.join("oci-layout");
        if !marker.exists() {
            let layout = br#"{"imageLayoutVersion":"1.0.0"}"#;
            write_atomically(&marker, layout)?;
        }
        if !store.index_path().exists() {
            store.write_index(&ImageIndex::default())?;
        }
        Ok(store)
    }

    /// The store's directory (an OCI image layout).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The blobs.
    pub fn blobs(&self) -> &Blobs {
        &self.blobs
    }

    /// The unpacked layers.
    pub fn layer_store(&self) -> &Layers {
        &self.layers
    }

    /// Stores a blob, verified against `expected` when given (see [`Blobs::put`]).
    pub fn put_blob(&self, content: impl Read, expected: Option<&Digest>) -> Result<(Digest, u64)> {
        self.blobs.put(content, expected)
    }

    /// Opens a stored blob.
    pub fn get_blob(&self, digest: &Digest) -> Result<File> {
        self.blobs.open_blob(digest)
    }

    // ANCHOR: add_layer
    /// Stores an uncompressed layer tarball as a blob and unpacks it; returns the descriptor to put
    /// in a manifest (for an uncompressed layer, blob digest and diff id are the same).
    pub fn add_layer(&self, tarball: impl Read) -> Result<Descriptor> {
        let (digest, size) = self.blobs.put(tarball, None)?;
        if let Err(e) = self.layers.unpack(&self.blobs, &digest, &digest) {
            if !self.blob_in_use(&digest)? {
                self.blobs.remove(&digest)?;
            }
            return Err(e);
        }
        Ok(Descriptor::new(MediaType::ImageLayer, size, digest))
    }
    // ANCHOR_END: add_layer

    /// Stores a new image made of `config` and the already stored `layers` (bottom first); the
    /// config's `rootfs.diff_ids` must list the layers. The image is untagged until [`Self::tag`].
    pub fn put_image(&self, config: &ImageConfiguration, layers: Vec<Descriptor>) -> Result<Image> {
        let config_json = serde_json::to_vec(config)
            .map_err(|e| Error::Corrupt(format!("cannot encode image config: {e}")))?;
        let config_blob = self.blobs.put_bytes(&config_json)?;
        self.put_image_manifest(config_blob, layers)
    }

    /// Stores the manifest of an image whose config blob (digest, size) is stored already, with
    /// `layers` (stored too), and returns the image: `put_image` and `load` both end here.
    pub fn put_image_manifest(
        &self,
        (config_digest, config_size): (Digest, u64),
        layers: Vec<Descriptor>,
    ) -> Result<Image> {
        let manifest = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(Descriptor::new(
                MediaType::ImageConfig,
                config_size,
                config_digest,
            ))
            .layers(layers)
            .build()
            .map_err(|e| Error::Corrupt(format!("cannot build manifest: {e}")))?;
        let manifest_json = serde_json::to_vec(&manifest)
            .map_err(|e| Error::Corrupt(format!("cannot encode manifest: {e}")))?;
        self.put_manifest(&manifest_json)
    }

    // ANCHOR: put_manifest
    /// Stores a manifest whose config and layer blobs are already stored, unpacking its layers; the
    /// one way an image enters the store. The manifest bytes are kept as given, so its digest (and
    /// the image id, the config's digest) are the same as wherever it came from.
    pub fn put_manifest(&self, manifest_json: &[u8]) -> Result<Image> {
        let manifest: ImageManifest = serde_json::from_slice(manifest_json)
            .map_err(|e| Error::Corrupt(format!("not an image manifest: {e}")))?;
        let config_digest = digest::parse(manifest.config().digest().as_ref())?;
        let config: ImageConfiguration = serde_json::from_slice(&self.blobs.read(&config_digest)?)
            .map_err(|e| Error::Corrupt(format!("not an image config ({config_digest}): {e}")))?;
        let diff_ids = config.rootfs().diff_ids();
        if diff_ids.len() != manifest.layers().len() {
            return Err(Error::Corrupt(format!(
                "image config lists {} layers but its manifest has {}",
                diff_ids.len(),
                manifest.layers().len()
            )));
        }
        for (layer, diff_id) in manifest.layers().iter().zip(diff_ids) {
            let blob = digest::parse(layer.digest().as_ref())?;
            self.layers
                .unpack(&self.blobs, &blob, &digest::parse(diff_id)?)?;
        }
        let (manifest_digest, size) = self.blobs.put_bytes(manifest_json)?;
        self.with_index(|entries| {
            if !entries
                .iter()
                .any(|d| d.digest().as_ref() == manifest_digest.as_ref())
            {
                entries.push(Descriptor::new(
                    MediaType::ImageManifest,
                    size,
                    manifest_digest.clone(),
                ));
            }
            Ok(())
        })?;
        Ok(Image {
            id: config_digest,
            manifest_digest,
            manifest,
            config,
            tags: Vec::new(),
        })
    }
    // ANCHOR_END: put_manifest

    /// Points `reference` at `image`. The name moves if another image had it; that image stays,
    /// untagged, if it has no other name (Docker's dangling `<none>` image).
    pub fn tag(&self, image: &Image, reference: &Reference) -> Result<()> {
        let name = reference.to_string();
        self.with_index(|entries| {
            let mut orphaned: Vec<Descriptor> = Vec::new();
            entries.retain(|d| {
                let keep = name_of(d).as_deref() != Some(name.as_str());
                if !keep {
                    orphaned.push(d.clone());
                }
                keep
            });
            let target = image.manifest_digest.as_ref();
            entries.retain(|d| !(d.digest().as_ref() == target && name_of(d).is_none()));
            for old in orphaned {
                let still_named = entries.iter().any(|d| d.digest() == old.digest());
                if !still_named && old.digest().as_ref() != target {
                    entries.push(Descriptor::new(
                        old.media_type().clone(),
                        old.size(),
                        old.digest().clone(),
                    ));
                }
            }
            let size = fs::metadata(self.blobs.path(&image.manifest_digest))
                .map(|m| m.len())
                .unwrap_or(0);
            let mut entry = Descriptor::new(
                MediaType::ImageManifest,
                size,
                image.manifest_digest.clone(),
            );
            entry.set_annotations(Some(HashMap::from([
                (REF_NAME.to_string(), name.clone()),
                (CONTAINERD_NAME.to_string(), name.clone()),
            ])));
            entries.push(entry);
            Ok(())
        })
    }

    /// Removes the name `reference`; the image stays (untagged if that was its last name).
    /// Returns whether the name existed.
    pub fn untag(&self, reference: &Reference) -> Result<bool> {
        let name = reference.to_string();
        self.with_index(|entries| {
            let Some(pos) = entries
                .iter()
                .position(|d| name_of(d).as_deref() == Some(name.as_str()))
            else {
                return Ok(false);
            };
            let old = entries.remove(pos);
            if !entries.iter().any(|d| d.digest() == old.digest()) {
                entries.push(Descriptor::new(
                    old.media_type().clone(),
                    old.size(),
                    old.digest().clone(),
                ));
            }
            Ok(true)
        })
    }

    /// The image a reference names: by tag, or by manifest digest for `name@sha256:…`.
    pub fn resolve(&self, reference: &Reference) -> Result<Image> {
        let images = self.list()?;
        let found = match reference.digest() {
            Some(wanted) => images.into_iter().find(|i| &i.manifest_digest == wanted),
            None => images.into_iter().find(|i| i.tags.contains(reference)),
        };
        found.ok_or_else(|| Error::ImageNotFound(reference.familiar()))
    }

    /// The image a command-line argument names: a reference, or an id (`sha256:…` or a unique
    /// prefix of the hex digits), as `docker rmi`, `tag` and `inspect` accept.
    pub fn find(&self, name_or_id: &str) -> Result<Image> {
        if let Ok(reference) = Reference::parse(name_or_id) {
            match self.resolve(&reference) {
                Err(Error::ImageNotFound(_)) => {}
                other => return other,
            }
        }
        let hex = name_or_id.strip_prefix("sha256:").unwrap_or(name_or_id);
        let looks_like_id =
            !hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if looks_like_id {
            let mut matches: Vec<Image> = self
                .list()?
                .into_iter()
                .filter(|i| i.id.digest().starts_with(hex))
                .collect();
            matches.dedup_by(|a, b| a.id == b.id);
            match matches.len() {
                1 => return Ok(matches.remove(0)),
                0 => {}
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "image id prefix {name_or_id} is ambiguous"
                    )))
                }
            }
        }
        Err(Error::ImageNotFound(name_or_id.to_string()))
    }

    /// Every stored image, one per manifest, with its tags, in index order.
    pub fn list(&self) -> Result<Vec<Image>> {
        let index = self.read_index()?;
        let mut by_manifest: BTreeMap<usize, Image> = BTreeMap::new();
        let mut position: HashMap<String, usize> = HashMap::new();
        for (i, entry) in index.manifests().iter().enumerate() {
            let key = entry.digest().to_string();
            let slot = *position.entry(key).or_insert(i);
            if let std::collections::btree_map::Entry::Vacant(vacant) = by_manifest.entry(slot) {
                vacant.insert(self.load(entry)?);
            }
            if let Some(name) = name_of(entry) {
                if let (Ok(reference), Some(image)) =
                    (Reference::parse(&name), by_manifest.get_mut(&slot))
                {
                    image.tags.push(reference);
                }
            }
        }
        Ok(by_manifest.into_values().collect())
    }

    /// The image's unpacked layer directories, top first (OverlayFS `lowerdir` order), unpacking
    /// any that are missing from their blobs.
    pub fn layers(&self, image: &Image) -> Result<Vec<PathBuf>> {
        let mut dirs = Vec::new();
        for (layer, diff_id) in image.manifest.layers().iter().zip(image.diff_ids()?) {
            let blob = digest::parse(layer.digest().as_ref())?;
            dirs.push(self.layers.unpack(&self.blobs, &blob, &diff_id)?);
        }
        dirs.reverse();
        Ok(dirs)
    }

    /// The image's size as `docker images` shows it: the sum of its unpacked layers' sizes.
    pub fn size(&self, image: &Image) -> Result<u64> {
        image.diff_ids()?.iter().map(|d| self.layers.size(d)).sum()
    }

    /// Deletes an image whatever its names, and then every blob and unpacked layer nothing else
    /// needs. Layers in `keep` (used by containers) stay. Returns the deleted layers' diff ids.
    pub fn delete(&self, image: &Image, keep: &HashSet<Digest>) -> Result<Vec<Digest>> {
        self.with_index(|entries| {
            entries.retain(|d| d.digest().as_ref() != image.manifest_digest.as_ref());
            Ok(())
        })?;
        let remaining = self.list()?;
        let mut used_blobs: HashSet<Digest> = HashSet::new();
        let mut used_layers: HashSet<Digest> = keep.clone();
        for other in &remaining {
            used_blobs.insert(other.manifest_digest.clone());
            used_blobs.insert(other.id.clone());
            for layer in other.manifest.layers() {
                used_blobs.insert(digest::parse(layer.digest().as_ref())?);
            }
            used_layers.extend(other.diff_ids()?);
        }
        let mut blobs = vec![image.manifest_digest.clone(), image.id.clone()];
        for layer in image.manifest.layers() {
            blobs.push(digest::parse(layer.digest().as_ref())?);
        }
        for blob in blobs.iter().filter(|b| !used_blobs.contains(*b)) {
            self.blobs.remove(blob)?;
        }
        let mut deleted = Vec::new();
        for diff_id in image.diff_ids()? {
            if !used_layers.contains(&diff_id) && self.layers.contains(&diff_id) {
                self.layers.remove(&diff_id)?;
                deleted.push(diff_id);
            }
        }
        Ok(deleted)
    }

    /// Whether any stored manifest refers to a blob.
    fn blob_in_use(&self, blob: &Digest) -> Result<bool> {
        Ok(self.list()?.iter().any(|i| {
            &i.id == blob
                || &i.manifest_digest == blob
                || i.manifest
                    .layers()
                    .iter()
                    .any(|l| l.digest().as_ref() == blob.as_ref())
        }))
    }

    fn load(&self, entry: &Descriptor) -> Result<Image> {
        let manifest_digest = digest::parse(entry.digest().as_ref())?;
        let manifest: ImageManifest =
            serde_json::from_slice(&self.blobs.read(&manifest_digest)?)
                .map_err(|e| Error::Corrupt(format!("corrupt manifest {manifest_digest}: {e}")))?;
        let id = digest::parse(manifest.config().digest().as_ref())?;
        let config: ImageConfiguration = serde_json::from_slice(&self.blobs.read(&id)?)
            .map_err(|e| Error::Corrupt(format!("corrupt image config {id}: {e}")))?;
        Ok(Image {
            id,
            manifest_digest,
            manifest,
            config,
            tags: Vec::new(),
        })
    }

    fn index_path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    fn read_index(&self) -> Result<ImageIndex> {
        let path = self.index_path();
        let bytes = fs::read(&path).map_err(Error::io("read", &path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("corrupt image index {}: {e}", path.display())))
    }

    fn write_index(&self, index: &ImageIndex) -> Result<()> {
        let json = serde_json::to_vec_pretty(index)
            .map_err(|e| Error::Corrupt(format!("cannot encode the image index: {e}")))?;
        write_atomically(&self.index_path(), &json)
    }

    /// Reads, changes and writes the entries of `index.json` while holding the store's lock.
    fn with_index<T>(&self, change: impl FnOnce(&mut Vec<Descriptor>) -> Result<T>) -> Result<T> {
        let lock_path = self.dir.join(".lock");
        let file = File::create(&lock_path).map_err(Error::io("create", &lock_path))?;
        let _lock = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| Error::Io {
            op: "lock",
            path: lock_path.clone(),
            source: e.into(),
        })?;
        let mut index = self.read_index()?;
        let mut entries = index.manifests().clone();
        let result = change(&mut entries)?;
        index.set_manifests(entries);
        self.write_index(&index)?;
        Ok(result)
    }
}

/// The full reference an index entry names, if any (ferry's and containerd's annotations, or a
/// plain OCI `ref.name` that is a valid reference).
fn name_of(entry: &Descriptor) -> Option<String> {
    let annotations = entry.annotations().as_ref()?;
    annotations
        .get(CONTAINERD_NAME)
        .or_else(|| annotations.get(REF_NAME))
        .cloned()
}

#[cfg(test)]
mod tests {
    use oci_spec::image::{ImageConfigurationBuilder, RootFsBuilder};

    use super::*;

    fn store() -> (tempfile::TempDir, ImageStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(&dir.path().join("images")).unwrap();
        (dir, store)
    }

    fn layer(files: &[(&str, &str)]) -> Vec<u8> {
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
            builder.append(&header, data.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn image(store: &ImageStore, files: &[&[(&str, &str)]], cmd: &str) -> Image {
        let layers: Vec<Descriptor> = files
            .iter()
            .map(|f| store.add_layer(&layer(f)[..]).unwrap())
            .collect();
        let diff_ids: Vec<String> = layers.iter().map(|l| l.digest().to_string()).collect();
        let config = ImageConfigurationBuilder::default()
            .config(
                oci_spec::image::ConfigBuilder::default()
                    .cmd(vec![cmd.to_string()])
                    .build()
                    .unwrap(),
            )
            .rootfs(
                RootFsBuilder::default()
                    .typ("layers")
                    .diff_ids(diff_ids)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        store.put_image(&config, layers).unwrap()
    }

    fn reference(s: &str) -> Reference {
        Reference::parse(s).unwrap()
    }

    #[test]
    fn a_stored_image_resolves_by_tag_digest_and_id_prefix() {
        let (_dir, store) = store();
        let img = image(&store, &[&[("a", "1")]], "sh");
        store.tag(&img, &reference("demo:v1")).unwrap();
        let found = store.resolve(&reference("demo:v1")).unwrap();
        assert_eq!(found.id, img.id);
        assert_eq!(found.defaults().cmd, ["sh"]);
        assert_eq!(found.tags, [reference("docker.io/library/demo:v1")]);
        let by_digest = format!("demo@{}", img.manifest_digest);
        assert_eq!(store.resolve(&reference(&by_digest)).unwrap().id, img.id);
        assert_eq!(store.find(&img.id.digest()[..8]).unwrap().id, img.id);
        assert_eq!(store.find(img.id.as_ref()).unwrap().id, img.id);
        assert!(matches!(
            store.resolve(&reference("demo:v2")),
            Err(Error::ImageNotFound(_))
        ));
    }

    #[test]
    fn layers_are_listed_top_first_and_shared_between_images() {
        let (_dir, store) = store();
        let base: &[(&str, &str)] = &[("base", "b")];
        let a = image(&store, &[base, &[("a", "a")]], "a");
        let b = image(&store, &[base, &[("b", "b")]], "b");
        let (la, lb) = (store.layers(&a).unwrap(), store.layers(&b).unwrap());
        assert!(la[0].join("a").exists() && la[1].join("base").exists());
        assert_eq!(la[1], lb[1], "the shared base layer is unpacked once");
        assert_eq!(store.size(&a).unwrap(), 2);
    }

    #[test]
    fn retagging_leaves_the_old_image_dangling_and_deleting_it_keeps_shared_layers() {
        let (_dir, store) = store();
        let base: &[(&str, &str)] = &[("base", "b")];
        let old = image(&store, &[base, &[("old", "o")]], "old");
        let new = image(&store, &[base, &[("new", "n")]], "new");
        store.tag(&old, &reference("app")).unwrap();
        store.tag(&new, &reference("app")).unwrap();
        let images = store.list().unwrap();
        let dangling: Vec<_> = images.iter().filter(|i| i.tags.is_empty()).collect();
        assert_eq!(dangling.len(), 1);
        assert_eq!(dangling[0].id, old.id);
        let deleted = store.delete(&old, &HashSet::new()).unwrap();
        let old_top = old.diff_ids().unwrap()[1].clone();
        assert_eq!(deleted.as_slice(), std::slice::from_ref(&old_top));
        assert!(!store.blobs().contains(&old.id));
        assert!(!store.layer_store().contains(&old_top));
        assert!(
            store.layers(&new).unwrap().iter().all(|d| d.exists()),
            "the shared base layer was deleted"
        );
    }

    #[test]
    fn layers_used_by_containers_survive_image_deletion() {
        let (_dir, store) = store();
        let img = image(&store, &[&[("f", "x")]], "sh");
        let diff_id = img.diff_ids().unwrap().remove(0);
        let deleted = store
            .delete(&img, &HashSet::from([diff_id.clone()]))
            .unwrap();
        assert!(deleted.is_empty());
        assert!(store.layer_store().contains(&diff_id));
    }

    #[test]
    fn untagging_one_of_two_names_keeps_the_other() {
        let (_dir, store) = store();
        let img = image(&store, &[&[("f", "x")]], "sh");
        store.tag(&img, &reference("one")).unwrap();
        store.tag(&img, &reference("two:v2")).unwrap();
        assert!(store.untag(&reference("one")).unwrap());
        assert!(!store.untag(&reference("one")).unwrap());
        let images = store.list().unwrap();
        assert_eq!(images.len(), 1);
        assert_eq!(images[0].tags, [reference("two:v2")]);
    }

    #[test]
    fn a_manifest_whose_layer_count_disagrees_with_its_config_is_refused() {
        let (_dir, store) = store();
        let layer = store.add_layer(&layer(&[("f", "x")])[..]).unwrap();
        let config = ImageConfigurationBuilder::default().build().unwrap();
        let err = store
            .put_image(&config, vec![layer])
            .unwrap_err()
            .to_string();
        assert!(err.contains("lists 0 layers"), "{err}");
        assert!(store.list().unwrap().is_empty());
    }
}
