//! `ferry run`.

use crate::container::{self, RunOptions, StateRoot};
use crate::runtime::NetworkMode;
use crate::{Error, Result};

/// `ferry run` flags, spelled as Docker spells them (`-h` is the hostname, as in `docker run`).
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(super) struct RunArgs {
    /// Remove the container when it exits.
    #[arg(long)]
    rm: bool,
    /// Container host name.
    #[arg(short = 'h', long)]
    hostname: Option<String>,
    /// Set an environment variable (KEY=value, or KEY to copy ferry's own).
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Network mode: none or host.
    #[arg(long, alias = "net", default_value = "none")]
    network: String,
    /// Keep standard input open.
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Image name or root filesystem directory.
    image: String,
    /// Command and arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

/// Runs the container in the foreground and returns its exit code.
pub(super) fn run(root: &StateRoot, args: RunArgs) -> Result<i32> {
    container::run(root, &options(args)?)
}

fn options(args: RunArgs) -> Result<RunOptions> {
    let network = match args.network.as_str() {
        "none" => NetworkMode::None,
        "host" => NetworkMode::Host,
        other => {
            return Err(Error::InvalidArgument(format!(
                "network {other} not found (supported: none, host)"
            )))
        }
    };
    Ok(RunOptions {
        image: args.image,
        command: args.command,
        remove: args.rm,
        hostname: args.hostname,
        env: args.env,
        workdir: args.workdir,
        network,
        interactive: args.interactive,
    })
}
