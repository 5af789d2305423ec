//! The vocabulary of the distribution protocol that both ends share: headers, media types,
//! repository names and the error body.
//!
//! The protocol is the OCI distribution spec, which grew out of Docker's registry API v2:
//! everything lives under `/v2/`, blobs and manifests are named by digest, and a repository name
//! is a slash-separated path like `eladmin/eladmin-web`.

use serde::{Deserialize, Serialize};

/// Sent by every v2 registry on every response; clients check it on `/v2/`.
pub const API_VERSION_HEADER: &str = "Docker-Distribution-API-Version";
/// The value of [`API_VERSION_HEADER`].
pub const API_VERSION: &str = "registry/2.0";
/// The digest of the content a response is about (a blob, a manifest).
pub const DIGEST_HEADER: &str = "Docker-Content-Digest";
/// The id of an upload session.
pub const UPLOAD_UUID_HEADER: &str = "Docker-Upload-UUID";

/// Media types of manifests and of what they point at.
pub mod media_type {
    /// An OCI image manifest: one config and a list of layers.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// An OCI image index: one manifest per platform.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// Docker's image manifest, schema 2 (what `docker push` sends).
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker's manifest list (multi-platform image).
    pub const DOCKER_MANIFEST_LIST: &str =
        "application/vnd.docker.distribution.manifest.list.v2+json";
    /// An OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// Docker's image config.
    pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
    /// An OCI layer, gzip-compressed tar.
    pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// An OCI layer, plain tar.
    pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// Docker's layer, gzip-compressed tar.
    pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// Whether `media_type` is a single-image manifest (config + layers).
    pub fn is_image_manifest(media_type: &str) -> bool {
        media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
    }

    /// Whether `media_type` is a list of manifests (one per platform).
    pub fn is_index(media_type: &str) -> bool {
        media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
    }

    /// Every manifest type ferry speaks, for `Accept` headers.
    pub const MANIFESTS: [&str; 4] = [
        OCI_MANIFEST,
        OCI_INDEX,
        DOCKER_MANIFEST,
        DOCKER_MANIFEST_LIST,
    ];
}

/// Whether `name` is a valid repository name: components of lowercase letters and digits joined
/// by `.`, `_`, `__` or dashes, separated by `/` (the spec's
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`).
///
/// A valid name is also a safe relative path: no component is empty, `.` or `..`.
pub fn valid_repository_name(name: &str) -> bool {
    name.len() <= 255 && name.split('/').all(valid_component)
}

fn valid_component(component: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !alnum(first) || !alnum(last) {
        return false;
    }
    let mut separators = component.split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    separators.all(|sep| matches!(sep, "" | "." | "_" | "__") || sep.bytes().all(|b| b == b'-'))
}

/// Whether `tag` is a valid tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    first_ok
        && tag.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The JSON body of every error response: `{"errors":[{"code":…,"message":…}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The errors (registries send one, the format allows several).
    pub errors: Vec<ErrorEntry>,
}

/// One error of an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEntry {
    /// A code from the spec, e.g. `BLOB_UNKNOWN`, `DIGEST_INVALID`, `UNAUTHORIZED`.
    pub code: String,
    /// For people.
    #[serde(default)]
    pub message: String,
    /// Extra detail, any JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

impl ErrorBody {
    /// `CODE: message; CODE: message` — for error messages on the client side.
    pub fn summary(&self) -> String {
        let entries = self.errors.iter().map(|e| {
            if e.message.is_empty() {
                e.code.clone()
            } else {
                format!("{}: {}", e.code, e.message)
            }
        });
        entries.collect::<Vec<_>>().join("; ")
    }
}

/// `GET /v2/_catalog` and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// Repository names, sorted.
    pub repositories: Vec<String>,
}

/// `GET /v2/<name>/tags/list` and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    /// The repository.
    pub name: String,
    /// Its tags, sorted.
    pub tags: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_the_spec_grammar() {
        for good in [
            "nginx",
            "eladmin/eladmin-web",
            "a/b/c",
            "my_app",
            "my__app",
            "a.b",
            "a--b",
            "x0",
        ] {
            assert!(valid_repository_name(good), "{good}");
        }
        for bad in [
            "", "Nginx", "a//b", "/a", "a/", "..", "a/../b", "-a", "a-", "a___b", "a._b", "a/.",
            "a b",
        ] {
            assert!(!valid_repository_name(bad), "{bad}");
        }
    }

    #[test]
    fn tags_follow_the_spec_grammar() {
        assert!(valid_tag("v1.0_rc-2"));
        assert!(valid_tag("_x"));
        for bad in ["", ".x", "-x", "a/b", "a:b", &"x".repeat(129)] {
            assert!(!valid_tag(bad), "{bad}");
        }
    }

    #[test]
    fn error_bodies_read_and_summarise() {
        let body: ErrorBody = serde_json::from_str(r#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:x"}]}"#).unwrap();
        assert_eq!(body.summary(), "BLOB_UNKNOWN: blob unknown to registry");
    }
}
