//! The `ferry` command line: parses arguments, calls the library, prints, and exits with Docker's
//! exit codes. Nothing here touches the kernel directly.
//!
//! One file per area (`run`, `image`, …), each holding its subcommands' clap definitions and the
//! few lines that call the library and print.

mod build;
mod container;
mod image;
mod info;
mod inspect;
mod network;
mod registry;
mod run;
mod sizes;
mod stats;
mod volume;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::container::StateRoot;
use crate::error::EXIT_ENGINE_ERROR;
use crate::Result;

/// ferry: a small container engine that does what `docker` does, one kernel mechanism at a time.
#[derive(Debug, Parser)]
#[command(name = "ferry", version)]
pub struct Cli {
    /// Where images and containers are stored.
    #[arg(long, global = true, env = "FERRY_ROOT", default_value = StateRoot::DEFAULT)]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a command in a new container.
    Run(run::RunArgs),
    /// Create an image from a root filesystem tarball ("-" reads standard input).
    Import(image::ImportArgs),
    /// List images.
    Images(image::ImagesArgs),
    /// Give an image another name.
    Tag(image::TagArgs),
    /// Remove images.
    Rmi(image::RmiArgs),
    /// Manage images (`inspect`, `ls`, `rm`).
    Image {
        #[command(subcommand)]
        action: image::ImageAction,
    },
    /// Save images to a tar archive (the format `docker save` writes).
    Save(image::SaveArgs),
    /// Load images from a docker-archive or OCI-layout tar archive.
    Load(image::LoadArgs),
    /// Create a new image from a container's changes.
    Commit(image::CommitArgs),
    /// List the files a container added (A), changed (C) or deleted (D).
    Diff(image::DiffArgs),
    /// Manage the embedded toolbox image.
    Toolbox {
        #[command(subcommand)]
        action: image::ToolboxAction,
    },
    #[command(flatten)]
    Containers(container::Command),
    /// Manage networks (`ls`, `inspect`, `create`, `rm`, `connect`, `disconnect`).
    Network {
        #[command(subcommand)]
        action: network::NetworkAction,
    },
    /// List a container's port mappings, or the host address of one of them.
    Port(network::PortArgs),
    #[command(flatten)]
    Registry(registry::Command),
    /// Build an image from a Dockerfile.
    Build(build::BuildArgs),
    /// Display system-wide information: containers, images, the host.
    Info(info::InfoArgs),
    /// Display a live stream of containers' resource usage (CPU, memory, network, block I/O).
    Stats(stats::StatsArgs),
}

/// Parses the command line, runs the command, and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ENGINE_ERROR } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match execute(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ferry: {e}");
            e.exit_code()
        }
    }
}

fn execute(cli: Cli) -> Result<i32> {
    let root = StateRoot::open(&cli.root)?;
    match cli.command {
        Command::Run(args) => run::run(&root, args),
        Command::Import(args) => image::import(&root, args),
        Command::Images(args) => image::images(&root, args),
        Command::Tag(args) => image::tag(&root, args),
        Command::Rmi(args) => image::rmi(&root, args),
        Command::Image { action } => image::image(&root, action),
        Command::Save(args) => image::save(&root, args),
        Command::Load(args) => image::load(&root, args),
        Command::Commit(args) => image::commit(&root, args),
        Command::Diff(args) => image::diff(&root, args),
        Command::Toolbox { action } => image::toolbox(&root, action),
        Command::Containers(command) => container::execute(&root, command),
        Command::Network { action } => network::network(&root, action),
        Command::Port(args) => network::port(&root, args),
        Command::Registry(command) => registry::execute(&root, command),
        Command::Build(args) => build::build(&root, args),
        Command::Info(args) => info::info(&root, args),
        Command::Stats(args) => stats::stats(&root, args),
    }
}
