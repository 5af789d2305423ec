//! `grep [-vinqcF] PATTERN [FILE]...`: prints matching lines.
//!
//! PATTERN is a fixed string (no regular expressions: this is a teaching image, not a text
//! toolkit); a leading `^` anchors it to the start of the line and a trailing `$` to the end.
//! Exit status: 0 when something matched, 1 when nothing did, 2 on errors.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};

use crate::opts::Opts;

/// Status when an input could not be read or the arguments are wrong.
const TROUBLE: i32 = 2;

/// What to look for, already lowered for `-i`.
#[derive(Debug)]
struct Pattern {
    text: String,
    at_start: bool,
    at_end: bool,
    ignore_case: bool,
}

impl Pattern {
    fn new(raw: &str, ignore_case: bool) -> Pattern {
        let at_start = raw.starts_with('^');
        let rest = raw.strip_prefix('^').unwrap_or(raw);
        let at_end = rest.ends_with('$') && !rest.ends_with("\\$");
        let text = rest.strip_suffix('$').filter(|_| at_end).unwrap_or(rest);
        let text = if ignore_case {
            text.to_lowercase()
        } else {
            text.to_string()
        };
        Pattern {
            text,
            at_start,
            at_end,
            ignore_case,
        }
    }

    fn matches(&self, line: &str) -> bool {
        let lowered;
        let line = if self.ignore_case {
            lowered = line.to_lowercase();
            &lowered
        } else {
            line
        };
        match (self.at_start, self.at_end) {
            (true, true) => line == self.text,
            (true, false) => line.starts_with(&self.text),
            (false, true) => line.ends_with(&self.text),
            (false, false) => line.contains(&self.text),
        }
    }
}

/// Options that change what is printed.
struct Output {
    invert: bool,
    quiet: bool,
    count: bool,
    numbers: bool,
    prefix_names: bool,
}

/// Searches each input (stdin when none) for lines containing PATTERN.
pub fn main(args: &[String]) -> i32 {
    let opts = match Opts::parse(args, "vinqcF") {
        Ok(opts) => opts,
        Err(err) => {
            eprintln!("grep: {err}");
            return TROUBLE;
        }
    };
    let Some((raw, files)) = opts.operands.split_first() else {
        eprintln!("grep: usage: grep [-vinqcF] PATTERN [FILE]...");
        return TROUBLE;
    };
    let pattern = Pattern::new(raw, opts.has('i'));
    let output = Output {
        invert: opts.has('v'),
        quiet: opts.has('q'),
        count: opts.has('c'),
        numbers: opts.has('n'),
        prefix_names: files.len() > 1,
    };
    let names = if files.is_empty() {
        vec!["-".to_string()]
    } else {
        files.to_vec()
    };
    let (mut matched, mut trouble) = (false, false);
    for name in &names {
        match search(name, &pattern, &output) {
            Ok(found) => matched |= found,
            Err(err) => {
                eprintln!("grep: {name}: {}", crate::sys::describe(&err));
                trouble = true;
            }
        }
        if matched && output.quiet {
            return 0;
        }
    }
    match (trouble, matched) {
        (true, _) => TROUBLE,
        (false, true) => 0,
        (false, false) => 1,
    }
}

/// Searches one input; returns whether any line was selected.
fn search(name: &str, pattern: &Pattern, output: &Output) -> io::Result<bool> {
    let input: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(name)?)
    };
    let mut reader = BufReader::new(input);
    let mut out = io::stdout().lock();
    let (mut selected, mut number) = (0u64, 0u64);
    let mut raw = Vec::new();
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        number += 1;
        let line = String::from_utf8_lossy(&raw);
        let line = line.strip_suffix('\n').unwrap_or(&line);
        if pattern.matches(line) == output.invert {
            continue;
        }
        selected += 1;
        if output.quiet {
            return Ok(true);
        }
        if !output.count {
            let name_part = if output.prefix_names {
                format!("{name}:")
            } else {
                String::new()
            };
            let number_part = if output.numbers {
                format!("{number}:")
            } else {
                String::new()
            };
            writeln!(out, "{name_part}{number_part}{line}")?;
        }
    }
    if output.count {
        let name_part = if output.prefix_names {
            format!("{name}:")
        } else {
            String::new()
        };
        writeln!(out, "{name_part}{selected}")?;
    }
    Ok(selected > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_string_with_optional_anchors() {
        assert!(Pattern::new("ell", false).matches("hello"));
        assert!(Pattern::new("^he", false).matches("hello"));
        assert!(!Pattern::new("^el", false).matches("hello"));
        assert!(Pattern::new("lo$", false).matches("hello"));
        assert!(Pattern::new("^hello$", false).matches("hello"));
        assert!(!Pattern::new("^hell$", false).matches("hello"));
    }

    #[test]
    fn ignore_case_lowers_both_sides() {
        assert!(Pattern::new("HeLLo", true).matches("say hello"));
        assert!(!Pattern::new("HeLLo", false).matches("say hello"));
    }
}
