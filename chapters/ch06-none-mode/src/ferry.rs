//! Running the `ferry` binary with a state root of the demo's own.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Error, Result};

/// A `ferry` binary and the state root every command gets (`--root`).
#[derive(Debug)]
pub struct Ferry {
    binary: PathBuf,
    root: PathBuf,
}

impl Ferry {
    /// `ferry` from `$FERRY_BIN`, else next to this program (`target/<profile>/ferry`, built by
    /// `cargo build -p ferry`), else from `PATH`.
    pub fn find(root: &Path) -> Self {
        let beside = std::env::current_exe().ok().and_then(|exe| {
            let dir = exe.parent()?;
            [dir.join("ferry"), dir.parent()?.join("ferry")]
                .into_iter()
                .find(|p| p.is_file())
        });
        let binary = std::env::var_os("FERRY_BIN")
            .map(PathBuf::from)
            .or(beside)
            .unwrap_or_else(|| "ferry".into());
        Self {
            binary,
            root: root.to_path_buf(),
        }
    }

    /// Runs `ferry ARGS…` and returns its standard output, trimmed.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let shown = args.join(" ");
        let output = Command::new(&self.binary)
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .output()
            .map_err(|e| Error::Ferry {
                args: shown.clone(),
                message: format!("cannot run {}: {e}", self.binary.display()),
            })?;
        if !output.status.success() {
            return Err(Error::Ferry {
                args: shown,
                message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string())
    }
}
