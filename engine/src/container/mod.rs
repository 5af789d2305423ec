//! Containers as ferry stores them: ids, on-disk state, and running one (`ferry run`).
//!
//! All state lives under the *state root* (`--root`, `FERRY_ROOT`, default `/var/lib/ferry`), so the
//! CLI needs no daemon and every test can use a root of its own.

mod id;
mod run;
mod state;

pub use id::ContainerId;
pub use run::{run, RunOptions};
pub use state::{ContainerState, StateRoot, Status};
