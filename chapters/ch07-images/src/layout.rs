//! An OCI image layout: the on-disk form skopeo, umoci and ferry's image store use.
//!
//! ```text
//! LAYOUT/oci-layout         {"imageLayoutVersion": "1.0.0"}
//! LAYOUT/index.json         which manifest(s) the layout holds, and their tags
//! LAYOUT/blobs/sha256/<hex> every blob, named by its digest
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::digest::{hex_part, sha256, verify};
use crate::image::MANIFEST_TYPE;
use crate::Error;

/// Where the blob `digest` lives in `layout`.
pub fn blob_path(layout: &Path, digest: &str) -> Result<PathBuf, Error> {
    Ok(layout.join("blobs/sha256").join(hex_part(digest)?))
}

/// Stores `bytes` as a blob and returns its digest.
pub fn write_blob(layout: &Path, bytes: &[u8]) -> Result<String, Error> {
    let digest = sha256(bytes);
    let path = blob_path(layout, &digest)?;
    fs::create_dir_all(layout.join("blobs/sha256"))
        .map_err(Error::io(format!("create {}", layout.display())))?;
    fs::write(&path, bytes).map_err(Error::io(format!("write {}", path.display())))?;
    Ok(digest)
}

/// Reads a blob and checks its digest.
pub fn read_blob(layout: &Path, digest: &str) -> Result<Vec<u8>, Error> {
    let path = blob_path(layout, digest)?;
    let bytes = fs::read(&path).map_err(Error::io(format!("read {}", path.display())))?;
    verify(&format!("blob {}", path.display()), &bytes, digest)?;
    Ok(bytes)
}

/// Writes `oci-layout` and an `index.json` naming the manifest `manifest_digest` as `tag`.
pub fn write_index(
    layout: &Path,
    manifest_digest: &str,
    manifest_size: usize,
    tag: &str,
) -> Result<(), Error> {
    fs::write(
        layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .map_err(Error::io("write oci-layout"))?;
    let index = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": MANIFEST_TYPE,
            "digest": manifest_digest,
            "size": manifest_size,
            "annotations": { "org.opencontainers.image.ref.name": tag }
        }]
    });
    let text = serde_json::to_vec_pretty(&index).map_err(|e| Error::Invalid(e.to_string()))?;
    fs::write(layout.join("index.json"), text).map_err(Error::io("write index.json"))
}

/// The digest of the layout's (first) manifest.
pub fn manifest_digest(layout: &Path) -> Result<String, Error> {
    let path = layout.join("index.json");
    let bytes = fs::read(&path).map_err(Error::io(format!("read {}", path.display())))?;
    let index: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
    crate::image::digest_of(&index["manifests"][0])
}
