//! Chapter 8, `seccomp`: a hand-assembled BPF filter that refuses `mkdir`.
//!
//! The demo prints the filter, one instruction a line. A child process sets `no_new_privs`,
//! installs the filter, shows `Seccomp: 2` in its `/proc/self/status`, and tries to make a
//! directory: EPERM, while other calls (creating a file) still work. A program it starts
//! afterwards (`mkdir`) inherits the filter and fails the same way. The parent, which installed
//! nothing, makes the directory without trouble.
//!
//! Usage: `seccomp` (no privilege needed: `no_new_privs` is what allows an unprivileged process
//! to install a filter). Exits 0 when every step ended as described, 1 otherwise.

use std::path::Path;
use std::process::Command;

use ch08_security::caps::own_status;
use ch08_security::child::run_in_child;
use ch08_security::seccomp::{disassemble, install, refuse, MKDIR};
use ch08_security::{exit_with, outcome, Error};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::stat::Mode;

fn main() {
    exit_with("seccomp", run());
}

/// What each instruction of the filter for [`MKDIR`] does, for the listing the demo prints.
const COMMENTS: [&str; 9] = [
    "A = seccomp_data.arch",
    "x86_64? go on : kill",
    "A = seccomp_data.nr",
    "x32 ABI (nr has bit 30)? kill : go on",
    "mkdir (83)? errno : next",
    "mkdirat (258)? errno : next",
    "SECCOMP_RET_ALLOW: run the call",
    "SECCOMP_RET_ERRNO | EPERM: fail it without running it",
    "SECCOMP_RET_KILL_PROCESS",
];

fn run() -> Result<i32, Error> {
    let program = refuse(&MKDIR);
    println!("the filter ({} instructions):", program.len());
    for (line, comment) in disassemble(&program).iter().zip(COMMENTS) {
        println!("  {line:28} {comment}");
    }
    let dir = tempfile::Builder::new()
        .prefix("ch08-seccomp-")
        .tempdir()
        .map_err(Error::io("create a directory in", std::env::temp_dir()))?;
    let code = run_in_child(CloneFlags::empty(), || child(dir.path(), &program))?;

    let by_parent = dir.path().join("by-parent");
    let made = nix::unistd::mkdir(&by_parent, Mode::from_bits_truncate(0o755));
    println!(
        "parent: no filter here, mkdir {}: {}",
        by_parent.display(),
        outcome(&made)
    );
    Ok(if code == 0 && made.is_ok() { 0 } else { 1 })
}

fn child(dir: &Path, program: &[libc::sock_filter]) -> isize {
    match steps(dir, program) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(err) => {
            eprintln!("child: {err}");
            1
        }
    }
}

fn steps(dir: &Path, program: &[libc::sock_filter]) -> Result<bool, Error> {
    show_status("before")?;
    // ANCHOR: seccomp_child
    install(program)?;
    show_status("after ")?;

    let refused = dir.join("refused");
    let made = nix::unistd::mkdir(&refused, Mode::from_bits_truncate(0o755));
    println!("child: mkdir {}: {}", refused.display(), outcome(&made));

    let file = dir.join("file");
    let written = std::fs::write(&file, "other calls still run\n");
    println!(
        "child: create and write {}: {}",
        file.display(),
        written
            .as_ref()
            .map_or_else(|e| e.to_string(), |_| "ok".into())
    );

    // A new program inherits the filter: execve cannot take it away.
    let by_exec = dir.join("by-exec");
    println!("child: running `mkdir {}`", by_exec.display());
    let status = Command::new("mkdir").arg(&by_exec).status();
    // ANCHOR_END: seccomp_child
    let status = status.map_err(Error::io("run mkdir", "mkdir"))?;
    println!("child: mkdir exited with {}", status.code().unwrap_or(-1));

    Ok(made == Err(Errno::EPERM)
        && written.is_ok()
        && !status.success()
        && !refused.exists()
        && !by_exec.exists())
}

fn show_status(when: &str) -> Result<(), Error> {
    println!(
        "child: {when} Seccomp: {}, Seccomp_filters: {}, NoNewPrivs: {}",
        own_status("Seccomp")?,
        own_status("Seccomp_filters").unwrap_or_else(|_| "-".into()),
        own_status("NoNewPrivs")?
    );
    Ok(())
}
