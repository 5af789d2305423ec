//! Chapter 1, `pid`: a child process in new UTS and PID namespaces (the seeds' `ns_pid.c`).
//!
//! In its new PID namespace the child is process 1, and it prints its namespace links next to its
//! parent's so you can see which namespaces it got (pid, uts) and which it still shares.
//!
//! Usage, as root: `pid [-- COMMAND [ARG...]]`, e.g. `pid -- sh -c 'echo $$'` (prints 1).
//! Without a command it starts an interactive shell. It exits with the command's exit code.

use std::env;
use std::path::Path;

use ch01_namespaces::ns::{read_ns_links, side_by_side, NsLink};
use ch01_namespaces::process::{
    clone_with_stack, command_or_shell, exec, exit_with, wait_for_exit,
};
use ch01_namespaces::Error;
use nix::sched::CloneFlags;
use nix::unistd::{getpid, sethostname};

fn main() {
    exit_with("pid", run());
}

fn run() -> Result<i32, Error> {
    let argv = command_or_shell(env::args_os().skip(1), env::var_os("SHELL"))?;
    // Read before clone: the child gets a copy and prints them next to its own.
    let parent_links = read_ns_links(Path::new("/proc/self"))?;
    println!("Parent [{:5}] - start a container!", getpid());
    // ANCHOR: pid_child
    let child = || {
        // getpid() answers in the caller's PID namespace: here, the new one, where we are 1.
        println!("Container [{:5}] - inside the container!", getpid());
        if let Err(errno) = sethostname("container") {
            eprintln!("Container - sethostname: {errno}");
            return 1;
        }
        print_namespaces(&parent_links);
        exec(&argv)
    };
    // ANCHOR_END: pid_child
    // ANCHOR: pid_clone
    let flags = CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWPID;
    let pid = clone_with_stack(child, flags)?;
    let code = wait_for_exit(pid)?;
    // ANCHOR_END: pid_clone
    println!("Parent - container stopped!");
    Ok(code)
}

/// Runs in the container: prints which namespaces it shares with its parent.
fn print_namespaces(parent: &[NsLink]) {
    // /proc is still the host's: it was mounted in the host's PID namespace and numbers processes
    // as the host does, so /proc/self names our host PID, not 1, and `ls /proc` lists every host
    // process. Chapter 1 leaves it so; the engine mounts a new /proc inside the container.
    if let Ok(host_pid) = std::fs::read_link("/proc/self") {
        println!(
            "Container - but /proc/self -> {}: this /proc still shows the host's PIDs",
            host_pid.display()
        );
    }
    match read_ns_links(Path::new("/proc/self")) {
        Ok(ours) => print!("{}", side_by_side(parent, &ours)),
        Err(err) => eprintln!("Container - {err}"),
    }
}
