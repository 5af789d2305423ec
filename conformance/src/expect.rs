//! What a step must produce: an exit code and stdout that is exact, or matches (or lacks)
//! regular expressions; stderr may be matched too.
//!
//! Patterns are searched for in multi-line mode (`^` and `$` are line anchors), so a pattern
//! pins the lines it cares about and ignores volatile ones (ids, "2 seconds ago").

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::shell::Output;

/// The exit code a step must end with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Exit {
    /// Exactly this code.
    Code(i32),
    /// `"nonzero"`: any failure (for commands whose code Docker does not define).
    Word(String),
}

impl Exit {
    fn check(&self, code: i32) -> bool {
        match self {
            Exit::Code(want) => *want == code,
            Exit::Word(_) => code != 0,
        }
    }

    fn validate(&self) -> Result<(), String> {
        match self {
            Exit::Word(w) if w != "nonzero" => {
                Err(format!("exit must be a number or \"nonzero\", not {w:?}"))
            }
            _ => Ok(()),
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exit::Code(c) => write!(f, "{c}"),
            Exit::Word(w) => f.write_str(w),
        }
    }
}

/// One pattern or a list of them, as written in a scenario file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Patterns {
    /// No pattern.
    #[default]
    None,
    /// `stdout_matches = "…"`.
    One(String),
    /// `stdout_matches = ["…", "…"]`.
    Many(Vec<String>),
}

impl Patterns {
    fn compile(self) -> Result<Vec<Regex>, String> {
        let list = match self {
            Patterns::None => vec![],
            Patterns::One(p) => vec![p],
            Patterns::Many(ps) => ps,
        };
        list.iter()
            .map(|p| {
                RegexBuilder::new(p)
                    .multi_line(true)
                    .build()
                    .map_err(|e| format!("bad pattern {p:?}: {e}"))
            })
            .collect()
    }

    fn is_none(&self) -> bool {
        matches!(self, Patterns::None)
    }
}

/// A step's expectations, with its patterns compiled.
#[derive(Debug, Clone)]
pub struct Expect {
    /// The exit code.
    pub exit: Exit,
    /// The whole of stdout, exactly.
    pub stdout: Option<String>,
    /// Patterns stdout must contain.
    pub stdout_matches: Vec<Regex>,
    /// Patterns stdout must not contain.
    pub stdout_lacks: Vec<Regex>,
    /// Patterns stderr must contain.
    pub stderr_matches: Vec<Regex>,
}

impl Expect {
    /// Compiles an expectation; the error names the bad pattern.
    pub fn new(
        exit: Exit,
        stdout: Option<String>,
        matches: Patterns,
        lacks: Patterns,
        stderr: Patterns,
    ) -> Result<Self, String> {
        exit.validate()?;
        Ok(Expect {
            exit,
            stdout,
            stdout_matches: matches.compile()?,
            stdout_lacks: lacks.compile()?,
            stderr_matches: stderr.compile()?,
        })
    }

    /// This expectation with the fields an override sets replaced (an override that sets any
    /// stdout expectation replaces all of them, so it never has to undo Docker's).
    pub fn with(
        &self,
        exit: Option<Exit>,
        stdout: Option<String>,
        matches: Patterns,
        lacks: Patterns,
        stderr: Patterns,
    ) -> Result<Self, String> {
        let mut next = self.clone();
        if let Some(exit) = exit {
            exit.validate()?;
            next.exit = exit;
        }
        if stdout.is_some() || !matches.is_none() || !lacks.is_none() {
            next.stdout = stdout;
            next.stdout_matches = matches.compile()?;
            next.stdout_lacks = lacks.compile()?;
        }
        if !stderr.is_none() {
            next.stderr_matches = stderr.compile()?;
        }
        Ok(next)
    }

    /// Checks an output; the error says the first thing that differs.
    pub fn check(&self, out: &Output) -> Result<(), String> {
        if out.timed_out {
            return Err("timed out".into());
        }
        if !self.exit.check(out.code) {
            return Err(format!(
                "exit {}, expected {}{}",
                out.code,
                self.exit,
                stderr_hint(out)
            ));
        }
        if let Some(want) = &self.stdout {
            if &out.stdout != want {
                return Err(format!(
                    "stdout {:?}, expected {:?}",
                    clip(&out.stdout),
                    clip(want)
                ));
            }
        }
        if let Some(re) = self
            .stdout_matches
            .iter()
            .find(|re| !re.is_match(&out.stdout))
        {
            return Err(format!(
                "stdout {:?} does not match /{}/",
                clip(&out.stdout),
                re.as_str()
            ));
        }
        if let Some(re) = self.stdout_lacks.iter().find(|re| re.is_match(&out.stdout)) {
            return Err(format!(
                "stdout {:?} matches /{}/, which it must not",
                clip(&out.stdout),
                re.as_str()
            ));
        }
        if let Some(re) = self
            .stderr_matches
            .iter()
            .find(|re| !re.is_match(&out.stderr))
        {
            return Err(format!(
                "stderr {:?} does not match /{}/",
                clip(&out.stderr),
                re.as_str()
            ));
        }
        Ok(())
    }
}

/// The first line of stderr, to say why a command failed; else the last line of stdout (where a
/// step that saved a command's log prints it).
fn stderr_hint(out: &Output) -> String {
    if let Some(line) = out.stderr.lines().find(|l| !l.trim().is_empty()) {
        return format!(" (stderr: {})", clip(line));
    }
    match out.stdout.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(" (stdout: {})", clip(line)),
        None => String::new(),
    }
}

/// At most 160 characters of `text`, for reports.
pub fn clip(text: &str) -> String {
    const MAX: usize = 160;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(code: i32, stdout: &str, stderr: &str) -> Output {
        Output {
            code,
            stdout: stdout.into(),
            stderr: stderr.into(),
            timed_out: false,
        }
    }

    fn expect(exit: Exit, stdout: Option<&str>, matches: &[&str], lacks: &[&str]) -> Expect {
        let many = |p: &[&str]| Patterns::Many(p.iter().map(|s| s.to_string()).collect());
        Expect::new(
            exit,
            stdout.map(String::from),
            many(matches),
            many(lacks),
            Patterns::None,
        )
        .unwrap()
    }

    #[test]
    fn the_exit_code_must_be_exact_unless_nonzero_is_asked() {
        assert!(expect(Exit::Code(3), None, &[], &[])
            .check(&out(3, "", ""))
            .is_ok());
        let err = expect(Exit::Code(0), None, &[], &[])
            .check(&out(125, "", "no such image\n"))
            .unwrap_err();
        assert_eq!(err, "exit 125, expected 0 (stderr: no such image)");
        let nonzero = expect(Exit::Word("nonzero".into()), None, &[], &[]);
        assert!(nonzero.check(&out(1, "", "")).is_ok());
        assert!(nonzero.check(&out(0, "", "")).is_err());
    }

    #[test]
    fn a_failure_without_stderr_quotes_the_last_line_of_stdout() {
        let err = expect(Exit::Code(0), None, &[], &[])
            .check(&out(1, "Step 2/2\nbuild failed\n\n", ""))
            .unwrap_err();
        assert_eq!(err, "exit 1, expected 0 (stdout: build failed)");
    }

    #[test]
    fn exact_stdout_includes_the_trailing_newline() {
        let e = expect(Exit::Code(0), Some("hi\n"), &[], &[]);
        assert!(e.check(&out(0, "hi\n", "")).is_ok());
        assert!(e.check(&out(0, "hi", "")).is_err());
    }

    #[test]
    fn patterns_anchor_on_lines_and_lacks_forbids() {
        let e = expect(Exit::Code(0), None, &["^cf-a\\s+Up"], &["^cf-b"]);
        assert!(e.check(&out(0, "NAMES\ncf-a   Up 2 seconds\n", "")).is_ok());
        assert!(e
            .check(&out(0, "NAMES\ncf-a   Up 2 seconds\ncf-b Up\n", ""))
            .is_err());
        assert!(e.check(&out(0, "x cf-a Up\n", "")).is_err());
    }

    #[test]
    fn an_override_replaces_only_what_it_sets() {
        let e = expect(Exit::Code(0), Some("a\n"), &[], &[]);
        let o = e
            .with(
                Some(Exit::Code(125)),
                None,
                Patterns::None,
                Patterns::None,
                Patterns::None,
            )
            .unwrap();
        assert_eq!(o.exit, Exit::Code(125));
        assert_eq!(o.stdout.as_deref(), Some("a\n"));
        let o = e
            .with(
                None,
                None,
                Patterns::One("^b".into()),
                Patterns::None,
                Patterns::None,
            )
            .unwrap();
        assert_eq!(
            o.stdout, None,
            "a new stdout pattern replaces the exact stdout"
        );
    }

    #[test]
    fn a_word_other_than_nonzero_is_rejected() {
        assert!(Expect::new(
            Exit::Word("any".into()),
            None,
            Patterns::None,
            Patterns::None,
            Patterns::None
        )
        .is_err());
    }

    #[test]
    fn a_timed_out_step_fails_whatever_it_printed() {
        let mut o = out(0, "hi\n", "");
        o.timed_out = true;
        assert_eq!(
            expect(Exit::Code(0), None, &[], &[]).check(&o).unwrap_err(),
            "timed out"
        );
    }
}
