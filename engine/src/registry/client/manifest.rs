//! The manifests a client receives: an image manifest (Docker schema 2 or OCI), or a list of them
//! with one entry per platform (Docker manifest list or OCI index), from which ferry picks
//! linux/amd64 — the platform it runs containers for.

use serde::{Deserialize, Serialize};

use crate::registry::api::media_type;

/// A pointer to content: its type, digest and size (what manifests are made of).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// What the content is.
    #[serde(default)]
    pub media_type: String,
    /// `sha256:…`.
    pub digest: String,
    /// Its length in bytes.
    pub size: u64,
    /// For entries of an index: the platform the manifest is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// For foreign layers: where to get them instead (ferry refuses those).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
}

/// An operating system and CPU architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `v8` for arm64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An image manifest: a config and layers, bottom first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// Docker's or OCI's manifest type (optional in OCI manifests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The image config blob.
    pub config: Descriptor,
    /// The layer blobs.
    pub layers: Vec<Descriptor>,
}

/// A list of manifests, one per platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// Docker's or OCI's list type.
    #[serde(default)]
    pub media_type: Option<String>,
    /// The entries.
    pub manifests: Vec<Descriptor>,
}

/// What a manifest request returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// A single image.
    Image(ImageManifest),
    /// A list to pick from.
    Index(Index),
}

/// Why a manifest cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON of the kind its media type says.
    #[error("cannot read the {media_type} manifest: {reason}")]
    Malformed {
        /// The media type it came with.
        media_type: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// A media type ferry does not speak (schema 1, artifacts…).
    #[error(
        "unsupported manifest media type {0:?} (ferry reads Docker schema 2 and OCI manifests)"
    )]
    Unsupported(String),
    /// The list has no linux/amd64 entry.
    #[error("no matching manifest for linux/amd64 in the manifest list entries (found: {0})")]
    NoMatchingPlatform(String),
    /// A layer that must be fetched from elsewhere.
    #[error("layer {0} is a foreign layer (with urls): ferry does not fetch those")]
    ForeignLayer(String),
}

/// Reads a manifest's bytes according to the `Content-Type` the registry sent (or, when that
/// is missing or generic like `application/json`, the `mediaType` inside; OCI without either).
pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Fetched, ManifestError> {
    let declared = content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_string());
    let inner = || {
        serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()?
            .get("mediaType")?
            .as_str()
            .map(str::to_string)
    };
    let generic = |t: &str| {
        matches!(
            t,
            "" | "application/json" | "application/octet-stream" | "text/plain"
        )
    };
    let kind = match declared {
        Some(t) if !generic(&t) => t,
        _ => inner().unwrap_or_else(|| media_type::OCI_MANIFEST.to_string()),
    };
    let malformed = |e: serde_json::Error| ManifestError::Malformed {
        media_type: kind.clone(),
        reason: e.to_string(),
    };
    if media_type::is_index(&kind) {
        Ok(Fetched::Index(
            serde_json::from_slice(bytes).map_err(malformed)?,
        ))
    } else if media_type::is_image_manifest(&kind) {
        let manifest: ImageManifest = serde_json::from_slice(bytes).map_err(malformed)?;
        if let Some(foreign) = manifest.layers.iter().find(|l| l.urls.is_some()) {
            return Err(ManifestError::ForeignLayer(foreign.digest.clone()));
        }
        Ok(Fetched::Image(manifest))
    } else {
        Err(ManifestError::Unsupported(kind))
    }
}

// ANCHOR: pick_platform
/// The entry for linux/amd64, as Docker picks it on an x86-64 Linux host.
pub fn pick_linux_amd64(index: &Index) -> Result<&Descriptor, ManifestError> {
    let linux_amd64 = |d: &&Descriptor| {
        d.platform
            .as_ref()
            .is_some_and(|p| p.os == "linux" && p.architecture == "amd64")
    };
    index.manifests.iter().find(linux_amd64).ok_or_else(|| {
        let found: Vec<String> = index
            .manifests
            .iter()
            .map(|d| {
                d.platform.as_ref().map_or("unknown".to_string(), |p| {
                    format!("{}/{}", p.os, p.architecture)
                })
            })
            .collect();
        ManifestError::NoMatchingPlatform(found.join(", "))
    })
}
// ANCHOR_END: pick_platform

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn a_docker_schema2_manifest_is_read_by_its_content_type() {
        let body = serde_json::json!({
            "schemaVersion": 2, "mediaType": media_type::DOCKER_MANIFEST,
            "config": {"mediaType": media_type::DOCKER_CONFIG, "size": 7, "digest": d('a')},
            "layers": [{"mediaType": media_type::DOCKER_LAYER_GZIP, "size": 9, "digest": d('b')}]
        });
        let Fetched::Image(m) = parse(
            body.to_string().as_bytes(),
            Some(media_type::DOCKER_MANIFEST),
        )
        .unwrap() else {
            panic!("expected an image manifest")
        };
        assert_eq!(
            (m.config.size, m.layers[0].digest.as_str()),
            (7, d('b').as_str())
        );
    }

    #[test]
    fn an_oci_manifest_without_media_type_is_read_as_oci() {
        let body = serde_json::json!({"schemaVersion": 2, "config": {"digest": d('a'), "size": 1}, "layers": []});
        assert!(matches!(
            parse(body.to_string().as_bytes(), Some("application/json")),
            Ok(Fetched::Image(_))
        ));
    }

    #[test]
    fn linux_amd64_is_picked_from_a_manifest_list() {
        let entry = |arch: &str, c| serde_json::json!({"mediaType": media_type::DOCKER_MANIFEST, "size": 1, "digest": d(c), "platform": {"os": "linux", "architecture": arch}});
        let body = serde_json::json!({"schemaVersion": 2, "mediaType": media_type::DOCKER_MANIFEST_LIST, "manifests": [entry("arm64", 'a'), entry("amd64", 'b')]});
        let Fetched::Index(index) = parse(body.to_string().as_bytes(), None).unwrap() else {
            panic!("expected a list")
        };
        assert_eq!(pick_linux_amd64(&index).unwrap().digest, d('b'));
        let only_arm = Index {
            manifests: vec![index.manifests[0].clone()],
            ..index
        };
        assert_eq!(
            pick_linux_amd64(&only_arm).unwrap_err().to_string(),
            "no matching manifest for linux/amd64 in the manifest list entries (found: linux/arm64)"
        );
    }

    #[test]
    fn schema1_and_foreign_layers_are_refused() {
        let schema1 = br#"{"schemaVersion":1,"name":"x"}"#;
        let err = parse(
            schema1,
            Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
        )
        .unwrap_err();
        assert!(matches!(err, ManifestError::Unsupported(_)), "{err}");
        let foreign = serde_json::json!({"schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST, "config": {"digest": d('a'), "size": 1},
            "layers": [{"digest": d('c'), "size": 1, "urls": ["https://example.com/l"]}]});
        assert!(matches!(
            parse(foreign.to_string().as_bytes(), None),
            Err(ManifestError::ForeignLayer(_))
        ));
    }
}
