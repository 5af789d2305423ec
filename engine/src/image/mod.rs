//! Images: where a container's files and defaults come from, and how a container's own layer sits
//! on top of them.
//!
//! An image is a stack of read-only layers plus a config (defaults such as `Cmd` and `Env`), tied
//! together by a manifest. ferry stores them content-addressed in an OCI image layout under
//! `<root>/images` (see [`store`](ImageStore)), unpacks each layer once into a directory of its own
//! (whiteouts in OverlayFS form), and gives each container an OverlayFS upper layer over those
//! directories — or a copy where OverlayFS cannot be used (see [`driver`]).
//!
//! The public API other modules build on (the builder, the registry client):
//! - [`Reference`] — `nginx` = `docker.io/library/nginx:latest`;
//! - [`ImageStore`] — `open`, `put_blob` (verifying), `get_blob`, `add_layer`, `put_image`,
//!   `put_manifest`, `tag`, `untag`, `resolve`, `find`, `list`, `layers`, `size`, `delete`;
//! - [`create`] — `import` a root filesystem, `add_layer_on_top` of an image;
//! - [`driver`] — a container's layer: `create_layer`, `ContainerLayer::{mount, changes}`,
//!   `container_sizes`;
//! - [`inspect`](inspect::inspect) — an image as `docker inspect` shows it;
//! - [`save`](save::save) / [`load`](load::load) — docker-archive and OCI-layout tarballs;
//! - [`remove`](remove::remove) — `rmi`, aware of the containers using an image.

mod archive;
mod blobs;
pub mod changes;
pub mod create;
pub mod digest;
pub mod driver;
pub mod inspect;
mod layers;
pub mod load;
mod reference;
pub mod remove;
pub mod save;
mod store;
pub mod time;
pub mod toolbox;
pub mod view;
pub mod whiteout;

pub use archive::unpack_safely;
pub use blobs::Blobs;
pub use digest::Digest;
pub use layers::Layers;
pub use reference::Reference;
pub use store::{Image, ImageConfig, ImageStore};
