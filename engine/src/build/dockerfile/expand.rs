//! Turning a raw word into its value: quote removal and `$VAR` substitution, as Docker does it.
//!
//! Docker expands variables itself (not through a shell) in FROM, ENV, ARG, LABEL, WORKDIR, USER,
//! EXPOSE, VOLUME, COPY and ADD. RUN, CMD and ENTRYPOINT are left alone: a shell expands those when
//! the command runs. The rules are a small part of the POSIX shell's:
//!
//! | written | value |
//! |---|---|
//! | `$NAME`, `${NAME}` | the variable, or empty when unset |
//! | `${NAME:-word}` / `${NAME-word}` | `word` when NAME is unset or empty / unset |
//! | `${NAME:+word}` / `${NAME+word}` | `word` when NAME is set and not empty / set, else empty |
//! | `${NAME:?msg}` / `${NAME?msg}` | an error saying `msg` when NAME is unset or empty / unset |
//! | `'…'` | literal text |
//! | `"…"` | text in which variables expand; the escape character escapes `"`, `$` and itself |
//! | `\c` outside quotes | the character `c` |

/// Why a word could not be expanded: the byte offset in the word and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    /// Byte offset of the problem in the raw word.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Expands `raw`, looking variables up with `lookup`.
pub fn expand(
    raw: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ExpandError> {
    let mut expander = Expander {
        chars: raw.char_indices().collect(),
        at: 0,
        escape,
        lookup,
        len: raw.len(),
    };
    expander.word(None)
}

/// A cursor over the word's characters.
struct Expander<'a> {
    chars: Vec<(usize, char)>,
    at: usize,
    escape: char,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    len: usize,
}

impl Expander<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).map(|&(_, c)| c)
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.at += 1;
        c
    }

    /// The byte offset of the character at the cursor (the word's length at its end).
    fn offset(&self) -> usize {
        self.chars.get(self.at).map_or(self.len, |&(i, _)| i)
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> ExpandError {
        ExpandError {
            offset,
            message: message.into(),
        }
    }

    // ANCHOR: expand_word
    /// Reads until `stop` (exclusive; used for the `word` in `${NAME:-word}`) or the end.
    fn word(&mut self, stop: Option<char>) -> Result<String, ExpandError> {
        let mut out = String::new();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                return Ok(out);
            }
            self.next();
            match ch {
                '\'' => out.push_str(&self.single_quoted()?),
                '"' => out.push_str(&self.double_quoted()?),
                '$' => out.push_str(&self.dollar()?),
                c if c == self.escape => out.extend(self.next()),
                c => out.push(c),
            }
        }
        match stop {
            Some(stop) => Err(self.error(
                self.len,
                format!("unterminated substitution: expected {stop}"),
            )),
            None => Ok(out),
        }
    }
    // ANCHOR_END: expand_word

    fn single_quoted(&mut self) -> Result<String, ExpandError> {
        let start = self.offset() - 1;
        let mut out = String::new();
        loop {
            match self.next() {
                Some('\'') => return Ok(out),
                Some(c) => out.push(c),
                None => {
                    return Err(self.error(start, "unterminated single quote: expected a closing '"))
                }
            }
        }
    }

    fn double_quoted(&mut self) -> Result<String, ExpandError> {
        let start = self.offset() - 1;
        let mut out = String::new();
        loop {
            match self.next() {
                Some('"') => return Ok(out),
                Some('$') => out.push_str(&self.dollar()?),
                Some(c) if c == self.escape => match self.peek() {
                    Some(n) if n == '"' || n == '$' || n == self.escape => out.extend(self.next()),
                    _ => out.push(c),
                },
                Some(c) => out.push(c),
                None => {
                    return Err(
                        self.error(start, "unterminated double quote: expected a closing \"")
                    )
                }
            }
        }
    }

    /// After a `$`: a variable, a `${…}` substitution, or a literal `$`.
    fn dollar(&mut self) -> Result<String, ExpandError> {
        match self.peek() {
            Some('{') => {
                self.next();
                self.braced()
            }
            Some(c) if is_name_char(c) => {
                let name = self.name();
                Ok(self.value(&name).unwrap_or_default())
            }
            _ => Ok("$".to_string()),
        }
    }

    /// After `${`: `NAME}` or `NAME` + modifier + word + `}`.
    fn braced(&mut self) -> Result<String, ExpandError> {
        let start = self.offset().saturating_sub(2);
        let name = self.name();
        if name.is_empty() {
            return Err(self.error(start, "bad substitution: expected a variable name after ${"));
        }
        let value = self.value(&name);
        let modifier_at = self.offset();
        let (colon, modifier) = match self.next() {
            Some('}') => return Ok(value.unwrap_or_default()),
            Some(':') => (true, self.next()),
            other => (false, other),
        };
        let Some(modifier @ ('-' | '+' | '?')) = modifier else {
            let found = modifier.map_or("the end".to_string(), |c| format!("{c:?}"));
            return Err(self.error(
                modifier_at,
                format!("bad substitution ${{{name}…}}: expected }}, :-, -, :+, +, :? or ? but found {found}"),
            ));
        };
        let word = self.word(Some('}'))?;
        self.next(); // the closing brace
        let set = value.is_some();
        let usable = value.as_deref().is_some_and(|v| !(colon && v.is_empty()));
        match modifier {
            '-' => Ok(if usable {
                value.unwrap_or_default()
            } else {
                word
            }),
            '+' => Ok(if usable { word } else { String::new() }),
            _ if usable => Ok(value.unwrap_or_default()),
            _ => {
                let why = if !word.is_empty() {
                    word
                } else if set {
                    "is empty".into()
                } else {
                    "is not set".into()
                };
                Err(self.error(start, format!("{name}: {why}")))
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek().filter(|&c| is_name_char(c)) {
            name.push(c);
            self.next();
        }
        name
    }

    fn value(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Writes `value` as a raw word that expands back to exactly `value` (double-quoted, with `"`,
/// `$` and the escape character escaped).
pub fn quote(value: &str, escape: char) -> String {
    let mut raw = String::with_capacity(value.len() + 2);
    raw.push('"');
    for c in value.chars() {
        if c == '"' || c == '$' || c == escape {
            raw.push(escape);
        }
        raw.push(c);
    }
    raw.push('"');
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/root".into()),
            "EMPTY" => Some(String::new()),
            "TZ" => Some("Asia/Shanghai".into()),
            _ => None,
        }
    }

    fn x(raw: &str) -> String {
        expand(raw, '\\', &env).unwrap()
    }

    #[test]
    fn plain_and_braced_variables_expand_and_unset_ones_are_empty() {
        assert_eq!(x("$HOME/bin"), "/root/bin");
        assert_eq!(x("${HOME}bin"), "/rootbin");
        assert_eq!(x("a${NOPE}b$NOPE"), "ab");
        assert_eq!(
            x("/usr/share/zoneinfo/${TZ}"),
            "/usr/share/zoneinfo/Asia/Shanghai"
        );
    }

    #[test]
    fn defaults_and_alternatives_follow_the_shell() {
        assert_eq!(x("${NOPE:-def}"), "def");
        assert_eq!(x("${EMPTY:-def}"), "def");
        assert_eq!(x("${EMPTY-def}"), "");
        assert_eq!(x("${HOME:-def}"), "/root");
        assert_eq!(x("${HOME:+alt}"), "alt");
        assert_eq!(x("${EMPTY:+alt}"), "");
        assert_eq!(x("${EMPTY+alt}"), "alt");
        assert_eq!(
            x("${NOPE:-${HOME}/x}"),
            "/root/x",
            "the default is itself expanded"
        );
        assert_eq!(x("${NOPE:-'a b'}"), "a b");
    }

    #[test]
    fn required_variables_fail_with_their_message() {
        let err = expand("x${NOPE:?set NOPE please}", '\\', &env).unwrap_err();
        assert_eq!(
            err,
            ExpandError {
                offset: 1,
                message: "NOPE: set NOPE please".into()
            }
        );
        assert_eq!(
            expand("${EMPTY:?}", '\\', &env).unwrap_err().message,
            "EMPTY: is empty"
        );
        assert_eq!(x("${EMPTY?}"), "");
    }

    #[test]
    fn quotes_are_removed_and_single_quotes_keep_dollars() {
        assert_eq!(x(r#""a b $HOME""#), "a b /root");
        assert_eq!(x("'$HOME'"), "$HOME");
        assert_eq!(x(r#""\$HOME \"q\" \x""#), r#"$HOME "q" \x"#);
        assert_eq!(x(r"\$HOME\ x"), "$HOME x");
        assert_eq!(x("cost: $ 5 $"), "cost: $ 5 $");
    }

    #[test]
    fn malformed_substitutions_point_at_their_start() {
        let err = expand("ab${}", '\\', &env).unwrap_err();
        assert_eq!(err.offset, 2);
        let err = expand("${HOME", '\\', &env).unwrap_err();
        assert!(err.message.contains("expected }"), "{err:?}");
        let err = expand("${HOME:-x", '\\', &env).unwrap_err();
        assert_eq!(err.message, "unterminated substitution: expected }");
        let err = expand("${HOME%x}", '\\', &env).unwrap_err();
        assert_eq!(err.offset, 6);
        let err = expand("ok 'open", '\\', &env).unwrap_err();
        assert_eq!(err.offset, 3);
    }

    #[test]
    fn the_escape_directive_changes_the_escape_character() {
        assert_eq!(expand(r"C:\dir`$HOME", '`', &env).unwrap(), r"C:\dir$HOME");
    }

    proptest::proptest! {
        #[test]
        fn a_quoted_value_expands_back_to_itself(value in "\\PC*", backtick in proptest::bool::ANY) {
            let escape = if backtick { '`' } else { '\\' };
            let raw = quote(&value, escape);
            proptest::prop_assert_eq!(expand(&raw, escape, &|_| Some("X".into())).unwrap(), value);
        }
    }
}
