//! Chapter 7, `pull-image HOST:PORT/NAME[:TAG] DEST [USER:PASSWORD]`: downloads an image with
//! plain HTTP requests, checks every digest, stores the blobs as an OCI layout in DEST, and
//! unpacks the layers into DEST/rootfs.

use std::path::PathBuf;

use ch07_images::digest::sha256;
use ch07_images::distribution::{pull_blob, pull_manifest, Target};
use ch07_images::{exit_on_error, image, layout, Error};
use flate2::read::GzDecoder;

fn main() {
    exit_on_error("pull-image", run());
}

fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let (Some(target), Some(dest)) = (args.next(), args.next()) else {
        return Err(Error::Invalid(
            "usage: pull-image HOST:PORT/NAME[:TAG] DEST [USER:PASSWORD]".into(),
        ));
    };
    let mut target = Target::parse(&target)?;
    target.basic_auth = args.next();
    let dest = PathBuf::from(dest);

    // ANCHOR: pull
    let manifest_bytes = pull_manifest(&target)?;
    println!("manifest {}", sha256(&manifest_bytes));
    let manifest: serde_json::Value =
        serde_json::from_slice(&manifest_bytes).map_err(|e| Error::Invalid(e.to_string()))?;
    let config = pull_blob(&target, &image::digest_of(&manifest["config"])?)?;
    layout::write_blob(&dest, &config)?;
    let rootfs = dest.join("rootfs");
    for layer in manifest["layers"].as_array().into_iter().flatten() {
        let blob = pull_blob(&target, &image::digest_of(layer)?)?;
        layout::write_blob(&dest, &blob)?;
        tar::Archive::new(GzDecoder::new(&blob[..]))
            .unpack(&rootfs)
            .map_err(Error::io("unpack the layer"))?;
    }
    layout::write_blob(&dest, &manifest_bytes)?;
    layout::write_index(
        &dest,
        &sha256(&manifest_bytes),
        manifest_bytes.len(),
        &target.tag,
    )?;
    // ANCHOR_END: pull
    println!("unpacked into {}", rootfs.display());
    Ok(())
}
