//! Building images from a Dockerfile: what `ferry build` does.
//!
//! - [`dockerfile`]: the language — parsing, precise errors, `$VAR` expansion with ARG/ENV scoping;
//! - [`glob`] and [`dockerignore`]: which files COPY sources and `.dockerignore` select;
//! - [`context`]: where COPY takes files from (the context, or an earlier stage's image);
//! - [`copy`]: COPY and ADD as a planned layer (the plan is also the cache's view of the files);
//! - [`run_step`]: RUN in a ferry container, its changes committed as a layer;
//! - [`config`]: the settings instructions (ENV, CMD, ENTRYPOINT…) and storing each step's image;
//! - [`cache`]: chained step keys, so unchanged steps reuse their image;
//! - [`stages`]: multi-stage builds — which stages the target needs;
//! - [`builder`]: the step loop that ties them together.

pub mod builder;
pub mod cache;
pub mod chown;
pub mod config;
pub mod context;
pub mod copy;
pub mod dockerfile;
pub mod dockerignore;
mod error;
pub mod glob;
pub mod paths;
pub mod run_step;
pub mod stages;

pub use builder::{build, BuildOptions, Built};
pub use error::{BuildError, Result};
