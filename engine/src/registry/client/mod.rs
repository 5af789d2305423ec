//! The registry client: `ferry pull`, `push`, `login`, `logout`.
//!
//! - [`endpoint`]: reference → URL; HTTP for insecure registries (daemon.json), HTTPS otherwise;
//! - [`credentials`]: Docker-style `config.json`;
//! - [`auth`]: `WWW-Authenticate` challenges, basic auth and bearer tokens;
//! - [`session`]: the HTTP conversation with one registry — manifests, resumable verified
//!   downloads, chunked uploads, mounts;
//! - [`manifest`]: Docker schema 2 and OCI manifests, manifest lists (linux/amd64 is picked);
//! - [`pull`] and [`push`]: moving an image between a registry and the local image store, blobs
//!   in parallel with progress bars ([`progress`]), skipping what the other side has.

pub mod auth;
pub mod credentials;
pub mod endpoint;
mod error;
pub mod manifest;
pub mod progress;
pub mod pull;
pub mod push;
pub mod session;
pub mod sources;

use std::path::PathBuf;

pub use credentials::{CredentialStore, Credentials};
pub use endpoint::InsecureRegistries;
pub use error::{ClientError, Result};
use progress::Progress;
use session::Session;
use sources::BlobSources;

use crate::container::StateRoot;
use crate::image::ImageStore;

/// How many blobs move at once (Docker's default `max-concurrent-downloads` is 3).
pub const PARALLEL_TRANSFERS: usize = 3;

/// Everything a pull or push needs from this machine.
#[derive(Debug, Clone)]
pub struct Context {
    /// The local image store.
    pub store: ImageStore,
    /// Where partial downloads and blob sources are kept (`<root>/registry`).
    pub work_dir: PathBuf,
    /// Which registries are reached over HTTP.
    pub insecure: InsecureRegistries,
    /// Stored logins.
    pub credentials: CredentialStore,
    /// Progress output.
    pub progress: Progress,
}

impl Context {
    /// The context of a state root: its store, its `daemon.json`, and the given credentials file.
    pub fn open(root: &StateRoot, credentials: CredentialStore) -> Result<Self> {
        Ok(Self {
            store: ImageStore::open(root)?,
            work_dir: root.path().join("registry"),
            insecure: InsecureRegistries::load(root.path()).map_err(ClientError::Config)?,
            credentials,
            progress: Progress::new(),
        })
    }

    /// A session with `registry`, logged in if credentials are stored for it.
    pub fn session(&self, registry: &str) -> Result<Session> {
        let credentials = self
            .credentials
            .get(registry)
            .map_err(ClientError::Config)?;
        Session::new(self.insecure.endpoint(registry), credentials)
    }

    fn downloads(&self) -> PathBuf {
        self.work_dir.join("downloads")
    }

    fn sources(&self) -> BlobSources {
        BlobSources::new(&self.work_dir.join("blob-sources"))
    }
}

/// Checks credentials against `registry` (`GET /v2/` with them) and stores them if they work.
pub async fn login(context: &Context, registry: &str, credentials: Credentials) -> Result<()> {
    let session = Session::new(
        context.insecure.endpoint(registry),
        Some(credentials.clone()),
    )?;
    session.ping().await?;
    context
        .credentials
        .store(registry, &credentials)
        .map_err(ClientError::Config)
}

/// A registry name as `login` and `logout` take it: `https://` and trailing `/` dropped, Docker
/// Hub when none is given.
pub fn registry_name(given: Option<&str>) -> String {
    match given {
        None => endpoint::DOCKER_HUB.to_string(),
        Some(name) => {
            let name = name
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            name.split('/').next().unwrap_or(name).to_string()
        }
    }
}

/// The async runtime pulls and pushes run on (two workers: transfers wait on the network).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ClientError::Config(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_normalised_like_docker_login_does() {
        assert_eq!(registry_name(None), "docker.io");
        assert_eq!(
            registry_name(Some("http://172.16.1.226:5000/")),
            "172.16.1.226:5000"
        );
        assert_eq!(registry_name(Some("127.0.0.1:5000")), "127.0.0.1:5000");
    }
}
