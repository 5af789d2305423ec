//! `ferry build`: flags as Docker spells them; the work is [`crate::build::build`].
//!
//! Build errors are reported here, at the CLI edge, as one line on stderr and exit code 1, as
//! `docker build` does.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::build::{self, BuildOptions};
use crate::container::StateRoot;
use crate::image::Reference;
use crate::Result;

/// `ferry build [OPTIONS] CONTEXT`.
#[derive(Debug, clap::Args)]
pub(super) struct BuildArgs {
    /// Name and optionally a tag (`name:tag`); may be repeated.
    #[arg(short = 't', long = "tag")]
    tags: Vec<String>,
    /// The Dockerfile (default: CONTEXT/Dockerfile).
    #[arg(short = 'f', long = "file")]
    file: Option<PathBuf>,
    /// Set a build-time variable (`NAME=VALUE`, or `NAME` to take ferry's own).
    #[arg(long = "build-arg")]
    build_args: Vec<String>,
    /// Do not use the cache.
    #[arg(long)]
    no_cache: bool,
    /// The stage to build (default: the last).
    #[arg(long)]
    target: Option<String>,
    /// Network mode of RUN containers: bridge, host or none.
    #[arg(long, default_value = "bridge")]
    network: String,
    /// Print only the image id.
    #[arg(short, long)]
    quiet: bool,
    /// The build context directory.
    context: PathBuf,
}

/// Builds, prints each step, and returns 0, or 1 with the error on stderr.
pub(super) fn build(root: &StateRoot, args: BuildArgs) -> Result<i32> {
    let options = match options(args) {
        Ok(options) => options,
        Err(message) => return Ok(fail(&message)),
    };
    match build::build(root, &options) {
        Ok(built) => {
            if options.quiet {
                println!("{}", built.image.id);
            }
            Ok(0)
        }
        Err(e) => Ok(fail(&e.to_string())),
    }
}

fn options(args: BuildArgs) -> std::result::Result<BuildOptions, String> {
    let tags = args
        .tags
        .iter()
        .map(|t| Reference::parse(t).map_err(|e| e.to_string()))
        .collect::<std::result::Result<_, _>>()?;
    let mut build_args = BTreeMap::new();
    for arg in args.build_args {
        match arg.split_once('=') {
            Some((name, value)) => build_args.insert(name.to_string(), value.to_string()),
            None => match std::env::var(&arg) {
                Ok(value) => build_args.insert(arg, value),
                Err(_) => continue, // Docker drops an unset bare --build-arg
            },
        };
    }
    Ok(BuildOptions {
        context: args.context,
        dockerfile: args.file,
        tags,
        build_args,
        no_cache: args.no_cache,
        target: args.target,
        network: args.network,
        quiet: args.quiet,
    })
}

fn fail(message: &str) -> i32 {
    eprintln!("ferry: {message}");
    1
}
