//! The `ferry` CLI under test: exactly engine/src/main.rs, built as part of this crate so that
//! `cargo test -p conformance` always runs the engine as it is in the work tree.

fn main() {
    std::process::exit(ferry::cli::main());
}
