//! Commands the shell runs itself: those that change the shell's own state (`cd`, `exit`,
//! `export`, `unset`, `wait`) and a few cheap ones that need no fork (`echo`, `test`, ...).
//!
//! `exec` is handled by the executor because it needs the command's redirections and
//! assignments.

use std::io::Write;

use super::exec::{exit_child, Shell};
use super::parser::is_name;

/// A builtin: the shell and the arguments after the name; returns the status.
pub type Builtin = fn(&mut Shell, &[String]) -> i32;

/// The builtin called `name`, if there is one.
pub fn find(name: &str) -> Option<Builtin> {
    let builtin: Builtin = match name {
        "cd" => cd,
        "exit" => exit,
        "export" => export,
        "unset" => unset,
        "wait" => wait,
        ":" | "true" => |_, _| 0,
        "false" => |_, _| 1,
        "echo" => |_, args| crate::echo::main(args),
        "pwd" => |_, args| crate::simple::pwd_main(args),
        "test" => |_, args| crate::cond::test_main(args),
        "[" => |_, args| crate::cond::bracket_main(args),
        _ => return None,
    };
    Some(builtin)
}

/// `cd [DIR|-]`: changes the shell's directory (default `$HOME`) and updates `PWD`/`OLDPWD`.
fn cd(shell: &mut Shell, args: &[String]) -> i32 {
    use super::expand::Context;
    let target = match args.first().map(String::as_str) {
        Some("-") => shell.var("OLDPWD").unwrap_or_default(),
        Some(dir) => dir.to_string(),
        None => shell.var("HOME").unwrap_or_else(|| "/".into()),
    };
    let old = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    if let Err(err) = std::env::set_current_dir(&target) {
        eprintln!(
            "sh: cd: can't cd to {target}: {}",
            crate::sys::describe(&err)
        );
        return 1;
    }
    let new = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or(target);
    if args.first().is_some_and(|a| a == "-") {
        let _ = writeln!(std::io::stdout(), "{new}");
    }
    shell.set_var("OLDPWD", old);
    shell.set_var("PWD", new);
    0
}

/// `exit [N]`: ends the shell with status N (default: the last command's).
fn exit(shell: &mut Shell, args: &[String]) -> i32 {
    let status = match args.first() {
        None => shell.status,
        Some(n) => match n.parse::<i32>() {
            Ok(n) => n & 0xff,
            Err(_) => {
                eprintln!("sh: exit: illegal number: {n}");
                2
            }
        },
    };
    exit_child(status)
}

/// `export [NAME[=VALUE]...]`: marks variables for the environment of commands; without
/// arguments lists them.
fn export(shell: &mut Shell, args: &[String]) -> i32 {
    let args: Vec<&String> = args.iter().filter(|a| *a != "-p").collect();
    if args.is_empty() {
        let mut out = std::io::stdout().lock();
        for (name, value) in shell.exported() {
            let _ = writeln!(out, "export {name}='{}'", value.replace('\'', r"'\''"));
        }
        return 0;
    }
    let mut status = 0;
    for arg in args {
        let (name, value) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (arg.as_str(), None),
        };
        if !is_name(name) {
            eprintln!("sh: export: {arg}: bad variable name");
            status = 1;
            continue;
        }
        if let Some(value) = value {
            shell.set_var(name, value.to_string());
        }
        shell.export(name);
    }
    status
}

/// `unset NAME...`.
fn unset(shell: &mut Shell, args: &[String]) -> i32 {
    for name in args.iter().filter(|a| !a.starts_with('-')) {
        shell.unset(name);
    }
    0
}

/// `wait [PID...]`: waits for the given background jobs, or for all of them.
fn wait(shell: &mut Shell, args: &[String]) -> i32 {
    if args.is_empty() {
        shell.wait_all();
        return 0;
    }
    let mut status = 0;
    for arg in args {
        status = match arg.parse::<libc::pid_t>() {
            Ok(pid) => shell.wait_job(pid),
            Err(_) => {
                eprintln!("sh: wait: illegal pid: {arg}");
                2
            }
        };
    }
    status
}
