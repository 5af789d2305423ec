//! The shell grammar: tokens to a tree of lists, and-or chains, pipelines and commands.
//!
//! ```text
//! list      := and_or ((';' | '&' | newline) and_or)*
//! and_or    := pipeline (('&&' | '||') pipeline)*
//! pipeline  := ['!'] command ('|' command)*
//! command   := simple | compound redirect*
//! simple    := (NAME=value | word | redirect)+
//! compound  := if | while | until | for | '{' list '}' | '(' list ')'
//! ```
//!
//! Keywords (`if`, `then`, `done`, ...) are only keywords where a command could start, so
//! `echo done` prints "done".

use std::fmt;

use super::lexer::Part;
use super::lexer::{self, RedirOp, Token, Word};

/// Why source text is not a valid program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A quote, `$(` or `${` is not closed.
    Unterminated(&'static str),
    /// The text ended where more was needed (after `&&`, inside `if` without `fi`, ...).
    UnexpectedEnd,
    /// A token that cannot come here.
    Unexpected(String),
    /// A `${...}` form this shell does not know.
    BadSubstitution,
}

impl ParseError {
    /// Whether more input could complete the program (the interactive shell then reads on).
    pub fn is_incomplete(&self) -> bool {
        matches!(
            self,
            ParseError::Unterminated(_) | ParseError::UnexpectedEnd
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Unterminated(what) => write!(f, "syntax error: unterminated {what}"),
            ParseError::UnexpectedEnd => f.write_str("syntax error: unexpected end of file"),
            ParseError::Unexpected(token) => write!(f, "syntax error: unexpected \"{token}\""),
            ParseError::BadSubstitution => f.write_str("syntax error: bad substitution"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Commands run one after another (or in the background).
pub type List = Vec<ListItem>;

/// One entry of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub and_or: AndOr,
    /// Ended by `&`: run without waiting.
    pub background: bool,
}

/// `a && b || c`: each pipeline after the first runs depending on the status so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

/// `&&` or `||`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// `a | b | c`, optionally negated with `!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub negated: bool,
    pub commands: Vec<Command>,
}

/// One element of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Simple(SimpleCommand),
    /// A compound command with redirections that apply to all of it (`while ...; done >log`).
    Compound(Compound, Vec<Redirect>),
}

/// The control structures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compound {
    /// `if c; then b; elif c2; then b2; else e; fi`
    If {
        branches: Vec<(List, List)>,
        otherwise: Option<List>,
    },
    /// `while c; do b; done`, or `until` when `until` is set.
    While {
        until: bool,
        condition: List,
        body: List,
    },
    /// `for NAME [in WORD...]; do b; done` (no `in`: the positional parameters).
    For {
        name: String,
        words: Option<Vec<Word>>,
        body: List,
    },
    /// `{ list; }`: runs in this shell.
    Group(List),
    /// `( list )`: runs in a child process, so `cd` and variables do not leak out.
    Subshell(List),
}

/// `NAME=value... word... redirect...` (in any order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    pub assignments: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// `[fd]op target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub fd: i32,
    pub op: RedirOp,
    pub target: Word,
}

/// Parses a whole program.
pub fn parse(src: &str) -> Result<List, ParseError> {
    let mut parser = Parser {
        tokens: lexer::tokenize(src)?,
        pos: 0,
    };
    let list = parser.list(&[])?;
    match parser.peek() {
        None => Ok(list),
        Some(token) => Err(ParseError::Unexpected(token.to_string())),
    }
}

/// Reserved words that may not start a simple command.
const RESERVED: &[&str] = &["then", "else", "elif", "fi", "do", "done", "}", "in"];

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// The keyword at the current position, if the next token is a plain word.
    fn peek_keyword(&self) -> Option<&str> {
        match self.peek() {
            Some(Token::Word(word)) => word.literal(),
            _ => None,
        }
    }

    fn unexpected(&self) -> ParseError {
        match self.peek() {
            None => ParseError::UnexpectedEnd,
            Some(token) => ParseError::Unexpected(token.to_string()),
        }
    }

    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Token::Newline) {
            self.pos += 1;
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<(), ParseError> {
        if self.peek_keyword() == Some(keyword) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// A list that stops before any of the `stops` keywords, `)` or the end.
    fn list(&mut self, stops: &[&str]) -> Result<List, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            let at_end = match self.peek() {
                None | Some(Token::RParen) => true,
                Some(_) => self.peek_keyword().is_some_and(|k| stops.contains(&k)),
            };
            if at_end {
                return Ok(items);
            }
            let and_or = self.and_or()?;
            let (background, separated) = match self.peek() {
                Some(Token::Amp) => (true, true),
                Some(Token::Semi | Token::Newline) => (false, true),
                _ => (false, false),
            };
            if separated {
                self.pos += 1;
            }
            items.push(ListItem { and_or, background });
            if !separated {
                return Ok(items);
            }
        }
    }

    /// A list that must have at least one command (the body of a compound command).
    fn nonempty_list(&mut self, stops: &[&str]) -> Result<List, ParseError> {
        let list = self.list(stops)?;
        if list.is_empty() {
            return Err(self.unexpected());
        }
        Ok(list)
    }

    fn and_or(&mut self) -> Result<AndOr, ParseError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let connector = match self.peek() {
                Some(Token::AndIf) => Connector::And,
                Some(Token::OrIf) => Connector::Or,
                _ => return Ok(AndOr { first, rest }),
            };
            self.pos += 1;
            self.skip_newlines();
            rest.push((connector, self.pipeline()?));
        }
    }

    fn pipeline(&mut self) -> Result<Pipeline, ParseError> {
        let negated = self.peek_keyword() == Some("!");
        if negated {
            self.pos += 1;
        }
        let mut commands = vec![self.command()?];
        while self.peek() == Some(&Token::Pipe) {
            self.pos += 1;
            self.skip_newlines();
            commands.push(self.command()?);
        }
        Ok(Pipeline { negated, commands })
    }

    fn command(&mut self) -> Result<Command, ParseError> {
        let compound = match (self.peek(), self.peek_keyword()) {
            (Some(Token::LParen), _) => {
                self.pos += 1;
                let body = self.nonempty_list(&[])?;
                if self.peek() != Some(&Token::RParen) {
                    return Err(self.unexpected());
                }
                self.pos += 1;
                Compound::Subshell(body)
            }
            (_, Some("if")) => self.if_clause()?,
            (_, Some(keyword @ ("while" | "until"))) => {
                let until = keyword == "until";
                self.pos += 1;
                let condition = self.nonempty_list(&["do"])?;
                let body = self.do_group()?;
                Compound::While {
                    until,
                    condition,
                    body,
                }
            }
            (_, Some("for")) => self.for_clause()?,
            (_, Some("{")) => {
                self.pos += 1;
                let body = self.nonempty_list(&["}"])?;
                self.expect_keyword("}")?;
                Compound::Group(body)
            }
            (_, Some(keyword)) if RESERVED.contains(&keyword) => return Err(self.unexpected()),
            _ => return self.simple_command().map(Command::Simple),
        };
        let mut redirects = Vec::new();
        while let Some(Token::Redirect { .. }) = self.peek() {
            redirects.push(self.redirect()?);
        }
        Ok(Command::Compound(compound, redirects))
    }

    fn if_clause(&mut self) -> Result<Compound, ParseError> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        self.pos += 1; // `if`
        loop {
            let condition = self.nonempty_list(&["then"])?;
            self.expect_keyword("then")?;
            let body = self.nonempty_list(&["elif", "else", "fi"])?;
            branches.push((condition, body));
            match self.peek_keyword() {
                Some("elif") => self.pos += 1,
                Some("else") => {
                    self.pos += 1;
                    otherwise = Some(self.nonempty_list(&["fi"])?);
                    self.expect_keyword("fi")?;
                    break;
                }
                _ => {
                    self.expect_keyword("fi")?;
                    break;
                }
            }
        }
        Ok(Compound::If {
            branches,
            otherwise,
        })
    }

    /// `do list done`.
    fn do_group(&mut self) -> Result<List, ParseError> {
        self.expect_keyword("do")?;
        let body = self.nonempty_list(&["done"])?;
        self.expect_keyword("done")?;
        Ok(body)
    }

    fn for_clause(&mut self) -> Result<Compound, ParseError> {
        self.pos += 1; // `for`
        let name = match self.peek_keyword() {
            Some(name) if is_name(name) => name.to_string(),
            _ => return Err(self.unexpected()),
        };
        self.pos += 1;
        self.skip_newlines();
        let mut words = None;
        if self.peek_keyword() == Some("in") {
            self.pos += 1;
            let mut list = Vec::new();
            while let Some(Token::Word(word)) = self.peek() {
                list.push(word.clone());
                self.pos += 1;
            }
            words = Some(list);
        }
        if matches!(self.peek(), Some(Token::Semi | Token::Newline)) {
            self.pos += 1;
        }
        self.skip_newlines();
        let body = self.do_group()?;
        Ok(Compound::For { name, words, body })
    }

    fn simple_command(&mut self) -> Result<SimpleCommand, ParseError> {
        let mut command = SimpleCommand::default();
        loop {
            match self.peek() {
                Some(Token::Word(word)) => {
                    match assignment(word).filter(|_| command.words.is_empty()) {
                        Some(assign) => command.assignments.push(assign),
                        None => command.words.push(word.clone()),
                    }
                    self.pos += 1;
                }
                Some(Token::Redirect { .. }) => command.redirects.push(self.redirect()?),
                _ => break,
            }
        }
        if command == SimpleCommand::default() {
            return Err(self.unexpected());
        }
        Ok(command)
    }

    fn redirect(&mut self) -> Result<Redirect, ParseError> {
        let Some(Token::Redirect { fd, op }) = self.peek().cloned() else {
            return Err(self.unexpected());
        };
        self.pos += 1;
        let Some(Token::Word(target)) = self.peek().cloned() else {
            return Err(self.unexpected());
        };
        self.pos += 1;
        let default_fd = match op {
            RedirOp::Read | RedirOp::DupIn => 0,
            RedirOp::Write | RedirOp::Append | RedirOp::DupOut => 1,
        };
        Ok(Redirect {
            fd: fd.unwrap_or(default_fd),
            op,
            target,
        })
    }
}

/// A valid variable name: a letter or `_`, then letters, digits and `_`.
pub fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `NAME=value` when the word starts with an unquoted `NAME=`.
fn assignment(word: &Word) -> Option<(String, Word)> {
    let Some(Part::Literal(first)) = word.0.first() else {
        return None;
    };
    let (name, value_start) = first.split_once('=')?;
    if !is_name(name) {
        return None;
    }
    let mut value = Vec::new();
    if !value_start.is_empty() {
        value.push(Part::Literal(value_start.to_string()));
    }
    value.extend(word.0[1..].iter().cloned());
    Some((name.to_string(), Word(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Word {
        Word(vec![Part::Literal(s.into())])
    }

    fn simple(words: &[&str]) -> Command {
        Command::Simple(SimpleCommand {
            words: words.iter().map(|w| lit(w)).collect(),
            ..SimpleCommand::default()
        })
    }

    fn pipeline(commands: Vec<Command>) -> Pipeline {
        Pipeline {
            negated: false,
            commands,
        }
    }

    fn single(command: Command) -> AndOr {
        AndOr {
            first: pipeline(vec![command]),
            rest: vec![],
        }
    }

    #[test]
    fn semicolons_and_newlines_separate_list_items() {
        let list = parse("a; b\nc").unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[2].and_or, single(simple(&["c"])));
        assert!(list.iter().all(|item| !item.background));
    }

    #[test]
    fn trailing_ampersand_runs_in_background() {
        let list = parse("sleep 1 & echo hi").unwrap();
        assert!(list[0].background);
        assert!(!list[1].background);
    }

    #[test]
    fn and_or_chains_keep_their_connectors_in_order() {
        let list = parse("a && b || c").unwrap();
        let and_or = &list[0].and_or;
        assert_eq!(and_or.first, pipeline(vec![simple(&["a"])]));
        assert_eq!(
            and_or.rest,
            [
                (Connector::And, pipeline(vec![simple(&["b"])])),
                (Connector::Or, pipeline(vec![simple(&["c"])]))
            ]
        );
    }

    #[test]
    fn pipes_build_one_pipeline_and_bang_negates_it() {
        let list = parse("! a | b x | c").unwrap();
        let p = &list[0].and_or.first;
        assert!(p.negated);
        assert_eq!(
            p.commands,
            [simple(&["a"]), simple(&["b", "x"]), simple(&["c"])]
        );
    }

    #[test]
    fn redirections_get_default_fds() {
        let list = parse("cmd <in >out 2>&1 >>log").unwrap();
        let Command::Simple(cmd) = &list[0].and_or.first.commands[0] else {
            panic!()
        };
        let got: Vec<(i32, RedirOp)> = cmd.redirects.iter().map(|r| (r.fd, r.op)).collect();
        assert_eq!(
            got,
            [
                (0, RedirOp::Read),
                (1, RedirOp::Write),
                (2, RedirOp::DupOut),
                (1, RedirOp::Append)
            ]
        );
        assert_eq!(cmd.redirects[2].target, lit("1"));
        assert_eq!(cmd.words, [lit("cmd")]);
    }

    #[test]
    fn assignments_only_before_the_command_name() {
        let list = parse("A=1 B=x\"y\" cmd C=2").unwrap();
        let Command::Simple(cmd) = &list[0].and_or.first.commands[0] else {
            panic!()
        };
        let names: Vec<&str> = cmd.assignments.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["A", "B"]);
        assert_eq!(
            cmd.assignments[1].1,
            Word(vec![Part::Literal("x".into()), Part::Quoted("y".into())])
        );
        assert_eq!(cmd.words, [lit("cmd"), lit("C=2")]);
    }

    #[test]
    fn quoted_equals_is_not_an_assignment() {
        let list = parse("'A=1' x").unwrap();
        let Command::Simple(cmd) = &list[0].and_or.first.commands[0] else {
            panic!()
        };
        assert!(cmd.assignments.is_empty());
    }

    #[test]
    fn if_elif_else_fi() {
        let list = parse("if a; then b; elif c\nthen d; else e; fi").unwrap();
        let Command::Compound(
            Compound::If {
                branches,
                otherwise,
            },
            _,
        ) = &list[0].and_or.first.commands[0]
        else {
            panic!("not an if: {list:?}")
        };
        assert_eq!(branches.len(), 2);
        assert_eq!(branches[1].1[0].and_or, single(simple(&["d"])));
        assert_eq!(otherwise.as_ref().map(|l| l.len()), Some(1));
    }

    #[test]
    fn while_until_and_for_loops() {
        let list = parse("while true; do echo x; done; until a; do b; done").unwrap();
        assert!(matches!(
            &list[0].and_or.first.commands[0],
            Command::Compound(Compound::While { until: false, .. }, _)
        ));
        assert!(matches!(
            &list[1].and_or.first.commands[0],
            Command::Compound(Compound::While { until: true, .. }, _)
        ));
        let list = parse("for i in 1 2 3; do echo $i; done >out").unwrap();
        let Command::Compound(Compound::For { name, words, body }, redirects) =
            &list[0].and_or.first.commands[0]
        else {
            panic!()
        };
        assert_eq!(name, "i");
        assert_eq!(words.as_ref().map(Vec::len), Some(3));
        assert_eq!(body.len(), 1);
        assert_eq!(redirects.len(), 1);
    }

    #[test]
    fn keywords_are_plain_words_as_arguments() {
        let list = parse("echo done if then").unwrap();
        assert_eq!(
            list[0].and_or,
            single(simple(&["echo", "done", "if", "then"]))
        );
    }

    #[test]
    fn groups_and_subshells() {
        let list = parse("{ a; b; } && (cd /; c)").unwrap();
        assert!(
            matches!(&list[0].and_or.first.commands[0], Command::Compound(Compound::Group(body), _) if body.len() == 2)
        );
        assert!(matches!(
            &list[0].and_or.rest[0].1.commands[0],
            Command::Compound(Compound::Subshell(_), _)
        ));
    }

    #[test]
    fn incomplete_input_is_reported_as_incomplete() {
        for src in [
            "a &&",
            "a |",
            "if a; then b",
            "while a; do b",
            "for x in a",
            "(a",
            "echo 'x",
        ] {
            let err = parse(src).unwrap_err();
            assert!(err.is_incomplete(), "{src}: {err:?}");
        }
    }

    #[test]
    fn misplaced_tokens_are_syntax_errors() {
        assert_eq!(
            parse("; a").unwrap_err(),
            ParseError::Unexpected(";".into())
        );
        assert_eq!(
            parse("fi").unwrap_err(),
            ParseError::Unexpected("fi".into())
        );
        assert_eq!(
            parse("a && && b").unwrap_err(),
            ParseError::Unexpected("&&".into())
        );
        assert_eq!(parse("echo >").unwrap_err(), ParseError::UnexpectedEnd);
        assert_eq!(
            parse("if; then a; fi").unwrap_err(),
            ParseError::Unexpected(";".into())
        );
        assert_eq!(
            parse("a )").unwrap_err(),
            ParseError::Unexpected(")".into())
        );
        assert_eq!(
            parse("a | | b").unwrap_err().to_string(),
            "syntax error: unexpected \"|\""
        );
    }

    #[test]
    fn empty_and_comment_only_programs_are_empty_lists() {
        assert_eq!(parse("").unwrap(), List::new());
        assert_eq!(parse("  # nothing\n\n").unwrap(), List::new());
    }
}
