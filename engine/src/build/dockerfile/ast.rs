//! What a parsed Dockerfile is: build stages, each a FROM followed by instructions.
//!
//! Arguments that Docker expands at build time are kept as raw [`Word`]s, exactly as written, and
//! are only turned into values by [`Scope`](super::Scope) when the build reaches them — because
//! their value depends on ARGs, ENVs and the base image's environment at that point. So the types
//! are generic over the word type: `Instruction<Word>` is what the parser returns,
//! `Instruction<String>` is the same instruction with its words expanded.

use serde::{Serialize, Serializer};

use super::error::Pos;
use super::lines::Directives;

/// An argument as written in the Dockerfile: quotes, escapes and `$VAR`s still in it.
///
/// Two words are equal when their text is; where they were written is not part of what they are.
#[derive(Debug, Clone, Eq)]
pub struct Word {
    /// The text as written.
    pub raw: String,
    /// Where it starts, for errors found when it is expanded.
    pub pos: Pos,
}

impl Word {
    /// A word at `pos`.
    pub fn new(raw: impl Into<String>, pos: Pos) -> Self {
        Self {
            raw: raw.into(),
            pos,
        }
    }
}

impl PartialEq for Word {
    fn eq(&self, other: &Self) -> bool {
        self.raw == other.raw
    }
}

impl Serialize for Word {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

/// Something found at a place in the Dockerfile (an instruction and its line).
///
/// Equality compares what was found, not where: a rewritten Dockerfile parses equal.
#[derive(Debug, Clone, Eq, Serialize)]
pub struct Located<T> {
    /// Where the instruction's keyword is.
    pub pos: Pos,
    /// The instruction.
    pub node: T,
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

/// A whole Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    /// The parser directives at its top.
    pub directives: Directives,
    /// ARGs before the first FROM: usable in FROM lines, and in a stage that declares them again.
    pub global_args: Vec<Located<Vec<ArgDecl>>>,
    /// The build stages, in order; the last one is the image built unless `--target` says otherwise.
    pub stages: Vec<Stage>,
}

/// One build stage: a FROM and the instructions that build on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// The FROM line that starts it.
    pub from: Located<FromImage>,
    /// The instructions after it, up to the next FROM.
    pub instructions: Vec<Located<Instruction>>,
}

impl Stage {
    /// The stage's name (`FROM … AS name`), if it has one.
    pub fn name(&self) -> Option<&str> {
        self.from.node.alias.as_deref()
    }
}

/// `FROM [--platform=P] IMAGE [AS NAME]`: the base of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FromImage<W = Word> {
    /// The base image, an earlier stage's name, or `scratch`.
    pub image: W,
    /// `--platform`, recorded (ferry builds for the machine it runs on).
    pub platform: Option<W>,
    /// `AS name`, lowercased, so later stages can `COPY --from=name`.
    pub alias: Option<String>,
}

/// A command of RUN, CMD or ENTRYPOINT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Command {
    /// `RUN apt-get update && …`: run by `/bin/sh -c`, which expands variables itself.
    Shell(String),
    /// `CMD ["nginx", "-g", "daemon off;"]`: executed directly, no shell, no expansion.
    Exec(Vec<String>),
}

impl Command {
    /// The argv this command runs: exec form as is, shell form as `/bin/sh -c TEXT`.
    pub fn argv(&self) -> Vec<String> {
        match self {
            Command::Shell(text) => vec!["/bin/sh".into(), "-c".into(), text.clone()],
            Command::Exec(args) => args.clone(),
        }
    }
}

/// A `key=value` pair of ENV or LABEL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue<W = Word> {
    /// The name (quotes allowed, as in `LABEL "com.example.vendor"=ACME`).
    pub key: W,
    /// The value.
    pub value: W,
}

/// One name of an ARG instruction, with its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArgDecl<W = Word> {
    /// The name.
    pub name: String,
    /// The value when no `--build-arg` gives one.
    pub default: Option<W>,
}

/// COPY and ADD: files from the build context (or an earlier stage) into the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copy<W = Word> {
    /// `--from=STAGE`: copy from an earlier stage (COPY only).
    pub from: Option<W>,
    /// `--chown=USER[:GROUP]`.
    pub chown: Option<W>,
    /// `--chmod=MODE` (octal).
    pub chmod: Option<W>,
    /// The sources, relative to the context; they may contain globs.
    pub sources: Vec<W>,
    /// The destination; relative destinations are relative to WORKDIR, and a trailing `/` means
    /// a directory.
    pub dest: W,
}

/// An instruction inside a build stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Instruction<W = Word> {
    /// Runs a command in a container on the stage's current filesystem; adds a layer.
    Run(Command),
    /// The default command of containers made from the image.
    Cmd(Command),
    /// The command that always runs; CMD (or `run`'s arguments) become its arguments.
    Entrypoint(Command),
    /// Environment variables for later instructions and for containers.
    Env(Vec<KeyValue<W>>),
    /// Metadata.
    Label(Vec<KeyValue<W>>),
    /// Build arguments, settable with `--build-arg`; not kept in the image.
    Arg(Vec<ArgDecl<W>>),
    /// The working directory of later instructions and of containers (created if missing).
    Workdir(W),
    /// Copies files from the context or an earlier stage; adds a layer.
    Copy(Copy<W>),
    /// Like COPY, and also unpacks local tar archives; adds a layer.
    Add(Copy<W>),
    /// Ports the image documents as listened on (`80`, `443/tcp`, `53/udp`).
    Expose(Vec<W>),
    /// The author (deprecated in Docker in favour of `LABEL maintainer=…`).
    Maintainer(String),
    /// The user (and group) later RUNs and containers run as.
    User(W),
    /// Mount points for anonymous volumes.
    Volume(Vec<W>),
}

impl<W> Instruction<W> {
    /// The keyword, as Docker prints it in build output.
    pub fn keyword(&self) -> &'static str {
        match self {
            Instruction::Run(_) => "RUN",
            Instruction::Cmd(_) => "CMD",
            Instruction::Entrypoint(_) => "ENTRYPOINT",
            Instruction::Env(_) => "ENV",
            Instruction::Label(_) => "LABEL",
            Instruction::Arg(_) => "ARG",
            Instruction::Workdir(_) => "WORKDIR",
            Instruction::Copy(_) => "COPY",
            Instruction::Add(_) => "ADD",
            Instruction::Expose(_) => "EXPOSE",
            Instruction::Maintainer(_) => "MAINTAINER",
            Instruction::User(_) => "USER",
            Instruction::Volume(_) => "VOLUME",
        }
    }
}

impl<A> Instruction<A> {
    /// The same instruction with every expandable word passed through `f` (the first error stops).
    pub fn try_map<B, E>(
        &self,
        mut f: impl FnMut(&A) -> Result<B, E>,
    ) -> Result<Instruction<B>, E> {
        let mut pairs = |kvs: &[KeyValue<A>]| -> Result<Vec<KeyValue<B>>, E> {
            kvs.iter()
                .map(|kv| {
                    Ok(KeyValue {
                        key: f(&kv.key)?,
                        value: f(&kv.value)?,
                    })
                })
                .collect()
        };
        Ok(match self {
            Instruction::Run(c) => Instruction::Run(c.clone()),
            Instruction::Cmd(c) => Instruction::Cmd(c.clone()),
            Instruction::Entrypoint(c) => Instruction::Entrypoint(c.clone()),
            Instruction::Env(kvs) => Instruction::Env(pairs(kvs)?),
            Instruction::Label(kvs) => Instruction::Label(pairs(kvs)?),
            Instruction::Arg(decls) => Instruction::Arg(
                decls
                    .iter()
                    .map(|d| {
                        Ok(ArgDecl {
                            name: d.name.clone(),
                            default: d.default.as_ref().map(&mut f).transpose()?,
                        })
                    })
                    .collect::<Result<_, E>>()?,
            ),
            Instruction::Workdir(w) => Instruction::Workdir(f(w)?),
            Instruction::Copy(c) => Instruction::Copy(c.try_map(f)?),
            Instruction::Add(c) => Instruction::Add(c.try_map(f)?),
            Instruction::Expose(ws) => {
                Instruction::Expose(ws.iter().map(f).collect::<Result<_, E>>()?)
            }
            Instruction::Maintainer(m) => Instruction::Maintainer(m.clone()),
            Instruction::User(w) => Instruction::User(f(w)?),
            Instruction::Volume(ws) => {
                Instruction::Volume(ws.iter().map(f).collect::<Result<_, E>>()?)
            }
        })
    }
}

impl<A> Copy<A> {
    /// The same COPY with every word passed through `f`.
    pub fn try_map<B, E>(&self, mut f: impl FnMut(&A) -> Result<B, E>) -> Result<Copy<B>, E> {
        Ok(Copy {
            from: self.from.as_ref().map(&mut f).transpose()?,
            chown: self.chown.as_ref().map(&mut f).transpose()?,
            chmod: self.chmod.as_ref().map(&mut f).transpose()?,
            sources: self.sources.iter().map(&mut f).collect::<Result<_, E>>()?,
            dest: f(&self.dest)?,
        })
    }
}

impl<A> FromImage<A> {
    /// The same FROM with its words passed through `f`.
    pub fn try_map<B, E>(&self, mut f: impl FnMut(&A) -> Result<B, E>) -> Result<FromImage<B>, E> {
        Ok(FromImage {
            image: f(&self.image)?,
            platform: self.platform.as_ref().map(&mut f).transpose()?,
            alias: self.alias.clone(),
        })
    }
}
