//! Containers as ferry keeps them: ids and names, their records on disk, their lives (create,
//! start, stop, pause, remove), their monitors, logs and volumes.
//!
//! All state lives under the *state root* (`--root`, `FERRY_ROOT`, default `/var/lib/ferry`), so the
//! CLI needs no daemon and every test can use a root of its own. Concurrent `ferry` processes
//! coordinate with file locks ([`lock`]); each running container has a monitor process
//! ([`monitor`]) that reaps its PID 1 and records how it ended.
//!
//! | module | what it does |
//! |---|---|
//! | [`store`] | create (unique names), find by name/id/prefix, list, update records |
//! | [`state`], [`config`] | the record: Docker's seven states, and how to start the container |
//! | [`run`] | `create` and `run`: from options to a recorded container |
//! | [`monitor`] | the per-container monitor: stdio, logs, exit codes, restart policy |
//! | [`lifecycle`] | `stop`, `kill`, `restart`, `pause`, `unpause`, `wait` |
//! | [`remove`] | `rm`, `container prune` |
//! | [`exec`], [`cp`], [`top`] | entering, copying into and out of, and listing a container |
//! | [`stats`], [`cgroup`] | what a running container uses (`ferry stats`), and its cgroup |
//! | [`inspect`], [`list`] | Docker-shaped `inspect` JSON and `ps` rows |
//! | [`volume`], [`mounts`] | named volumes and `-v` |

pub mod attach;
pub mod cgroup;
pub mod config;
pub mod cp;
pub mod exec;
mod id;
pub mod inspect;
pub mod lifecycle;
pub mod list;
pub mod lock;
pub mod logs;
pub mod monitor;
pub mod mounts;
pub mod names;
pub mod remove;
pub mod repair;
pub mod restart;
pub mod run;
pub mod security;
pub mod spec;
pub mod state;
pub mod stats;
pub mod store;
pub mod template;
pub mod time;
pub mod top;
pub mod volume;

pub use config::ContainerConfig;
pub use id::ContainerId;
pub use run::{create, run, run_detached, RunOptions};
pub use state::{ContainerRecord, State, StateRoot, Status};
pub use store::Container;
