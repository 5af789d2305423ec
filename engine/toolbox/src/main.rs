//! The `toolbox` binary: picks an applet from the name it was started as.
//!
//! `/bin/ls -> /bin/toolbox` runs the `ls` applet; `toolbox ls` does the same, and
//! `toolbox --list` prints every applet name, one per line.

use std::io::Write;

/// Exit status for an unknown applet, the same as a shell's "command not found".
const NOT_FOUND: i32 = 127;

fn main() {
    // Rust ignores SIGPIPE before `main`; restore the default so `yes | head -1` ends `yes` the way
    // it ends any Unix tool, and so programs the shell starts do not inherit "ignored".
    // SAFETY: setting a signal disposition to SIG_DFL has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let status = dispatch(&argv);
    let _ = std::io::stdout().flush();
    std::process::exit(status);
}

/// Chooses the applet from `argv[0]`, or from `argv[1]` when started as `toolbox`.
fn dispatch(argv: &[String]) -> i32 {
    let invoked = argv.first().map(|a| applet_name(a)).unwrap_or("toolbox");
    if let Some(status) = toolbox::run_applet(invoked, argv.get(1..).unwrap_or(&[])) {
        return status;
    }
    if invoked != "toolbox" {
        return unknown(invoked);
    }
    match argv.get(1).map(String::as_str) {
        Some("--list") => {
            let mut out = std::io::stdout().lock();
            for name in toolbox::APPLETS {
                let _ = writeln!(out, "{name}");
            }
            0
        }
        Some(name) => toolbox::run_applet(name, &argv[2..]).unwrap_or_else(|| unknown(name)),
        None => {
            eprintln!("usage: toolbox APPLET [ARGS...] | toolbox --list");
            1
        }
    }
}

/// The applet a path names: its last component, without the `-` a login shell is started with.
fn applet_name(arg0: &str) -> &str {
    let base = arg0.rsplit('/').next().unwrap_or(arg0);
    base.strip_prefix('-').unwrap_or(base)
}

fn unknown(name: &str) -> i32 {
    eprintln!("toolbox: applet not found: {name}");
    NOT_FOUND
}
