//! One registry, spoken to over HTTP: authentication, manifests, and blobs (resumable downloads,
//! chunked uploads, cross-repository mounts).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use futures_util::StreamExt;
use reqwest::header::{
    HeaderMap, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE, WWW_AUTHENTICATE,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use tokio::io::AsyncWriteExt;

use super::auth::{parse_challenge, Challenge, TokenResponse};
use super::credentials::Credentials;
use super::endpoint::Endpoint;
use super::error::{ClientError, Result};
use super::progress::Bar;
use crate::image::digest::{self, Digest};
use crate::registry::api::{media_type, ErrorBody, DIGEST_HEADER};
use crate::registry::hash_file;

/// How many times a broken download is resumed before giving up.
const DOWNLOAD_ATTEMPTS: usize = 3;

/// A manifest as the registry sent it.
#[derive(Debug, Clone)]
pub struct RawManifest {
    /// The bytes, exactly (their digest is the manifest's).
    pub bytes: Vec<u8>,
    /// The `Content-Type`.
    pub content_type: Option<String>,
    /// The digest, verified.
    pub digest: Digest,
}

/// A connection to one registry, with the credentials and tokens for it.
#[derive(Debug)]
pub struct Session {
    http: reqwest::Client,
    endpoint: Endpoint,
    credentials: Option<Credentials>,
    /// Bearer tokens by scope.
    tokens: Mutex<HashMap<String, String>>,
    /// The registry asked for basic authentication: send it with every request.
    basic: Mutex<bool>,
}

impl Session {
    /// A session with the registry at `endpoint`.
    pub fn new(endpoint: Endpoint, credentials: Option<Credentials>) -> Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Config(format!("cannot create an HTTP client: {e}")))?;
        Ok(Self {
            http,
            endpoint,
            credentials,
            tokens: Mutex::new(HashMap::new()),
            basic: Mutex::new(false),
        })
    }

    /// The registry's endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    // ANCHOR: send
    /// Sends a request built by `build`, answering one authentication challenge if the registry
    /// asks: the request is built again and resent with the credentials or token.
    async fn send(
        &self,
        scopes: &[String],
        build: impl Fn() -> Result<RequestBuilder>,
    ) -> Result<Response> {
        let first = self.execute(self.authorize(build()?, scopes)).await?;
        if first.status() != StatusCode::UNAUTHORIZED {
            return Ok(first);
        }
        let challenge = first
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_challenge);
        match challenge {
            Some(Challenge::Basic { .. }) if self.credentials.is_some() => {
                *lock(&self.basic) = true
            }
            Some(Challenge::Basic { .. }) => {
                return Err(self.unauthorized("no basic auth credentials"))
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let asked: Vec<String> = if scopes.is_empty() {
                    scope.into_iter().collect()
                } else {
                    scopes.to_vec()
                };
                let token = self.fetch_token(&realm, service.as_deref(), &asked).await?;
                lock(&self.tokens).insert(scopes.join(" "), token);
            }
            None => {
                return Err(self.unauthorized(
                    "the registry refused the request without saying how to authenticate",
                ))
            }
        }
        let second = self.execute(self.authorize(build()?, scopes)).await?;
        if second.status() == StatusCode::UNAUTHORIZED {
            return Err(self.unauthorized("authentication required: the credentials were refused"));
        }
        Ok(second)
    }
    // ANCHOR_END: send

    /// Adds the token for `scopes`, or basic credentials, to a request.
    fn authorize(&self, request: RequestBuilder, scopes: &[String]) -> RequestBuilder {
        if let Some(token) = lock(&self.tokens).get(&scopes.join(" ")) {
            return request.bearer_auth(token);
        }
        match (&self.credentials, *lock(&self.basic)) {
            (Some(c), true) => request.basic_auth(&c.username, Some(&c.password)),
            _ => request,
        }
    }

    /// Asks the token server for a token for `scopes`, with the user's credentials if any.
    async fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<String> {
        let mut url = Url::parse(realm)
            .map_err(|e| self.unauthorized(&format!("bad token realm {realm:?}: {e}")))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            for scope in scopes {
                query.append_pair("scope", scope);
            }
        }
        let mut request = self.http.get(url.clone());
        if let Some(c) = &self.credentials {
            request = request.basic_auth(&c.username, Some(&c.password));
        }
        let response = self.execute(request).await?;
        if response.status() == StatusCode::UNAUTHORIZED
            || response.status() == StatusCode::FORBIDDEN
        {
            return Err(self.unauthorized("the token server refused the credentials"));
        }
        let response = check(Method::GET, url.as_str(), response).await?;
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|e| http_error(Method::GET, url.as_str(), &e))?;
        token
            .into_token()
            .ok_or_else(|| self.unauthorized("the token server sent no token"))
    }

    fn unauthorized(&self, why: &str) -> ClientError {
        let host = &self.endpoint.host;
        let hint = if self.credentials.is_none() {
            format!(" (try `ferry login {host}`)")
        } else {
            String::new()
        };
        ClientError::Unauthorized {
            detail: format!("{why} for {host}{hint}"),
        }
    }

    async fn execute(&self, request: RequestBuilder) -> Result<Response> {
        let request = request
            .build()
            .map_err(|e| ClientError::Config(format!("cannot build a request: {e}")))?;
        let (method, url) = (request.method().clone(), request.url().to_string());
        self.http.execute(request).await.map_err(|e| {
            let mut error = http_error(method, &url, &e);
            if let ClientError::Http { detail, .. } = &mut error {
                if url.starts_with("https://") {
                    detail.push_str(&format!(
                        " (if {} serves plain HTTP, add it to \"insecure-registries\" in <state root>/daemon.json or to FERRY_INSECURE_REGISTRIES)",
                        self.endpoint.host
                    ));
                }
            }
            error
        })
    }

    /// `GET /v2/`: is this a registry, and do the credentials work? (What `login` checks.)
    pub async fn ping(&self) -> Result<()> {
        let url = self.endpoint.url("");
        let response = self.send(&[], || Ok(self.http.get(&url))).await?;
        check(Method::GET, &url, response).await.map(drop)
    }

    /// Fetches a manifest by tag or digest, verifying its digest.
    pub async fn manifest(
        &self,
        repository: &str,
        reference: &str,
        scopes: &[String],
    ) -> Result<RawManifest> {
        let url = self
            .endpoint
            .url(&format!("{repository}/manifests/{reference}"));
        let accept = media_type::MANIFESTS.join(", ");
        let response = self
            .send(scopes, || Ok(self.http.get(&url).header("Accept", &accept)))
            .await?;
        let response = check(Method::GET, &url, response).await?;
        let content_type = header(response.headers(), CONTENT_TYPE.as_str());
        let announced = header(response.headers(), DIGEST_HEADER);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http_error(Method::GET, &url, &e))?
            .to_vec();
        let actual = digest::sha256(&bytes);
        let expected = digest::parse(reference)
            .ok()
            .map(|d| d.to_string())
            .or(announced);
        if let Some(expected) = expected {
            if expected != actual.to_string() {
                let what = format!("manifest {repository}:{reference}");
                return Err(ClientError::DigestMismatch {
                    what,
                    expected,
                    actual: actual.to_string(),
                });
            }
        }
        Ok(RawManifest {
            bytes,
            content_type,
            digest: actual,
        })
    }

    /// Stores a manifest under a tag (or digest); returns the digest the registry gives it.
    pub async fn put_manifest(
        &self,
        repository: &str,
        reference: &str,
        bytes: &[u8],
        kind: &str,
        scopes: &[String],
    ) -> Result<String> {
        let url = self
            .endpoint
            .url(&format!("{repository}/manifests/{reference}"));
        let response = self
            .send(scopes, || {
                Ok(self
                    .http
                    .put(&url)
                    .header(CONTENT_TYPE, kind)
                    .body(bytes.to_vec()))
            })
            .await?;
        let response = check(Method::PUT, &url, response).await?;
        Ok(header(response.headers(), DIGEST_HEADER)
            .unwrap_or_else(|| digest::sha256(bytes).to_string()))
    }

    /// Whether the repository already has a blob (`HEAD`): a push skips those.
    pub async fn has_blob(
        &self,
        repository: &str,
        digest: &Digest,
        scopes: &[String],
    ) -> Result<bool> {
        let url = self.endpoint.url(&format!("{repository}/blobs/{digest}"));
        let response = self.send(scopes, || Ok(self.http.head(&url))).await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(false),
            _ => check(Method::HEAD, &url, response).await.map(|_| true),
        }
    }

    // ANCHOR: download
    /// Downloads a blob into `partial`, resuming from what the file already holds (`Range`), and
    /// retrying a broken transfer; then checks its digest. On a mismatch the file is deleted.
    pub async fn download(
        &self,
        repository: &str,
        digest: &Digest,
        size: u64,
        partial: &Path,
        bar: &Bar,
        scopes: &[String],
    ) -> Result<()> {
        let mut attempt = 1;
        loop {
            match self
                .download_once(repository, digest, size, partial, bar, scopes)
                .await
            {
                Err(e) if e.is_transient() && attempt < DOWNLOAD_ATTEMPTS => attempt += 1,
                other => break other?,
            }
        }
        let owned = partial.to_path_buf();
        let (actual, _) = tokio::task::spawn_blocking(move || hash_file(&owned))
            .await
            .map_err(|e| ClientError::Config(format!("hashing {}: {e}", partial.display())))?
            .map_err(ClientError::io("hash", partial))?;
        if actual != *digest {
            let _ = std::fs::remove_file(partial);
            let what = format!("blob {digest} of {repository}");
            return Err(ClientError::DigestMismatch {
                what,
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(())
    }

    async fn download_once(
        &self,
        repository: &str,
        digest: &Digest,
        size: u64,
        partial: &Path,
        bar: &Bar,
        scopes: &[String],
    ) -> Result<()> {
        let have = tokio::fs::metadata(partial)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        if have == size && size > 0 {
            return Ok(()); // complete already: the digest check decides
        }
        let have = if have > size { 0 } else { have };
        let url = self.endpoint.url(&format!("{repository}/blobs/{digest}"));
        let response = self
            .send(scopes, || {
                let request = self.http.get(&url);
                Ok(if have > 0 {
                    request.header(RANGE, format!("bytes={have}-"))
                } else {
                    request
                })
            })
            .await?;
        let response = check(Method::GET, &url, response).await?;
        let resumed = response.status() == StatusCode::PARTIAL_CONTENT
            && header(response.headers(), CONTENT_RANGE.as_str())
                .is_some_and(|r| r.starts_with(&format!("bytes {have}-")));
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(resumed)
            .truncate(!resumed)
            .open(partial)
            .await
            .map_err(ClientError::io("open", partial))?;
        bar.set_position(if resumed { have } else { 0 });
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| http_error(Method::GET, &url, &e))?;
            file.write_all(&chunk)
                .await
                .map_err(ClientError::io("write", partial))?;
            bar.inc(chunk.len() as u64);
        }
        file.flush()
            .await
            .map_err(ClientError::io("write", partial))?;
        file.sync_all()
            .await
            .map_err(ClientError::io("fsync", partial))
    }
    // ANCHOR_END: download

    /// Asks the registry to link a blob from another of its repositories (no upload needed).
    pub async fn mount(
        &self,
        repository: &str,
        digest: &Digest,
        from: &str,
        scopes: &[String],
    ) -> Result<bool> {
        let url = self.endpoint.url(&format!("{repository}/blobs/uploads/"));
        let query = [("mount", digest.to_string()), ("from", from.to_string())];
        let response = self
            .send(scopes, || {
                Ok(self
                    .http
                    .post(&url)
                    .query(&query)
                    .header(CONTENT_LENGTH, "0"))
            })
            .await?;
        match response.status() {
            StatusCode::CREATED => Ok(true),
            StatusCode::ACCEPTED => {
                // An upload session was opened instead: cancel it, the caller uploads normally.
                if let Some(session) = self.location(&url, response.headers()) {
                    let _ = self
                        .send(scopes, || Ok(self.http.delete(session.clone())))
                        .await;
                }
                Ok(false)
            }
            _ => check(Method::POST, &url, response).await.map(|_| false),
        }
    }

    // ANCHOR: upload
    /// Uploads a blob from a file: `POST` opens a session, `PATCH` sends the bytes, `PUT ?digest=`
    /// closes it (the registry verifies the digest).
    pub async fn upload(
        &self,
        repository: &str,
        digest: &Digest,
        path: &Path,
        bar: &Bar,
        scopes: &[String],
    ) -> Result<()> {
        let start = self.endpoint.url(&format!("{repository}/blobs/uploads/"));
        let response = self
            .send(scopes, || {
                Ok(self.http.post(&start).header(CONTENT_LENGTH, "0"))
            })
            .await?;
        let response = check(Method::POST, &start, response).await?;
        let session = self
            .location(&start, response.headers())
            .ok_or_else(|| missing_location(&start))?;
        let size = tokio::fs::metadata(path)
            .await
            .map_err(ClientError::io("stat", path))?
            .len();
        let patch = self
            .send(scopes, || {
                let file = std::fs::File::open(path).map_err(ClientError::io("open", path))?;
                let bar = bar.clone();
                let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file))
                    .inspect(move |chunk| {
                        if let Ok(bytes) = chunk {
                            bar.inc(bytes.len() as u64);
                        }
                    });
                let request = self
                    .http
                    .patch(session.clone())
                    .header(CONTENT_TYPE, "application/octet-stream");
                Ok(request
                    .header(CONTENT_LENGTH, size)
                    .body(reqwest::Body::wrap_stream(stream)))
            })
            .await?;
        let patch = check(Method::PATCH, session.as_str(), patch).await?;
        let mut finish = self
            .location(session.as_str(), patch.headers())
            .unwrap_or(session);
        finish
            .query_pairs_mut()
            .append_pair("digest", digest.as_ref());
        let response = self
            .send(scopes, || {
                Ok(self.http.put(finish.clone()).header(CONTENT_LENGTH, "0"))
            })
            .await?;
        check(Method::PUT, finish.as_str(), response)
            .await
            .map(drop)
    }
    // ANCHOR_END: upload

    /// A `Location` header, resolved against the request URL (registries send relative ones).
    fn location(&self, base: &str, headers: &HeaderMap) -> Option<Url> {
        let location = header(headers, LOCATION.as_str())?;
        Url::parse(base).ok()?.join(&location).ok()
    }
}

/// Passes a successful response through; turns an error status into a [`ClientError`] carrying
/// the registry's error body.
async fn check(method: Method, url: &str, response: Response) -> Result<Response> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    let detail = serde_json::from_slice::<ErrorBody>(&body)
        .map(|b| b.summary())
        .unwrap_or_default();
    Err(ClientError::Status {
        method: method.to_string(),
        url: url.to_string(),
        status: status.to_string(),
        detail,
    })
}

fn http_error(method: Method, url: &str, error: &reqwest::Error) -> ClientError {
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    ClientError::Http {
        method: method.to_string(),
        url: url.to_string(),
        detail,
    }
}

fn missing_location(url: &str) -> ClientError {
    ClientError::Status {
        method: "POST".into(),
        url: url.into(),
        status: "202 Accepted".into(),
        detail: "no Location header".into(),
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_statuses_carry_the_registrys_error_codes() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let body = r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        let response = http_response(404, body);
        let err = runtime
            .block_on(check(Method::GET, "http://r/v2/a/manifests/x", response))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "GET http://r/v2/a/manifests/x: 404 Not Found: MANIFEST_UNKNOWN: manifest unknown"
        );
    }

    fn http_response(status: u16, body: &str) -> reqwest::Response {
        let response = axum::http::Response::builder()
            .status(status)
            .body(body.to_string())
            .unwrap();
        reqwest::Response::from(response)
    }
}
