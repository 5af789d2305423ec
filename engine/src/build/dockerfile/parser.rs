//! From logical lines to instructions: each keyword's argument syntax, checked precisely.

use std::collections::BTreeMap;

use super::ast::{
    ArgDecl, Command, Copy, Dockerfile, FromImage, Instruction, KeyValue, Located, Stage, Word,
};
use super::error::{ParseError, Pos};
use super::lines::{self, LogicalLine};
use super::words::{split_words, RawWord};

/// The instructions ferry knows, for "expected one of" messages.
const KEYWORDS: &str = "FROM, RUN, CMD, ENTRYPOINT, ENV, ARG, WORKDIR, COPY, ADD, EXPOSE, LABEL, MAINTAINER, USER, VOLUME";

/// Docker instructions ferry does not implement (yet), refused by name rather than as unknown.
const UNSUPPORTED: &[&str] = &["ONBUILD", "HEALTHCHECK", "SHELL", "STOPSIGNAL"];

// ANCHOR: parse
/// Parses a Dockerfile. Variables are not expanded here (see [`Scope`](super::Scope)).
pub fn parse(source: &str) -> Result<Dockerfile, ParseError> {
    let (directives, lines) = lines::split(source)?;
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for line in &lines {
        let args = Args::new(line, directives.escape);
        if args.keyword.eq_ignore_ascii_case("FROM") {
            let from = Located {
                pos: line.start(),
                node: args.from()?,
            };
            check_stage_name(&stages, &from)?;
            stages.push(Stage {
                from,
                instructions: Vec::new(),
            });
            continue;
        }
        let node = args.instruction()?;
        let pos = line.start();
        match (stages.last_mut(), node) {
            (Some(stage), node) => stage.instructions.push(Located { pos, node }),
            (None, Instruction::Arg(decls)) => global_args.push(Located { pos, node: decls }),
            (None, node) => {
                let found = node.keyword();
                return Err(ParseError::new(pos, format!("expected FROM before {found}: a build stage starts with FROM (only ARG may come before it)")));
            }
        }
    }
    if stages.is_empty() {
        let end = Pos::new(source.lines().count().max(1), 1);
        return Err(ParseError::new(
            end,
            "expected a FROM instruction: the Dockerfile has no build stage",
        ));
    }
    Ok(Dockerfile {
        directives,
        global_args,
        stages,
    })
}
// ANCHOR_END: parse

/// Stage names must be unique, and look like names (not numbers, which mean stage indexes).
fn check_stage_name(stages: &[Stage], from: &Located<FromImage>) -> Result<(), ParseError> {
    let Some(name) = &from.node.alias else {
        return Ok(());
    };
    if stages.iter().any(|s| s.name() == Some(name)) {
        return Err(ParseError::new(
            from.pos,
            format!("duplicate build stage name {name:?}"),
        ));
    }
    Ok(())
}

/// The arguments of one instruction and everything needed to report errors in them.
struct Args<'a> {
    line: &'a LogicalLine,
    keyword: &'a str,
    /// The text after the keyword, trailing blanks removed.
    rest: &'a str,
    /// Byte offset of `rest` in the logical line.
    offset: usize,
    escape: char,
}

impl<'a> Args<'a> {
    fn new(line: &'a LogicalLine, escape: char) -> Self {
        let text = line.text.as_str();
        let keyword_end = text.find(char::is_whitespace).unwrap_or(text.len());
        let after = &text[keyword_end..];
        let offset = keyword_end + (after.len() - after.trim_start().len());
        Self {
            line,
            keyword: &text[..keyword_end],
            rest: text[offset..].trim_end(),
            offset,
            escape,
        }
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> ParseError {
        ParseError::new(self.line.pos(offset), message)
    }

    /// An error at the end of the line: something is missing.
    fn missing(&self, what: &str) -> ParseError {
        let keyword = self.keyword.to_ascii_uppercase();
        self.error(
            self.offset + self.rest.len(),
            format!("{keyword} needs {what}"),
        )
    }

    fn word(&self, raw: &RawWord) -> Word {
        Word::new(raw.text.clone(), self.line.pos(raw.offset))
    }

    fn instruction(&self) -> Result<Instruction, ParseError> {
        let keyword = self.keyword.to_ascii_uppercase();
        Ok(match keyword.as_str() {
            "RUN" => Instruction::Run(self.command()?),
            "CMD" => Instruction::Cmd(self.command()?),
            "ENTRYPOINT" => Instruction::Entrypoint(self.command()?),
            "ENV" => Instruction::Env(self.key_values()?),
            "LABEL" => Instruction::Label(self.key_values()?),
            "ARG" => Instruction::Arg(self.arg_decls()?),
            "WORKDIR" => Instruction::Workdir(self.whole("a directory: expected WORKDIR /path")?),
            "USER" => Instruction::User(self.whole("a user: expected USER NAME[:GROUP]")?),
            "MAINTAINER" => {
                Instruction::Maintainer(self.whole("a name: expected MAINTAINER NAME")?.raw)
            }
            "COPY" => Instruction::Copy(self.copy(&["from", "chown", "chmod"])?),
            "ADD" => Instruction::Add(self.copy(&["chown", "chmod"])?),
            "EXPOSE" => {
                Instruction::Expose(self.list("ports: expected EXPOSE PORT[/PROTOCOL]...", false)?)
            }
            "VOLUME" => Instruction::Volume(
                self.list("a path: expected VOLUME PATH... or VOLUME [\"PATH\"]", true)?,
            ),
            other if UNSUPPORTED.contains(&other) => {
                return Err(self.error(0, format!("ferry does not support the {other} instruction")))
            }
            _ => {
                let found = self.keyword;
                return Err(self.error(
                    0,
                    format!("unknown instruction {found:?}: expected one of {KEYWORDS}"),
                ));
            }
        })
    }

    /// All words of the arguments, quote-aware.
    fn words(&self) -> Result<Vec<RawWord>, ParseError> {
        self.words_from(self.offset)
    }

    /// The words from byte `offset` of the line to the end of the arguments.
    fn words_from(&self, offset: usize) -> Result<Vec<RawWord>, ParseError> {
        split_words(self.text_from(offset), offset, self.escape)
            .map_err(|e| self.error(e.offset, e.message))
    }

    /// The argument text from byte `offset` of the line on.
    fn text_from(&self, offset: usize) -> &'a str {
        &self.line.text[offset..self.offset + self.rest.len()]
    }

    /// `FROM [--platform=P] IMAGE [AS NAME]`.
    fn from(&self) -> Result<FromImage, ParseError> {
        let (mut flags, after) = self.flags(&["platform"])?;
        let platform = flags.remove("platform");
        let words = self.words_from(after)?;
        let [image, rest @ ..] = words.as_slice() else {
            return Err(self.missing("an image: expected FROM IMAGE [AS NAME]"));
        };
        let alias = match rest {
            [] => None,
            [as_, ..] if !as_.text.eq_ignore_ascii_case("as") => {
                return Err(self.error(
                    as_.offset,
                    format!("expected AS NAME after the image, found {:?}", as_.text),
                ))
            }
            [_] => return Err(self.missing("a stage name after AS: expected FROM IMAGE AS NAME")),
            [_, name] => Some(self.stage_name(name)?),
            [_, _, extra, ..] => {
                return Err(self.error(
                    extra.offset,
                    format!(
                        "expected the end of FROM after the stage name, found {:?}",
                        extra.text
                    ),
                ))
            }
        };
        Ok(FromImage {
            image: self.word(image),
            platform,
            alias,
        })
    }

    fn stage_name(&self, name: &RawWord) -> Result<String, ParseError> {
        let lower = name.text.to_ascii_lowercase();
        let mut chars = lower.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')
            });
        if !valid {
            return Err(self.error(
                name.offset,
                format!("invalid stage name {:?}: expected a letter, then letters, digits, '-', '_' or '.'", name.text),
            ));
        }
        Ok(lower)
    }

    /// RUN, CMD, ENTRYPOINT: a JSON array of strings (exec form), or else shell text.
    ///
    /// Like Docker, anything that is not a valid JSON string array is shell form — `CMD ['a']`
    /// (single quotes are not JSON) runs `/bin/sh -c "['a']"`.
    fn command(&self) -> Result<Command, ParseError> {
        if self.rest.is_empty() {
            return Err(self.missing("a command: expected a shell command or a JSON array like [\"executable\", \"arg\"]"));
        }
        Ok(match json_strings(self.rest) {
            Some(args) => Command::Exec(args),
            None => Command::Shell(self.rest.to_string()),
        })
    }

    /// The whole argument text as one word (WORKDIR, USER, MAINTAINER).
    fn whole(&self, what: &str) -> Result<Word, ParseError> {
        if self.rest.is_empty() {
            return Err(self.missing(what));
        }
        Ok(Word::new(self.rest, self.line.pos(self.offset)))
    }

    /// ENV and LABEL: `KEY=VALUE…`, or the older `KEY VALUE` (the value is the rest of the line).
    fn key_values(&self) -> Result<Vec<KeyValue>, ParseError> {
        let keyword = self.keyword.to_ascii_uppercase();
        let words = self.words()?;
        let Some(first) = words.first() else {
            return Err(self.missing(&format!(
                "a name and a value: expected {keyword} NAME=VALUE or {keyword} NAME VALUE"
            )));
        };
        if !first.text.contains('=') {
            let Some(second) = words.get(1) else {
                return Err(self.missing(&format!(
                    "a value for {}: expected {keyword} NAME VALUE or {keyword} NAME=VALUE",
                    first.text
                )));
            };
            let value = Word::new(
                &self.line.text[second.offset..self.offset + self.rest.len()],
                self.line.pos(second.offset),
            );
            return Ok(vec![KeyValue {
                key: self.word(first),
                value,
            }]);
        }
        words.iter().map(|w| self.key_value(w, &keyword)).collect()
    }

    fn key_value(&self, word: &RawWord, keyword: &str) -> Result<KeyValue, ParseError> {
        match word.text.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok(KeyValue {
                key: Word::new(key, self.line.pos(word.offset)),
                value: Word::new(value, self.line.pos(word.offset + key.len() + 1)),
            }),
            Some(_) => Err(self.error(word.offset, format!("expected NAME=VALUE, found {:?}: the name is empty", word.text))),
            None => Err(self.error(
                word.offset,
                format!("expected NAME=VALUE, found {:?}: every {keyword} pair needs an = once one does", word.text),
            )),
        }
    }

    /// `ARG NAME[=DEFAULT]…`.
    fn arg_decls(&self) -> Result<Vec<ArgDecl>, ParseError> {
        let words = self.words()?;
        if words.is_empty() {
            return Err(self.missing("a name: expected ARG NAME[=DEFAULT]"));
        }
        words
            .iter()
            .map(|w| {
                let (name, default) = match w.text.split_once('=') {
                    Some((name, value)) => (
                        name,
                        Some(Word::new(value, self.line.pos(w.offset + name.len() + 1))),
                    ),
                    None => (w.text.as_str(), None),
                };
                if !is_name(name) {
                    return Err(self.error(
                        w.offset,
                        format!("invalid ARG name {name:?}: expected letters, digits and _"),
                    ));
                }
                Ok(ArgDecl {
                    name: name.to_string(),
                    default,
                })
            })
            .collect()
    }

    /// COPY and ADD: `[--flag=value…] SRC… DEST`, or the JSON form `[--flag…] ["SRC", …, "DEST"]`.
    fn copy(&self, allowed: &[&'static str]) -> Result<Copy, ParseError> {
        let (mut flags, after) = self.flags(allowed)?;
        let mut paths = self.json_or_words(after)?;
        let keyword = self.keyword.to_ascii_uppercase();
        if paths.len() < 2 {
            return Err(self.missing(&format!(
                "a source and a destination: expected {keyword} SRC... DEST"
            )));
        }
        let dest = paths.pop().expect("checked: at least two paths");
        Ok(Copy {
            from: flags.remove("from"),
            chown: flags.remove("chown"),
            chmod: flags.remove("chmod"),
            sources: paths,
            dest,
        })
    }

    /// EXPOSE and VOLUME: at least one word (VOLUME also takes a JSON array).
    fn list(&self, what: &str, json: bool) -> Result<Vec<Word>, ParseError> {
        let list = if json {
            self.json_or_words(self.offset)?
        } else {
            self.words()?.iter().map(|w| self.word(w)).collect()
        };
        if list.is_empty() {
            return Err(self.missing(what));
        }
        Ok(list)
    }

    /// The strings of a JSON array when the text from `offset` on is one, else its words.
    ///
    /// JSON is tried first: its quoting is not the Dockerfile's (`\"` escapes a quote in JSON
    /// even when the escape character is a backtick).
    fn json_or_words(&self, offset: usize) -> Result<Vec<Word>, ParseError> {
        match json_strings(self.text_from(offset)) {
            Some(strings) => Ok(strings
                .into_iter()
                .map(|s| Word::new(s, self.line.pos(offset)))
                .collect()),
            None => Ok(self
                .words_from(offset)?
                .iter()
                .map(|w| self.word(w))
                .collect()),
        }
    }

    /// Reads leading `--name=value` flags: (flags by name, the byte offset after them).
    fn flags(
        &self,
        allowed: &[&'static str],
    ) -> Result<(BTreeMap<&'static str, Word>, usize), ParseError> {
        let keyword = self.keyword.to_ascii_uppercase();
        let mut flags = BTreeMap::new();
        let mut offset = self.offset;
        loop {
            let text = self.text_from(offset);
            let Some(flag) = text.strip_prefix("--") else {
                break;
            };
            let token = flag.split(char::is_whitespace).next().unwrap_or_default();
            let (name, value) = token.split_once('=').unwrap_or((token, ""));
            let Some(&known) = allowed.iter().find(|a| **a == name) else {
                let expected = allowed
                    .iter()
                    .map(|a| format!("--{a}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(self.error(
                    offset,
                    format!("unknown flag --{name} for {keyword}: expected one of {expected}"),
                ));
            };
            if value.is_empty() {
                return Err(self.error(
                    offset,
                    format!("flag --{name} needs a value: expected --{name}=VALUE"),
                ));
            }
            let value = Word::new(value, self.line.pos(offset + name.len() + 3));
            if flags.insert(known, value).is_some() {
                return Err(self.error(offset, format!("flag --{name} is given twice")));
            }
            let after = &text[2 + token.len()..];
            offset += text.len() - after.trim_start().len();
        }
        Ok((flags, offset))
    }
}

/// `Some(strings)` when `text` is a JSON array of strings (Docker's exec form).
fn json_strings(text: &str) -> Option<Vec<String>> {
    if !text.starts_with('[') {
        return None;
    }
    serde_json::from_str(text).ok()
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
