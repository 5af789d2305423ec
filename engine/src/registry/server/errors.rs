//! The registry's error responses: an HTTP status and the spec's JSON error body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::registry::api::{ErrorBody, ErrorEntry};

/// An error as the client will see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The spec's error code, e.g. `BLOB_UNKNOWN`.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// No such blob in this repository.
    pub fn blob_unknown(digest: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "BLOB_UNKNOWN",
            format!("blob unknown to registry: {digest}"),
        )
    }

    /// No such upload.
    pub fn upload_unknown(uuid: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "BLOB_UPLOAD_UNKNOWN",
            format!("blob upload unknown to registry: {uuid}"),
        )
    }

    /// An upload that cannot continue (bad chunk range, unreadable body).
    pub fn upload_invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BLOB_UPLOAD_INVALID", message)
    }

    /// A digest that is malformed or does not match the content.
    pub fn digest_invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "DIGEST_INVALID", message)
    }

    /// No such manifest (tag or digest) in this repository.
    pub fn manifest_unknown(reference: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "MANIFEST_UNKNOWN",
            format!("manifest unknown: {reference}"),
        )
    }

    /// A manifest that is not one ferry accepts.
    pub fn manifest_invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MANIFEST_INVALID", message)
    }

    /// A manifest larger than the limit.
    pub fn manifest_too_large(limit: usize) -> Self {
        let message = format!("manifest is larger than the limit of {limit} bytes");
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "MANIFEST_INVALID", message)
    }

    /// A manifest naming a blob (or manifest) the repository does not have.
    pub fn manifest_blob_unknown(digest: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "MANIFEST_BLOB_UNKNOWN",
            format!("blob unknown to registry: {digest}"),
        )
    }

    /// No such repository.
    pub fn name_unknown(name: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NAME_UNKNOWN",
            format!("repository name not known to registry: {name}"),
        )
    }

    /// A repository name outside the grammar.
    pub fn name_invalid(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "NAME_INVALID",
            format!("invalid repository name: {name:?}"),
        )
    }

    /// A tag outside the grammar.
    pub fn tag_invalid(tag: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "TAG_INVALID",
            format!("invalid tag: {tag:?}"),
        )
    }

    /// A path or method the API does not have.
    pub fn unsupported(what: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "UNSUPPORTED", what)
    }

    /// No path of the API.
    pub fn not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("no such endpoint: {path}"),
        )
    }

    /// Missing or wrong credentials.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "authentication required",
        )
    }

    /// A `Range` the blob does not have.
    pub fn range_not_satisfiable(size: u64) -> Self {
        Self::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "BLOB_UNKNOWN",
            format!("range outside the blob's {size} bytes"),
        )
    }

    /// The registry itself failed (a file operation).
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN",
            format!("internal error: {error}"),
        )
    }
}

impl From<std::io::Error> for ApiError {
    fn from(error: std::io::Error) -> Self {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            errors: vec![ErrorEntry {
                code: self.code.to_string(),
                message: self.message,
                detail: None,
            }],
        };
        let json = serde_json::to_vec(&body).expect("an error body serializes");
        let mut response = (self.status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
