//! Writing a parsed Dockerfile back out as text that parses to the same thing.
//!
//! Raw words are written as they were read, so quoting survives. Where the original form cannot
//! be told from the parse (`ENV A b` and `ENV A=b` are the same), the `=` form is written; word
//! lists fall back to JSON form when a word would not read back as one word.

use std::fmt::{self, Display, Formatter};

use super::ast::{ArgDecl, Command, Copy, Dockerfile, FromImage, Instruction, KeyValue, Word};
use super::lines::DEFAULT_ESCAPE;
use super::words::is_single_word;

impl Display for Dockerfile {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let escape = self.directives.escape;
        if let Some(syntax) = &self.directives.syntax {
            writeln!(f, "# syntax={syntax}")?;
        }
        if escape != DEFAULT_ESCAPE {
            writeln!(f, "# escape={escape}")?;
        }
        for line in &self.global_args {
            writeln!(f, "ARG {}", args(&line.node))?;
        }
        for stage in &self.stages {
            writeln!(f, "{}", from(&stage.from.node))?;
            for instruction in &stage.instructions {
                writeln!(
                    f,
                    "{}",
                    Rendered {
                        instruction: &instruction.node,
                        escape
                    }
                )?;
            }
        }
        Ok(())
    }
}

/// An instruction with the escape character its words are written for.
pub struct Rendered<'a> {
    /// The instruction.
    pub instruction: &'a Instruction,
    /// The Dockerfile's escape character.
    pub escape: char,
}

impl Display for Rendered<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let keyword = self.instruction.keyword();
        let escape = self.escape;
        match self.instruction {
            Instruction::Run(c) | Instruction::Cmd(c) | Instruction::Entrypoint(c) => {
                write!(f, "{keyword} {}", command(c))
            }
            Instruction::Env(pairs) | Instruction::Label(pairs) => {
                write!(f, "{keyword} {}", key_values(pairs, escape))
            }
            Instruction::Arg(decls) => write!(f, "ARG {}", args(decls)),
            Instruction::Workdir(w) | Instruction::User(w) => write!(f, "{keyword} {}", w.raw),
            Instruction::Maintainer(m) => write!(f, "MAINTAINER {m}"),
            Instruction::Copy(c) | Instruction::Add(c) => {
                write!(f, "{keyword} {}", copy(c, escape))
            }
            Instruction::Expose(ws) => write!(f, "EXPOSE {}", raws(ws).join(" ")),
            Instruction::Volume(ws) => write!(f, "VOLUME {}", list(ws, escape)),
        }
    }
}

fn from(from: &FromImage) -> String {
    let mut out = String::from("FROM ");
    if let Some(platform) = &from.platform {
        out += &format!("--platform={} ", platform.raw);
    }
    out += &from.image.raw;
    if let Some(alias) = &from.alias {
        out += &format!(" AS {alias}");
    }
    out
}

fn command(command: &Command) -> String {
    match command {
        Command::Shell(text) => text.clone(),
        Command::Exec(args) => serde_json::to_string(args).expect("strings serialize"),
    }
}

/// `K=V …`, or `K V` when the single value would not read back as one word.
fn key_values(pairs: &[KeyValue], escape: char) -> String {
    if let [pair] = pairs {
        if !pair.value.raw.is_empty() && !is_single_word(&pair.value.raw, escape) {
            return format!("{} {}", pair.key.raw, pair.value.raw);
        }
    }
    pairs
        .iter()
        .map(|p| format!("{}={}", p.key.raw, p.value.raw))
        .collect::<Vec<_>>()
        .join(" ")
}

fn args(decls: &[ArgDecl]) -> String {
    let decl = |d: &ArgDecl| match &d.default {
        Some(default) => format!("{}={}", d.name, default.raw),
        None => d.name.clone(),
    };
    decls.iter().map(decl).collect::<Vec<_>>().join(" ")
}

fn copy(copy: &Copy, escape: char) -> String {
    let flags = [
        ("from", &copy.from),
        ("chown", &copy.chown),
        ("chmod", &copy.chmod),
    ];
    let mut out: Vec<String> = flags
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("--{name}={}", v.raw)))
        .collect();
    let paths: Vec<Word> = copy.sources.iter().chain([&copy.dest]).cloned().collect();
    out.push(list(&paths, escape));
    out.join(" ")
}

/// Words separated by spaces, or a JSON array when that would not read back the same (a word
/// with blanks, or a first word that would look like JSON or a flag).
fn list(words: &[Word], escape: char) -> String {
    let ambiguous_start = words
        .first()
        .is_some_and(|w| w.raw.starts_with('[') || w.raw.starts_with("--"));
    let plain = !ambiguous_start && words.iter().all(|w| is_single_word(&w.raw, escape));
    if plain {
        raws(words).join(" ")
    } else {
        serde_json::to_string(&raws(words)).expect("strings serialize")
    }
}

fn raws(words: &[Word]) -> Vec<&str> {
    words.iter().map(|w| w.raw.as_str()).collect()
}
