//! An image is three kinds of JSON and bytes:
//!
//! - **layers**: tarballs of files (here one, gzip-compressed);
//! - a **config**: how to run it (`Cmd`, `Env`) and, in `rootfs.diff_ids`, the digest of each
//!   layer *uncompressed* — so the files can be checked after unpacking;
//! - a **manifest**: the digest and size of the config and of each *compressed* layer blob. The
//!   manifest's own digest names the whole image.

use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use serde_json::{json, Value};

use crate::digest::sha256;
use crate::Error;

/// The OCI media types this chapter writes.
pub const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The config's media type.
pub const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
/// A gzip-compressed layer's media type.
pub const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A layer: the tarball, and the gzip blob that travels.
pub struct Layer {
    /// The uncompressed tar: its digest is the config's diff id.
    pub tar: Vec<u8>,
    /// The compressed blob: its digest is the manifest's layer digest.
    pub gzip: Vec<u8>,
}

// ANCHOR: layer
/// Tars every file under `dir` (paths relative to it, owner root) and gzips the tarball.
pub fn layer_from_dir(dir: &Path) -> Result<Layer, Error> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic); // same files → same bytes → same digest
    builder.follow_symlinks(false);
    builder
        .append_dir_all(".", dir)
        .map_err(Error::io(format!("tar {}", dir.display())))?;
    let tar = builder
        .into_inner()
        .map_err(Error::io("finish the tarball"))?;
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).map_err(Error::io("gzip the layer"))?;
    let gzip = gz.finish().map_err(Error::io("gzip the layer"))?;
    Ok(Layer { tar, gzip })
}
// ANCHOR_END: layer

// ANCHOR: config
/// The image config: run `cmd`; one layer whose uncompressed digest is `diff_id`.
pub fn config(diff_id: &str, cmd: &[String]) -> Value {
    json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Cmd": cmd, "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        "history": [{ "created_by": "ch07 build-image" }]
    })
}
// ANCHOR_END: config

// ANCHOR: manifest
/// The manifest: which config and which layer blobs, by digest and size.
pub fn manifest(config: &[u8], layer: &[u8]) -> Value {
    json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": { "mediaType": CONFIG_TYPE, "digest": sha256(config), "size": config.len() },
        "layers": [{ "mediaType": LAYER_TYPE, "digest": sha256(layer), "size": layer.len() }]
    })
}
// ANCHOR_END: manifest

/// A descriptor's digest field.
pub fn digest_of(descriptor: &Value) -> Result<String, Error> {
    descriptor["digest"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::Invalid(format!("a descriptor without digest: {descriptor}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_directory_makes_the_same_layer_digest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.txt"), "hi").unwrap();
        let a = layer_from_dir(dir.path()).unwrap();
        let b = layer_from_dir(dir.path()).unwrap();
        assert_eq!(sha256(&a.tar), sha256(&b.tar));
        assert_ne!(
            sha256(&a.tar),
            sha256(&a.gzip),
            "diff id and blob digest differ"
        );
    }

    #[test]
    fn the_manifest_names_config_and_layer_by_digest_and_size() {
        let m = manifest(b"{}", b"layer");
        assert_eq!(m["config"]["digest"], sha256(b"{}"));
        assert_eq!(m["layers"][0]["size"], 5);
    }
}
