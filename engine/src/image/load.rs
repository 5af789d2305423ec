//! `ferry load`: images from a tarball in either format engines exchange.
//!
//! - **docker-archive** (`docker save`, `podman save`, `skopeo copy … docker-archive:`): a
//!   `manifest.json` naming each image's config file and layer tarballs.
//! - **OCI image layout** (`skopeo copy … oci-archive:`, `docker save` since 25): an `index.json`
//!   pointing at manifests in `blobs/sha256/`; nested indexes pick this machine's platform.
//!
//! The tarball is unpacked (safely) into a staging directory first, because both formats need
//! random access. Nothing in it is trusted: every blob is stored through the verifying path
//! ([`super::Blobs::put`]), every layer is checked against the diff id its config lists, and a file
//! named in `manifest.json` must lie inside the archive, a blob of an OCI layout must be a regular
//! file reached without a symlink.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};

use oci_spec::image::{Arch, Descriptor, ImageIndex, ImageManifest, MediaType, Os};

use super::blobs::random_suffix;
use super::digest::{self, Digest};
use super::save::ArchiveEntry;
use super::store::{CONTAINERD_NAME, REF_NAME};
use super::{archive, Image, ImageStore, Reference};
use crate::{Error, Result};

/// One image a `load` stored.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The image.
    pub image: Image,
    /// The names the archive gave it (none: Docker prints its id instead).
    pub names: Vec<Reference>,
}

// ANCHOR: load
/// Loads every image of a docker-archive or OCI-layout tarball into the store.
pub fn load(store: &ImageStore, tarball: impl Read) -> Result<Vec<Loaded>> {
    let staging = store.dir().join(format!(".tmp-load-{}", random_suffix()?));
    fs::create_dir(&staging).map_err(Error::io("create directory", &staging))?;
    // The archive holds files, not a layer: its names are never read as whiteouts.
    let result =
        archive::unpack_files(tarball, &staging).and_then(|()| load_unpacked(store, &staging));
    let _ = fs::remove_dir_all(&staging);
    result
}

fn load_unpacked(store: &ImageStore, dir: &Path) -> Result<Vec<Loaded>> {
    if dir.join("manifest.json").is_file() {
        load_docker_archive(store, dir)
    } else if dir.join("index.json").is_file() {
        load_oci_layout(store, dir)
    } else {
        Err(Error::Archive("not an image archive: it has neither manifest.json (docker-archive) nor index.json (OCI layout)".into()))
    }
}
// ANCHOR_END: load

fn load_docker_archive(store: &ImageStore, dir: &Path) -> Result<Vec<Loaded>> {
    let entries: Vec<ArchiveEntry> = serde_json::from_slice(&read_inside(dir, "manifest.json")?)
        .map_err(|e| Error::Archive(format!("bad manifest.json in the archive: {e}")))?;
    let mut loaded = Vec::new();
    for entry in entries {
        let config_blob = store.put_blob(&read_inside(dir, &entry.config)?[..], None)?;
        let mut layers = Vec::new();
        for layer in &entry.layers {
            let file =
                File::open(inside(dir, layer)?).map_err(Error::io("open", dir.join(layer)))?;
            let mut reader = BufReader::new(file);
            let gzip = reader
                .fill_buf()
                .is_ok_and(|head| head.starts_with(&[0x1f, 0x8b]));
            let (digest, size) = store.put_blob(reader, None)?;
            let media_type = if gzip {
                MediaType::ImageLayerGzip
            } else {
                MediaType::ImageLayer
            };
            layers.push(Descriptor::new(media_type, size, digest));
        }
        let image = store.put_image_manifest(config_blob, layers)?;
        let names = entry
            .repo_tags
            .unwrap_or_default()
            .iter()
            .map(|t| Reference::parse(t))
            .collect::<Result<Vec<_>>>()?;
        loaded.push(tag_all(store, image, names)?);
    }
    Ok(loaded)
}

fn load_oci_layout(store: &ImageStore, dir: &Path) -> Result<Vec<Loaded>> {
    let index: ImageIndex = serde_json::from_slice(&read_inside(dir, "index.json")?)
        .map_err(|e| Error::Archive(format!("bad index.json in the archive: {e}")))?;
    let mut loaded = Vec::new();
    for entry in index.manifests() {
        let manifest_digest = pick_manifest(dir, entry)?;
        copy_blob(store, dir, &manifest_digest)?;
        let manifest_json = store.blobs().read(&manifest_digest)?;
        let manifest: ImageManifest = serde_json::from_slice(&manifest_json)
            .map_err(|e| Error::Archive(format!("bad manifest {manifest_digest}: {e}")))?;
        copy_blob(
            store,
            dir,
            &digest::parse(manifest.config().digest().as_ref())?,
        )?;
        for layer in manifest.layers() {
            copy_blob(store, dir, &digest::parse(layer.digest().as_ref())?)?;
        }
        let image = store.put_manifest(&manifest_json)?;
        let annotations = entry.annotations().clone().unwrap_or_default();
        let name = annotations
            .get(CONTAINERD_NAME)
            .or_else(|| annotations.get(REF_NAME));
        let names = name
            .and_then(|n| Reference::parse(n).ok())
            .into_iter()
            .collect();
        loaded.push(tag_all(store, image, names)?);
    }
    Ok(loaded)
}

/// The manifest an index entry leads to: itself, or for a nested index the manifest for this
/// machine's platform (else the first).
fn pick_manifest(dir: &Path, entry: &Descriptor) -> Result<Digest> {
    let digest = digest::parse(entry.digest().as_ref())?;
    if entry.media_type() != &MediaType::ImageIndex
        && entry.media_type().as_ref()
            != "application/vnd.docker.distribution.manifest.list.v2+json"
    {
        return Ok(digest);
    }
    let nested: ImageIndex = serde_json::from_slice(&read_blob(dir, &digest)?)
        .map_err(|e| Error::Archive(format!("bad image index {digest}: {e}")))?;
    let ours = |d: &&Descriptor| {
        d.platform()
            .as_ref()
            .is_some_and(|p| p.os() == &Os::default() && p.architecture() == &Arch::default())
    };
    let chosen = nested
        .manifests()
        .iter()
        .find(ours)
        .or_else(|| nested.manifests().first());
    let chosen =
        chosen.ok_or_else(|| Error::Archive(format!("image index {digest} lists no manifest")))?;
    pick_manifest(dir, chosen)
}

/// Stores a blob of the archive's layout, verified against its name.
fn copy_blob(store: &ImageStore, dir: &Path, digest: &Digest) -> Result<()> {
    store
        .put_blob(open_blob(dir, digest)?, Some(digest))
        .map(|_| ())
}

/// Reads a blob of the archive's layout, checking it against its digest.
fn read_blob(dir: &Path, digest: &Digest) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_blob(dir, digest)?
        .read_to_end(&mut bytes)
        .map_err(Error::io("read", blob_path(dir, digest)))?;
    let actual = digest::sha256(&bytes);
    if &actual != digest {
        return Err(Error::Corrupt(format!(
            "blob rejected: expected {digest}, but its content hashes to {actual}"
        )));
    }
    Ok(bytes)
}

// ANCHOR: open_blob
/// Opens a blob of the unpacked layout: a regular file reached without any symlink. A symlink
/// there (`blobs/sha256/<hex> -> /etc/shadow`, or `blobs -> /some/host/dir`) would store a host
/// file as the blob whenever the attacker knows its digest — the archive must carry its bytes.
fn open_blob(dir: &Path, digest: &Digest) -> Result<File> {
    let refused = |why: &str| Error::Archive(format!("refusing blob {digest}: {why}"));
    let relative = blob_path(Path::new(""), digest);
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
        .resolve(ResolveFlag::RESOLVE_BENEATH | ResolveFlag::RESOLVE_NO_SYMLINKS);
    let base = File::open(dir).map_err(Error::io("open", dir))?;
    let fd = match openat2(base.as_raw_fd(), &relative, how) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => {
            return Err(Error::Archive(format!("the archive lacks blob {digest}")))
        }
        Err(Errno::ELOOP | Errno::EXDEV) => {
            return Err(refused("it is a symlink, or lies below one"))
        }
        Err(e) => return Err(refused(&e.desc().to_lowercase())),
    };
    // SAFETY: openat2 returned a new descriptor that nothing else owns.
    let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let meta = file
        .metadata()
        .map_err(Error::io("stat", dir.join(&relative)))?;
    if !meta.is_file() {
        return Err(refused("it is not a regular file"));
    }
    Ok(file)
}
// ANCHOR_END: open_blob

fn blob_path(dir: &Path, digest: &Digest) -> PathBuf {
    dir.join("blobs")
        .join(digest::ALGORITHM)
        .join(digest.digest())
}

fn tag_all(store: &ImageStore, image: Image, names: Vec<Reference>) -> Result<Loaded> {
    for name in &names {
        store.tag(&image, name)?;
    }
    Ok(Loaded { image, names })
}

/// `dir/name`, provided it resolves (through any symlinks) to a file inside `dir`.
fn inside(dir: &Path, name: &str) -> Result<PathBuf> {
    let outside = || {
        Error::Archive(format!(
            "refusing archive path {name:?}: it leads outside the archive"
        ))
    };
    let base = fs::canonicalize(dir).map_err(Error::io("resolve", dir))?;
    let path = fs::canonicalize(dir.join(name))
        .map_err(|_| Error::Archive(format!("the archive lacks {name:?}")))?;
    if path.starts_with(&base) && path != base {
        Ok(path)
    } else {
        Err(outside())
    }
}

fn read_inside(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = inside(dir, name)?;
    fs::read(&path).map_err(Error::io("read", &path))
}
