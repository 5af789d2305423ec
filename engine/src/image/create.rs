//! Making new images: from a root filesystem tarball (`ferry import`), or by adding one layer on
//! top of an existing image (`ferry commit`, and a builder's steps).
//!
//! Both end the same way: a layer tarball is stored and unpacked, a config lists the layers' diff
//! ids (and says in `history` how each came to be), and a manifest ties them together.

use std::fs::{self, File};
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use oci_spec::image::{
    HistoryBuilder, ImageConfiguration, ImageConfigurationBuilder, RootFsBuilder,
};

use super::blobs::random_suffix;
use super::changes;
use super::driver::ContainerLayer;
use super::layers::decompress;
use super::{time, Image, ImageConfig, ImageStore, Reference};
use crate::{Error, Result};

/// Stores a root filesystem tarball (plain or gzip) as a new one-layer image with `defaults`, tagged
/// `reference` when given: what `docker import` does. `created_by` goes into the image's history.
pub fn import(
    store: &ImageStore,
    tarball: impl Read,
    reference: Option<&Reference>,
    defaults: &ImageConfig,
    created_by: &str,
) -> Result<Image> {
    let layer = store.add_layer(decompress(BufReader::new(tarball))?)?;
    let config = config_with_layer(None, defaults, layer.digest().as_ref(), created_by)?;
    let image = store.put_image(&config, vec![layer])?;
    tag_if(store, image, reference)
}

// ANCHOR: add_layer_on_top
/// Stores a new image: `base` with one more layer (an uncompressed tarball of changes, whiteouts
/// included) and `created_by` recorded in its history; tagged `reference` when given.
pub fn add_layer_on_top(
    store: &ImageStore,
    base: &Image,
    changes: impl Read,
    created_by: &str,
    reference: Option<&Reference>,
) -> Result<Image> {
    let layer = store.add_layer(changes)?;
    let config = config_with_layer(
        Some(&base.config),
        &base.defaults(),
        layer.digest().as_ref(),
        created_by,
    )?;
    let mut layers = base.manifest.layers().clone();
    layers.push(layer);
    let image = store.put_image(&config, layers)?;
    tag_if(store, image, reference)
}
// ANCHOR_END: add_layer_on_top

/// A config for a new image: `base`'s (if any) with `defaults`, one more diff id and one more
/// history entry, created now.
pub fn config_with_layer(
    base: Option<&ImageConfiguration>,
    defaults: &ImageConfig,
    diff_id: &str,
    created_by: &str,
) -> Result<ImageConfiguration> {
    let bad = |e: oci_spec::OciSpecError| Error::Corrupt(format!("cannot build image config: {e}"));
    let created = time::rfc3339(time::now());
    let mut diff_ids = base
        .map(|b| b.rootfs().diff_ids().clone())
        .unwrap_or_default();
    diff_ids.push(diff_id.to_string());
    let mut history = base.and_then(|b| b.history().clone()).unwrap_or_default();
    history.push(
        HistoryBuilder::default()
            .created(created.clone())
            .created_by(created_by)
            .build()
            .map_err(bad)?,
    );
    let mut runtime = base.and_then(|b| b.config().clone()).unwrap_or_default();
    runtime.set_env(non_empty(&defaults.env));
    runtime.set_cmd(non_empty(&defaults.cmd));
    runtime.set_entrypoint(non_empty(&defaults.entrypoint));
    runtime
        .set_working_dir((!defaults.working_dir.is_empty()).then(|| defaults.working_dir.clone()));
    let config = ImageConfigurationBuilder::default()
        .created(created)
        .config(runtime)
        .rootfs(
            RootFsBuilder::default()
                .typ("layers")
                .diff_ids(diff_ids)
                .build()
                .map_err(bad)?,
        )
        .history(history)
        .build()
        .map_err(bad)?;
    Ok(config)
}

// ANCHOR: commit
/// `ferry commit`: the container's changes (see [`super::changes`]) become one new layer on top of
/// the image it was created from. The tarball is staged in a temporary file, not in memory.
pub fn commit(
    store: &ImageStore,
    container_dir: &Path,
    reference: Option<&Reference>,
    created_by: &str,
) -> Result<Image> {
    let layer = ContainerLayer::load(container_dir)?;
    let base = store.find(&layer.image_id).map_err(|_| {
        Error::InvalidArgument(format!(
            "cannot commit: the container's image {} was removed",
            layer.image_id
        ))
    })?;
    let changes = layer.changes(container_dir)?;
    let tmp_path = store
        .dir()
        .join(format!(".tmp-commit-{}", random_suffix()?));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp_path)
        .map_err(Error::io("create", &tmp_path))?;
    let _ = fs::remove_file(&tmp_path); // readable through the handle, gone when it closes
    let mut file = changes::write_tarball(&changes, &layer.changed_files(container_dir), file)?;
    file.rewind().map_err(Error::io("rewind", &tmp_path))?;
    add_layer_on_top(store, &base, file, created_by, reference)
}
// ANCHOR_END: commit

fn non_empty(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

fn tag_if(store: &ImageStore, image: Image, reference: Option<&Reference>) -> Result<Image> {
    match reference {
        Some(reference) => {
            store.tag(&image, reference)?;
            store.resolve(reference)
        }
        None => Ok(image),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn tarball(name: &str, data: &[u8]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_path(name).unwrap();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1_700_000_000);
        header.set_cksum();
        builder.append(&header, data).unwrap();
        builder.into_inner().unwrap()
    }

    #[test]
    fn an_imported_tarball_is_a_one_layer_image_with_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(dir.path()).unwrap();
        let defaults = ImageConfig {
            cmd: vec!["sh".into()],
            ..Default::default()
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tarball("hello", b"world")).unwrap();
        let reference = Reference::parse("imported:v1").unwrap();
        let image = import(
            &store,
            &gz.finish().unwrap()[..],
            Some(&reference),
            &defaults,
            "test",
        )
        .unwrap();
        assert_eq!(image.tags, [reference]);
        assert_eq!(image.defaults(), defaults);
        assert_eq!(image.manifest.layers().len(), 1);
        let layers = store.layers(&image).unwrap();
        assert_eq!(std::fs::read(layers[0].join("hello")).unwrap(), b"world");
        assert!(image.created().is_some());
    }

    #[test]
    fn a_layer_on_top_keeps_the_base_layers_and_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open_dir(dir.path()).unwrap();
        let defaults = ImageConfig {
            env: vec!["A=1".into()],
            ..Default::default()
        };
        let base = import(&store, &tarball("base", b"b")[..], None, &defaults, "test").unwrap();
        let child =
            add_layer_on_top(&store, &base, &tarball("top", b"t")[..], "commit", None).unwrap();
        assert_eq!(child.diff_ids().unwrap()[0], base.diff_ids().unwrap()[0]);
        assert_eq!(child.diff_ids().unwrap().len(), 2);
        assert_eq!(child.config.history().as_ref().unwrap().len(), 2);
        assert_eq!(child.defaults().env, ["A=1"]);
        assert_ne!(child.id, base.id);
    }
}
