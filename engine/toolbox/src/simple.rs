//! The one-line applets: `true`, `false`, `pwd`, `yes` and `seq`.

use std::io::{self, Write};

use crate::error::{io_context, report, AppletError, Result};

/// `true`: succeeds.
pub fn true_main(_args: &[String]) -> i32 {
    0
}

/// `false`: fails.
pub fn false_main(_args: &[String]) -> i32 {
    1
}

/// `pwd`: prints the working directory.
pub fn pwd_main(_args: &[String]) -> i32 {
    report("pwd", pwd())
}

fn pwd() -> Result<i32> {
    let dir = std::env::current_dir().map_err(io_context("getcwd"))?;
    let _ = writeln!(io::stdout(), "{}", dir.display());
    Ok(0)
}

/// `yes [STRING...]`: prints `y` (or the arguments) forever, until the reader goes away.
pub fn yes_main(args: &[String]) -> i32 {
    let line = if args.is_empty() {
        "y".to_string()
    } else {
        args.join(" ")
    };
    // Write many lines per system call; `yes` is used to fill pipes and disks quickly.
    let chunk = format!("{line}\n").repeat((8192 / (line.len() + 1)).max(1));
    let mut out = io::stdout().lock();
    loop {
        if out.write_all(chunk.as_bytes()).is_err() {
            return 1;
        }
    }
}

/// `seq [FIRST [INCREMENT]] LAST`: prints a sequence of integers.
pub fn seq_main(args: &[String]) -> i32 {
    report("seq", seq(args))
}

fn seq(args: &[String]) -> Result<i32> {
    let numbers = args
        .iter()
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| AppletError::Msg(format!("invalid number '{a}'")))
        })
        .collect::<Result<Vec<i64>>>()?;
    let (first, step, last) = match numbers[..] {
        [last] => (1, 1, last),
        [first, last] => (first, 1, last),
        [first, step, last] if step != 0 => (first, step, last),
        _ => return Err(AppletError::Usage("seq [FIRST [INCREMENT]] LAST".into())),
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut n = first;
    while (step > 0 && n <= last) || (step < 0 && n >= last) {
        writeln!(out, "{n}").map_err(io_context("write"))?;
        n += step;
    }
    out.flush().map_err(io_context("write"))?;
    Ok(0)
}
