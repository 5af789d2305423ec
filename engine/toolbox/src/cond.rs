//! `test EXPR` and `[ EXPR ]`: file tests, string tests and integer comparisons.
//!
//! Supported: `! EXPR`, `-e -f -d -L -h -s -r -w -x FILE`, `-z -n STRING`, `STRING`,
//! `= == !=`, and `-eq -ne -lt -le -gt -ge`. Exit 0 when true, 1 when false, 2 on a bad expression.

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use crate::sys;

/// Exit status for a malformed expression.
const BAD_EXPRESSION: i32 = 2;

/// `test EXPR`.
pub fn test_main(args: &[String]) -> i32 {
    finish("test", evaluate(args))
}

/// `[ EXPR ]`: the same as `test`, with a required closing `]`.
pub fn bracket_main(args: &[String]) -> i32 {
    match args.split_last() {
        Some((last, expr)) if last == "]" => finish("[", evaluate(expr)),
        _ => finish("[", Err("missing ]".into())),
    }
}

fn finish(applet: &str, result: Result<bool, String>) -> i32 {
    match result {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(msg) => {
            eprintln!("{applet}: {msg}");
            BAD_EXPRESSION
        }
    }
}

/// Evaluates an expression given as separate words, following POSIX's rules by word count.
pub fn evaluate(args: &[String]) -> Result<bool, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words[..] {
        [] => Ok(false),
        [word] => Ok(!word.is_empty()),
        [left, op, right] if is_binary(op) => binary(left, op, right),
        ["!", ..] => evaluate(&args[1..]).map(|b| !b),
        [op, operand] => unary(op, operand),
        _ => Err(format!("unexpected '{}'", words[1])),
    }
}

fn is_binary(op: &str) -> bool {
    matches!(
        op,
        "=" | "==" | "!=" | "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge"
    )
}

fn unary(op: &str, operand: &str) -> Result<bool, String> {
    let path = Path::new(operand);
    let meta = || fs::metadata(path);
    Ok(match op {
        "-z" => operand.is_empty(),
        "-n" => !operand.is_empty(),
        "-e" => meta().is_ok(),
        "-f" => meta().is_ok_and(|m| m.is_file()),
        "-d" => meta().is_ok_and(|m| m.is_dir()),
        "-s" => meta().is_ok_and(|m| m.len() > 0),
        "-p" => meta().is_ok_and(|m| m.file_type().is_fifo()),
        "-L" | "-h" => fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()),
        "-r" => accessible(path, libc::R_OK),
        "-w" => accessible(path, libc::W_OK),
        "-x" => accessible(path, libc::X_OK),
        _ => return Err(format!("unknown operator '{op}'")),
    })
}

fn accessible(path: &Path, how: libc::c_int) -> bool {
    let Ok(path) = sys::cpath(path) else {
        return false;
    };
    // SAFETY: `path` is NUL-terminated.
    unsafe { libc::access(path.as_ptr(), how) == 0 }
}

fn binary(left: &str, op: &str, right: &str) -> Result<bool, String> {
    match op {
        "=" | "==" => return Ok(left == right),
        "!=" => return Ok(left != right),
        _ => {}
    }
    let (l, r) = (integer(left)?, integer(right)?);
    Ok(match op {
        "-eq" => l == r,
        "-ne" => l != r,
        "-lt" => l < r,
        "-le" => l <= r,
        "-gt" => l > r,
        _ => l >= r,
    })
}

fn integer(word: &str) -> Result<i64, String> {
    word.trim()
        .parse()
        .map_err(|_| format!("invalid number '{word}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(words: &[&str]) -> Result<bool, String> {
        evaluate(&words.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn strings_and_emptiness() {
        assert_eq!(eval(&[]), Ok(false));
        assert_eq!(eval(&["x"]), Ok(true));
        assert_eq!(eval(&[""]), Ok(false));
        assert_eq!(eval(&["-z", ""]), Ok(true));
        assert_eq!(eval(&["-n", ""]), Ok(false));
        assert_eq!(eval(&["a", "=", "a"]), Ok(true));
        assert_eq!(eval(&["a", "!=", "a"]), Ok(false));
    }

    #[test]
    fn integers_compare_numerically() {
        assert_eq!(eval(&["10", "-gt", "9"]), Ok(true));
        assert_eq!(eval(&["3", "-eq", "03"]), Ok(true));
        assert_eq!(eval(&["1", "-lt", "1"]), Ok(false));
        assert!(eval(&["x", "-lt", "1"]).is_err());
    }

    #[test]
    fn files_and_negation() {
        assert_eq!(eval(&["-d", "/"]), Ok(true));
        assert_eq!(eval(&["-f", "/"]), Ok(false));
        assert_eq!(eval(&["-e", "/no/such/file"]), Ok(false));
        assert_eq!(eval(&["!", "-e", "/no/such/file"]), Ok(true));
        // With three words and a binary operator in the middle, `!` is just a string.
        assert_eq!(eval(&["!", "=", "!"]), Ok(true));
    }

    #[test]
    fn malformed_expressions_are_errors() {
        assert!(eval(&["-q", "x"]).is_err());
        assert!(eval(&["a", "b", "c", "d"]).is_err());
    }
}
