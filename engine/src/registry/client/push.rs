//! `ferry push`: from the local image store to a registry.
//!
//! Each blob (layers, then the config) is handled the cheapest way that works, in parallel:
//! the registry has it already (`HEAD` → "Layer already exists"); another repository of the same
//! registry has it (a cross-repository *mount* → "Mounted from …"); or it is uploaded
//! ("Pushed"). The manifest goes last — a registry refuses a manifest whose blobs it lacks.

use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::auth::{pull_scope, push_scope};
use super::error::{ClientError, Result};
use super::progress::Bar;
use super::session::Session;
use super::sources::BlobSources;
use super::{Context, PARALLEL_TRANSFERS};
use crate::image::digest::{self, Digest};
use crate::image::Reference;
use crate::registry::api::media_type;

/// What a push did: the manifest's digest and size, as Docker prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The manifest's digest in the registry.
    pub digest: String,
    /// The manifest's size in bytes.
    pub size: usize,
}

// ANCHOR: push
/// Pushes the image tagged `reference` to the registry and repository the reference names.
pub async fn push(context: &Context, reference: &Reference) -> Result<Pushed> {
    let image = context.store.resolve(reference).map_err(|_| {
        ClientError::Config(format!(
            "An image does not exist locally with the tag: {}",
            reference.familiar()
        ))
    })?;
    let repository = reference.path().to_string();
    context.progress.line(&format!(
        "The push refers to repository [{}]",
        reference.repository()
    ));
    let session = Arc::new(context.session(reference.domain())?);
    let mut blobs = Vec::new();
    for layer in image.manifest.layers().iter().rev() {
        blobs.push((digest::parse(layer.digest().as_ref())?, layer.size()));
    }
    blobs.push((
        digest::parse(image.manifest.config().digest().as_ref())?,
        image.manifest.config().size(),
    ));
    push_blobs(context, &session, reference.domain(), &repository, blobs).await?;
    let bytes = context.store.blobs().read(&image.manifest_digest)?;
    let kind = manifest_media_type(&bytes);
    let tag = reference.tag().unwrap_or("latest");
    let digest = session
        .put_manifest(&repository, tag, &bytes, &kind, &[push_scope(&repository)])
        .await?;
    context
        .progress
        .line(&format!("{tag}: digest: {digest} size: {}", bytes.len()));
    Ok(Pushed {
        digest,
        size: bytes.len(),
    })
}
// ANCHOR_END: push

async fn push_blobs(
    context: &Context,
    session: &Arc<Session>,
    registry: &str,
    repository: &str,
    blobs: Vec<(Digest, u64)>,
) -> Result<()> {
    let limit = Arc::new(Semaphore::new(PARALLEL_TRANSFERS));
    let mut tasks = JoinSet::new();
    for (digest, size) in blobs {
        let bar = context
            .progress
            .bar(digest::short(&digest), size, "Preparing");
        let path = context.store.blobs().path(&digest);
        let sources = context.sources();
        let (session, limit, registry, repository) = (
            session.clone(),
            limit.clone(),
            registry.to_string(),
            repository.to_string(),
        );
        tasks.spawn(async move {
            let _permit = limit
                .acquire()
                .await
                .map_err(|e| ClientError::Config(e.to_string()))?;
            let status = push_blob(
                &session,
                &sources,
                &registry,
                &repository,
                &digest,
                &path,
                &bar,
            )
            .await?;
            let _ = sources.add(&digest, &registry, &repository);
            bar.finish(&status);
            Ok::<_, ClientError>(())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| ClientError::Config(format!("an upload task failed: {e}")))??;
    }
    Ok(())
}

// ANCHOR: push_blob
/// Makes sure the registry has one blob; returns the status line Docker would print.
async fn push_blob(
    session: &Session,
    sources: &BlobSources,
    registry: &str,
    repository: &str,
    digest: &Digest,
    path: &std::path::Path,
    bar: &Bar,
) -> Result<String> {
    let scopes = [push_scope(repository)];
    if session.has_blob(repository, digest, &scopes).await? {
        return Ok("Layer already exists".into());
    }
    for from in sources.mount_candidates(digest, registry, repository) {
        let scopes = [push_scope(repository), pull_scope(&from)];
        if session.mount(repository, digest, &from, &scopes).await? {
            return Ok(format!("Mounted from {from}"));
        }
    }
    bar.set_position(0);
    session
        .upload(repository, digest, path, bar, &scopes)
        .await?;
    Ok("Pushed".into())
}
// ANCHOR_END: push_blob

/// The manifest's own `mediaType`, or OCI's when it has none.
fn manifest_media_type(bytes: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| v.get("mediaType")?.as_str().map(str::to_string))
        .unwrap_or_else(|| media_type::OCI_MANIFEST.to_string())
}
