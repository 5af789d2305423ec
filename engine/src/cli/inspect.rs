//! `ferry inspect`: one command for every kind of object. Without `--type`, each name is looked up
//! in Docker's order — a container, then an image, then a volume — so `ferry inspect bb` shows the
//! image `bb` unless a container is called `bb`. `container inspect` and `image inspect` are the
//! same lookup with the type fixed.
//!
//! Found objects are printed as one JSON array (or each through `--format`); names that are not
//! found are reported afterwards, as Docker does, and make the exit code 1.

use super::container::{print_objects, sizes};
use crate::container::inspect::{self as container_inspect, ContainerJson};
use crate::container::volume::{Volume, VolumeStore};
use crate::container::{store, StateRoot};
use crate::image::inspect::{self as image_inspect, ImageJson};
use crate::image::ImageStore;
use crate::{Error, Result};

/// A kind of object `inspect` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A container (by name, id or id prefix).
    Container,
    /// An image (by reference, id or id prefix).
    Image,
    /// A volume (by name).
    Volume,
}

impl Kind {
    /// Docker's lookup order when no type is given.
    const ORDER: [Kind; 3] = [Kind::Container, Kind::Image, Kind::Volume];

    /// Parses a `--type` value.
    pub(super) fn parse(text: &str) -> Result<Kind> {
        Kind::ORDER
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| {
                Error::InvalidArgument(format!("{text:?} is not a valid value for --type"))
            })
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Container => "container",
            Kind::Image => "image",
            Kind::Volume => "volume",
        }
    }
}

/// Something `inspect` found, printed as its own JSON object.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Inspected {
    Container(Box<ContainerJson>),
    Image(Box<ImageJson>),
    Volume(Volume),
}

// ANCHOR: inspect
/// Prints the objects `names` name (only of `kind` when given; `size` adds a container's sizes)
/// and returns the exit code: 1 if any name was not found.
pub(super) fn inspect(
    root: &StateRoot,
    names: &[String],
    kind: Option<Kind>,
    format: Option<&str>,
    size: bool,
) -> Result<i32> {
    let images = ImageStore::open(root)?;
    let kinds = match kind {
        Some(kind) => vec![kind],
        None => Kind::ORDER.to_vec(),
    };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        match lookup(root, &images, name, &kinds, size) {
            Ok(Some(object)) => found.push(object),
            Ok(None) => errors.push(format!(
                "Error: No such {}: {name}",
                kind.map_or("object", Kind::name)
            )),
            Err(e) => errors.push(format!("ferry: {e}")),
        }
    }
    print_objects(&found, format)?;
    for error in &errors {
        eprintln!("{error}");
    }
    Ok(if errors.is_empty() { 0 } else { 1 })
}
// ANCHOR_END: inspect

/// The first object of `kinds` (in order) called `name`, if any.
fn lookup(
    root: &StateRoot,
    images: &ImageStore,
    name: &str,
    kinds: &[Kind],
    size: bool,
) -> Result<Option<Inspected>> {
    for kind in kinds {
        if let Some(object) = find(root, images, name, *kind, size)? {
            return Ok(Some(object));
        }
    }
    Ok(None)
}

/// The object of `kind` called `name`: `Ok(None)` when there is none, `Err` when looking failed.
fn find(
    root: &StateRoot,
    images: &ImageStore,
    name: &str,
    kind: Kind,
    size: bool,
) -> Result<Option<Inspected>> {
    match kind {
        Kind::Container => match store::find(root, name) {
            Ok(c) => {
                let sizes = size.then(|| sizes(root, &c));
                let json = container_inspect::inspect(&c, sizes);
                Ok(Some(Inspected::Container(Box::new(json))))
            }
            Err(Error::NoSuchContainer(_)) => Ok(None),
            Err(e) => Err(e),
        },
        Kind::Image => match images.find(name) {
            Ok(image) => {
                let json = image_inspect::inspect(images, &image)?;
                Ok(Some(Inspected::Image(Box::new(json))))
            }
            Err(Error::ImageNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        },
        Kind::Volume => Ok(VolumeStore::new(root).get(name)?.map(Inspected::Volume)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_by_dockers_names_and_others_are_refused() {
        assert_eq!(Kind::parse("container").unwrap(), Kind::Container);
        assert_eq!(Kind::parse("image").unwrap(), Kind::Image);
        assert_eq!(Kind::parse("volume").unwrap(), Kind::Volume);
        let err = Kind::parse("bogus").unwrap_err().to_string();
        assert_eq!(err, "\"bogus\" is not a valid value for --type");
    }

    #[test]
    fn an_unknown_name_is_none_of_any_kind_and_a_volume_is_found_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = StateRoot::open(dir.path()).unwrap();
        let images = ImageStore::open(&root).unwrap();
        assert!(lookup(&root, &images, "nosuch", &Kind::ORDER, false)
            .unwrap()
            .is_none());
        VolumeStore::new(&root).create(Some("data"), false).unwrap();
        let found = lookup(&root, &images, "data", &Kind::ORDER, false).unwrap();
        assert!(matches!(found, Some(Inspected::Volume(v)) if v.name == "data"));
        let only_images = lookup(&root, &images, "data", &[Kind::Image], false).unwrap();
        assert!(
            only_images.is_none(),
            "--type image does not find the volume"
        );
    }
}
