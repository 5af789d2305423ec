//! Where a Dockerfile goes wrong, said precisely: the line, the column, and what was expected.

use serde::{Serialize, Serializer};

/// A place in a Dockerfile: 1-based line and 1-based column (counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// The line, starting at 1.
    pub line: usize,
    /// The column, starting at 1.
    pub column: usize,
}

impl Pos {
    /// A position; lines and columns start at 1.
    pub fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }
}

/// Written `line:column`, as editors and compilers do.
impl Serialize for Pos {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}:{}", self.line, self.column))
    }
}

/// A Dockerfile that cannot be parsed or expanded, with the place that made it so.
///
/// The message says what was found and what was expected, so that a learner can fix the line
/// without knowing the parser: `line 4, column 5: ENV needs name=value pairs: "x" has no "="`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {}, column {}: {message}", pos.line, pos.column)]
pub struct ParseError {
    /// Where the problem starts.
    pub pos: Pos,
    /// What is wrong, and what was expected instead.
    pub message: String,
}

impl ParseError {
    /// An error at `pos`.
    pub fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            pos,
            message: message.into(),
        }
    }
}
