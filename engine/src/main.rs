//! The `ferry` binary: everything is in the library; see [`ferry::cli`].

fn main() {
    std::process::exit(ferry::cli::main());
}
