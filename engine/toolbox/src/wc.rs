//! `wc [-lwc] [FILE]...`: counts lines, words and bytes.

use std::fs::File;
use std::io::{self, Read, Write};

use crate::error::{io_context, report, Result};
use crate::opts::Opts;

/// Line, word and byte counts of one input.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    lines: u64,
    words: u64,
    bytes: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.lines += other.lines;
        self.words += other.words;
        self.bytes += other.bytes;
    }
}

/// Counts each input; with no flags prints lines, words and bytes.
pub fn main(args: &[String]) -> i32 {
    report("wc", wc(args))
}

fn wc(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "lwc")?;
    let all = !opts.has('l') && !opts.has('w') && !opts.has('c');
    let columns = [
        all || opts.has('l'),
        all || opts.has('w'),
        all || opts.has('c'),
    ];
    let names = if opts.operands.is_empty() {
        vec!["-".to_string()]
    } else {
        opts.operands
    };
    let mut total = Counts::default();
    let mut status = 0;
    let mut out = io::stdout().lock();
    for name in &names {
        match count_named(name) {
            Ok(counts) => {
                total.add(counts);
                let _ = writeln!(out, "{}", format_line(counts, columns, name));
            }
            Err(err) => {
                eprintln!("wc: {err}");
                status = 1;
            }
        }
    }
    if names.len() > 1 {
        let _ = writeln!(out, "{}", format_line(total, columns, "total"));
    }
    Ok(status)
}

fn count_named(name: &str) -> Result<Counts> {
    let mut input: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(name).map_err(io_context(format!("can't open '{name}'")))?)
    };
    let mut counts = Counts::default();
    let mut in_word = false;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input
            .read(&mut buf)
            .map_err(io_context(format!("read error on '{name}'")))?;
        if n == 0 {
            return Ok(counts);
        }
        count_chunk(&buf[..n], &mut counts, &mut in_word);
    }
}

/// Adds one chunk to `counts`; `in_word` carries a word across chunk boundaries.
fn count_chunk(chunk: &[u8], counts: &mut Counts, in_word: &mut bool) {
    counts.bytes += chunk.len() as u64;
    for &b in chunk {
        if b == b'\n' {
            counts.lines += 1;
        }
        let space = b.is_ascii_whitespace();
        if !space && !*in_word {
            counts.words += 1;
        }
        *in_word = !space;
    }
}

/// One output line: a lone count for stdin is printed bare (`echo hi | wc -l` prints `1`).
fn format_line(counts: Counts, columns: [bool; 3], name: &str) -> String {
    let values = [counts.lines, counts.words, counts.bytes];
    let shown: Vec<u64> = values
        .iter()
        .zip(columns)
        .filter(|(_, on)| *on)
        .map(|(v, _)| *v)
        .collect();
    if name == "-" && shown.len() == 1 {
        return shown[0].to_string();
    }
    let mut line: String = shown.iter().map(|v| format!("{v:>7} ")).collect();
    if name == "-" {
        line.pop();
    } else {
        line.push_str(name);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_words_bytes_across_chunks() {
        let mut counts = Counts::default();
        let mut in_word = false;
        count_chunk(b"hello wo", &mut counts, &mut in_word);
        count_chunk(b"rld\n  x\n", &mut counts, &mut in_word);
        assert_eq!(
            counts,
            Counts {
                lines: 2,
                words: 3,
                bytes: 16
            }
        );
    }

    #[test]
    fn single_count_from_stdin_is_bare() {
        let counts = Counts {
            lines: 1,
            words: 2,
            bytes: 3,
        };
        assert_eq!(format_line(counts, [true, false, false], "-"), "1");
        assert_eq!(
            format_line(counts, [true, true, true], "f"),
            "      1       2       3 f"
        );
    }
}
