//! Chapter 1, `uts`: a child process in a new UTS namespace (the seeds' `ns_uts.c`).
//!
//! The child renames its host to `container` and runs a command. The host keeps its own name,
//! because the child renamed the host of *its* UTS namespace, which it no longer shares.
//!
//! Usage, as root: `uts [-- COMMAND [ARG...]]`, e.g. `uts -- hostname`. Without a command it
//! starts an interactive shell (`$SHELL`, else `/bin/sh`). It exits with the command's exit code.

use std::env;

use ch01_namespaces::process::{
    clone_with_stack, command_or_shell, exec, exit_with, wait_for_exit,
};
use ch01_namespaces::Error;
use nix::sched::CloneFlags;
use nix::unistd::sethostname;

fn main() {
    exit_with("uts", run());
}

fn run() -> Result<i32, Error> {
    let argv = command_or_shell(env::args_os().skip(1), env::var_os("SHELL"))?;
    println!("Parent - start a container!");
    // ANCHOR: uts_child
    // What the child runs. It starts as a copy of this process, already in the new namespace.
    let child = || {
        println!("Container - inside the container!");
        // This renames the host of the child's UTS namespace only: the real host keeps its name.
        if let Err(errno) = sethostname("container") {
            eprintln!("Container - sethostname: {errno}");
            return 1;
        }
        exec(&argv)
    };
    // ANCHOR_END: uts_child
    // ANCHOR: uts_clone
    let pid = clone_with_stack(child, CloneFlags::CLONE_NEWUTS)?;
    let code = wait_for_exit(pid)?;
    // ANCHOR_END: uts_clone
    println!("Parent - container stopped!");
    Ok(code)
}
