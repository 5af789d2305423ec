//! From the file's physical lines to logical lines, one per instruction.
//!
//! Three things happen here, in the order Docker does them:
//! 1. *Parser directives* (`# escape=\``) are read from the top of the file, until the first line
//!    that is not one. They must come first because they change how the rest is read.
//! 2. Blank lines and comment lines (`#` as the first non-blank character) are dropped — also in
//!    the middle of a continued instruction, where Docker allows them too.
//! 3. A line ending in the escape character (then optional spaces) continues on the next line:
//!    the escape character and the newline are removed and the lines are joined as they are.
//!
//! Each logical line remembers where its pieces came from, so that later errors can point at the
//! right physical line and column.

use serde::Serialize;

use super::error::{ParseError, Pos};

/// The escape character Docker uses unless a `# escape=` directive says otherwise.
pub const DEFAULT_ESCAPE: char = '\\';

/// What the parser directives at the top of the file set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Directives {
    /// The escape character: `\` (default) or `` ` `` (handy on Windows paths).
    pub escape: char,
    /// `# syntax=`: the frontend image BuildKit would use; ferry records it and ignores it.
    pub syntax: Option<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Self {
            escape: DEFAULT_ESCAPE,
            syntax: None,
        }
    }
}

/// One instruction's text, continuations joined, with where each part of it came from.
#[derive(Debug, Clone)]
pub struct LogicalLine {
    /// The joined text, starting at the instruction keyword.
    pub text: String,
    pieces: Vec<Piece>,
}

/// A physical line's contribution to a logical line: it starts at byte `offset` of the joined
/// text and at (`line`, `column`) of the file.
#[derive(Debug, Clone, Copy)]
struct Piece {
    offset: usize,
    line: usize,
    column: usize,
}

impl LogicalLine {
    fn new() -> Self {
        Self {
            text: String::new(),
            pieces: Vec::new(),
        }
    }

    fn push(&mut self, content: &str, line: usize, column: usize) {
        self.pieces.push(Piece {
            offset: self.text.len(),
            line,
            column,
        });
        self.text.push_str(content);
    }

    /// The file position of byte `offset` of [`text`](Self::text) (the end of the text when
    /// `offset` is past it: that is where "expected more" errors point).
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let piece = self
            .pieces
            .iter()
            .rev()
            .find(|p| p.offset <= offset)
            .copied();
        let piece = piece.unwrap_or(Piece {
            offset: 0,
            line: 1,
            column: 1,
        });
        let chars = self.text[piece.offset..offset].chars().count();
        Pos::new(piece.line, piece.column + chars)
    }

    /// The position where the instruction starts.
    pub fn start(&self) -> Pos {
        self.pos(0)
    }
}

// ANCHOR: logical_lines
/// Splits a Dockerfile into its directives and its logical lines.
pub fn split(source: &str) -> Result<(Directives, Vec<LogicalLine>), ParseError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let mut lines = source
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .peekable();
    let directives = read_directives(&mut lines)?;
    let escape = directives.escape;
    let mut logical_lines = Vec::new();
    while let Some((number, line)) = lines.next() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let column = 1 + line[..line.len() - content.len()].chars().count();
        let mut logical = LogicalLine::new();
        let (first, mut continues) = strip_continuation(content, escape);
        logical.push(first, number, column);
        while continues {
            let Some((number, line)) = lines.next() else {
                break;
            };
            let is_comment = line.trim_start().starts_with('#');
            if is_comment || line.trim().is_empty() {
                continue; // Docker skips both inside a continued instruction
            }
            let (piece, more) = strip_continuation(line, escape);
            logical.push(piece, number, 1);
            continues = more;
        }
        if !logical.text.trim().is_empty() {
            logical_lines.push(logical);
        }
    }
    Ok((directives, logical_lines))
}

/// Removes a trailing escape character (and the blanks after it): `(rest, true)` when the
/// instruction continues on the next line.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(rest) => (rest, true),
        None => (line, false),
    }
}
// ANCHOR_END: logical_lines

/// Reads `# name=value` lines from the top of the file; the first other line ends them.
fn read_directives<'a>(
    lines: &mut std::iter::Peekable<impl Iterator<Item = (usize, &'a str)>>,
) -> Result<Directives, ParseError> {
    let mut directives = Directives::default();
    let mut seen = Vec::new();
    while let Some(&(number, line)) = lines.peek() {
        let Some((name, value, column)) = directive(line) else {
            break;
        };
        lines.next();
        let pos = Pos::new(number, column);
        if seen.contains(&name) {
            return Err(ParseError::new(
                pos,
                format!("only one {name} parser directive can be used"),
            ));
        }
        match name.as_str() {
            "escape" => directives.escape = escape_token(value, pos)?,
            "syntax" => directives.syntax = Some(value.to_string()),
            "check" => {}
            _ => break, // an unknown directive is a comment, and comments end the directives
        }
        seen.push(name);
    }
    Ok(directives)
}

/// `# name = value` → (lowercase name, value, column of the value).
fn directive(line: &str) -> Option<(String, &str, usize)> {
    let rest = line.trim_start().strip_prefix('#')?.trim_start();
    let (name, value) = rest.split_once('=')?;
    let name = name.trim_end();
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric());
    let value_trimmed = value.trim();
    if !valid || value_trimmed.is_empty() {
        return None;
    }
    let value_start = line.len() - value.trim_start().len();
    let column = 1 + line[..value_start].chars().count();
    Some((name.to_ascii_lowercase(), value_trimmed, column))
}

fn escape_token(value: &str, pos: Pos) -> Result<char, ParseError> {
    match value {
        "\\" => Ok('\\'),
        "`" => Ok('`'),
        other => Err(ParseError::new(
            pos,
            format!("invalid escape token {other:?}: expected ` or \\"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<String> {
        split(source)
            .unwrap()
            .1
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn continuations_are_joined_without_the_escape_and_newline() {
        let source = "RUN apk add a \\\n    b && \\  \n  c\nCMD x\n";
        assert_eq!(texts(source), ["RUN apk add a     b &&   c", "CMD x"]);
    }

    #[test]
    fn comments_and_blank_lines_vanish_even_inside_a_continuation() {
        let source = "# a comment\n\nRUN a \\\n# inside\n\n  b\n   # indented comment\n";
        assert_eq!(texts(source), ["RUN a   b"]);
    }

    #[test]
    fn positions_point_into_the_physical_lines() {
        let (_, lines) = split("\n  RUN a \\\n  bcd").unwrap();
        let line = &lines[0];
        assert_eq!(line.start(), Pos::new(2, 3));
        let b = line.text.find('b').unwrap();
        assert_eq!(line.pos(b), Pos::new(3, 3));
        assert_eq!(
            line.pos(line.text.len()),
            Pos::new(3, 6),
            "the end of the text"
        );
    }

    #[test]
    fn the_escape_directive_changes_the_continuation_character() {
        let source = "# escape=`\nRUN dir c:\\ `\n  /w\n";
        let (directives, lines) = split(source).unwrap();
        assert_eq!(directives.escape, '`');
        assert_eq!(lines[0].text, "RUN dir c:\\   /w");
    }

    #[test]
    fn directives_stop_at_the_first_other_line() {
        let (directives, _) = split("# syntax=docker/dockerfile:1\n\n# escape=`\nFROM a").unwrap();
        assert_eq!(directives.syntax.as_deref(), Some("docker/dockerfile:1"));
        assert_eq!(
            directives.escape, '\\',
            "the escape line came after a blank line: a comment"
        );
    }

    #[test]
    fn a_bad_or_repeated_escape_directive_is_an_error_at_its_value() {
        let err = split("# escape=x\nFROM a").unwrap_err();
        assert_eq!(err.pos, Pos::new(1, 10));
        assert!(err.message.contains("expected ` or \\"), "{err}");
        let err = split("# escape=`\n# escape=\\\nFROM a").unwrap_err();
        assert_eq!(err.pos.line, 2);
        assert!(err.message.contains("only one escape"), "{err}");
    }
}
