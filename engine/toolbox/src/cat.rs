//! `cat [FILE|-]...`: copies files (or stdin) to stdout.

use std::fs::File;
use std::io::{self, Read, Write};

use crate::error::{io_context, report, Result};
use crate::opts::Opts;

/// Concatenates the named files, or stdin when none (or `-`) is named.
pub fn main(args: &[String]) -> i32 {
    report("cat", cat(args))
}

fn cat(args: &[String]) -> Result<i32> {
    // `-u` (unbuffered) is POSIX and accepted; output is never buffered here anyway.
    let opts = Opts::parse(args, "u")?;
    let mut names = opts.operands;
    if names.is_empty() {
        names.push("-".into());
    }
    let mut status = 0;
    let mut out = io::stdout().lock();
    for name in &names {
        if let Err(err) = copy_named(name, &mut out) {
            eprintln!("cat: {err}");
            status = 1;
        }
    }
    Ok(status)
}

/// Copies one named input (`-` is stdin) to `out`.
pub fn copy_named(name: &str, out: &mut impl Write) -> Result<()> {
    let mut input: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(name).map_err(io_context(format!("can't open '{name}'")))?)
    };
    io::copy(&mut input, out).map_err(io_context(format!("read error on '{name}'")))?;
    out.flush().map_err(io_context("write error"))
}
