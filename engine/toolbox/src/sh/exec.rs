//! Running the parse tree: variables, redirections, pipelines, forks and exec.
//!
//! The shell is single-threaded and forks for everything that is not a builtin: a simple
//! external command is fork + exec + wait; each element of a pipeline is a forked child wired
//! with pipes; `$(...)`, `( ... )` and `&` fork a copy of the shell. Builtins run in the shell
//! itself, with redirections applied around them and undone afterwards.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use super::builtins;
use super::expand::{self, Context};
use super::lexer::RedirOp;
use super::parser::{AndOr, Command, Compound, Connector, List, Pipeline, Redirect, SimpleCommand};
use crate::sys::{self, Fork};

/// Where commands are looked for when `PATH` is unset.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Status of a command that was not found.
pub const NOT_FOUND: i32 = 127;
/// Status of a command that was found but could not be run.
pub const CANNOT_RUN: i32 = 126;
/// Saved copies of redirected descriptors live at or above this fd, out of the user's way.
const SAVE_FD_MIN: libc::c_int = 10;

/// A shell variable.
#[derive(Debug, Clone)]
struct Var {
    value: String,
    /// Passed to commands in their environment.
    exported: bool,
}

/// The state of a running shell.
pub struct Shell {
    vars: BTreeMap<String, Var>,
    /// `$0`.
    pub name: String,
    /// `$1`, `$2`, ...
    pub positional: Vec<String>,
    /// `$?`: the status of the last pipeline.
    pub status: i32,
    /// `$$`: the shell's pid, fixed at start (subshells keep it, as POSIX says).
    pid: i32,
    /// `$!`: the last background job.
    last_background: Option<i32>,
    /// Background jobs not yet waited for: pid to exit status once it has ended.
    jobs: BTreeMap<libc::pid_t, Option<i32>>,
    /// Reading commands from a terminal: the shell ignores SIGINT, its children must not.
    pub interactive: bool,
    /// Status of the last `$(...)`, for commands made only of assignments.
    substitution_status: Option<i32>,
}

impl Shell {
    /// A shell whose variables are `env`, all exported.
    pub fn new(
        name: String,
        positional: Vec<String>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Shell {
        let vars = env
            .into_iter()
            .map(|(k, v)| {
                (
                    k,
                    Var {
                        value: v,
                        exported: true,
                    },
                )
            })
            .collect();
        Shell {
            vars,
            name,
            positional,
            status: 0,
            // SAFETY: getpid cannot fail.
            pid: unsafe { libc::getpid() },
            last_background: None,
            jobs: BTreeMap::new(),
            interactive: false,
            substitution_status: None,
        }
    }

    /// Sets a variable, keeping its exported flag.
    pub fn set_var(&mut self, name: &str, value: String) {
        let exported = self.vars.get(name).is_some_and(|v| v.exported);
        self.vars.insert(name.to_string(), Var { value, exported });
    }

    /// Marks a variable exported, creating it empty if it does not exist.
    pub fn export(&mut self, name: &str) {
        self.vars
            .entry(name.to_string())
            .or_insert_with(|| Var {
                value: String::new(),
                exported: false,
            })
            .exported = true;
    }

    /// Removes a variable.
    pub fn unset(&mut self, name: &str) {
        self.vars.remove(name);
    }

    /// The exported variables, as `export` prints them.
    pub fn exported(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
    }

    /// The environment for a command: exported variables plus its `NAME=value` prefixes.
    fn environment(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let mut env: BTreeMap<&str, &str> = self.exported().collect();
        for (k, v) in extra {
            env.insert(k, v);
        }
        env.into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Runs a list and returns the status of its last command.
    pub fn run_list(&mut self, list: &List) -> i32 {
        for item in list {
            self.reap_finished_children();
            if item.background {
                self.run_background(&item.and_or);
            } else {
                self.status = self.run_and_or(&item.and_or);
            }
        }
        self.status
    }

    /// `cmd &`: a forked copy of the shell runs it; we do not wait.
    fn run_background(&mut self, and_or: &AndOr) {
        flush_stdout();
        match sys::fork() {
            Ok(Fork::Child) => {
                self.reset_signals_in_child();
                // Without job control a background job must not compete for the terminal.
                redirect_stdin_from_null();
                let status = self.run_and_or(and_or);
                exit_child(status);
            }
            Ok(Fork::Parent(pid)) => {
                self.last_background = Some(pid);
                self.jobs.insert(pid, None);
                self.status = 0;
            }
            Err(err) => {
                eprintln!("sh: fork: {}", sys::describe(&err));
                self.status = 1;
            }
        }
    }

    fn run_and_or(&mut self, and_or: &AndOr) -> i32 {
        let mut status = self.run_pipeline(&and_or.first);
        for (connector, pipeline) in &and_or.rest {
            self.status = status;
            let run = match connector {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                status = self.run_pipeline(pipeline);
            }
        }
        status
    }

    fn run_pipeline(&mut self, pipeline: &Pipeline) -> i32 {
        let status = match &pipeline.commands[..] {
            [single] => self.run_command(single, false),
            commands => self.run_piped(commands),
        };
        if pipeline.negated {
            i32::from(status == 0)
        } else {
            status
        }
    }

    /// `a | b | c`: one child per command, stdout of each piped to stdin of the next. The
    /// status is the last command's.
    fn run_piped(&mut self, commands: &[Command]) -> i32 {
        flush_stdout();
        let mut children = Vec::new();
        let mut input: Option<OwnedFd> = None;
        for (i, command) in commands.iter().enumerate() {
            let last = i + 1 == commands.len();
            let (next_input, output) = if last {
                (None, None)
            } else {
                match pipe() {
                    Ok((read, write)) => (Some(read), Some(write)),
                    Err(err) => {
                        eprintln!("sh: pipe: {}", sys::describe(&err));
                        break;
                    }
                }
            };
            match sys::fork() {
                Ok(Fork::Child) => {
                    self.reset_signals_in_child();
                    drop(next_input);
                    if let Some(fd) = input.take() {
                        move_fd(fd, libc::STDIN_FILENO);
                    }
                    if let Some(fd) = output {
                        move_fd(fd, libc::STDOUT_FILENO);
                    }
                    let status = self.run_command(command, true);
                    exit_child(status);
                }
                Ok(Fork::Parent(pid)) => children.push(pid),
                Err(err) => {
                    eprintln!("sh: fork: {}", sys::describe(&err));
                    break;
                }
            }
            // The parent keeps only the read end the next command needs.
            input = next_input;
        }
        drop(input);
        self.wait_children(&children)
    }

    /// Runs one command; `in_child` means we are already a forked child that may simply exec.
    fn run_command(&mut self, command: &Command, in_child: bool) -> i32 {
        match command {
            Command::Simple(simple) => self.run_simple(simple, in_child),
            Command::Compound(compound, redirects) => {
                self.with_redirects(redirects, |shell| shell.run_compound(compound))
            }
        }
    }

    fn run_compound(&mut self, compound: &Compound) -> i32 {
        match compound {
            Compound::If {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    if self.run_list(condition) == 0 {
                        return self.run_list(body);
                    }
                }
                otherwise.as_ref().map_or(0, |body| self.run_list(body))
            }
            Compound::While {
                until,
                condition,
                body,
            } => {
                let mut status = 0;
                while (self.run_list(condition) == 0) != *until {
                    status = self.run_list(body);
                }
                status
            }
            Compound::For { name, words, body } => {
                let values = match words {
                    Some(words) => expand::fields(words, self),
                    None => self.positional.clone(),
                };
                let mut status = 0;
                for value in values {
                    self.set_var(name, value);
                    status = self.run_list(body);
                }
                status
            }
            Compound::Group(body) => self.run_list(body),
            Compound::Subshell(body) => self.in_subshell(|shell| shell.run_list(body)),
        }
    }

    /// Runs `f` in a forked copy of the shell and returns its status.
    fn in_subshell(&mut self, f: impl FnOnce(&mut Shell) -> i32) -> i32 {
        flush_stdout();
        match sys::fork() {
            Ok(Fork::Child) => {
                self.reset_signals_in_child();
                let status = f(self);
                exit_child(status);
            }
            Ok(Fork::Parent(pid)) => self.wait_children(&[pid]),
            Err(err) => {
                eprintln!("sh: fork: {}", sys::describe(&err));
                1
            }
        }
    }

    fn run_simple(&mut self, command: &SimpleCommand, in_child: bool) -> i32 {
        self.substitution_status = None;
        let argv = expand::fields(&command.words, self);
        let assignments: Vec<(String, String)> = command
            .assignments
            .iter()
            .map(|(name, word)| (name.clone(), expand::string(word, self)))
            .collect();
        let Some(name) = argv.first() else {
            // Only assignments and redirections: they apply to the shell itself.
            for (name, value) in assignments {
                self.set_var(&name, value);
            }
            let status = self.substitution_status.unwrap_or(0);
            return self.with_redirects(&command.redirects, |_| status);
        };
        if name == "exec" {
            return self.exec_builtin(&argv[1..], &assignments, &command.redirects);
        }
        if let Some(builtin) = builtins::find(name) {
            return self.with_redirects(&command.redirects, |shell| builtin(shell, &argv[1..]));
        }
        let env = self.environment(&assignments);
        if in_child {
            if let Err(msg) = self.apply_redirects(&command.redirects, None) {
                eprintln!("sh: {msg}");
                exit_child(1);
            }
            exec_external(&argv, &env);
        }
        flush_stdout();
        match sys::fork() {
            Ok(Fork::Child) => {
                self.reset_signals_in_child();
                if let Err(msg) = self.apply_redirects(&command.redirects, None) {
                    eprintln!("sh: {msg}");
                    exit_child(1);
                }
                exec_external(&argv, &env);
            }
            Ok(Fork::Parent(pid)) => self.wait_children(&[pid]),
            Err(err) => {
                eprintln!("sh: fork: {}", sys::describe(&err));
                1
            }
        }
    }

    /// `exec CMD...` replaces the shell; `exec >file` (no command) redirects the shell for good.
    fn exec_builtin(
        &mut self,
        args: &[String],
        assignments: &[(String, String)],
        redirects: &[Redirect],
    ) -> i32 {
        if let Err(msg) = self.apply_redirects(redirects, None) {
            eprintln!("sh: {msg}");
            return 1;
        }
        if args.is_empty() {
            for (name, value) in assignments {
                self.set_var(name, value.clone());
            }
            return 0;
        }
        let env = self.environment(assignments);
        exec_external(args, &env);
    }

    /// Runs `f` with `redirects` applied to this process, then puts the descriptors back.
    fn with_redirects(&mut self, redirects: &[Redirect], f: impl FnOnce(&mut Shell) -> i32) -> i32 {
        if redirects.is_empty() {
            return f(self);
        }
        flush_stdout();
        let mut saved = Vec::new();
        let status = match self.apply_redirects(redirects, Some(&mut saved)) {
            Ok(()) => f(self),
            Err(msg) => {
                eprintln!("sh: {msg}");
                1
            }
        };
        flush_stdout();
        restore_fds(saved);
        status
    }

    /// Opens files and duplicates descriptors as the redirections say. With `saved`, the
    /// previous descriptors are kept there so [`restore_fds`] can undo it.
    fn apply_redirects(
        &mut self,
        redirects: &[Redirect],
        mut saved: Option<&mut Vec<(libc::c_int, Option<OwnedFd>)>>,
    ) -> Result<(), String> {
        for redirect in redirects {
            let target = expand::string(&redirect.target, self);
            let source = open_redirect_source(redirect.op, &target)?;
            if let Some(saved) = saved.as_deref_mut() {
                saved.push((redirect.fd, save_fd(redirect.fd)));
            }
            match source {
                RedirectSource::File(fd) => move_fd(fd, redirect.fd),
                RedirectSource::Dup(from) => {
                    // SAFETY: dup2 on descriptor numbers; failure is reported, not ignored.
                    if unsafe { libc::dup2(from, redirect.fd) } < 0 {
                        return Err(format!(
                            "{target}: {}",
                            sys::describe(&io::Error::last_os_error())
                        ));
                    }
                }
                RedirectSource::Close => {
                    // SAFETY: closing a descriptor number the user asked to close.
                    unsafe { libc::close(redirect.fd) };
                }
            }
        }
        Ok(())
    }

    /// Collects exited children so they do not linger as zombies (PID 1's duty, too: orphans
    /// in the container are re-parented to it), remembering the status of our background jobs
    /// for `wait`.
    fn reap_finished_children(&mut self) {
        let mut raw = 0;
        loop {
            // SAFETY: WNOHANG waitpid with a valid out-pointer.
            let pid = unsafe { libc::waitpid(-1, &mut raw, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            if let Some(status) = self.jobs.get_mut(&pid) {
                *status = Some(sys::exit_status(raw));
            }
        }
    }

    /// Waits until all of `pids` have ended and returns the last one's status.
    ///
    /// Any other child that ends meanwhile is reaped too: a background job keeps its status for
    /// `wait`, and an orphan re-parented to a PID 1 shell disappears instead of staying a zombie
    /// for as long as the foreground command runs.
    fn wait_children(&mut self, pids: &[libc::pid_t]) -> i32 {
        let mut statuses = BTreeMap::new();
        while statuses.len() < pids.len() {
            let mut raw = 0;
            // SAFETY: waitpid with a valid out-pointer.
            let pid = unsafe { libc::waitpid(-1, &mut raw, 0) };
            if pid < 0 {
                if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                break; // ECHILD: nothing left to wait for
            }
            let status = sys::exit_status(raw);
            if pids.contains(&pid) {
                statuses.insert(pid, status);
            } else if let Some(job) = self.jobs.get_mut(&pid) {
                *job = Some(status);
            }
        }
        pids.last()
            .and_then(|pid| statuses.get(pid))
            .copied()
            .unwrap_or(1)
    }

    /// Waits for background job `pid` (or any child with that pid) and returns its status.
    pub fn wait_job(&mut self, pid: libc::pid_t) -> i32 {
        match self.jobs.remove(&pid) {
            Some(Some(status)) => status,
            Some(None) => self.wait_children(&[pid]),
            // Not a job of this shell: POSIX says 127.
            None => NOT_FOUND,
        }
    }

    /// Waits for every child, forgetting all background jobs.
    pub fn wait_all(&mut self) {
        self.jobs.clear();
        let mut raw = 0;
        loop {
            // SAFETY: waitpid with a valid out-pointer; fails with ECHILD when none are left.
            if unsafe { libc::waitpid(-1, &mut raw, 0) } < 0
                && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted
            {
                return;
            }
        }
    }

    /// In a forked child of an interactive shell, Ctrl-C must work again.
    fn reset_signals_in_child(&self) {
        if self.interactive {
            // SAFETY: restoring default dispositions has no preconditions.
            unsafe {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            }
        }
    }
}

impl Context for Shell {
    fn var(&self, name: &str) -> Option<String> {
        let special = match name {
            "?" => self.status.to_string(),
            "$" => self.pid.to_string(),
            "!" => return self.last_background.map(|pid| pid.to_string()),
            "#" => self.positional.len().to_string(),
            "0" => self.name.clone(),
            "@" | "*" => self.positional.join(" "),
            "-" => String::new(),
            _ => {
                if let Ok(n @ 1..) = name.parse::<usize>() {
                    return self.positional.get(n - 1).cloned();
                }
                return self.vars.get(name).map(|v| v.value.clone());
            }
        };
        Some(special)
    }

    fn positional(&self) -> Vec<String> {
        self.positional.clone()
    }

    /// Forks a copy of the shell with stdout on a pipe and collects what it writes.
    fn command_output(&mut self, program: &List) -> String {
        let (read, write) = match pipe() {
            Ok(ends) => ends,
            Err(err) => {
                eprintln!("sh: pipe: {}", sys::describe(&err));
                return String::new();
            }
        };
        flush_stdout();
        match sys::fork() {
            Ok(Fork::Child) => {
                drop(read);
                move_fd(write, libc::STDOUT_FILENO);
                let status = self.run_list(program);
                exit_child(status);
            }
            Ok(Fork::Parent(pid)) => {
                drop(write);
                let mut output = Vec::new();
                let _ = std::fs::File::from(read).read_to_end(&mut output);
                let status = self.wait_children(&[pid]);
                self.status = status;
                self.substitution_status = Some(status);
                String::from_utf8_lossy(&output).into_owned()
            }
            Err(err) => {
                eprintln!("sh: fork: {}", sys::describe(&err));
                String::new()
            }
        }
    }
}

/// What a redirection connects the descriptor to.
enum RedirectSource {
    File(OwnedFd),
    Dup(libc::c_int),
    Close,
}

fn open_redirect_source(op: RedirOp, target: &str) -> Result<RedirectSource, String> {
    let flags = match op {
        RedirOp::Read => libc::O_RDONLY,
        RedirOp::Write => libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
        RedirOp::Append => libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND,
        RedirOp::DupOut | RedirOp::DupIn => {
            if target == "-" {
                return Ok(RedirectSource::Close);
            }
            return target
                .parse()
                .map(RedirectSource::Dup)
                .map_err(|_| format!("{target}: bad file descriptor"));
        }
    };
    let verb = if op == RedirOp::Read {
        "open"
    } else {
        "create"
    };
    let path = sys::cstring(target)
        .map_err(|e| format!("can't {verb} {target}: {}", sys::describe(&e)))?;
    // SAFETY: `path` is NUL-terminated; the mode argument is read only with O_CREAT.
    let fd = unsafe {
        libc::open(
            path.as_ptr(),
            flags | libc::O_CLOEXEC,
            0o666 as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(format!(
            "can't {verb} {target}: {}",
            sys::describe(&io::Error::last_os_error())
        ));
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(RedirectSource::File(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// A close-on-exec copy of `fd` (None when `fd` is not open), to restore it later.
fn save_fd(fd: libc::c_int) -> Option<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, SAVE_FD_MIN) };
    // SAFETY: a non-negative result is a new descriptor we own.
    (copy >= 0).then(|| unsafe { OwnedFd::from_raw_fd(copy) })
}

/// Puts saved descriptors back, last redirection first.
fn restore_fds(saved: Vec<(libc::c_int, Option<OwnedFd>)>) {
    for (fd, copy) in saved.into_iter().rev() {
        match copy {
            // SAFETY: dup2 onto a descriptor number; `copy` is closed when dropped.
            Some(copy) => unsafe {
                libc::dup2(copy.as_raw_fd(), fd);
            },
            // SAFETY: the descriptor did not exist before the redirection.
            None => unsafe {
                libc::close(fd);
            },
        }
    }
}

/// Makes `fd` available as descriptor number `to` (without close-on-exec) and closes the original.
fn move_fd(fd: OwnedFd, to: libc::c_int) {
    if fd.as_raw_fd() != to {
        // SAFETY: dup2 between valid descriptor numbers; `fd` is closed when dropped.
        unsafe { libc::dup2(fd.as_raw_fd(), to) };
    } else {
        // Already in place: keep it open (give up ownership) and clear close-on-exec.
        let fd = fd.into_raw_fd();
        // SAFETY: F_SETFD on our own descriptor.
        unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    }
}

/// A close-on-exec pipe: (read end, write end).
fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    sys::check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn redirect_stdin_from_null() {
    if let Ok(null) = std::fs::File::open("/dev/null") {
        move_fd(OwnedFd::from(null), libc::STDIN_FILENO);
    }
}

fn flush_stdout() {
    let _ = io::stdout().flush();
}

/// Ends a forked child (flushing what it printed).
pub fn exit_child(status: i32) -> ! {
    flush_stdout();
    std::process::exit(status)
}

/// Replaces this process with `argv[0]`, searched in `PATH` unless it contains a `/`.
///
/// Exits 127 (`sh: NAME: not found`) when no candidate exists and 126 when one exists but
/// cannot be executed. A file without a `#!` line (ENOEXEC) is run as a shell script.
pub fn exec_external(argv: &[String], env: &[(String, String)]) -> ! {
    flush_stdout();
    let name = &argv[0];
    let (Ok(c_argv), Ok(c_env)) = (
        to_cstrings(argv.iter().cloned()),
        to_cstrings(env.iter().map(|(k, v)| format!("{k}={v}"))),
    ) else {
        eprintln!("sh: {name}: argument contains a NUL byte");
        exit_child(CANNOT_RUN);
    };
    let argv_ptrs = null_terminated(&c_argv);
    let env_ptrs = null_terminated(&c_env);
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map_or(DEFAULT_PATH, |(_, v)| v.as_str());
    let mut failure: Option<io::Error> = None;
    for candidate in candidates(name, path_var) {
        let Ok(c_path) = sys::cpath(&candidate) else {
            continue;
        };
        // SAFETY: all pointers are NUL-terminated strings in NULL-terminated arrays that outlive the call.
        unsafe { libc::execve(c_path.as_ptr(), argv_ptrs.as_ptr(), env_ptrs.as_ptr()) };
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::ENOENT | libc::ENOTDIR) => {}
            Some(libc::ENOEXEC) => exit_child(super::run_script_file(
                &candidate,
                argv[1..].to_vec(),
                env.to_vec(),
            )),
            _ => {
                failure.get_or_insert(err);
            }
        }
    }
    match failure {
        Some(err) => {
            eprintln!("sh: {name}: {}", sys::describe(&err));
            exit_child(CANNOT_RUN)
        }
        None => {
            eprintln!("sh: {name}: not found");
            exit_child(NOT_FOUND)
        }
    }
}

/// The paths to try for a command name.
fn candidates(name: &str, path_var: &str) -> Vec<PathBuf> {
    if name.contains('/') {
        return vec![PathBuf::from(name)];
    }
    path_var
        .split(':')
        .map(|dir| {
            if dir.is_empty() {
                Path::new(".")
            } else {
                Path::new(dir)
            }
        })
        .map(|dir| dir.join(name))
        .collect()
}

fn to_cstrings(items: impl Iterator<Item = String>) -> io::Result<Vec<CString>> {
    items.map(|s| sys::cstring(&s)).collect()
}

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_a_slash_are_not_searched() {
        assert_eq!(candidates("./x", "/bin"), [PathBuf::from("./x")]);
    }

    #[test]
    fn path_is_searched_in_order_and_empty_entries_mean_cwd() {
        assert_eq!(
            candidates("ls", "/a::/b"),
            [
                PathBuf::from("/a/ls"),
                PathBuf::from("./ls"),
                PathBuf::from("/b/ls")
            ]
        );
    }

    #[test]
    fn special_parameters_come_from_shell_state() {
        let mut shell = Shell::new(
            "sh".into(),
            vec!["a".into(), "b".into()],
            [("HOME".to_string(), "/root".to_string())],
        );
        shell.status = 7;
        assert_eq!(shell.var("?").as_deref(), Some("7"));
        // SAFETY: getpid cannot fail.
        assert_eq!(shell.var("$"), Some(unsafe { libc::getpid() }.to_string()));
        assert_eq!(shell.var("#").as_deref(), Some("2"));
        assert_eq!(shell.var("2").as_deref(), Some("b"));
        assert_eq!(shell.var("3"), None);
        assert_eq!(shell.var("0").as_deref(), Some("sh"));
        assert_eq!(shell.var("!"), None);
        assert_eq!(shell.var("HOME").as_deref(), Some("/root"));
    }

    #[test]
    fn prefix_assignments_are_added_to_the_exported_environment() {
        let mut shell = Shell::new("sh".into(), vec![], [("A".to_string(), "1".to_string())]);
        shell.set_var("LOCAL", "x".into());
        let env = shell.environment(&[("B".into(), "2".into()), ("A".into(), "3".into())]);
        assert_eq!(
            env,
            [
                ("A".to_string(), "3".to_string()),
                ("B".to_string(), "2".to_string())
            ]
        );
    }
}
