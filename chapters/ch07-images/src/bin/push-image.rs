//! Chapter 7, `push-image LAYOUT HOST:PORT/NAME[:TAG] [USER:PASSWORD]`: uploads an image from an
//! OCI layout with the distribution API's plain HTTP requests, printing each one.
//!
//! Blobs first (the layer, the config), the manifest last: a registry refuses a manifest that
//! names a blob it does not have.

use std::path::PathBuf;

use ch07_images::distribution::{push_blob, push_manifest, Target};
use ch07_images::{exit_on_error, image, layout, Error};

fn main() {
    exit_on_error("push-image", run());
}

fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(target)) = (args.next(), args.next()) else {
        return Err(Error::Invalid(
            "usage: push-image LAYOUT HOST:PORT/NAME[:TAG] [USER:PASSWORD]".into(),
        ));
    };
    let mut target = Target::parse(&target)?;
    target.basic_auth = args.next();
    let dir = PathBuf::from(dir);

    // ANCHOR: push
    let manifest_bytes = layout::read_blob(&dir, &layout::manifest_digest(&dir)?)?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&manifest_bytes).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut blobs = Vec::new();
    for layer in manifest["layers"].as_array().into_iter().flatten() {
        blobs.push(image::digest_of(layer)?);
    }
    blobs.push(image::digest_of(&manifest["config"])?);
    for digest in blobs {
        println!("blob {digest}");
        push_blob(&target, &layout::read_blob(&dir, &digest)?)?;
    }
    let digest = push_manifest(&target, &manifest_bytes)?;
    // ANCHOR_END: push
    println!(
        "{}: digest: {digest} size: {}",
        target.tag,
        manifest_bytes.len()
    );
    Ok(())
}
