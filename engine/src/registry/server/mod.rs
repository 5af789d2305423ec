//! `ferry registry serve`: an OCI distribution-spec registry, like the seeds' `registry:2`.
//!
//! ```text
//! ferry registry serve --addr 127.0.0.1:5000 --root /var/lib/registry --htpasswd auth/htpasswd
//! ```
//!
//! - [`routes`]: which endpoint a path names (repository names contain slashes);
//! - `handlers`: what each endpoint does — pull, chunked and monolithic push, cross-repository
//!   mount, catalog, tags, delete;
//! - [`storage`]: content-addressed blobs, per-repository links and tags, atomic writes;
//! - [`auth`]: bcrypt htpasswd basic authentication;
//! - `manifest`: the checks a pushed manifest must pass.

pub mod auth;
mod errors;
mod handlers;
mod manifest;
mod query;
pub mod routes;
pub mod storage;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;

pub use auth::{Htpasswd, HtpasswdError};
pub use errors::ApiError;
use handlers::App;
pub use storage::Storage;

/// Manifests above this size are refused, as by the reference registry (4 MiB).
pub const DEFAULT_MAX_MANIFEST_BYTES: usize = 4 << 20;

/// How to run a registry.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (port 0 picks a free port).
    pub addr: SocketAddr,
    /// Where blobs, manifests and uploads are stored.
    pub root: PathBuf,
    /// An htpasswd file: when given, every request needs basic authentication.
    pub htpasswd: Option<PathBuf>,
    /// The largest manifest accepted, in bytes.
    pub max_manifest_bytes: usize,
    /// Print one line per request on stderr.
    pub log: bool,
}

impl ServerConfig {
    /// A registry at `addr` storing under `root`, without authentication.
    pub fn new(addr: SocketAddr, root: impl Into<PathBuf>) -> Self {
        Self {
            addr,
            root: root.into(),
            htpasswd: None,
            max_manifest_bytes: DEFAULT_MAX_MANIFEST_BYTES,
            log: false,
        }
    }
}

/// Why a registry cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The storage directory cannot be created.
    #[error("registry storage {path}: {source}")]
    Storage {
        /// The root directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The htpasswd file is unusable.
    #[error(transparent)]
    Htpasswd(#[from] HtpasswdError),
    /// The address cannot be listened on.
    #[error("listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime or the server failed.
    #[error("registry server: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The HTTP application: every path goes to one handler that routes by hand (see [`routes`]).
pub fn router(config: &ServerConfig) -> Result<Router, ServerError> {
    let storage = Storage::open(&config.root).map_err(|source| ServerError::Storage {
        path: config.root.clone(),
        source,
    })?;
    let auth = config.htpasswd.as_deref().map(Htpasswd::load).transpose()?;
    let app = App {
        storage,
        auth,
        max_manifest_bytes: config.max_manifest_bytes,
        log: config.log,
    };
    Ok(Router::new()
        .fallback(handlers::handle)
        .with_state(Arc::new(app)))
}

/// Serves `config` until `shutdown` completes; `ready` learns the bound address first.
pub async fn serve(
    config: &ServerConfig,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = router(config)?;
    let bind = |source| ServerError::Bind {
        addr: config.addr,
        source,
    };
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(bind)?;
    ready(listener.local_addr().map_err(bind)?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Runtime)
}

/// Serves until SIGINT or SIGTERM: what `ferry registry serve` runs.
pub fn run(config: &ServerConfig) -> Result<(), ServerError> {
    let runtime = runtime()?;
    runtime.block_on(serve(
        config,
        |addr| eprintln!("ferry registry listening on http://{addr}"),
        stop_signal(),
    ))
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ServerError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)
}

/// A registry running on a thread of its own, stopped when dropped (for tests, benches, demos).
#[derive(Debug)]
pub struct RunningRegistry {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl RunningRegistry {
    /// Starts a registry; returns once it accepts connections.
    pub fn start(config: ServerConfig) -> Result<Self, ServerError> {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = runtime()?;
            let ready = move |addr| {
                let _ = ready_tx.send(addr);
            };
            runtime.block_on(serve(&config, ready, async {
                let _ = stopped.await;
            }))
        });
        match ready_rx.recv() {
            Ok(addr) => Ok(Self {
                addr,
                stop: Some(stop),
                thread: Some(thread),
            }),
            Err(_) => Err(match thread.join() {
                Ok(Err(e)) => e,
                _ => ServerError::Runtime(std::io::Error::other(
                    "the server thread stopped before listening",
                )),
            }),
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `host:port`, as it appears in image references (`127.0.0.1:5000/app`).
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
