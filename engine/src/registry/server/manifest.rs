//! What the registry checks in a pushed manifest before storing it.
//!
//! A manifest is the only thing the registry reads: it must be JSON of a known kind, and every
//! blob (config, layers) or child manifest it names must already be in the repository — that is
//! what makes a pulled image complete. Blobs themselves are opaque bytes checked by digest only.

use serde_json::Value;

use super::errors::ApiError;
use crate::image::digest::{self, Digest};
use crate::registry::api::media_type;

/// A manifest that passed the checks: its type and what it refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Its media type.
    pub media_type: String,
    /// Blobs it needs (config and layers of an image manifest).
    pub blobs: Vec<Digest>,
    /// Manifests it needs (the entries of an index).
    pub manifests: Vec<Digest>,
}

/// Checks a manifest's bytes; `content_type` is the request's `Content-Type`.
pub fn validate(bytes: &[u8], content_type: Option<&str>) -> Result<Checked, ApiError> {
    let json: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::manifest_invalid(format!("the manifest is not JSON: {e}")))?;
    if json.get("schemaVersion").and_then(Value::as_u64) != Some(2) {
        return Err(ApiError::manifest_invalid(
            "expected schemaVersion 2 (schema 1 manifests are not supported)",
        ));
    }
    let declared = content_type
        .map(|c| c.split(';').next().unwrap_or_default().trim())
        .filter(|c| !c.is_empty());
    let in_body = json.get("mediaType").and_then(Value::as_str);
    let media_type = match (in_body, declared) {
        (Some(body), Some(header)) if body != header => {
            return Err(ApiError::manifest_invalid(format!(
                "Content-Type {header} does not match the manifest's mediaType {body}"
            )))
        }
        (Some(kind), _) | (None, Some(kind)) => kind.to_string(),
        (None, None) => {
            return Err(ApiError::manifest_invalid(
                "the manifest has no mediaType and the request no Content-Type",
            ))
        }
    };
    if media_type::is_image_manifest(&media_type) {
        let config = json
            .get("config")
            .ok_or_else(|| ApiError::manifest_invalid("an image manifest needs a config"))?;
        let mut blobs = vec![descriptor_digest(config)?];
        for layer in array(&json, "layers")? {
            if layer.get("urls").is_none() {
                blobs.push(descriptor_digest(layer)?); // layers with `urls` live elsewhere
            }
        }
        Ok(Checked {
            media_type,
            blobs,
            manifests: Vec::new(),
        })
    } else if media_type::is_index(&media_type) {
        let manifests = array(&json, "manifests")?
            .iter()
            .map(descriptor_digest)
            .collect::<Result<_, _>>()?;
        Ok(Checked {
            media_type,
            blobs: Vec::new(),
            manifests,
        })
    } else {
        Err(ApiError::manifest_invalid(format!(
            "unsupported manifest media type {media_type}"
        )))
    }
}

fn array<'a>(json: &'a Value, field: &str) -> Result<&'a Vec<Value>, ApiError> {
    json.get(field)
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::manifest_invalid(format!("expected a {field} array")))
}

fn descriptor_digest(descriptor: &Value) -> Result<Digest, ApiError> {
    let text = descriptor
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::manifest_invalid("a descriptor has no digest"))?;
    digest::parse(text).map_err(|e| ApiError::manifest_invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn an_image_manifest_names_its_config_and_layers() {
        let body = serde_json::json!({
            "schemaVersion": 2, "mediaType": media_type::DOCKER_MANIFEST,
            "config": {"mediaType": media_type::DOCKER_CONFIG, "size": 1, "digest": d('a')},
            "layers": [{"mediaType": media_type::DOCKER_LAYER_GZIP, "size": 1, "digest": d('b')},
                       {"mediaType": "foreign", "size": 1, "digest": d('c'), "urls": ["https://x"]}]
        });
        let checked = validate(body.to_string().as_bytes(), None).unwrap();
        assert_eq!(checked.media_type, media_type::DOCKER_MANIFEST);
        let blobs: Vec<String> = checked.blobs.iter().map(|b| b.to_string()).collect();
        assert_eq!(blobs, [d('a'), d('b')], "foreign layers are not required");
    }

    #[test]
    fn the_content_type_names_an_oci_manifest_without_media_type() {
        let body =
            serde_json::json!({"schemaVersion": 2, "config": {"digest": d('a')}, "layers": []});
        let checked = validate(
            body.to_string().as_bytes(),
            Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
        )
        .unwrap();
        assert_eq!(checked.media_type, media_type::OCI_MANIFEST);
    }

    #[test]
    fn an_index_names_its_manifests() {
        let body = serde_json::json!({"schemaVersion": 2, "mediaType": media_type::OCI_INDEX, "manifests": [{"digest": d('e')}]});
        let checked = validate(body.to_string().as_bytes(), None).unwrap();
        assert_eq!(checked.manifests.len(), 1);
    }

    #[test]
    fn bad_manifests_are_refused_with_a_reason() {
        let cases = [
            ("not json", "the manifest is not JSON"),
            (r#"{"schemaVersion":1}"#, "schema 1"),
            (r#"{"schemaVersion":2}"#, "no mediaType"),
            (
                r#"{"schemaVersion":2,"mediaType":"text/plain"}"#,
                "unsupported manifest media type text/plain",
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#,
                "needs a config",
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:00"},"layers":[]}"#,
                "invalid digest",
            ),
        ];
        for (body, expected) in cases {
            let err = validate(body.as_bytes(), None).unwrap_err();
            assert_eq!(err.code, "MANIFEST_INVALID");
            assert!(err.message.contains(expected), "{body}: {}", err.message);
        }
        let err = validate(br#"{"schemaVersion":2,"mediaType":"a"}"#, Some("b")).unwrap_err();
        assert!(err.message.contains("does not match"), "{}", err.message);
    }
}
