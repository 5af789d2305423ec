//! What can go wrong talking to a registry, each with a message that says what to do.

use std::path::PathBuf;

use super::manifest::ManifestError;

/// A registry client failure.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not get an answer (refused, reset, TLS failure, timeout).
    #[error("{method} {url}: {detail}")]
    Http {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// What went wrong, with a hint when the cause is a common one.
        detail: String,
    },
    /// The registry answered with an error status.
    #[error("{method} {url}: {status}{}", if detail.is_empty() { String::new() } else { format!(": {detail}") })]
    Status {
        /// The method.
        method: String,
        /// The URL.
        url: String,
        /// The HTTP status, e.g. `404 Not Found`.
        status: String,
        /// The registry's error codes and messages.
        detail: String,
    },
    /// Credentials are missing or refused.
    #[error("unauthorized: {detail}")]
    Unauthorized {
        /// Why, and which registry.
        detail: String,
    },
    /// Content does not hash to the digest that names it: nothing was stored.
    #[error("{what}: digest mismatch: expected {expected}, but the registry sent content hashing to {actual}")]
    DigestMismatch {
        /// Which blob or manifest.
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// A manifest ferry cannot use.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A local file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What ferry was doing.
        op: &'static str,
        /// On which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A configuration file (credentials, daemon.json) is unusable.
    #[error("{0}")]
    Config(String),
    /// The local image store failed.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

impl ClientError {
    /// Wraps an I/O error with the operation and the path.
    pub fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> ClientError {
        let path = path.into();
        move |source| ClientError::Io { op, path, source }
    }

    /// Whether trying again (resuming) may help: the connection failed, not the registry.
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Http { .. })
    }
}

/// The result type of the registry client.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
