//! A small getopt: short flags, bundled (`-la`), with values (`-n 5`, `-n5`, `-qO-`).
//!
//! Like busybox (and GNU getopt) options may come after operands (`ls dir -l`); `--` ends them
//! and a lone `-` is an operand (it usually means stdin).

use crate::error::{AppletError, Result};

/// Parsed command line: the flags seen (with their values) and the remaining operands.
#[derive(Debug, Default)]
pub struct Opts {
    flags: Vec<(char, Option<String>)>,
    /// Everything that is not an option, in order.
    pub operands: Vec<String>,
}

impl Opts {
    /// Parses `args` against `spec`: each letter is a flag, a letter followed by `:` takes a value.
    pub fn parse(args: &[String], spec: &str) -> Result<Opts> {
        let mut opts = Opts::default();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--" {
                opts.operands.extend(rest.by_ref().cloned());
                break;
            }
            let Some(letters) = arg.strip_prefix('-').filter(|l| !l.is_empty()) else {
                opts.operands.push(arg.clone());
                continue;
            };
            for (at, letter) in letters.char_indices() {
                if !takes_value(spec, letter)? {
                    opts.flags.push((letter, None));
                    continue;
                }
                let inline = &letters[at + letter.len_utf8()..];
                let value = if inline.is_empty() {
                    rest.next().cloned().ok_or_else(|| {
                        AppletError::Usage(format!("option requires an argument -- '{letter}'"))
                    })?
                } else {
                    inline.to_string()
                };
                opts.flags.push((letter, Some(value)));
                break;
            }
        }
        Ok(opts)
    }

    /// Whether flag `letter` was given.
    pub fn has(&self, letter: char) -> bool {
        self.flags.iter().any(|(l, _)| *l == letter)
    }

    /// The value of the last `letter` flag.
    pub fn value(&self, letter: char) -> Option<&str> {
        self.flags
            .iter()
            .rev()
            .find(|(l, _)| *l == letter)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Whether `letter` is in `spec` with a value (`Ok(true)`), without (`Ok(false)`), or unknown.
fn takes_value(spec: &str, letter: char) -> Result<bool> {
    match spec.find(letter) {
        Some(at) if letter != ':' => Ok(spec[at + letter.len_utf8()..].starts_with(':')),
        _ => Err(AppletError::Usage(format!("invalid option -- '{letter}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bundled_flags_and_operands_in_any_order() {
        let opts = Opts::parse(&strings(&["dir", "-la", "other"]), "la1").unwrap();
        assert!(opts.has('l') && opts.has('a') && !opts.has('1'));
        assert_eq!(opts.operands, ["dir", "other"]);
    }

    #[test]
    fn values_attached_or_separate() {
        let opts = Opts::parse(&strings(&["-qO-", "-T", "5", "url"]), "qO:T:").unwrap();
        assert!(opts.has('q'));
        assert_eq!(opts.value('O'), Some("-"));
        assert_eq!(opts.value('T'), Some("5"));
        assert_eq!(opts.operands, ["url"]);
    }

    #[test]
    fn double_dash_and_lone_dash_are_operands() {
        let opts = Opts::parse(&strings(&["-", "--", "-x"]), "").unwrap();
        assert_eq!(opts.operands, ["-", "-x"]);
    }

    #[test]
    fn unknown_flag_and_missing_value_are_usage_errors() {
        assert!(Opts::parse(&strings(&["-z"]), "a").is_err());
        assert!(Opts::parse(&strings(&["-n"]), "n:").is_err());
    }
}
