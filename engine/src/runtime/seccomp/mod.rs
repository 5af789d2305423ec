//! Seccomp: which system calls a container may make.
//!
//! Namespaces decide what a container can *see*, capabilities what root inside it may *do*.
//! Seccomp ("secure computing") narrows the door itself: a small BPF program that the kernel runs
//! on every system call, before the call does anything. It sees the call's number and its six
//! arguments (never the memory they point to) and answers allow, fail with an errno, kill, trap or
//! log. Docker installs one for every container: of the ~350 system calls of x86_64 it allows the
//! ones ordinary programs use, opens some groups only to containers holding the matching
//! capability (`mount` needs CAP_SYS_ADMIN anyway), and refuses the rest — `kexec_load`,
//! `open_by_handle_at` (the "shocker" escape), `keyctl`, `userfaultfd` and friends — even to a
//! process that somehow holds the capability. It is a second wall behind capabilities, and it
//! shrinks the kernel code a container can reach, which is where kernel exploits live.
//!
//! The pieces:
//! - [`Profile`] — Docker's JSON format, and [`Profile::docker_default`], Docker's default profile
//!   (`default.json` beside this file), resolved per container by [`Profile::resolve`];
//!
//! Why the default action is ERRNO (EPERM) and not KILL: a refused call then looks like any
//! refused call. Programs probe for features (`clone3`, `io_uring_setup`, `statx`) and fall back
//! when they get an error; killing them would make a container fail where Docker's works.

mod profile;

pub use profile::{Action, Arg, ArchMap, Op, Profile, Selector, Syscall};
