//! Chapter 7: what an image is, on disk and on the wire — made by hand.
//!
//! Three binaries walk through it, printing every digest and every HTTP request:
//!
//! - `build-image DIR LAYOUT`: tars `DIR` into a layer, hashes it, writes a config and a
//!   manifest, and stores all three as blobs of an OCI image layout (see [`image`], [`layout`]);
//! - `push-image LAYOUT HOST/NAME:TAG`: uploads the blobs, then the manifest, with the
//!   distribution API's POST/PUT requests (see [`distribution`]), over a hand-written HTTP/1.1
//!   client ([`http`]) so that nothing hides what is sent;
//! - `pull-image HOST/NAME:TAG DEST`: fetches the manifest, then each blob it names, checks
//!   every digest, and unpacks the layer.

pub mod digest;
pub mod distribution;
pub mod http;
pub mod image;
pub mod layout;

/// Everything that can go wrong in the chapter 7 demos.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or network operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// The registry answered with an unexpected status.
    #[error("{request}: the registry answered {status}: {body}")]
    Status {
        /// The request line.
        request: String,
        /// The status line.
        status: String,
        /// The response body (the registry's error JSON).
        body: String,
    },
    /// Content does not hash to the digest that names it.
    #[error("{what}: expected {expected}, got content hashing to {actual}")]
    DigestMismatch {
        /// Which content.
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// Malformed input: a bad argument, JSON, or HTTP response.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Wraps an I/O error with what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let what = what.into();
        move |source| Error::Io { what, source }
    }
}

/// Runs a demo's `main` body: prints the error and exits 1 on failure.
pub fn exit_on_error(program: &str, result: Result<(), Error>) {
    if let Err(e) = result {
        eprintln!("{program}: {e}");
        std::process::exit(1);
    }
}
