//! The `ferry` command line: parses arguments, calls the library, prints, and exits with Docker's
//! exit codes. Nothing here touches the kernel directly.
//!
//! One file per area (`run`, `image`, …), each holding its subcommands' clap definitions and the
//! few lines that call the library and print.

mod image;
mod run;

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
    /// Manage the embedded toolbox image.
    Toolbox {
        #[command(subcommand)]
        action: image::ToolboxAction,
    },
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
        Command::Toolbox { action } => image::toolbox(&root, action),
    }
}
