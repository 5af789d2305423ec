//! Registries: the distribution protocol that moves images between machines, from both ends.
//!
//! - [`api`]: what both ends agree on — headers, media types, names, error bodies;
//! - [`server`]: `ferry registry serve`, a registry like the seeds' `registry:2`;
//! - [`client`]: `ferry pull`, `push`, `login`, `logout`.

pub mod api;
pub mod client;
pub mod server;

use std::io;
use std::path::Path;

use crate::image::digest::{Digest, Hashing};

/// The SHA-256 digest and size of a file (blobs are checked this way at both ends).
pub fn hash_file(path: &Path) -> io::Result<(Digest, u64)> {
    let mut hashing = Hashing::new(std::fs::File::open(path)?);
    io::copy(&mut hashing, &mut io::sink())?;
    let (digest, size, _) = hashing.finish();
    Ok((digest, size))
}
