//! `ferry registry serve` spoken to over loopback with a real HTTP client: every endpoint of the
//! distribution API, the failure cases the spec names, and basic authentication.
//!
//! No privileges needed: the registry runs in-process on a free port of 127.0.0.1.

#[path = "registry_support/mod.rs"]
mod support;

use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use support::{digest_of, start_registry, TestImage, ADMIN_ADMIN};

const API_VERSION: &str = "Docker-Distribution-API-Version";
const DIGEST: &str = "Docker-Content-Digest";

fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.expect("an error body");
    body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Pushes a blob in one request: `POST …/blobs/uploads/?digest=`.
async fn push_blob(client: &Client, base: &str, name: &str, bytes: &[u8]) -> Response {
    let url = format!(
        "{base}/v2/{name}/blobs/uploads/?digest={}",
        digest_of(bytes)
    );
    client
        .post(url)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("the registry answers")
}

/// Pushes an image's blobs and manifest under `name:tag`.
async fn push_image(client: &Client, base: &str, name: &str, tag: &str, image: &TestImage) {
    for blob in [&image.layer, &image.config] {
        assert_eq!(
            push_blob(client, base, name, blob).await.status(),
            StatusCode::CREATED
        );
    }
    let response = put_manifest(client, base, name, tag, &image.manifest).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{:?}",
        response.text().await
    );
}

async fn put_manifest(
    client: &Client,
    base: &str,
    name: &str,
    reference: &str,
    manifest: &[u8],
) -> Response {
    client
        .put(format!("{base}/v2/{name}/manifests/{reference}"))
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest.to_vec())
        .send()
        .await
        .expect("the registry answers")
}

#[tokio::test]
async fn the_v2_check_answers_with_the_api_version_header() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let response = Client::new()
        .get(format!("{}/v2/", registry.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, API_VERSION), "registry/2.0");
}

#[tokio::test]
async fn a_chunked_push_then_pull_returns_the_same_bytes_and_digest() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let blob = b"first chunk|second chunk".to_vec();
    let started = client
        .post(format!("{base}/v2/team/app/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    assert!(!header(&started, "Docker-Upload-UUID").is_empty());
    let mut location = header(&started, "Location");
    for (start, chunk) in [(0, &blob[..12]), (12, &blob[12..])] {
        let end = start + chunk.len() - 1;
        let patched = client
            .patch(format!("{base}{location}"))
            .header("Content-Range", format!("{start}-{end}"))
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(patched.status(), StatusCode::ACCEPTED);
        assert_eq!(header(&patched, "Range"), format!("0-{end}"));
        location = header(&patched, "Location");
    }
    let digest = digest_of(&blob);
    let finished = client
        .put(format!("{base}{location}?digest={digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), StatusCode::CREATED);
    assert_eq!(header(&finished, DIGEST), digest);
    assert_eq!(
        header(&finished, "Location"),
        format!("/v2/team/app/blobs/{digest}")
    );

    let pulled = client
        .get(format!("{base}/v2/team/app/blobs/{digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(pulled.status(), StatusCode::OK);
    assert_eq!(header(&pulled, DIGEST), digest);
    assert_eq!(pulled.bytes().await.unwrap(), blob);
    let head = client
        .head(format!("{base}/v2/team/app/blobs/{digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "Content-Length"), blob.len().to_string());
}

#[tokio::test]
async fn an_upload_with_a_wrong_digest_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let claimed = digest_of(b"what I say I send");
    let response = client
        .post(format!("{base}/v2/app/blobs/uploads/?digest={claimed}"))
        .body("what I send")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(response).await, "DIGEST_INVALID");
    for digest in [claimed, digest_of(b"what I send")] {
        let head = client
            .head(format!("{base}/v2/app/blobs/{digest}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.status(),
            StatusCode::NOT_FOUND,
            "{digest} must not be stored"
        );
    }
    let uploads = std::fs::read_dir(dir.path().join("uploads"))
        .unwrap()
        .count();
    assert_eq!(uploads, 0, "the failed upload is cleaned up");
}

#[tokio::test]
async fn a_manifest_is_pulled_by_tag_and_by_digest_with_its_media_type() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let image = TestImage::new("hello");
    push_image(&client, &base, "nginx", "alpine", &image).await;
    let digest = digest_of(&image.manifest);
    for reference in ["alpine".to_string(), digest.clone()] {
        let pulled = client
            .get(format!("{base}/v2/nginx/manifests/{reference}"))
            .send()
            .await
            .unwrap();
        assert_eq!(pulled.status(), StatusCode::OK);
        assert_eq!(
            header(&pulled, "Content-Type"),
            "application/vnd.oci.image.manifest.v1+json"
        );
        assert_eq!(header(&pulled, DIGEST), digest);
        assert_eq!(pulled.bytes().await.unwrap(), image.manifest);
    }
    let head = client
        .head(format!("{base}/v2/nginx/manifests/alpine"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (head.status(), header(&head, DIGEST)),
        (StatusCode::OK, digest)
    );
    let missing = client
        .get(format!("{base}/v2/nginx/manifests/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(missing).await, "MANIFEST_UNKNOWN");
}

#[tokio::test]
async fn a_manifest_naming_a_missing_blob_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let image = TestImage::new("hello");
    push_blob(&client, &base, "app", &image.config).await; // the layer is never pushed
    let response = put_manifest(&client, &base, "app", "v1", &image.manifest).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(response).await, "MANIFEST_BLOB_UNKNOWN");
    let tags = client
        .get(format!("{base}/v2/app/tags/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.status(),
        StatusCode::NOT_FOUND,
        "nothing half-stored: the repository does not exist"
    );
}

#[tokio::test]
async fn a_manifest_pushed_by_a_digest_it_does_not_have_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let image = TestImage::new("hello");
    push_image(&client, &base, "app", "v1", &image).await;
    let wrong = digest_of(b"another manifest");
    let response = put_manifest(&client, &base, "app", &wrong, &image.manifest).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(response).await, "DIGEST_INVALID");
}

#[tokio::test]
async fn an_oversized_manifest_is_refused_with_413() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None); // limit: 64 KiB
    let huge = format!(
        r#"{{"schemaVersion":2,"padding":"{}"}}"#,
        "x".repeat(100 * 1024)
    );
    let response = put_manifest(
        &Client::new(),
        &registry.url(),
        "app",
        "v1",
        huge.as_bytes(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "MANIFEST_INVALID");
}

#[tokio::test]
async fn catalog_and_tags_list_what_was_pushed_page_by_page() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let image = TestImage::new("hello");
    for (name, tag) in [
        ("nginx", "alpine"),
        ("eladmin/eladmin-web", "v1"),
        ("eladmin/eladmin-web", "v2"),
        ("eladmin/eladmin-api", "v1"),
    ] {
        push_image(&client, &base, name, tag, &image).await;
    }
    let catalog: Value = client
        .get(format!("{base}/v2/_catalog"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        catalog["repositories"],
        serde_json::json!(["eladmin/eladmin-api", "eladmin/eladmin-web", "nginx"])
    );
    let tags: Value = client
        .get(format!("{base}/v2/eladmin/eladmin-web/tags/list"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tags,
        serde_json::json!({"name": "eladmin/eladmin-web", "tags": ["v1", "v2"]})
    );

    let first = client
        .get(format!("{base}/v2/_catalog?n=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&first, "Link"),
        "</v2/_catalog?last=eladmin/eladmin-web&n=2>; rel=\"next\""
    );
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["repositories"].as_array().unwrap().len(), 2);
    let second: Value = client
        .get(format!("{base}/v2/_catalog?n=2&last=eladmin/eladmin-web"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["repositories"], serde_json::json!(["nginx"]));
}

#[tokio::test]
async fn a_blob_is_mounted_from_another_repository_without_uploading() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let blob = b"shared base layer";
    push_blob(&client, &base, "base", blob).await;
    let digest = digest_of(blob);
    let mounted = client
        .post(format!(
            "{base}/v2/app/blobs/uploads/?mount={digest}&from=base"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(mounted.status(), StatusCode::CREATED);
    assert_eq!(header(&mounted, DIGEST), digest);
    let head = client
        .head(format!("{base}/v2/app/blobs/{digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    let not_mountable = client
        .post(format!(
            "{base}/v2/other/blobs/uploads/?mount={digest}&from=nowhere"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        not_mountable.status(),
        StatusCode::ACCEPTED,
        "an impossible mount falls back to an upload session"
    );
}

#[tokio::test]
async fn deleting_a_manifest_removes_its_tags_and_deleting_a_blob_unlinks_it() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let image = TestImage::new("hello");
    push_image(&client, &base, "app", "v1", &image).await;
    let digest = digest_of(&image.manifest);
    let deleted = client
        .delete(format!("{base}/v2/app/manifests/{digest}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::ACCEPTED);
    let tag = client
        .get(format!("{base}/v2/app/manifests/v1"))
        .send()
        .await
        .unwrap();
    assert_eq!(tag.status(), StatusCode::NOT_FOUND);
    let layer = digest_of(&image.layer);
    let unlinked = client
        .delete(format!("{base}/v2/app/blobs/{layer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(unlinked.status(), StatusCode::ACCEPTED);
    let gone = client
        .get(format!("{base}/v2/app/blobs/{layer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(gone).await, "BLOB_UNKNOWN");
}

#[tokio::test]
async fn basic_auth_refuses_missing_and_wrong_credentials_and_admits_htpasswd_users() {
    let dir = tempfile::tempdir().unwrap();
    let htpasswd = dir.path().join("htpasswd");
    std::fs::write(&htpasswd, ADMIN_ADMIN).unwrap();
    let registry = start_registry(&dir.path().join("data"), Some(&htpasswd));
    let (client, base) = (Client::new(), registry.url());
    let anonymous = client
        .get(format!("{base}/v2/_catalog"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        header(&anonymous, "WWW-Authenticate"),
        "Basic realm=\"ferry registry\""
    );
    assert_eq!(error_code(anonymous).await, "UNAUTHORIZED");
    let wrong = client
        .get(format!("{base}/v2/"))
        .basic_auth("admin", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // curl -u admin:admin http://…/v2/_catalog, as in the seeds
    let admitted = client
        .get(format!("{base}/v2/_catalog"))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(admitted.status(), StatusCode::OK);
}

#[tokio::test]
async fn concurrent_pushes_of_the_same_blob_all_succeed_and_store_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let base = registry.url();
    let blob: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
    let pushes = (0..8).map(|i| {
        let (base, blob) = (base.clone(), blob.clone());
        tokio::spawn(async move {
            push_blob(&Client::new(), &base, &format!("repo{}", i % 2), &blob)
                .await
                .status()
        })
    });
    for push in pushes {
        assert_eq!(push.await.unwrap(), StatusCode::CREATED);
    }
    let pulled = Client::new()
        .get(format!("{base}/v2/repo1/blobs/{}", digest_of(&blob)))
        .send()
        .await
        .unwrap();
    assert_eq!(pulled.bytes().await.unwrap(), blob);
    let stored = std::fs::read_dir(dir.path().join("blobs/sha256"))
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn range_requests_return_partial_content() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let blob = b"0123456789";
    push_blob(&client, &base, "app", blob).await;
    let url = format!("{base}/v2/app/blobs/{}", digest_of(blob));
    let partial = client
        .get(&url)
        .header("Range", "bytes=4-")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&partial, "Content-Range"), "bytes 4-9/10");
    assert_eq!(partial.bytes().await.unwrap(), &blob[4..]);
    let outside = client
        .get(&url)
        .header("Range", "bytes=10-")
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), StatusCode::RANGE_NOT_SATISFIABLE);
}

#[tokio::test]
async fn an_out_of_order_chunk_is_refused_with_416_and_the_current_range() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let started = client
        .post(format!("{base}/v2/app/blobs/uploads/"))
        .send()
        .await
        .unwrap();
    let location = header(&started, "Location");
    client
        .patch(format!("{base}{location}"))
        .body("abc")
        .send()
        .await
        .unwrap();
    let skipped = client
        .patch(format!("{base}{location}"))
        .header("Content-Range", "10-12")
        .body("xyz")
        .send()
        .await
        .unwrap();
    assert_eq!(skipped.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&skipped, "Range"), "0-2");
    let status = client
        .get(format!("{base}{location}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (status.status(), header(&status, "Range")),
        (StatusCode::NO_CONTENT, "0-2".to_string())
    );
}

#[tokio::test]
async fn invalid_names_and_unknown_endpoints_get_spec_errors() {
    let dir = tempfile::tempdir().unwrap();
    let registry = start_registry(dir.path(), None);
    let (client, base) = (Client::new(), registry.url());
    let bad = client
        .get(format!("{base}/v2/Bad_Name/tags/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(bad).await, "NAME_INVALID");
    let unsupported = client
        .post(format!("{base}/v2/app/manifests/v1"))
        .send()
        .await
        .unwrap();
    assert_eq!(unsupported.status(), StatusCode::METHOD_NOT_ALLOWED);
    let unknown_upload = client
        .patch(format!("{base}/v2/app/blobs/uploads/0000"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(unknown_upload).await, "BLOB_UPLOAD_UNKNOWN");
}
