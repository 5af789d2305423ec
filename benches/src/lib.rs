//! Shared helpers for ferry's benches: finding the `ferry` binary and giving each bench its own
//! state root, so a bench never measures (or disturbs) a real installation.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `ferry` binary to measure: `$FERRY_BIN`, else the one cargo built next to this bench
/// (`target/<profile>/ferry`; build it first with `cargo build --release -p ferry`).
pub fn ferry_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("FERRY_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("bench binaries live in target/<profile>/deps");
    let ferry = profile_dir.join("ferry");
    assert!(
        ferry.exists(),
        "{} not found: run `cargo build --release -p ferry` first or set FERRY_BIN",
        ferry.display()
    );
    ferry
}

/// A `ferry --root <root>` command.
pub fn ferry(root: &Path) -> Command {
    let mut cmd = Command::new(ferry_binary());
    cmd.arg("--root").arg(root);
    cmd
}

/// Whether the process may create namespaces and mounts (benches of the runtime need root).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// A fresh temporary state root with the toolbox image installed, for benches that run containers.
pub fn state_root_with_toolbox() -> tempfile::TempDir {
    let root = tempfile::Builder::new()
        .prefix("ferry-bench-")
        .tempdir()
        .expect("temp state root");
    let install = ferry(root.path())
        .args(["toolbox", "install"])
        .output()
        .expect("run ferry");
    assert!(
        install.status.success(),
        "toolbox install failed: {install:?}"
    );
    root
}
