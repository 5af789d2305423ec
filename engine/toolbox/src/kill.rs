//! `kill [-SIG | -s SIG] PID...` and `kill -l`: sends signals by name or number.

use std::io::{self, Write};

use crate::error::{report, AppletError, Result};
use crate::sys;

/// Signal names (without `SIG`) and numbers, in number order.
const SIGNALS: &[(&str, libc::c_int)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// Sends SIGTERM (or the named signal) to each PID.
pub fn main(args: &[String]) -> i32 {
    report("kill", kill(args))
}

fn kill(args: &[String]) -> Result<i32> {
    let usage = || AppletError::Usage("kill [-SIG | -s SIG] PID... | kill -l [N]".into());
    let (signal, pids) = match args {
        [flag, rest @ ..] if flag == "-l" => return list(rest.first()),
        [flag, name, pids @ ..] if flag == "-s" => (signal_number(name).ok_or_else(usage)?, pids),
        [flag, pids @ ..] if flag == "--" => (libc::SIGTERM, pids),
        [flag, pids @ ..] if flag.starts_with('-') => (
            signal_number(&flag[1..]).ok_or_else(|| bad_signal(&flag[1..]))?,
            pids,
        ),
        pids => (libc::SIGTERM, pids),
    };
    let pids = pids.strip_prefix(&["--".to_string()][..]).unwrap_or(pids);
    if pids.is_empty() {
        return Err(usage());
    }
    let mut status = 0;
    for pid in pids {
        let Ok(number) = pid.parse::<libc::pid_t>() else {
            eprintln!("kill: invalid number '{pid}'");
            status = 1;
            continue;
        };
        // SAFETY: kill has no memory-safety preconditions.
        if let Err(err) = sys::check(unsafe { libc::kill(number, signal) }) {
            eprintln!("kill: can't kill pid {pid}: {}", sys::describe(&err));
            status = 1;
        }
    }
    Ok(status)
}

fn bad_signal(name: &str) -> AppletError {
    AppletError::Msg(format!("bad signal name '{name}'"))
}

/// `9`, `KILL`, `SIGKILL` and `kill` all mean SIGKILL.
fn signal_number(name: &str) -> Option<libc::c_int> {
    if let Ok(number) = name.parse::<libc::c_int>() {
        return (0..65).contains(&number).then_some(number);
    }
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNALS
        .iter()
        .find(|(n, _)| *n == bare)
        .map(|(_, number)| *number)
}

/// `kill -l` prints every name; `kill -l N` prints the name of signal N (or the exit status 128+N).
fn list(which: Option<&String>) -> Result<i32> {
    let mut out = io::stdout().lock();
    match which {
        None => {
            for (name, number) in SIGNALS {
                let _ = writeln!(out, "{number:>2}) {name}");
            }
        }
        Some(arg) => {
            let number = arg.parse::<libc::c_int>().map_err(|_| bad_signal(arg))?;
            let number = if number > 128 { number - 128 } else { number };
            let name = SIGNALS
                .iter()
                .find(|(_, n)| *n == number)
                .ok_or_else(|| bad_signal(arg))?
                .0;
            let _ = writeln!(out, "{name}");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_by_number_name_and_sig_prefix() {
        assert_eq!(signal_number("9"), Some(libc::SIGKILL));
        assert_eq!(signal_number("KILL"), Some(libc::SIGKILL));
        assert_eq!(signal_number("SIGterm"), Some(libc::SIGTERM));
        assert_eq!(signal_number("NOPE"), None);
        assert_eq!(signal_number("99"), None);
    }
}
