//! `env [-i] [-u NAME] [NAME=VALUE]... [COMMAND [ARG]...]`: prints or changes the environment.

use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::error::{report, AppletError, Result};
use crate::sys;

/// Exit status when COMMAND does not exist (the shell's "not found").
const NOT_FOUND: i32 = 127;
/// Exit status when COMMAND exists but cannot be run.
const CANNOT_RUN: i32 = 126;

/// Without COMMAND prints `NAME=VALUE` lines; with one, runs it in the changed environment.
pub fn main(args: &[String]) -> i32 {
    report("env", env(args))
}

fn env(args: &[String]) -> Result<i32> {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let mut rest = args;
    // Options come first and stop at the first NAME=VALUE or command (the command has its own).
    while let Some((arg, tail)) = rest.split_first() {
        match arg.as_str() {
            "-i" | "-" => vars.clear(),
            "-u" => {
                let (name, tail) = tail
                    .split_first()
                    .ok_or_else(|| AppletError::Usage("env -u NAME".into()))?;
                vars.retain(|(k, _)| k != name);
                rest = tail;
                continue;
            }
            "--" => {
                rest = tail;
                break;
            }
            _ => break,
        }
        rest = tail;
    }
    while let Some((name, value)) = rest.first().and_then(|a| a.split_once('=')) {
        vars.retain(|(k, _)| k != name);
        vars.push((name.to_string(), value.to_string()));
        rest = &rest[1..];
    }
    let Some((program, program_args)) = rest.split_first() else {
        let mut out = io::stdout().lock();
        for (k, v) in &vars {
            let _ = writeln!(out, "{k}={v}");
        }
        return Ok(0);
    };
    let err = Command::new(program)
        .args(program_args)
        .env_clear()
        .envs(vars)
        .exec();
    eprintln!("env: can't execute '{program}': {}", sys::describe(&err));
    Ok(if err.kind() == io::ErrorKind::NotFound {
        NOT_FOUND
    } else {
        CANNOT_RUN
    })
}
