//! `echo [-neE] [ARG...]`, also the shell's builtin `echo`.

use std::io::{self, Write};

/// Prints the arguments separated by spaces; `-n` drops the newline, `-e` interprets escapes.
pub fn main(args: &[String]) -> i32 {
    let (newline, escapes, words) = parse_flags(args);
    let mut text = words.join(" ");
    let mut stop = false;
    if escapes {
        (text, stop) = interpret_escapes(&text);
    }
    if newline && !stop {
        text.push('\n');
    }
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("echo: write error: {}", crate::sys::describe(&err));
            1
        }
    }
}

/// Leading `-n`, `-e`, `-E` (bundled or not); the first other argument starts the text.
fn parse_flags(args: &[String]) -> (bool, bool, &[String]) {
    let (mut newline, mut escapes) = (true, false);
    let mut used = 0;
    for arg in args {
        let Some(letters) = arg.strip_prefix('-') else {
            break;
        };
        if letters.is_empty() || !letters.chars().all(|c| "neE".contains(c)) {
            break;
        }
        for letter in letters.chars() {
            match letter {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        used += 1;
    }
    (newline, escapes, &args[used..])
}

/// Expands `\n`, `\t`, `\\`, `\0NNN` and friends; `\c` stops all further output (returns true).
fn interpret_escapes(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('e') => out.push('\x1b'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some('0') => {
                let mut value = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => value = value * 8 + d,
                        None => break,
                    }
                    chars.next();
                }
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_are_only_leading_and_only_known_letters() {
        let args = strings(&["-ne", "-x", "-n"]);
        let (newline, escapes, words) = parse_flags(&args);
        assert!(!newline && escapes);
        assert_eq!(words, ["-x", "-n"]);
    }

    #[test]
    fn escapes_expand_and_backslash_c_stops_output() {
        assert_eq!(
            interpret_escapes(r"a\tb\n\0101"),
            ("a\tb\nA".to_string(), false)
        );
        assert_eq!(interpret_escapes(r"keep\cdrop"), ("keep".to_string(), true));
        assert_eq!(interpret_escapes(r"\q"), (r"\q".to_string(), false));
    }
}
