//! A scriptable fake registry for the client's hard cases: a Docker-Hub-style bearer token
//! server, blobs served with the wrong bytes, a transfer that breaks half-way, manifest lists.
//! It records every request so tests can see what the client sent.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::digest_of;

/// The token the fake's token server hands out.
pub const TOKEN: &str = "fake-token";

/// What the fake serves and how it misbehaves.
#[derive(Default)]
pub struct FakeState {
    /// The fake's own address (for the token realm).
    pub addr: Mutex<Option<SocketAddr>>,
    /// `repo:reference` → (bytes, content type).
    pub manifests: Mutex<HashMap<String, (Vec<u8>, String)>>,
    /// digest → bytes.
    pub blobs: Mutex<HashMap<String, Vec<u8>>>,
    /// When set, every /v2 request needs the bearer token, given to these basic credentials.
    pub bearer: Mutex<Option<(String, String)>>,
    /// Blobs served with other bytes than their digest says.
    pub corrupt: Mutex<HashSet<String>>,
    /// Blobs whose first download breaks after half the bytes.
    pub cut_once: Mutex<HashSet<String>>,
    /// `METHOD PATH range=… auth=…` for every request.
    pub log: Mutex<Vec<String>>,
}

impl FakeState {
    /// Serves a manifest under `repo:reference` and also under its digest.
    pub fn add_manifest(&self, repo: &str, reference: &str, bytes: &[u8], content_type: &str) {
        let mut manifests = self.manifests.lock().unwrap();
        manifests.insert(
            format!("{repo}:{reference}"),
            (bytes.to_vec(), content_type.to_string()),
        );
        manifests.insert(
            format!("{repo}:{}", digest_of(bytes)),
            (bytes.to_vec(), content_type.to_string()),
        );
    }

    /// Serves a blob.
    pub fn add_blob(&self, bytes: &[u8]) {
        self.blobs
            .lock()
            .unwrap()
            .insert(digest_of(bytes), bytes.to_vec());
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

/// The fake, running on a thread of its own until dropped.
pub struct FakeRegistry {
    /// What it serves.
    pub state: Arc<FakeState>,
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeRegistry {
    /// Starts an empty fake on a free loopback port.
    pub fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                *shared.addr.lock().unwrap() = Some(addr);
                ready_tx.send(addr).unwrap();
                let app = axum::Router::new().fallback(handle).with_state(shared);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = ready_rx.recv().expect("the fake starts");
        Self {
            state,
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn handle(State(state): State<Arc<FakeState>>, request: Request) -> Response {
    let (method, path, headers) = (
        request.method().clone(),
        request.uri().path().to_string(),
        request.headers().clone(),
    );
    let auth = text(&headers, header::AUTHORIZATION);
    let range = text(&headers, header::RANGE);
    state
        .log
        .lock()
        .unwrap()
        .push(format!("{method} {path} range={range} auth={auth}"));
    let bearer = state.bearer.lock().unwrap().clone();
    if path == "/token" {
        return token(&auth, bearer);
    }
    if let Some(creds) = bearer {
        let _ = creds;
        if auth != format!("Bearer {TOKEN}") {
            return challenge(&state, &path);
        }
    }
    if path == "/v2/" {
        return StatusCode::OK.into_response();
    }
    let rest = path.trim_start_matches("/v2/");
    if let Some((repo, reference)) = rest.rsplit_once("/manifests/") {
        let found = state
            .manifests
            .lock()
            .unwrap()
            .get(&format!("{repo}:{reference}"))
            .cloned();
        return match found {
            Some((bytes, kind)) => (
                [
                    (header::CONTENT_TYPE, kind),
                    (
                        header::HeaderName::from_static("docker-content-digest"),
                        digest_of(&bytes),
                    ),
                ],
                bytes,
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    if let Some((_, digest)) = rest.rsplit_once("/blobs/") {
        return blob(&state, digest, &range);
    }
    StatusCode::NOT_FOUND.into_response()
}

fn token(auth: &str, bearer: Option<(String, String)>) -> Response {
    let Some((user, pass)) = bearer else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
    );
    if auth != expected {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#),
    )
        .into_response()
}

fn challenge(state: &FakeState, path: &str) -> Response {
    let addr = state.addr.lock().unwrap().expect("the address is known");
    let repo = path
        .trim_start_matches("/v2/")
        .split("/manifests/")
        .next()
        .unwrap_or_default()
        .split("/blobs/")
        .next()
        .unwrap_or_default();
    let value = format!(
        r#"Bearer realm="http://{addr}/token",service="fake-registry",scope="repository:{repo}:pull""#
    );
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, value)],
    )
        .into_response()
}

fn blob(state: &FakeState, digest: &str, range: &str) -> Response {
    let Some(mut bytes) = state.blobs.lock().unwrap().get(digest).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if state.corrupt.lock().unwrap().contains(digest) {
        bytes.iter_mut().for_each(|b| *b = b.wrapping_add(1));
    }
    let total = bytes.len();
    if state.cut_once.lock().unwrap().remove(digest) {
        let half = bytes[..total / 2].to_vec();
        // The first half goes out, then — after a moment, so it surely left — the connection breaks.
        let cut = async {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            Err(std::io::Error::other("connection cut"))
        };
        let broken = futures_util::StreamExt::chain(
            futures_util::stream::iter(vec![Ok(half)]),
            futures_util::stream::once(cut),
        );
        return (
            [(header::CONTENT_LENGTH, total.to_string())],
            Body::from_stream(broken),
        )
            .into_response();
    }
    if let Some(start) = range
        .strip_prefix("bytes=")
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
    {
        let content_range = format!("bytes {start}-{}/{total}", total - 1);
        return (
            StatusCode::PARTIAL_CONTENT,
            [(header::CONTENT_RANGE, content_range)],
            bytes[start..].to_vec(),
        )
            .into_response();
    }
    bytes.into_response()
}
