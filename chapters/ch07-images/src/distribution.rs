//! The distribution API's requests for one image, each printed as it is made.
//!
//! Push: for every blob, `POST /v2/<name>/blobs/uploads/` opens an upload and answers with its
//! `Location`; `PUT <location>?digest=<digest>` sends the bytes and closes it — the registry
//! checks that they hash to the digest. Then `PUT /v2/<name>/manifests/<tag>`: the registry
//! checks that every blob the manifest names is there, and the tag now points at the image.
//!
//! Pull: `GET /v2/<name>/manifests/<tag>`, then `GET /v2/<name>/blobs/<digest>` for each blob the
//! manifest names, checking every digest.

use crate::digest::{sha256, verify};
use crate::http::{send, Request, Response};
use crate::image::MANIFEST_TYPE;
use crate::Error;

/// A registry and a repository in it, from `HOST:PORT/NAME[:TAG]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `host:port`.
    pub host: String,
    /// The repository, e.g. `eladmin/eladmin-web`.
    pub name: String,
    /// The tag (default `latest`).
    pub tag: String,
    /// `user:password`, for a registry with htpasswd authentication.
    pub basic_auth: Option<String>,
}

impl Target {
    /// Parses `HOST:PORT/NAME[:TAG]`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (host, rest) = text.split_once('/').ok_or_else(|| {
            Error::Invalid(format!("expected HOST:PORT/NAME[:TAG], got {text:?}"))
        })?;
        let (name, tag) = match rest.rsplit_once(':') {
            Some((name, tag)) => (name, tag),
            None => (rest, "latest"),
        };
        Ok(Self {
            host: host.to_string(),
            name: name.to_string(),
            tag: tag.to_string(),
            basic_auth: None,
        })
    }

    fn request<'a>(&'a self, method: &'a str, target: &'a str, body: &'a [u8]) -> Request<'a> {
        Request {
            method,
            host: &self.host,
            target,
            headers: Vec::new(),
            body,
            basic_auth: self.basic_auth.as_deref(),
        }
    }
}

fn expect(response: Response, codes: &[u16], request: &str) -> Result<Response, Error> {
    if codes.contains(&response.code) {
        return Ok(response);
    }
    let body = String::from_utf8_lossy(&response.body).into_owned();
    Err(Error::Status {
        request: request.to_string(),
        status: response.status,
        body,
    })
}

/// A `Location` header as a request target (registries may send an absolute URL).
fn location_target(response: &Response) -> Result<String, Error> {
    let location = response
        .header("location")
        .ok_or_else(|| Error::Invalid("the registry sent no Location".into()))?;
    let target = match location.split_once("://") {
        Some((_, after_scheme)) => after_scheme.find('/').map_or("/", |i| &after_scheme[i..]),
        None => location,
    };
    Ok(target.to_string())
}

// ANCHOR: push_blob
/// Uploads one blob: open an upload session, then send the bytes with their digest.
pub fn push_blob(target: &Target, bytes: &[u8]) -> Result<String, Error> {
    let digest = sha256(bytes);
    let start = format!("/v2/{}/blobs/uploads/", target.name);
    let opened = expect(send(&target.request("POST", &start, b""))?, &[202], &start)?;
    let location = location_target(&opened)?;
    let separator = if location.contains('?') { '&' } else { '?' };
    let finish = format!("{location}{separator}digest={digest}");
    let mut request = target.request("PUT", &finish, bytes);
    request
        .headers
        .push(("Content-Type", "application/octet-stream".into()));
    expect(send(&request)?, &[201], &finish)?;
    Ok(digest)
}
// ANCHOR_END: push_blob

/// Stores the manifest under the target's tag; returns its digest.
pub fn push_manifest(target: &Target, manifest: &[u8]) -> Result<String, Error> {
    let path = format!("/v2/{}/manifests/{}", target.name, target.tag);
    let mut request = target.request("PUT", &path, manifest);
    request.headers.push(("Content-Type", MANIFEST_TYPE.into()));
    let response = expect(send(&request)?, &[201], &path)?;
    Ok(response
        .header("docker-content-digest")
        .map(str::to_string)
        .unwrap_or_else(|| sha256(manifest)))
}

/// Fetches the target's manifest, checking the digest the registry announces.
pub fn pull_manifest(target: &Target) -> Result<Vec<u8>, Error> {
    let path = format!("/v2/{}/manifests/{}", target.name, target.tag);
    let mut request = target.request("GET", &path, b"");
    request.headers.push(("Accept", MANIFEST_TYPE.into()));
    let response = expect(send(&request)?, &[200], &path)?;
    if let Some(announced) = response.header("docker-content-digest") {
        verify("the manifest", &response.body, announced)?;
    }
    Ok(response.body)
}

/// Fetches a blob and checks that it is the one its digest names.
pub fn pull_blob(target: &Target, digest: &str) -> Result<Vec<u8>, Error> {
    let path = format!("/v2/{}/blobs/{digest}", target.name);
    let response = expect(send(&target.request("GET", &path, b""))?, &[200], &path)?;
    verify(&format!("blob {digest}"), &response.body, digest)?;
    Ok(response.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_have_a_host_a_name_and_a_tag() {
        let t = Target::parse("127.0.0.1:5000/eladmin/eladmin-web:v1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.name.as_str(), t.tag.as_str()),
            ("127.0.0.1:5000", "eladmin/eladmin-web", "v1")
        );
        assert_eq!(Target::parse("localhost:5000/app").unwrap().tag, "latest");
        assert!(Target::parse("app").is_err());
    }
}
