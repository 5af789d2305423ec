//! The shell tokenizer: turns source text into words and operators.
//!
//! Quoting is resolved here, once: a [`Word`] is a list of [`Part`]s that remember whether they
//! were quoted, because that decides later whether an expansion is split into several fields.
//! `$(...)` is parsed right away (recursively), so syntax errors inside it surface early.

use std::fmt;

use super::parser::{self, List, ParseError};

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text. Only unquoted text can be a keyword or start an assignment.
    Literal(String),
    /// Text from `'...'`, `"..."` or a backslash escape: taken exactly as written.
    Quoted(String),
    /// `$NAME`, `${NAME}`, `${NAME:-word}` and the special parameters `$? $$ $! $# $@ $* $0-$9`.
    Param {
        name: String,
        default: Option<Box<Fallback>>,
        quoted: bool,
    },
    /// `$(commands)`: replaced by the commands' output.
    Command { program: List, quoted: bool },
}

/// The `word` of `${NAME:-word}` (`if_empty`) or `${NAME-word}` (only when unset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    pub if_empty: bool,
    pub word: Word,
}

/// A shell word: adjacent parts with no blank between them (`a"b"$c` is one word).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word(pub Vec<Part>);

impl Word {
    /// The text of a word made of one unquoted literal (how keywords are recognized).
    pub fn literal(&self) -> Option<&str> {
        match &self.0[..] {
            [Part::Literal(text)] => Some(text),
            _ => None,
        }
    }
}

/// Which redirection an operator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    Read,
    /// `>`
    Write,
    /// `>>`
    Append,
    /// `>&N`: make this fd a copy of output fd N.
    DupOut,
    /// `<&N`: make this fd a copy of input fd N.
    DupIn,
}

/// A token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    Newline,
    /// `;`
    Semi,
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `|`
    Pipe,
    /// `&`
    Amp,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// A redirection operator with its explicit fd (`2>`), if any.
    Redirect {
        fd: Option<i32>,
        op: RedirOp,
    },
}

impl fmt::Display for Token {
    /// How a token is quoted in "unexpected" syntax errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Token::Word(word) => return f.write_str(word.literal().unwrap_or("word")),
            Token::Newline => "newline",
            Token::Semi => ";",
            Token::AndIf => "&&",
            Token::OrIf => "||",
            Token::Pipe => "|",
            Token::Amp => "&",
            Token::LParen => "(",
            Token::RParen => ")",
            Token::Redirect {
                op: RedirOp::Read, ..
            } => "<",
            Token::Redirect {
                op: RedirOp::Write, ..
            } => ">",
            Token::Redirect {
                op: RedirOp::Append,
                ..
            } => ">>",
            Token::Redirect {
                op: RedirOp::DupOut,
                ..
            } => ">&",
            Token::Redirect {
                op: RedirOp::DupIn, ..
            } => "<&",
        };
        f.write_str(text)
    }
}

/// Splits `src` into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        chars: src.chars().collect(),
        pos: 0,
    };
    let mut tokens = Vec::new();
    while let Some(token) = lexer.next_token()? {
        tokens.push(token);
    }
    Ok(tokens)
}

struct Lexer {
    chars: Vec<char>,
    pos: usize,
}

/// Characters that end an unquoted word.
fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Collects literal text and flushes it into a part list when something else comes.
#[derive(Default)]
struct PartsBuilder {
    parts: Vec<Part>,
    text: String,
    quoted: bool,
}

impl PartsBuilder {
    fn flush(&mut self) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.parts.push(if self.quoted {
                Part::Quoted(text)
            } else {
                Part::Literal(text)
            });
        }
    }

    fn push(&mut self, part: Part) {
        self.flush();
        self.parts.push(part);
    }

    fn finish(mut self) -> Vec<Part> {
        self.flush();
        self.parts
    }
}

impl Lexer {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    fn next_token(&mut self) -> Result<Option<Token>, ParseError> {
        self.skip_blanks();
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let simple = match c {
            '\n' => Some(Token::Newline),
            ';' => Some(Token::Semi),
            '(' => Some(Token::LParen),
            ')' => Some(Token::RParen),
            _ => None,
        };
        if let Some(token) = simple {
            self.pos += 1;
            return Ok(Some(token));
        }
        let token = match c {
            '#' => {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
                return self.next_token();
            }
            '&' => {
                self.pos += 1;
                if self.eat('&') {
                    Token::AndIf
                } else {
                    Token::Amp
                }
            }
            '|' => {
                self.pos += 1;
                if self.eat('|') {
                    Token::OrIf
                } else {
                    Token::Pipe
                }
            }
            '<' | '>' => self.redirect(None),
            _ => {
                let word = self.word()?;
                let fd = word
                    .literal()
                    .filter(|l| l.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|l| l.parse().ok());
                match fd {
                    Some(fd) if matches!(self.peek(), Some('<' | '>')) => self.redirect(Some(fd)),
                    _ => Token::Word(word),
                }
            }
        };
        Ok(Some(token))
    }

    /// Skips spaces, tabs and backslash-newline line continuations.
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t') => self.pos += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.pos += 2,
                _ => return,
            }
        }
    }

    fn redirect(&mut self, fd: Option<i32>) -> Token {
        let op = if self.eat('<') {
            if self.eat('&') {
                RedirOp::DupIn
            } else {
                RedirOp::Read
            }
        } else {
            self.pos += 1; // '>'
            if self.eat('>') {
                RedirOp::Append
            } else if self.eat('&') {
                RedirOp::DupOut
            } else {
                self.eat('|'); // `>|` (clobber) is plain `>` here
                RedirOp::Write
            }
        };
        Token::Redirect { fd, op }
    }

    /// Reads one word up to an unquoted delimiter.
    fn word(&mut self) -> Result<Word, ParseError> {
        let mut parts = PartsBuilder::default();
        while let Some(c) = self.peek() {
            if is_delimiter(c) {
                break;
            }
            self.word_char(c, &mut parts)?;
        }
        Ok(Word(parts.finish()))
    }

    /// Handles one character (or construct starting with it) of an unquoted word.
    fn word_char(&mut self, c: char, parts: &mut PartsBuilder) -> Result<(), ParseError> {
        match c {
            '\\' => {
                self.pos += 1;
                match self.peek() {
                    None => parts.text.push('\\'),
                    Some('\n') => self.pos += 1,
                    Some(escaped) => {
                        self.pos += 1;
                        parts.push(Part::Quoted(escaped.to_string()));
                    }
                }
            }
            '\'' => {
                self.pos += 1;
                let start = self.pos;
                while self
                    .peek()
                    .ok_or(ParseError::Unterminated("quoted string"))?
                    != '\''
                {
                    self.pos += 1;
                }
                let text: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                parts.push(Part::Quoted(text));
            }
            '"' => {
                self.pos += 1;
                let inner = self.double_quoted()?;
                parts.flush();
                parts.parts.extend(inner);
            }
            '$' => {
                let part = self.dollar(false)?;
                parts.push(part);
            }
            other => {
                self.pos += 1;
                parts.text.push(other);
            }
        }
        Ok(())
    }

    /// The inside of `"..."` (the opening quote already consumed): only `$` and `\` are special.
    fn double_quoted(&mut self) -> Result<Vec<Part>, ParseError> {
        let mut parts = PartsBuilder {
            quoted: true,
            ..PartsBuilder::default()
        };
        loop {
            let c = self
                .peek()
                .ok_or(ParseError::Unterminated("quoted string"))?;
            match c {
                '"' => {
                    self.pos += 1;
                    let parts = parts.finish();
                    // `""` still makes a (empty) word.
                    return Ok(if parts.is_empty() {
                        vec![Part::Quoted(String::new())]
                    } else {
                        parts
                    });
                }
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('\n') => self.pos += 1,
                        Some(e @ ('$' | '`' | '"' | '\\')) => {
                            self.pos += 1;
                            parts.text.push(e);
                        }
                        _ => parts.text.push('\\'),
                    }
                }
                '$' => {
                    let part = self.dollar(true)?;
                    parts.push(part);
                }
                other => {
                    self.pos += 1;
                    parts.text.push(other);
                }
            }
        }
    }

    /// A `$` construct; a `$` that starts nothing is just a dollar sign.
    fn dollar(&mut self, quoted: bool) -> Result<Part, ParseError> {
        self.pos += 1;
        let param = |name: String| Part::Param {
            name,
            default: None,
            quoted,
        };
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                self.braced_param(quoted)
            }
            Some('(') => {
                self.pos += 1;
                let program = self.command_substitution()?;
                Ok(Part::Command { program, quoted })
            }
            Some(c @ ('?' | '$' | '!' | '#' | '@' | '*' | '-' | '0'..='9')) => {
                self.pos += 1;
                Ok(param(c.to_string()))
            }
            Some(c) if is_name_start(c) => Ok(param(self.name())),
            _ => Ok(if quoted {
                Part::Quoted("$".into())
            } else {
                Part::Literal("$".into())
            }),
        }
    }

    fn name(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// `${NAME}`, `${NAME:-word}`, `${NAME-word}` (after the `{`).
    fn braced_param(&mut self, quoted: bool) -> Result<Part, ParseError> {
        let name = match self.peek() {
            Some(c @ ('?' | '$' | '!' | '#' | '@' | '*' | '-' | '0'..='9')) => {
                self.pos += 1;
                c.to_string()
            }
            Some(c) if is_name_start(c) => self.name(),
            _ => return Err(ParseError::BadSubstitution),
        };
        let default = if self.eat('}') {
            None
        } else {
            let if_empty = self.eat(':');
            if !self.eat('-') {
                return Err(ParseError::BadSubstitution);
            }
            let word = self.fallback_word()?;
            Some(Box::new(Fallback { if_empty, word }))
        };
        Ok(Part::Param {
            name,
            default,
            quoted,
        })
    }

    /// The word of `${NAME:-word}` up to the closing `}`; blanks and operators are literal here.
    fn fallback_word(&mut self) -> Result<Word, ParseError> {
        let mut parts = PartsBuilder::default();
        loop {
            match self.peek() {
                None => return Err(ParseError::Unterminated("${")),
                Some('}') => {
                    self.pos += 1;
                    return Ok(Word(parts.finish()));
                }
                Some(c) => self.word_char(c, &mut parts)?,
            }
        }
    }

    /// `$(...)` (after the `(`): finds the matching `)` and parses what is between.
    fn command_substitution(&mut self) -> Result<List, ParseError> {
        let start = self.pos;
        let mut depth = 1;
        while depth > 0 {
            let c = self.peek().ok_or(ParseError::Unterminated("$("))?;
            self.pos += 1;
            match c {
                '\\' => self.pos += 1,
                '\'' => self.skip_past('\'')?,
                '"' => self.skip_double_quoted()?,
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
        }
        let inner: String = self.chars[start..self.pos - 1].iter().collect();
        parser::parse(&inner)
    }

    fn skip_past(&mut self, end: char) -> Result<(), ParseError> {
        while self
            .peek()
            .ok_or(ParseError::Unterminated("quoted string"))?
            != end
        {
            self.pos += 1;
        }
        self.pos += 1;
        Ok(())
    }

    fn skip_double_quoted(&mut self) -> Result<(), ParseError> {
        loop {
            match self
                .peek()
                .ok_or(ParseError::Unterminated("quoted string"))?
            {
                '\\' => self.pos += 2,
                '"' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => self.pos += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Part {
        Part::Literal(s.into())
    }

    fn quoted(s: &str) -> Part {
        Part::Quoted(s.into())
    }

    fn word(parts: Vec<Part>) -> Token {
        Token::Word(Word(parts))
    }

    fn param(name: &str, quoted: bool) -> Part {
        Part::Param {
            name: name.into(),
            default: None,
            quoted,
        }
    }

    #[test]
    fn blanks_separate_words() {
        let tokens = tokenize("echo  hello\tworld").unwrap();
        assert_eq!(
            tokens,
            [
                word(vec![lit("echo")]),
                word(vec![lit("hello")]),
                word(vec![lit("world")])
            ]
        );
    }

    #[test]
    fn single_quotes_keep_everything_literal() {
        let tokens = tokenize(r#"'a $b "c" \d'"#).unwrap();
        assert_eq!(tokens, [word(vec![quoted(r#"a $b "c" \d"#)])]);
    }

    #[test]
    fn double_quotes_expand_dollar_and_honor_some_escapes() {
        let tokens = tokenize(r#""x $HOME \$ \" \n""#).unwrap();
        assert_eq!(
            tokens,
            [word(vec![
                quoted("x "),
                param("HOME", true),
                quoted(r#" $ " \n"#)
            ])]
        );
    }

    #[test]
    fn empty_quotes_still_make_a_word() {
        assert_eq!(tokenize("''").unwrap(), [word(vec![quoted("")])]);
        assert_eq!(tokenize(r#""""#).unwrap(), [word(vec![quoted("")])]);
    }

    #[test]
    fn backslash_escapes_one_character_and_joins_lines() {
        assert_eq!(
            tokenize(r"a\ b").unwrap(),
            [word(vec![lit("a"), quoted(" "), lit("b")])]
        );
        assert_eq!(
            tokenize("echo a\\\nb").unwrap(),
            [word(vec![lit("echo")]), word(vec![lit("ab")])]
        );
    }

    #[test]
    fn adjacent_quoted_and_unquoted_pieces_form_one_word() {
        let tokens = tokenize(r#"a"b"'c'$d"#).unwrap();
        assert_eq!(
            tokens,
            [word(vec![
                lit("a"),
                quoted("b"),
                quoted("c"),
                param("d", false)
            ])]
        );
    }

    #[test]
    fn operators_are_recognized_with_or_without_spaces() {
        let tokens = tokenize("a;b&&c||d|e&").unwrap();
        let kinds: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        assert_eq!(kinds, ["a", ";", "b", "&&", "c", "||", "d", "|", "e", "&"]);
    }

    #[test]
    fn redirections_with_and_without_fd_numbers() {
        let tokens = tokenize("cmd >out 2>&1 <in >>log 2>/dev/null").unwrap();
        assert_eq!(
            tokens[1],
            Token::Redirect {
                fd: None,
                op: RedirOp::Write
            }
        );
        assert_eq!(
            tokens[3],
            Token::Redirect {
                fd: Some(2),
                op: RedirOp::DupOut
            }
        );
        assert_eq!(tokens[4], word(vec![lit("1")]));
        assert_eq!(
            tokens[5],
            Token::Redirect {
                fd: None,
                op: RedirOp::Read
            }
        );
        assert_eq!(
            tokens[7],
            Token::Redirect {
                fd: None,
                op: RedirOp::Append
            }
        );
        assert_eq!(
            tokens[9],
            Token::Redirect {
                fd: Some(2),
                op: RedirOp::Write
            }
        );
        assert_eq!(tokens[10], word(vec![lit("/dev/null")]));
    }

    #[test]
    fn a_number_not_touching_a_redirection_is_a_word() {
        let tokens = tokenize("echo 2 >f").unwrap();
        assert_eq!(tokens[1], word(vec![lit("2")]));
        assert_eq!(
            tokens[2],
            Token::Redirect {
                fd: None,
                op: RedirOp::Write
            }
        );
    }

    #[test]
    fn parameters_special_braced_and_with_fallback() {
        let tokens = tokenize("$$ $? ${X} $1x ${Y:-a b}").unwrap();
        assert_eq!(tokens[0], word(vec![param("$", false)]));
        assert_eq!(tokens[1], word(vec![param("?", false)]));
        assert_eq!(tokens[2], word(vec![param("X", false)]));
        assert_eq!(tokens[3], word(vec![param("1", false), lit("x")]));
        let fallback = Fallback {
            if_empty: true,
            word: Word(vec![lit("a b")]),
        };
        assert_eq!(
            tokens[4],
            word(vec![Part::Param {
                name: "Y".into(),
                default: Some(Box::new(fallback)),
                quoted: false
            }])
        );
    }

    #[test]
    fn lone_dollar_is_literal() {
        assert_eq!(
            tokenize("a$ $").unwrap(),
            [word(vec![lit("a"), lit("$")]), word(vec![lit("$")])]
        );
    }

    #[test]
    fn command_substitution_is_parsed_inside() {
        let tokens = tokenize(r#"x$(echo ")" 'a)')y"#).unwrap();
        let Token::Word(Word(parts)) = &tokens[0] else {
            panic!("not a word: {tokens:?}")
        };
        assert_eq!(parts.len(), 3);
        assert!(matches!(&parts[1], Part::Command { quoted: false, .. }));
    }

    #[test]
    fn comments_run_to_end_of_line_only_at_word_start() {
        let tokens = tokenize("a#b # c d\ne").unwrap();
        assert_eq!(
            tokens,
            [word(vec![lit("a#b")]), Token::Newline, word(vec![lit("e")])]
        );
    }

    #[test]
    fn unterminated_constructs_are_incomplete() {
        for src in ["'abc", "\"abc", "$(echo", "${X:-a"] {
            let err = tokenize(src).unwrap_err();
            assert!(err.is_incomplete(), "{src}: {err:?}");
        }
        assert_eq!(tokenize("${}").unwrap_err(), ParseError::BadSubstitution);
    }
}
