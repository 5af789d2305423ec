//! `ferry volume create|ls|rm|inspect|prune`.

use super::container::say;
use super::sizes::human_size;
use crate::container::lock::FileLock;
use crate::container::volume::{self, VolumeStore};
use crate::container::StateRoot;
use crate::{Error, Result};

/// `ferry volume …`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum VolumeCommand {
    /// Create a volume (a random name if none is given) and print its name.
    Create {
        /// The volume's name.
        name: Option<String>,
    },
    /// List volumes.
    #[command(visible_alias = "list")]
    Ls {
        /// Only display volume names.
        #[arg(short = 'q', long)]
        quiet: bool,
    },
    /// Remove one or more volumes (refused while a container uses them).
    #[command(visible_alias = "remove")]
    Rm {
        /// Volumes.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Display detailed information on one or more volumes.
    Inspect {
        /// Format the output using a Go template, e.g. '{{.Mountpoint}}'.
        #[arg(short = 'f', long)]
        format: Option<String>,
        /// Volumes.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove unused anonymous volumes (all unused volumes with --all).
    Prune {
        /// Remove all unused volumes, not just anonymous ones.
        #[arg(short = 'a', long)]
        all: bool,
        /// Do not prompt for confirmation.
        #[arg(short = 'f', long)]
        force: bool,
    },
}

/// Runs a volume command and returns the exit code.
pub(super) fn execute(root: &StateRoot, command: VolumeCommand) -> Result<i32> {
    let store = VolumeStore::new(root);
    match command {
        VolumeCommand::Create { name } => {
            let _names = FileLock::exclusive(&root.names_lock())?;
            say!("{}", store.create(name.as_deref(), false)?.name);
        }
        VolumeCommand::Ls { quiet } => {
            let volumes = store.list()?;
            if quiet {
                volumes.iter().for_each(|v| say!("{}", v.name));
            } else {
                let mut rows = vec![vec!["DRIVER".to_string(), "VOLUME NAME".to_string()]];
                rows.extend(volumes.into_iter().map(|v| vec![v.driver, v.name]));
                super::container::print_table(&rows);
            }
        }
        VolumeCommand::Rm { names } => {
            let mut code = 0;
            for name in names {
                match volume::remove_unused(root, &name, None) {
                    Ok(()) => say!("{name}"),
                    Err(e) => {
                        eprintln!("ferry: {e}");
                        code = 1;
                    }
                }
            }
            return Ok(code);
        }
        VolumeCommand::Inspect { format, names } => {
            let mut objects = Vec::new();
            let mut code = 0;
            for name in &names {
                match store.get(name)? {
                    Some(v) => objects.push(v),
                    None => {
                        eprintln!(
                            "ferry: {}",
                            Error::NoSuchVolume(format!("No such volume: {name}"))
                        );
                        code = 1;
                    }
                }
            }
            super::container::print_objects(&objects, format.as_deref())?;
            return Ok(code);
        }
        VolumeCommand::Prune { all, force } => {
            let warning = if all {
                "This will remove all local volumes not used by at least one container."
            } else {
                "This will remove anonymous local volumes not used by at least one container."
            };
            if !super::container::confirm(force, warning) {
                return Ok(0);
            }
            let (removed, reclaimed) = volume::prune(root, all)?;
            if !removed.is_empty() {
                say!("Deleted Volumes:");
                removed.iter().for_each(|name| say!("{name}"));
                say!();
            }
            say!("Total reclaimed space: {}", human_size(reclaimed));
        }
    }
    Ok(0)
}
