//! Word expansion: parameters, command substitution, `~`, field splitting and globbing.
//!
//! Unquoted expansions are split on blanks into several fields (`X="a b"; ls $X` runs
//! `ls a b`), quoted ones never are (`"$X"` is one field). Unquoted `*`, `?` and `[...]` then
//! match file names. The shell supplies variables and command output through [`Context`], so
//! expansion is tested without running anything.

use super::glob;
use super::lexer::{Part, Word};
use super::parser::List;

/// What expansion needs from the shell.
pub trait Context {
    /// A variable or special parameter (`?`, `$`, `#`, `0`, `1`...); `None` when unset.
    fn var(&self, name: &str) -> Option<String>;
    /// `$1`, `$2`, ... as a list, for `"$@"`.
    fn positional(&self) -> Vec<String>;
    /// Runs `$(...)` and returns its output.
    fn command_output(&mut self, program: &List) -> String;
}

/// Builds fields from pieces, tracking which characters came from quotes (so that a quoted `*`
/// is not a pattern and an empty `""` still makes a field).
#[derive(Default)]
struct Fields {
    done: Vec<Field>,
    current: Field,
    started: bool,
}

/// One field: its text, and the same text as a glob pattern with quoted characters escaped.
#[derive(Default)]
struct Field {
    text: String,
    pattern: String,
    has_glob: bool,
}

impl Fields {
    /// Text that is not split and not a pattern.
    fn push_quoted(&mut self, text: &str) {
        self.started = true;
        self.current.text.push_str(text);
        self.current.pattern.push_str(&glob::escape(text));
    }

    /// Unquoted literal text: not split, but may be a pattern.
    fn push_unquoted(&mut self, text: &str) {
        self.started = true;
        self.current.text.push_str(text);
        self.current.pattern.push_str(text);
        self.current.has_glob |= glob::is_pattern(text);
    }

    /// The result of an unquoted expansion: split on blanks, then each piece may be a pattern.
    fn push_split(&mut self, value: &str) {
        for (i, piece) in value.split([' ', '\t', '\n']).enumerate() {
            if i > 0 {
                self.end_field();
            }
            if !piece.is_empty() {
                self.push_unquoted(piece);
            }
        }
    }

    fn end_field(&mut self) {
        if self.started {
            self.done.push(std::mem::take(&mut self.current));
            self.started = false;
        }
    }

    fn finish(mut self, glob_enabled: bool) -> Vec<String> {
        self.end_field();
        let mut out = Vec::new();
        for field in self.done {
            let matches = if glob_enabled && field.has_glob {
                glob::expand(&field.pattern)
            } else {
                Vec::new()
            };
            if matches.is_empty() {
                out.push(field.text);
            } else {
                out.extend(matches);
            }
        }
        out
    }
}

/// Expands words into command arguments (with splitting and globbing).
pub fn fields(words: &[Word], ctx: &mut dyn Context) -> Vec<String> {
    let mut out = Vec::new();
    for word in words {
        let mut fields = Fields::default();
        expand_tilde_and_parts(word, ctx, &mut fields);
        out.extend(fields.finish(true));
    }
    out
}

/// Expands a word into exactly one string, with no splitting or globbing (assignments,
/// redirection targets).
pub fn string(word: &Word, ctx: &mut dyn Context) -> String {
    let mut out = String::new();
    for (i, part) in word.0.iter().enumerate() {
        match part {
            Part::Literal(text) => match tilde_rest(text).filter(|_| i == 0) {
                Some(rest) => {
                    out.push_str(&home(ctx));
                    out.push_str(rest);
                }
                None => out.push_str(text),
            },
            Part::Quoted(text) => out.push_str(text),
            Part::Param { name, default, .. } => {
                out.push_str(&param_value(name, default.as_deref(), ctx));
            }
            Part::Command { program, .. } => out.push_str(&command_output(program, ctx)),
        }
    }
    out
}

fn expand_tilde_and_parts(word: &Word, ctx: &mut dyn Context, fields: &mut Fields) {
    for (i, part) in word.0.iter().enumerate() {
        match part {
            Part::Literal(text) => match tilde_rest(text).filter(|_| i == 0) {
                Some(rest) => {
                    fields.push_quoted(&home(ctx));
                    fields.push_unquoted(rest);
                }
                None => fields.push_unquoted(text),
            },
            Part::Quoted(text) => fields.push_quoted(text),
            Part::Param {
                name, quoted: true, ..
            } if name == "@" => {
                for (i, arg) in ctx.positional().iter().enumerate() {
                    if i > 0 {
                        fields.end_field();
                    }
                    fields.push_quoted(arg);
                }
            }
            Part::Param {
                name,
                default,
                quoted,
            } => {
                let value = param_value(name, default.as_deref(), ctx);
                if *quoted {
                    fields.push_quoted(&value);
                } else {
                    fields.push_split(&value);
                }
            }
            Part::Command { program, quoted } => {
                let output = command_output(program, ctx);
                if *quoted {
                    fields.push_quoted(&output);
                } else {
                    fields.push_split(&output);
                }
            }
        }
    }
}

/// What follows `~` when a word starts with `~` or `~/` (other `~user` forms are left alone).
fn tilde_rest(text: &str) -> Option<&str> {
    text.strip_prefix('~')
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn home(ctx: &dyn Context) -> String {
    ctx.var("HOME").unwrap_or_else(|| "/".into())
}

/// Command output loses its trailing newlines (`$(hostname)` is just the name).
fn command_output(program: &List, ctx: &mut dyn Context) -> String {
    let mut output = ctx.command_output(program);
    output.truncate(output.trim_end_matches('\n').len());
    output
}

/// A parameter's value, or its `${NAME:-word}` fallback.
fn param_value(
    name: &str,
    fallback: Option<&super::lexer::Fallback>,
    ctx: &mut dyn Context,
) -> String {
    let value = ctx.var(name);
    match fallback {
        Some(fallback)
            if value.is_none() || (fallback.if_empty && value.as_deref() == Some("")) =>
        {
            string(&fallback.word, ctx)
        }
        _ => value.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::parser::{parse, Command};
    use super::*;

    /// Variables from a map; `$(echo WORDS)` "prints" WORDS (plus two newlines to strip).
    struct Fake {
        vars: HashMap<String, String>,
        args: Vec<String>,
        substitutions: usize,
    }

    impl Context for Fake {
        fn var(&self, name: &str) -> Option<String> {
            match name {
                "#" => Some(self.args.len().to_string()),
                "@" | "*" => Some(self.args.join(" ")),
                _ => self.vars.get(name).cloned(),
            }
        }

        fn positional(&self) -> Vec<String> {
            self.args.clone()
        }

        fn command_output(&mut self, program: &List) -> String {
            self.substitutions += 1;
            let Command::Simple(cmd) = &program[0].and_or.first.commands[0] else {
                return String::new();
            };
            let words: Vec<&str> = cmd.words[1..].iter().filter_map(|w| w.literal()).collect();
            format!("{}\n\n", words.join(" "))
        }
    }

    fn fake() -> Fake {
        let vars = [
            ("HOME", "/root"),
            ("X", "a  b"),
            ("EMPTY", ""),
            ("$", "1"),
            ("?", "3"),
            ("STAR", "*"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Fake {
            vars,
            args: vec!["one".into(), "two words".into()],
            substitutions: 0,
        }
    }

    /// Parses `echo WORDS` and expands the words after `echo`.
    fn expand(src: &str) -> Vec<String> {
        let list = parse(&format!("echo {src}")).unwrap();
        let Command::Simple(cmd) = &list[0].and_or.first.commands[0] else {
            panic!()
        };
        fields(&cmd.words[1..], &mut fake())
    }

    #[test]
    fn variables_braces_and_specials() {
        assert_eq!(
            expand("$HOME ${HOME}x $$ $? $#"),
            ["/root", "/rootx", "1", "3", "2"]
        );
    }

    #[test]
    fn unquoted_expansions_split_on_blanks_quoted_ones_do_not() {
        assert_eq!(expand("$X"), ["a", "b"]);
        assert_eq!(expand("\"$X\""), ["a  b"]);
        assert_eq!(expand("pre$X.post"), ["prea", "b.post"]);
    }

    #[test]
    fn empty_unquoted_expansions_vanish_but_empty_quotes_stay() {
        assert_eq!(expand("$EMPTY $UNSET x"), ["x"]);
        assert_eq!(expand("\"$EMPTY\" ''"), ["", ""]);
    }

    #[test]
    fn single_quotes_and_escapes_prevent_expansion() {
        assert_eq!(expand(r"'$HOME' \$HOME"), ["$HOME", "$HOME"]);
    }

    #[test]
    fn fallback_values_for_unset_or_empty() {
        assert_eq!(
            expand("${UNSET:-dflt} ${EMPTY:-e} ${EMPTY-kept} ${HOME:-no}"),
            ["dflt", "e", "/root"]
        );
        assert_eq!(expand("\"${UNSET:-two words}\""), ["two words"]);
    }

    #[test]
    fn quoted_at_keeps_each_positional_parameter_whole() {
        assert_eq!(expand("\"$@\""), ["one", "two words"]);
        assert_eq!(expand("$@"), ["one", "two", "words"]);
        assert_eq!(expand("\"$*\""), ["one two words"]);
    }

    #[test]
    fn command_substitution_drops_trailing_newlines_and_splits_unquoted() {
        assert_eq!(expand("$(echo a b)"), ["a", "b"]);
        assert_eq!(expand("\"$(echo a b)\""), ["a b"]);
    }

    #[test]
    fn tilde_expands_to_home_at_word_start_only() {
        assert_eq!(expand("~ ~/x a~"), ["/root", "/root/x", "a~"]);
        assert_eq!(expand("'~'"), ["~"]);
    }

    #[test]
    fn string_expansion_never_splits() {
        let list = parse("A=$X").unwrap();
        let Command::Simple(cmd) = &list[0].and_or.first.commands[0] else {
            panic!()
        };
        assert_eq!(string(&cmd.assignments[0].1, &mut fake()), "a  b");
    }

    #[test]
    fn quoted_or_unmatched_patterns_stay_literal() {
        assert_eq!(expand("'*' \"$STAR\""), ["*", "*"]);
        assert_eq!(expand("/no/such/dir/*.txt"), ["/no/such/dir/*.txt"]);
    }
}
