//! `ferry save`: images as the tarball `docker save` writes (the "docker-archive" format), which
//! `docker load`, `podman load` and `skopeo copy docker-archive:…` read.
//!
//! ```text
//! manifest.json        [{"Config": "<id>.json", "RepoTags": ["toolbox:latest"], "Layers": ["<diff-id>/layer.tar"]}]
//! repositories         {"toolbox": {"latest": "<top layer>"}}   (for old loaders)
//! <id>.json            the image config, byte for byte (so the image id survives the trip)
//! <diff-id>/layer.tar  each layer, uncompressed; VERSION and json beside it, as Docker writes them
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};

use serde::{Deserialize, Serialize};

use super::blobs::random_suffix;
use super::digest;
use super::layers::decompress;
use super::{Image, ImageStore, Reference};
use crate::{Error, Result};

/// One entry of a docker-archive's `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArchiveEntry {
    /// The path of the config file inside the archive.
    pub config: String,
    /// The names to tag the image with (familiar form, `name:tag`).
    #[serde(default)]
    pub repo_tags: Option<Vec<String>>,
    /// The paths of the layer tarballs, bottom first.
    pub layers: Vec<String>,
}

/// Writes `images` (each with the names to record for it) as a docker-archive tarball to `out`.
pub fn save(store: &ImageStore, images: &[(Image, Vec<Reference>)], out: impl Write) -> Result<()> {
    let bad = |e: io::Error| Error::Archive(format!("cannot write the archive: {e}"));
    let mut tar = tar::Builder::new(out);
    let mut manifest = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut written: HashSet<String> = HashSet::new();
    for (image, names) in images {
        let config_name = format!("{}.json", image.id.digest());
        if written.insert(config_name.clone()) {
            append_bytes(&mut tar, &config_name, &store.blobs().read(&image.id)?).map_err(bad)?;
        }
        let mut layer_paths = Vec::new();
        let mut parent: Option<String> = None;
        for (layer, diff_id) in image.manifest.layers().iter().zip(image.diff_ids()?) {
            let id = diff_id.digest().to_string();
            if written.insert(id.clone()) {
                append_layer(
                    store,
                    &mut tar,
                    &digest::parse(layer.digest().as_ref())?,
                    &id,
                    parent.as_deref(),
                )?;
            }
            layer_paths.push(format!("{id}/layer.tar"));
            parent = Some(id);
        }
        let tags: Vec<String> = names.iter().map(Reference::familiar).collect();
        for name in names {
            if let (Some(tag), Some(top)) = (name.tag(), &parent) {
                repositories
                    .entry(name.repository())
                    .or_default()
                    .insert(tag.to_string(), top.clone());
            }
        }
        manifest.push(ArchiveEntry {
            config: config_name,
            repo_tags: Some(tags),
            layers: layer_paths,
        });
    }
    let manifest_json = serde_json::to_vec(&manifest).expect("manifest.json serializes");
    let repositories_json = serde_json::to_vec(&repositories).expect("repositories serializes");
    append_bytes(&mut tar, "manifest.json", &manifest_json).map_err(bad)?;
    append_bytes(&mut tar, "repositories", &repositories_json).map_err(bad)?;
    tar.into_inner().map_err(bad)?.flush().map_err(bad)
}

/// Appends one layer as `<id>/layer.tar` (uncompressed), with Docker's `VERSION` and `json`.
fn append_layer<W: Write>(
    store: &ImageStore,
    tar: &mut tar::Builder<W>,
    blob: &digest::Digest,
    id: &str,
    parent: Option<&str>,
) -> Result<()> {
    let bad = |e: io::Error| Error::Archive(format!("cannot write layer {id} to the archive: {e}"));
    let mut layer = uncompressed(store, blob)?;
    let size = layer.seek(io::SeekFrom::End(0)).map_err(bad)?;
    layer.rewind().map_err(bad)?;
    let mut header = directory_header();
    tar.append_data(&mut header, format!("{id}/"), io::empty())
        .map_err(bad)?;
    append_bytes(tar, &format!("{id}/VERSION"), b"1.0").map_err(bad)?;
    let legacy = match parent {
        Some(p) => serde_json::json!({ "id": id, "parent": p }),
        None => serde_json::json!({ "id": id }),
    };
    append_bytes(tar, &format!("{id}/json"), legacy.to_string().as_bytes()).map_err(bad)?;
    let mut header = file_header(size);
    tar.append_data(&mut header, format!("{id}/layer.tar"), layer)
        .map_err(bad)
}

/// The layer blob as a seekable uncompressed tarball: the blob itself, or a decompressed temporary
/// copy (deleted when closed) if it is gzip-compressed.
fn uncompressed(store: &ImageStore, blob: &digest::Digest) -> Result<File> {
    let mut file = store.get_blob(blob)?;
    let mut magic = [0u8; 2];
    let n = file
        .read(&mut magic)
        .map_err(Error::io("read", store.blobs().path(blob)))?;
    file.rewind()
        .map_err(Error::io("read", store.blobs().path(blob)))?;
    if n < 2 || magic != [0x1f, 0x8b] {
        return Ok(file);
    }
    let tmp_path = store.dir().join(format!(".tmp-save-{}", random_suffix()?));
    let mut tmp = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .map_err(Error::io("create", &tmp_path))?;
    let _ = std::fs::remove_file(&tmp_path); // stays readable through the open handle, vanishes on close
    io::copy(&mut decompress(BufReader::new(file))?, &mut tmp)
        .map_err(|e| Error::Archive(format!("cannot decompress layer {blob}: {e}")))?;
    tmp.rewind().map_err(Error::io("read", &tmp_path))?;
    Ok(tmp)
}

fn append_bytes<W: Write>(tar: &mut tar::Builder<W>, path: &str, bytes: &[u8]) -> io::Result<()> {
    let mut header = file_header(bytes.len() as u64);
    tar.append_data(&mut header, path, bytes)
}

fn file_header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}

fn directory_header() -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o755);
    header.set_size(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header
}
