//! `head [-n N] [FILE]...` and `tail [-n [+]N] [-f] [FILE]...`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::time::Duration;

use crate::error::{io_context, report, AppletError, Result};
use crate::opts::Opts;

/// How often `tail -f` looks for new data.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);

/// Prints the first N (default 10) lines of each input.
pub fn head_main(args: &[String]) -> i32 {
    report("head", head(args))
}

/// Prints the last N (default 10) lines of each input; `-f` keeps printing what is appended.
pub fn tail_main(args: &[String]) -> i32 {
    report("tail", tail(args))
}

/// Rewrites the historical `-N` form into `-n N`.
fn normalize(args: &[String]) -> Vec<String> {
    args.iter()
        .flat_map(|a| match a.strip_prefix('-') {
            Some(n) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
                vec!["-n".to_string(), n.to_string()]
            }
            _ => vec![a.clone()],
        })
        .collect()
}

fn count(value: Option<&str>) -> Result<(usize, bool)> {
    let Some(value) = value else {
        return Ok((10, false));
    };
    let (digits, from_start) = match value.strip_prefix('+') {
        Some(rest) => (rest, true),
        None => (value, false),
    };
    let n = digits
        .parse()
        .map_err(|_| AppletError::Msg(format!("invalid number '{value}'")))?;
    Ok((n, from_start))
}

fn open(name: &str) -> Result<Box<dyn Read>> {
    if name == "-" {
        return Ok(Box::new(io::stdin().lock()));
    }
    let file = File::open(name).map_err(io_context(format!("can't open '{name}'")))?;
    Ok(Box::new(file))
}

/// Runs `each` over the inputs, printing `==> name <==` headers when there are several.
fn for_each_input(
    applet: &str,
    names: &[String],
    mut each: impl FnMut(&str, &mut dyn Write) -> Result<()>,
) -> i32 {
    let names = if names.is_empty() {
        vec!["-".to_string()]
    } else {
        names.to_vec()
    };
    let mut out = io::stdout().lock();
    let mut status = 0;
    for (i, name) in names.iter().enumerate() {
        if names.len() > 1 {
            let gap = if i == 0 { "" } else { "\n" };
            let _ = writeln!(
                out,
                "{gap}==> {} <==",
                if name == "-" { "standard input" } else { name }
            );
        }
        if let Err(err) = each(name, &mut out) {
            eprintln!("{applet}: {err}");
            status = 1;
        }
    }
    let _ = out.flush();
    status
}

fn head(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(&normalize(args), "n:")?;
    let (n, _) = count(opts.value('n'))?;
    Ok(for_each_input("head", &opts.operands, |name, out| {
        let mut reader = BufReader::new(open(name)?);
        let mut line = Vec::new();
        for _ in 0..n {
            line.clear();
            if reader
                .read_until(b'\n', &mut line)
                .map_err(io_context("read error"))?
                == 0
            {
                break;
            }
            out.write_all(&line).map_err(io_context("write error"))?;
        }
        Ok(())
    }))
}

fn tail(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(&normalize(args), "n:f")?;
    let (n, from_start) = count(opts.value('n'))?;
    let status = for_each_input("tail", &opts.operands, |name, out| {
        let mut data = Vec::new();
        open(name)?
            .read_to_end(&mut data)
            .map_err(io_context("read error"))?;
        let shown = if from_start {
            from_line(&data, n)
        } else {
            last_lines(&data, n)
        };
        out.write_all(shown).map_err(io_context("write error"))
    });
    match opts.operands.last() {
        Some(name) if opts.has('f') && name != "-" && status == 0 => follow(name),
        _ => Ok(status),
    }
}

/// The tail of `data` holding its last `n` lines (a final newline does not start a new line).
fn last_lines(data: &[u8], n: usize) -> &[u8] {
    if n == 0 {
        return &[];
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    let start = body
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, &b)| b == b'\n')
        .nth(n - 1)
        .map_or(0, |(at, _)| at + 1);
    &data[start..]
}

/// `data` from line `n` (1-based) on, for `tail -n +N`.
fn from_line(data: &[u8], n: usize) -> &[u8] {
    let skip = n.saturating_sub(1);
    if skip == 0 {
        return data;
    }
    let start = data
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .nth(skip - 1)
        .map_or(data.len(), |(at, _)| at + 1);
    &data[start..]
}

/// `tail -f`: prints whatever is appended to `name`, forever; starts over if it is truncated.
fn follow(name: &str) -> Result<i32> {
    let mut file = File::open(name).map_err(io_context(format!("can't open '{name}'")))?;
    let mut at = file.seek(SeekFrom::End(0)).map_err(io_context("seek"))?;
    let mut buf = vec![0u8; 8192];
    let mut out = io::stdout();
    loop {
        let len = file.metadata().map_err(io_context(name))?.len();
        if len < at {
            at = file.seek(SeekFrom::Start(0)).map_err(io_context("seek"))?;
        }
        let n = file.read(&mut buf).map_err(io_context("read error"))?;
        if n == 0 {
            std::thread::sleep(FOLLOW_INTERVAL);
            continue;
        }
        at += n as u64;
        out.write_all(&buf[..n])
            .and_then(|()| out.flush())
            .map_err(io_context("write error"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_ignores_the_final_newline() {
        assert_eq!(last_lines(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(last_lines(b"a\nb\nc", 1), b"c");
        assert_eq!(last_lines(b"a\nb\n", 5), b"a\nb\n");
        assert_eq!(last_lines(b"a\n", 0), b"");
    }

    #[test]
    fn plus_n_starts_at_line_n() {
        assert_eq!(from_line(b"a\nb\nc\n", 2), b"b\nc\n");
        assert_eq!(from_line(b"a\nb\n", 1), b"a\nb\n");
        assert_eq!(from_line(b"a\n", 5), b"");
    }

    #[test]
    fn dash_number_means_dash_n_number() {
        let args = normalize(&["-3".to_string(), "f".to_string()]);
        assert_eq!(args, ["-n", "3", "f"]);
        assert_eq!(count(Some("+4")).unwrap(), (4, true));
    }
}
