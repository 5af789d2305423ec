//! Builds the toolbox multi-call binary statically and hands its path to the engine, which embeds it
//! with `include_bytes!` as the default image (no registry is needed to run a first container).
//!
//! The toolbox must run in a root filesystem with no shared libraries, so it is linked with
//! `-C target-feature=+crt-static`. That flag cannot go into RUSTFLAGS for the whole workspace (it
//! would also hit proc-macros), so this script runs a nested `cargo rustc` for the toolbox alone, with
//! an explicit `--target` and its own target directory (no lock is shared with the outer build).

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let toolbox = manifest_dir.join("toolbox");
    println!("cargo:rerun-if-changed={}", toolbox.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        toolbox.join("Cargo.toml").display()
    );

    let target = env::var("TARGET").expect("cargo sets TARGET");
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../target"))
        .join("toolbox-static");
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    let status = Command::new(cargo)
        .args([
            "rustc",
            "--release",
            "--bin",
            "toolbox",
            "--target",
            &target,
        ])
        .arg("--manifest-path")
        .arg(toolbox.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir)
        .args(["--", "-C", "target-feature=+crt-static"])
        // The outer build's wrappers and flags (clippy, coverage) are not for the embedded binary.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo to build the static toolbox");
    assert!(status.success(), "building the static toolbox failed");

    let binary = target_dir.join(&target).join("release/toolbox");
    println!("cargo:rustc-env=FERRY_TOOLBOX_BINARY={}", binary.display());
}
