//! What each endpoint does: pull (GET/HEAD), push (POST/PATCH/PUT), list, delete.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::auth::Htpasswd;
use super::errors::ApiError;
use super::manifest::validate;
use super::query::Query;
use super::routes::{Route, RouteError};
use super::storage::{FinishError, Storage};
use crate::image::digest::{self, Digest};
use crate::registry::api::{
    valid_repository_name, valid_tag, Catalog, TagList, API_VERSION, API_VERSION_HEADER,
    DIGEST_HEADER, UPLOAD_UUID_HEADER,
};

/// What every request handler shares.
#[derive(Debug)]
pub struct App {
    /// The registry's files.
    pub storage: Storage,
    /// Basic authentication, when an htpasswd file was given.
    pub auth: Option<Htpasswd>,
    /// Manifests larger than this are refused.
    pub max_manifest_bytes: usize,
    /// Print one line per request on stderr.
    pub log: bool,
}

/// The realm clients are told to authenticate for.
const REALM: &str = "ferry registry";

type Result<T, E = ApiError> = std::result::Result<T, E>;

// ANCHOR: handle
/// Every request enters here: authenticate, route, answer, log.
pub async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let authorized = match &app.auth {
        None => true,
        Some(users) => users.check(
            request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok()),
        ),
    };
    let mut response = if authorized {
        dispatch(&app, request)
            .await
            .unwrap_or_else(IntoResponse::into_response)
    } else {
        let mut denied = ApiError::unauthorized().into_response();
        let challenge =
            HeaderValue::from_str(&format!("Basic realm=\"{REALM}\"")).expect("a valid header");
        denied
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
        denied
    };
    response
        .headers_mut()
        .insert(API_VERSION_HEADER, HeaderValue::from_static(API_VERSION));
    if app.log {
        eprintln!("{method} {path} {}", response.status().as_u16());
    }
    response
}

async fn dispatch(app: &App, request: Request) -> Result<Response> {
    let (parts, body) = request.into_parts();
    let query = Query::parse(parts.uri.query().unwrap_or_default());
    let route = Route::parse(parts.uri.path()).map_err(|e| match e {
        RouteError::NotFound => ApiError::not_found(parts.uri.path()),
        RouteError::InvalidName(name) => ApiError::name_invalid(&name),
    })?;
    let method = &parts.method;
    let head = method == Method::HEAD;
    match (route, method.clone()) {
        (Route::Base, Method::GET | Method::HEAD) => {
            Ok(json(StatusCode::OK, &serde_json::json!({})))
        }
        (Route::Catalog, Method::GET) => catalog(app, &query).await,
        (Route::Tags { name }, Method::GET) => tags(app, &name, &query).await,
        (Route::Manifest { name, reference }, Method::GET | Method::HEAD) => {
            get_manifest(app, &name, &reference, head)
        }
        (Route::Manifest { name, reference }, Method::PUT) => {
            put_manifest(app, &name, &reference, &parts.headers, body).await
        }
        (Route::Manifest { name, reference }, Method::DELETE) => {
            delete_manifest(app, &name, &reference)
        }
        (Route::Blob { name, digest }, Method::GET | Method::HEAD) => {
            get_blob(app, &name, &digest, &parts.headers, head).await
        }
        (Route::Blob { name, digest }, Method::DELETE) => delete_blob(app, &name, &digest),
        (Route::StartUpload { name }, Method::POST) => start_upload(app, &name, &query, body).await,
        (Route::Upload { name, uuid }, Method::GET) => upload_status(app, &name, &uuid),
        (Route::Upload { name, uuid }, Method::PATCH) => {
            patch_upload(app, &name, &uuid, &parts.headers, body).await
        }
        (Route::Upload { name, uuid }, Method::PUT) => {
            put_upload(app, &name, &uuid, &query, body).await
        }
        (Route::Upload { name, uuid }, Method::DELETE) => cancel_upload(app, &name, &uuid),
        (_, method) => Err(ApiError::unsupported(format!(
            "{method} is not supported on {}",
            parts.uri.path()
        ))),
    }
}
// ANCHOR_END: handle

async fn catalog(app: &App, query: &Query) -> Result<Response> {
    let storage = app.storage.clone();
    let all = blocking(move || storage.repositories()).await??;
    let (page, next) = paginate(all, query)?;
    let mut response = json(StatusCode::OK, &Catalog { repositories: page });
    if let Some((last, n)) = next {
        link_next(&mut response, &format!("/v2/_catalog?last={last}&n={n}"));
    }
    Ok(response)
}

async fn tags(app: &App, name: &str, query: &Query) -> Result<Response> {
    let all = app
        .storage
        .tags(name)
        .ok_or_else(|| ApiError::name_unknown(name))?;
    let (page, next) = paginate(all, query)?;
    let mut response = json(
        StatusCode::OK,
        &TagList {
            name: name.to_string(),
            tags: page,
        },
    );
    if let Some((last, n)) = next {
        link_next(
            &mut response,
            &format!("/v2/{name}/tags/list?last={last}&n={n}"),
        );
    }
    Ok(response)
}

/// One page of a listing, and (last item, page size) for the next page's link if there is one.
type Page = (Vec<String>, Option<(String, usize)>);

/// Applies `?n=&last=`: the page, and where the next page starts if there is one.
fn paginate(all: Vec<String>, query: &Query) -> Result<Page> {
    let after: Vec<String> = match query.get("last") {
        Some(last) => all
            .into_iter()
            .filter(|item| item.as_str() > last)
            .collect(),
        None => all,
    };
    let Some(n) = query.get("n") else {
        return Ok((after, None));
    };
    let n: usize = n
        .parse()
        .map_err(|_| ApiError::unsupported(format!("n must be a number, not {n:?}")))?;
    let more = after.len() > n;
    let page: Vec<String> = after.into_iter().take(n).collect();
    let next = match (more, page.last()) {
        (true, Some(last)) => Some((last.clone(), n)),
        _ => None,
    };
    Ok((page, next))
}

fn link_next(response: &mut Response, url: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
        response.headers_mut().insert(header::LINK, value);
    }
}

fn get_manifest(app: &App, name: &str, reference: &str, head: bool) -> Result<Response> {
    let digest = app
        .storage
        .resolve(name, reference)
        .ok_or_else(|| ApiError::manifest_unknown(reference))?;
    let (bytes, media_type) = app
        .storage
        .manifest(name, &digest)
        .ok_or_else(|| ApiError::manifest_unknown(reference))?;
    let length = bytes.len();
    let body = if head {
        Body::empty()
    } else {
        Body::from(bytes)
    };
    Ok(respond(
        StatusCode::OK,
        &[
            (header::CONTENT_TYPE.as_str(), media_type),
            (header::CONTENT_LENGTH.as_str(), length.to_string()),
            (DIGEST_HEADER, digest.to_string()),
        ],
        body,
    ))
}

// ANCHOR: put_manifest
async fn put_manifest(
    app: &App,
    name: &str,
    reference: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let limit = app.max_manifest_bytes;
    let declared: Option<usize> =
        header_str(headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(ApiError::manifest_too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::manifest_too_large(limit))?;
    let content_type = header_str(headers, header::CONTENT_TYPE.as_str());
    let manifest = validate(&bytes, content_type)?;
    for blob in &manifest.blobs {
        if !app.storage.repository_has_blob(name, blob) {
            return Err(ApiError::manifest_blob_unknown(blob.as_ref()));
        }
    }
    for child in &manifest.manifests {
        if !app.storage.has_manifest(name, child) {
            return Err(ApiError::manifest_blob_unknown(child.as_ref()));
        }
    }
    let tag = match digest::parse(reference) {
        Ok(claimed) if claimed != digest::sha256(&bytes) => {
            return Err(ApiError::digest_invalid(format!(
                "the manifest's digest is {}, not {claimed}",
                digest::sha256(&bytes)
            )))
        }
        Ok(_) => None,
        Err(_) if valid_tag(reference) => Some(reference),
        Err(_) => return Err(ApiError::tag_invalid(reference)),
    };
    let stored = app
        .storage
        .put_manifest(name, &bytes, &manifest.media_type, tag)?;
    Ok(created(&format!("/v2/{name}/manifests/{stored}"), &stored))
}
// ANCHOR_END: put_manifest

fn delete_manifest(app: &App, name: &str, reference: &str) -> Result<Response> {
    let deleted = match digest::parse(reference) {
        Ok(digest) => app.storage.delete_manifest(name, &digest)?,
        Err(_) => app.storage.untag(name, reference)?,
    };
    if !deleted {
        return Err(ApiError::manifest_unknown(reference));
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn get_blob(
    app: &App,
    name: &str,
    digest: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let digest = parse_digest(digest)?;
    if !app.storage.repository_has_blob(name, &digest) {
        return Err(ApiError::blob_unknown(digest.as_ref()));
    }
    let path = app.storage.blob_path(&digest);
    let size = tokio::fs::metadata(&path).await?.len();
    let range = match header_str(headers, header::RANGE.as_str()) {
        Some(value) => Some(parse_range(value, size)?),
        None => None,
    };
    let (start, end) = range.unwrap_or((0, size.saturating_sub(1)));
    let length = if size == 0 { 0 } else { end - start + 1 };
    let mut fields = vec![
        (
            header::CONTENT_TYPE.as_str(),
            "application/octet-stream".to_string(),
        ),
        (header::CONTENT_LENGTH.as_str(), length.to_string()),
        (header::ACCEPT_RANGES.as_str(), "bytes".to_string()),
        (DIGEST_HEADER, digest.to_string()),
    ];
    let status = if range.is_some() {
        fields.push((
            header::CONTENT_RANGE.as_str(),
            format!("bytes {start}-{end}/{size}"),
        ));
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let body = if head {
        Body::empty()
    } else {
        file_body(&path, start, length).await?
    };
    Ok(respond(status, &fields, body))
}

/// `bytes=START-[END]` → (start, end), both inclusive and inside the blob.
fn parse_range(value: &str, size: u64) -> Result<(u64, u64)> {
    let bad = || ApiError::range_not_satisfiable(size);
    let spec = value.trim().strip_prefix("bytes=").ok_or_else(bad)?;
    let (start, end) = spec.split_once('-').ok_or_else(bad)?;
    let start: u64 = start.trim().parse().map_err(|_| bad())?;
    let end: u64 = match end.trim() {
        "" => size.saturating_sub(1),
        end => end
            .parse::<u64>()
            .map_err(|_| bad())?
            .min(size.saturating_sub(1)),
    };
    if start >= size || end < start {
        return Err(bad());
    }
    Ok((start, end))
}

async fn file_body(path: &Path, start: u64, length: u64) -> Result<Body> {
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(std::io::SeekFrom::Start(start)).await?;
    Ok(Body::from_stream(tokio_util::io::ReaderStream::new(
        file.take(length),
    )))
}

fn delete_blob(app: &App, name: &str, digest: &str) -> Result<Response> {
    let digest = parse_digest(digest)?;
    if !app.storage.unlink_blob(name, &digest)? {
        return Err(ApiError::blob_unknown(digest.as_ref()));
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

// ANCHOR: start_upload
/// `POST /v2/<name>/blobs/uploads/`: mount from another repository (`?mount=&from=`), upload in
/// one request (`?digest=`), or open an upload session for PATCH/PUT.
async fn start_upload(app: &App, name: &str, query: &Query, body: Body) -> Result<Response> {
    if let (Some(mount), Some(from)) = (query.get("mount"), query.get("from")) {
        let digest = parse_digest(mount)?;
        if valid_repository_name(from) && app.storage.repository_has_blob(from, &digest) {
            app.storage.link_blob(name, &digest)?;
            return Ok(created(&format!("/v2/{name}/blobs/{digest}"), &digest));
        }
        // Not mountable: the spec says to fall back to an ordinary upload session.
    }
    let uuid = app.storage.start_upload(name)?;
    if let Some(digest) = query.get("digest") {
        let digest = parse_digest(digest)?;
        return finish(app, name, &uuid, &digest, body).await;
    }
    Ok(upload_accepted(StatusCode::ACCEPTED, name, &uuid, 0))
}
// ANCHOR_END: start_upload

fn upload_status(app: &App, name: &str, uuid: &str) -> Result<Response> {
    let data = upload_data(app, name, uuid)?;
    let size = std::fs::metadata(data)?.len();
    Ok(upload_accepted(StatusCode::NO_CONTENT, name, uuid, size))
}

/// `PATCH`: append a chunk. With `Content-Range: START-END`, START must be where the upload is.
async fn patch_upload(
    app: &App,
    name: &str,
    uuid: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    let data = upload_data(app, name, uuid)?;
    let size = tokio::fs::metadata(&data).await?.len();
    if let Some(range) = header_str(headers, header::CONTENT_RANGE.as_str()) {
        let start = range
            .split('-')
            .next()
            .and_then(|s| s.trim().parse::<u64>().ok());
        if start != Some(size) {
            let mut response = ApiError::range_not_satisfiable(size).into_response();
            set(&mut response, header::RANGE.as_str(), &range_value(size));
            return Ok(response);
        }
    }
    let size = append(&data, body).await?;
    Ok(upload_accepted(StatusCode::ACCEPTED, name, uuid, size))
}

/// `PUT ?digest=`: the last chunk (maybe empty), then verify and store.
async fn put_upload(
    app: &App,
    name: &str,
    uuid: &str,
    query: &Query,
    body: Body,
) -> Result<Response> {
    upload_data(app, name, uuid)?;
    let digest = query
        .get("digest")
        .ok_or_else(|| ApiError::digest_invalid("the digest query parameter is required"))?;
    let digest = parse_digest(digest)?;
    finish(app, name, uuid, &digest, body).await
}

async fn finish(
    app: &App,
    name: &str,
    uuid: &str,
    digest: &Digest,
    body: Body,
) -> Result<Response> {
    let data = upload_data(app, name, uuid)?;
    if let Err(e) = append(&data, body).await {
        let _ = app.storage.cancel_upload(uuid);
        return Err(e);
    }
    let (storage, owned_name, owned_uuid, owned_digest) = (
        app.storage.clone(),
        name.to_string(),
        uuid.to_string(),
        digest.clone(),
    );
    match blocking(move || storage.finish_upload(&owned_name, &owned_uuid, &owned_digest)).await? {
        Ok(_) => Ok(created(&format!("/v2/{name}/blobs/{digest}"), digest)),
        Err(FinishError::DigestMismatch { computed, .. }) => Err(ApiError::digest_invalid(
            format!("the uploaded content's digest is {computed}, not {digest}"),
        )),
        Err(FinishError::Io(e)) => Err(e.into()),
    }
}

fn cancel_upload(app: &App, name: &str, uuid: &str) -> Result<Response> {
    upload_data(app, name, uuid)?;
    app.storage.cancel_upload(uuid)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn upload_data(app: &App, name: &str, uuid: &str) -> Result<PathBuf> {
    app.storage
        .upload_data(name, uuid)
        .ok_or_else(|| ApiError::upload_unknown(uuid))
}

/// Appends a request body to a file; returns the file's new size.
async fn append(path: &Path, body: Body) -> Result<u64> {
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .await?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::upload_invalid(format!("reading the request body: {e}")))?;
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    Ok(file.metadata().await?.len())
}

fn parse_digest(text: &str) -> Result<Digest> {
    digest::parse(text).map_err(|e| ApiError::digest_invalid(e.to_string()))
}

/// `0-END` (inclusive) for an upload holding `size` bytes; `0-0` when empty, as the reference
/// registry answers.
fn range_value(size: u64) -> String {
    format!("0-{}", size.saturating_sub(1))
}

fn upload_accepted(status: StatusCode, name: &str, uuid: &str, size: u64) -> Response {
    let fields = [
        (
            header::LOCATION.as_str(),
            format!("/v2/{name}/blobs/uploads/{uuid}"),
        ),
        (header::RANGE.as_str(), range_value(size)),
        (header::CONTENT_LENGTH.as_str(), "0".to_string()),
        (UPLOAD_UUID_HEADER, uuid.to_string()),
    ];
    respond(status, &fields, Body::empty())
}

fn created(location: &str, digest: &Digest) -> Response {
    let fields = [
        (header::LOCATION.as_str(), location.to_string()),
        (header::CONTENT_LENGTH.as_str(), "0".to_string()),
        (DIGEST_HEADER, digest.to_string()),
    ];
    respond(StatusCode::CREATED, &fields, Body::empty())
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    let bytes = serde_json::to_vec(value).expect("a response body serializes");
    respond(
        status,
        &[(
            header::CONTENT_TYPE.as_str(),
            "application/json".to_string(),
        )],
        Body::from(bytes),
    )
}

fn respond(status: StatusCode, fields: &[(&str, String)], body: Body) -> Response {
    let mut response = (status, body).into_response();
    for (name, value) in fields {
        set(&mut response, name, value);
    }
    response
}

fn set(response: &mut Response, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        header::HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        response.headers_mut().insert(name, value);
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_to_the_blob_and_nonsense_is_refused() {
        assert_eq!(parse_range("bytes=0-", 10), Ok((0, 9)));
        assert_eq!(parse_range("bytes=4-", 10), Ok((4, 9)));
        assert_eq!(parse_range("bytes=2-5", 10), Ok((2, 5)));
        assert_eq!(parse_range("bytes=2-50", 10), Ok((2, 9)));
        for bad in ["bytes=10-", "bytes=5-2", "items=0-1", "bytes=x-"] {
            assert_eq!(
                parse_range(bad, 10).unwrap_err().status,
                StatusCode::RANGE_NOT_SATISFIABLE,
                "{bad}"
            );
        }
    }

    #[test]
    fn pages_continue_after_the_last_item() {
        let all = || vec!["a".to_string(), "b".into(), "c".into()];
        let query = Query::parse("n=2");
        assert_eq!(
            paginate(all(), &query).unwrap(),
            (vec!["a".into(), "b".into()], Some(("b".into(), 2)))
        );
        let query = Query::parse("n=2&last=b");
        assert_eq!(paginate(all(), &query).unwrap(), (vec!["c".into()], None));
        assert_eq!(paginate(all(), &Query::parse("")).unwrap().0.len(), 3);
    }
}
