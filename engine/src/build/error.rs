//! How a build fails: each error says which step and what to change.

use std::path::PathBuf;

use super::dockerfile::ParseError;

/// A failed `ferry build`.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The Dockerfile is malformed (or a variable cannot be expanded).
    #[error("{file}: {error}")]
    Dockerfile {
        /// The Dockerfile's path.
        file: PathBuf,
        /// Where and what.
        error: ParseError,
    },
    /// A RUN command exited non-zero (Docker's wording).
    #[error("The command '{command}' returned a non-zero code: {code}")]
    RunFailed {
        /// The command as run (`/bin/sh -c …`).
        command: String,
        /// Its exit code.
        code: i32,
    },
    /// COPY or ADD cannot do what it was asked.
    #[error("{instruction} failed: {message}")]
    Copy {
        /// `COPY` or `ADD`.
        instruction: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A stage named by `--target`, `FROM` or `COPY --from` does not exist, or comes later.
    #[error("{0}")]
    Stage(String),
    /// A local file operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// On which path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The engine (image store, containers) failed.
    #[error(transparent)]
    Engine(#[from] crate::Error),
    /// Pulling a base image failed.
    #[error(transparent)]
    Pull(#[from] crate::registry::client::ClientError),
}

impl BuildError {
    /// Wraps an I/O error with the operation and the path.
    pub fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> BuildError {
        let path = path.into();
        move |source| BuildError::Io { op, path, source }
    }
}

/// The result type of the builder.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;
