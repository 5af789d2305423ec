//! `ferry rmi`: removing a name, or an image, without pulling the floor from under a container.
//!
//! A container keeps using its image's layer directories (they are its OverlayFS lower layers) for
//! as long as it exists, so an image a container uses is refused unless forced; a forced removal
//! deletes the image but leaves the layers its containers need, and a running container's image is
//! never removed. Which containers use what comes from their `layer.json` (see [`super::driver`]),
//! and whether they run from their `state.json`.

use std::collections::HashSet;
use std::fmt;
use std::fs;

use super::digest::Digest;
use super::driver::ContainerLayer;
use super::{ImageStore, Reference};
use crate::container::StateRoot;
use crate::{Error, Result};

/// A container's claim on an image.
#[derive(Debug, Clone)]
pub struct ContainerUse {
    /// The container's full id.
    pub id: String,
    /// The image it was created from.
    pub image_id: Digest,
    /// The layers it needs.
    pub layers: Vec<Digest>,
    /// Whether it is running (or paused or restarting).
    pub running: bool,
}

/// Every container of the state root that has an image layer.
pub fn containers_using_images(root: &StateRoot) -> Result<Vec<ContainerUse>> {
    let dir = root.path().join("containers");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut uses = Vec::new();
    for entry in entries.filter_map(|e| e.ok()) {
        let Ok(layer) = ContainerLayer::load(&entry.path()) else {
            continue;
        };
        let Ok(image_id) = layer.image_id() else {
            continue;
        };
        uses.push(ContainerUse {
            id: entry.file_name().to_string_lossy().into_owned(),
            image_id,
            layers: layer.diff_ids(),
            running: is_running(&entry.path()),
        });
    }
    Ok(uses)
}

/// Reads the container's status from its `state.json` (`State.Status`, or an older flat `Status`).
fn is_running(container_dir: &std::path::Path) -> bool {
    let Ok(bytes) = fs::read(container_dir.join("state.json")) else {
        return false;
    };
    let Ok(record) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    let status = record
        .pointer("/State/Status")
        .or_else(|| record.get("Status"))
        .and_then(|s| s.as_str());
    matches!(status, Some("running" | "paused" | "restarting"))
}

/// One line of `rmi`'s report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// A name was removed.
    Untagged(String),
    /// An image (its id) or a layer (its diff id) was deleted.
    Deleted(Digest),
}

impl fmt::Display for Removal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Removal::Untagged(name) => write!(f, "Untagged: {name}"),
            Removal::Deleted(digest) => write!(f, "Deleted: {digest}"),
        }
    }
}

// ANCHOR: remove
/// Removes what `arg` names (a reference or an image id), as `docker rmi [-f]` does: a name of an
/// image with other names is just untagged; otherwise the image and the blobs and layers nothing
/// else uses are deleted — refused while a container uses it, unless `force`.
pub fn remove(
    store: &ImageStore,
    root: &StateRoot,
    arg: &str,
    force: bool,
) -> Result<Vec<Removal>> {
    let image = store.find(arg)?;
    let by_name = Reference::parse(arg)
        .ok()
        .filter(|r| image.tags.contains(r));
    if let Some(name) = &by_name {
        if image.tags.len() > 1 {
            store.untag(name)?;
            return Ok(vec![Removal::Untagged(name.familiar())]);
        }
    }
    let users: Vec<ContainerUse> = containers_using_images(root)?;
    let mine: Vec<&ContainerUse> = users.iter().filter(|u| u.image_id == image.id).collect();
    let short = image.short_id().to_string();
    if let Some(running) = mine.iter().find(|u| u.running) {
        return Err(conflict(format!("unable to delete {short} (cannot be forced) - image is being used by running container {}", &running.id[..12.min(running.id.len())])));
    }
    if !force {
        if let Some(user) = mine.first() {
            let container = &user.id[..12.min(user.id.len())];
            return Err(conflict(match &by_name {
                Some(_) => format!("unable to remove repository reference \"{arg}\" (must force) - container {container} is using its referenced image {short}"),
                None => format!("unable to delete {short} (must be forced) - image is being used by stopped container {container}"),
            }));
        }
        if by_name.is_none() && image.tags.len() > 1 {
            return Err(conflict(format!("unable to delete {short} (must be forced) - image is referenced in multiple repositories")));
        }
    }
    let mut report: Vec<Removal> = image
        .tags
        .iter()
        .map(|t| Removal::Untagged(t.familiar()))
        .collect();
    let keep: HashSet<Digest> = users
        .iter()
        .flat_map(|u| u.layers.iter().cloned())
        .collect();
    let deleted_layers = store.delete(&image, &keep)?;
    report.push(Removal::Deleted(image.id.clone()));
    report.extend(deleted_layers.into_iter().map(Removal::Deleted));
    Ok(report)
}
// ANCHOR_END: remove

fn conflict(message: String) -> Error {
    Error::InvalidArgument(format!("conflict: {message}"))
}
