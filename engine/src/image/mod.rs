//! Images: where a container's root filesystem and default configuration come from.
//!
//! This is the first, simple store: an image is a directory `images/<repository>/<tag>/` holding a
//! `rootfs/` and an `image.json` with the defaults (`Cmd`, `Env`, `WorkingDir`). Images arrive by
//! `ferry import` (a root filesystem tarball) or from the embedded [`toolbox`].

mod archive;
mod reference;
mod store;
pub mod toolbox;

pub use archive::unpack_safely;
pub use reference::Reference;
pub use store::{Image, ImageConfig, ImageStore};
