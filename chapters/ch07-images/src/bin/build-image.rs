//! Chapter 7, `build-image DIR LAYOUT [CMD…]`: an image made by hand, step by step.
//!
//! 1. tar the files of DIR into a layer, and gzip it;
//! 2. hash both: the tarball's digest goes in the config (`diff_ids`), the gzip's in the manifest;
//! 3. write the config (how to run: CMD), then the manifest (config + layer, by digest and size);
//! 4. store the three blobs in LAYOUT (an OCI image layout) and name the manifest in `index.json`.

use std::path::PathBuf;

use ch07_images::digest::sha256;
use ch07_images::{exit_on_error, image, layout, Error};

fn main() {
    exit_on_error("build-image", run());
}

fn run() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(out)) = (args.next(), args.next()) else {
        return Err(Error::Invalid(
            "usage: build-image DIR LAYOUT [CMD...]".into(),
        ));
    };
    let cmd: Vec<String> = args.collect();
    let cmd = if cmd.is_empty() {
        vec!["/bin/sh".to_string()]
    } else {
        cmd
    };
    let (dir, out) = (PathBuf::from(dir), PathBuf::from(out));

    // ANCHOR: steps
    let layer = image::layer_from_dir(&dir)?;
    println!(
        "layer tar   {} bytes  diff_id {}",
        layer.tar.len(),
        sha256(&layer.tar)
    );
    println!(
        "layer gzip  {} bytes  digest  {}",
        layer.gzip.len(),
        sha256(&layer.gzip)
    );
    let config = serde_json::to_vec(&image::config(&sha256(&layer.tar), &cmd))
        .map_err(|e| Error::Invalid(e.to_string()))?;
    println!(
        "config      {} bytes  digest  {}",
        config.len(),
        sha256(&config)
    );
    let manifest = serde_json::to_vec(&image::manifest(&config, &layer.gzip))
        .map_err(|e| Error::Invalid(e.to_string()))?;
    println!(
        "manifest    {} bytes  digest  {}",
        manifest.len(),
        sha256(&manifest)
    );
    for blob in [&layer.gzip, &config, &manifest] {
        layout::write_blob(&out, blob)?;
    }
    layout::write_index(&out, &sha256(&manifest), manifest.len(), "latest")?;
    // ANCHOR_END: steps
    println!("wrote {} (an OCI image layout)", out.display());
    Ok(())
}
