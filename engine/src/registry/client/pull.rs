//! `ferry pull`: from a registry into the local image store.
//!
//! 1. Fetch the manifest by tag or digest (verifying its digest); from a manifest list, pick
//!    linux/amd64 and fetch that manifest.
//! 2. Download the config and every layer the store does not have — three at a time, each into a
//!    partial file that a later pull resumes, each checked against its digest.
//! 3. Hand the verified blobs to the store, then the manifest (which unpacks the layers), then
//!    the tag. Until step 3 nothing is in the store, so a failed pull leaves no half image.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::auth::pull_scope;
use super::error::{ClientError, Result};
use super::manifest::{self, Fetched, ImageManifest};
use super::session::{RawManifest, Session};
use super::{Context, PARALLEL_TRANSFERS};
use crate::image::digest::{self, Digest};
use crate::image::{Image, Reference};

/// What a pull did.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The stored image.
    pub image: Image,
    /// The manifest's digest (what `name@sha256:…` would pull).
    pub digest: Digest,
    /// Whether anything was downloaded (Docker's "Downloaded newer image" vs "Image is up to date").
    pub downloaded: bool,
}

/// A blob to fetch: its digest and size.
#[derive(Debug, Clone)]
struct Blob {
    digest: Digest,
    size: u64,
}

// ANCHOR: pull
/// Pulls `reference` into the context's store and tags it.
pub async fn pull(context: &Context, reference: &Reference) -> Result<Pulled> {
    let session = Arc::new(context.session(reference.domain())?);
    let repository = reference.path().to_string();
    let scopes = vec![pull_scope(&repository)];
    let wanted = match (reference.digest(), reference.tag()) {
        (Some(d), _) => d.to_string(),
        (None, tag) => tag.unwrap_or("latest").to_string(),
    };
    context.progress.line(&format!(
        "{wanted}: Pulling from {}",
        reference.repository()
    ));
    let (raw, manifest) = image_manifest(&session, &repository, &wanted, &scopes).await?;
    let up_to_date = context
        .store
        .resolve(reference)
        .is_ok_and(|image| image.manifest_digest == raw.digest);
    let mut blobs = vec![blob(&manifest.config.digest, manifest.config.size)?];
    for layer in &manifest.layers {
        blobs.push(blob(&layer.digest, layer.size)?);
    }
    let downloaded = download_missing(context, &session, &repository, &blobs, &scopes).await?;
    let store_context = context.clone();
    let (reference_owned, bytes) = (reference.clone(), raw.bytes.clone());
    let image = tokio::task::spawn_blocking(move || {
        import(&store_context, &reference_owned, &downloaded, &bytes)
    })
    .await
    .map_err(|e| ClientError::Config(format!("the import task failed: {e}")))??;
    for b in &blobs {
        let _ = context
            .sources()
            .add(&b.digest, reference.domain(), &repository);
    }
    context.progress.line(&format!("Digest: {}", raw.digest));
    let status = if up_to_date {
        "Image is up to date for"
    } else {
        "Downloaded newer image for"
    };
    context
        .progress
        .line(&format!("Status: {status} {}", reference.familiar()));
    Ok(Pulled {
        image,
        digest: raw.digest,
        downloaded: !up_to_date,
    })
}
// ANCHOR_END: pull

/// The image manifest for `wanted`, following a manifest list to its linux/amd64 entry.
async fn image_manifest(
    session: &Session,
    repository: &str,
    wanted: &str,
    scopes: &[String],
) -> Result<(RawManifest, ImageManifest)> {
    let raw = session.manifest(repository, wanted, scopes).await?;
    match manifest::parse(&raw.bytes, raw.content_type.as_deref())? {
        Fetched::Image(image) => Ok((raw, image)),
        Fetched::Index(index) => {
            let entry = manifest::pick_linux_amd64(&index)?;
            let raw = session.manifest(repository, &entry.digest, scopes).await?;
            match manifest::parse(&raw.bytes, raw.content_type.as_deref())? {
                Fetched::Image(image) => Ok((raw, image)),
                Fetched::Index(_) => {
                    Err(ClientError::Manifest(manifest::ManifestError::Unsupported(
                        "a manifest list inside a manifest list".into(),
                    )))
                }
            }
        }
    }
}

fn blob(text: &str, size: u64) -> Result<Blob> {
    Ok(Blob {
        digest: digest::parse(text)?,
        size,
    })
}

// ANCHOR: download_missing
/// Downloads, in parallel, the blobs the store lacks; returns them with their verified files.
async fn download_missing(
    context: &Context,
    session: &Arc<Session>,
    repository: &str,
    blobs: &[Blob],
    scopes: &[String],
) -> Result<Vec<(Digest, PathBuf)>> {
    let dir = context.downloads();
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(ClientError::io("create directory", &dir))?;
    let limit = Arc::new(Semaphore::new(PARALLEL_TRANSFERS));
    let mut tasks = JoinSet::new();
    for blob in blobs {
        let bar = context
            .progress
            .bar(digest::short(&blob.digest), blob.size, "Waiting");
        if context.store.blobs().contains(&blob.digest) {
            bar.finish("Already exists");
            continue;
        }
        let partial = dir.join(format!("{}.partial", blob.digest.digest()));
        let (session, limit, repository, scopes, blob) = (
            session.clone(),
            limit.clone(),
            repository.to_string(),
            scopes.to_vec(),
            blob.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit
                .acquire()
                .await
                .map_err(|e| ClientError::Config(e.to_string()))?;
            bar.set_position(0);
            session
                .download(
                    &repository,
                    &blob.digest,
                    blob.size,
                    &partial,
                    &bar,
                    &scopes,
                )
                .await?;
            bar.finish("Pull complete");
            Ok::<_, ClientError>((blob.digest, partial))
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let result =
            joined.map_err(|e| ClientError::Config(format!("a download task failed: {e}")))?;
        done.push(result?); // the first failure aborts the rest (JoinSet drops them)
    }
    Ok(done)
}
// ANCHOR_END: download_missing

/// Moves verified downloads into the store, then stores the manifest and the tag.
fn import(
    context: &Context,
    reference: &Reference,
    downloaded: &[(Digest, PathBuf)],
    manifest: &[u8],
) -> Result<Image> {
    for (digest, partial) in downloaded {
        let file = std::fs::File::open(partial).map_err(ClientError::io("open", partial))?;
        context
            .store
            .put_blob(std::io::BufReader::new(file), Some(digest))?;
        std::fs::remove_file(partial).map_err(ClientError::io("remove", partial))?;
    }
    let image = context.store.put_manifest(manifest)?;
    if reference.tag().is_some() {
        context.store.tag(&image, reference)?;
        return Ok(context.store.resolve(reference)?);
    }
    Ok(image)
}
