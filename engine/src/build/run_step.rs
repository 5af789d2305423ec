//! RUN: the command runs in an ordinary ferry container made from the image so far, and what it
//! changed in its writable layer becomes the step's new layer — exactly `ferry run` followed by
//! `ferry commit`, then `ferry rm`.

use std::fs::File;
use std::io::Seek;

use oci_spec::image::Descriptor;

use super::error::{BuildError, Result};
use crate::container::{self, monitor, remove, Container, ContainerId, RunOptions, StateRoot};
use crate::image::driver::ContainerLayer;
use crate::image::{changes, Image, ImageStore};

/// How to run one RUN command.
#[derive(Debug, Clone)]
pub struct RunStep {
    /// The argv (`/bin/sh -c …` for the shell form).
    pub argv: Vec<String>,
    /// ENV and ARG values.
    pub env: Vec<String>,
    /// WORKDIR.
    pub workdir: String,
    /// USER, if set.
    pub user: Option<String>,
    /// The network mode (`--network` of `ferry build`).
    pub network: String,
    /// Do not announce the container (`ferry build -q`).
    pub quiet: bool,
}

// ANCHOR: run_step
/// Runs the command on `image` and returns its changes as a stored layer. The container is
/// removed whatever happens; a non-zero exit is [`BuildError::RunFailed`].
pub fn run(
    root: &StateRoot,
    store: &ImageStore,
    image: &Image,
    step: &RunStep,
) -> Result<Descriptor> {
    let options = RunOptions {
        image: format!("ferry-build@{}", image.manifest_digest),
        command: step.argv.clone(),
        env: step.env.clone(),
        workdir: Some(step.workdir.clone()),
        user: step.user.clone(),
        network: step.network.clone(),
        ..RunOptions::default()
    };
    let mut container = container::create(root, &options)?;
    if !step.quiet {
        println!(" ---> Running in {}", container.id().short());
    }
    let result = run_and_commit(root, store, &mut container, step);
    let removed = remove::remove(root, &mut container, true, true);
    let layer = result?;
    removed?;
    Ok(layer)
}

fn run_and_commit(
    root: &StateRoot,
    store: &ImageStore,
    container: &mut Container,
    step: &RunStep,
) -> Result<Descriptor> {
    let code = monitor::run_attached(root, container)?;
    if code != 0 {
        return Err(BuildError::RunFailed {
            command: step.argv.join(" "),
            code,
        });
    }
    let layer = ContainerLayer::load(&container.dir)?;
    let changed = layer.changes(&container.dir)?;
    let tmp = root
        .path()
        .join(format!(".build-layer-{}", ContainerId::random()?.short()));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(BuildError::io("create", &tmp))?;
    let _ = std::fs::remove_file(&tmp); // readable through the handle, gone when it closes
    let mut file = changes::write_tarball(&changed, &layer.changed_files(&container.dir), file)?;
    file.rewind().map_err(BuildError::io("rewind", &tmp))?;
    Ok(store.add_layer(file)?)
}
// ANCHOR_END: run_step
