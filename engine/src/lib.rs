//! ferry: a small container engine that re-implements Docker, one kernel mechanism at a time.
//!
//! The crate is a library first: the `ferry` binary (`src/main.rs`, module [`cli`]) only parses
//! arguments and prints, and everything it does is a call into the modules below, so tests, benches
//! and the book use the same code.
//!
//! | module | mechanism | book chapter |
//! |---|---|---|
//! | [`runtime`] | namespaces (clone), pivot_root, /proc /dev /sys, exec as PID 1 | 1 |
//! | [`image`] | the content-addressed store, layers, storage drivers, the embedded toolbox image | 1, 3 |
//! | [`container`] | ids, names, state, the per-container monitor, lifecycle commands, volumes | 1, lifecycle |
//! | [`cgroups`] | one interface over cgroup v1 and v2: limits, OOM, stats, freeze | 2 |
//! | [`network`] | bridges, veth pairs, IPAM, port publishing (iptables) | 4–6 |
//! | [`build`] | the Dockerfile language, `ferry build`, the build cache | 7 |
//! | [`registry`] | the distribution protocol: `registry serve`, `pull`, `push`, `login` | 7 |
//! | [`system`] | `info`: the engine's containers and images, and the host it runs on | — |

pub mod build;
pub mod cgroups;
pub mod cli;
pub mod container;
pub mod error;
pub mod image;
pub mod network;
pub mod registry;
pub mod runtime;
pub mod system;

pub use error::{Error, Result};
