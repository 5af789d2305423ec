//! `sh`: a small POSIX-style shell — enough for `sh -c '...'`, scripts and an interactive prompt.
//!
//! The pieces, in the order a command flows through them: [`lexer`] (text to tokens),
//! [`parser`] (tokens to a tree), [`expand`] (words to arguments, with [`glob`]), and [`exec`]
//! (fork, redirect, exec, wait), with [`builtins`] for what must run inside the shell.
//!
//! As a container's PID 1, `$$` is 1 and the shell reaps orphaned children between commands.

mod builtins;
mod exec;
mod expand;
mod glob;
mod lexer;
mod parser;

use std::io::Write;
use std::path::Path;

use exec::Shell;

/// Exit status for usage and syntax errors.
const SYNTAX_ERROR: i32 = 2;

/// `sh -c 'CMD' [NAME [ARG...]]`, `sh SCRIPT [ARG...]`, or `sh` reading commands from stdin.
pub fn main(args: &[String]) -> i32 {
    let mut rest = args;
    let mut command = None;
    while let Some((option, tail)) = rest.split_first() {
        match option.as_str() {
            "-c" => {
                let Some((text, tail)) = tail.split_first() else {
                    eprintln!("sh: -c requires an argument");
                    return SYNTAX_ERROR;
                };
                command = Some(text.clone());
                rest = tail;
            }
            // Interactive and login flags change nothing here.
            "-i" | "-l" | "-s" => rest = tail,
            "--" => {
                rest = tail;
                break;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => {
                eprintln!("sh: {flag}: invalid option");
                return SYNTAX_ERROR;
            }
            _ => break,
        }
    }
    let env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    if let Some(text) = command {
        let (name, positional) = match rest.split_first() {
            Some((name, args)) => (name.clone(), args.to_vec()),
            None => ("sh".to_string(), Vec::new()),
        };
        let mut shell = Shell::new(name, positional, env);
        return run_source(&mut shell, &text);
    }
    match rest.split_first() {
        Some((script, args)) => run_script_file(Path::new(script), args.to_vec(), env),
        None => interactive(&mut Shell::new("sh".into(), Vec::new(), env)),
    }
}

/// Parses and runs a whole program; a syntax error runs nothing and returns 2.
fn run_source(shell: &mut Shell, text: &str) -> i32 {
    match parser::parse(text) {
        Ok(list) => shell.run_list(&list),
        Err(err) => {
            eprintln!("sh: {err}");
            SYNTAX_ERROR
        }
    }
}

/// Runs the script at `path` in a fresh shell with `args` as `$1...` and `env` as its variables.
pub fn run_script_file(path: &Path, args: Vec<String>, env: Vec<(String, String)>) -> i32 {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(err) => {
            eprintln!(
                "sh: can't open '{}': {}",
                path.display(),
                crate::sys::describe(&err)
            );
            return exec::NOT_FOUND;
        }
    };
    let mut shell = Shell::new(path.display().to_string(), args, env);
    // A `#!` line is a comment to the shell.
    run_source(&mut shell, &text)
}

/// Reads commands from stdin line by line and runs each as soon as it is complete; prints a
/// prompt (`/ # `) only when stdin is a terminal.
fn interactive(shell: &mut Shell) -> i32 {
    let tty = crate::sys::isatty(libc::STDIN_FILENO);
    if tty {
        shell.interactive = true;
        // The terminal's Ctrl-C is for the running command, not for the shell.
        // SAFETY: ignoring signals has no preconditions.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGQUIT, libc::SIG_IGN);
        }
    }
    let mut pending = String::new();
    loop {
        if tty {
            eprint!(
                "{}",
                if pending.is_empty() {
                    prompt()
                } else {
                    "> ".to_string()
                }
            );
            let _ = std::io::stderr().flush();
        }
        let Some(line) = read_line() else { break };
        pending.push_str(&line);
        match parser::parse(&pending) {
            Ok(list) => {
                shell.run_list(&list);
                pending.clear();
            }
            Err(err) if err.is_incomplete() => {}
            Err(err) => {
                eprintln!("sh: {err}");
                shell.status = SYNTAX_ERROR;
                pending.clear();
            }
        }
    }
    if !pending.trim().is_empty() {
        if let Err(err) = parser::parse(&pending) {
            eprintln!("sh: {err}");
            shell.status = SYNTAX_ERROR;
        }
    }
    shell.status
}

/// `/ # ` for root (the directory, then `#`), `/ $ ` for others — busybox's default.
fn prompt() -> String {
    let dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "?".into());
    // SAFETY: geteuid cannot fail.
    let mark = if unsafe { libc::geteuid() } == 0 {
        '#'
    } else {
        '$'
    };
    format!("{dir} {mark} ")
}

/// One line from stdin, read a byte at a time so commands we start can read what follows
/// (as in `sh < script` where the script runs `cat`). `None` at end of input.
fn read_line() -> Option<String> {
    let mut line = Vec::new();
    let mut byte = 0u8;
    loop {
        // SAFETY: reading one byte into a valid buffer.
        let n = unsafe { libc::read(libc::STDIN_FILENO, (&mut byte as *mut u8).cast(), 1) };
        if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        if n <= 0 {
            break;
        }
        line.push(byte);
        if byte == b'\n' {
            break;
        }
    }
    if line.is_empty() {
        return None;
    }
    if line.last() != Some(&b'\n') {
        line.push(b'\n');
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}
