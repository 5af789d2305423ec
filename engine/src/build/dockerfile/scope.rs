//! Which variables an instruction sees: Docker's ARG and ENV scoping.
//!
//! - ARGs before the first FROM are *global*: FROM lines see them, stages do not — unless a stage
//!   declares the name again (`ARG NAME`, no default needed), which brings the global value in.
//! - A `--build-arg NAME=VALUE` overrides the default of every ARG named NAME.
//! - ENV (the base image's, then the stage's own) wins over an ARG of the same name.
//! - ARGs are visible to later instructions and to RUN's environment, but are not stored in the
//!   image; ENVs are.

use std::collections::BTreeMap;

use super::ast::{ArgDecl, Dockerfile, FromImage, Instruction, Located, Word};
use super::error::{ParseError, Pos};
use super::expand::expand;

/// The variables visible at one point of a build.
#[derive(Debug, Clone)]
pub struct Scope {
    escape: char,
    build_args: BTreeMap<String, String>,
    /// The values global ARGs ended up with; a stage's `ARG NAME` without default takes them.
    globals: BTreeMap<String, String>,
    /// ARGs declared so far (in the global scope: the global ARGs), in order.
    args: Vec<(String, String)>,
    /// ENV so far, in order; empty in the global scope.
    env: Vec<(String, String)>,
}

impl Scope {
    /// The scope FROM lines are expanded in: the global ARGs, with `--build-arg` applied.
    pub fn global(
        dockerfile: &Dockerfile,
        build_args: &BTreeMap<String, String>,
    ) -> Result<Self, ParseError> {
        let mut scope = Scope {
            escape: dockerfile.directives.escape,
            build_args: build_args.clone(),
            globals: BTreeMap::new(),
            args: Vec::new(),
            env: Vec::new(),
        };
        for line in &dockerfile.global_args {
            let decls = line
                .node
                .iter()
                .map(|d| scope.expand_decl(d))
                .collect::<Result<Vec<_>, _>>()?;
            scope.declare_args(&decls);
        }
        Ok(scope)
    }

    /// The scope at the start of a stage whose base image has environment `base_env` (`KEY=VALUE`).
    pub fn stage(&self, base_env: &[String]) -> Scope {
        let env = base_env
            .iter()
            .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Scope {
            escape: self.escape,
            build_args: self.build_args.clone(),
            globals: self.args.iter().cloned().collect(),
            args: Vec::new(),
            env,
        }
    }

    // ANCHOR: lookup
    /// A variable's value: ENV first, then ARG; `None` when unset.
    pub fn lookup(&self, name: &str) -> Option<String> {
        let find = |vars: &[(String, String)]| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        find(&self.env).or_else(|| find(&self.args))
    }
    // ANCHOR_END: lookup

    /// Expands one word; errors point at the place in the Dockerfile.
    pub fn expand(&self, word: &Word) -> Result<String, ParseError> {
        expand(&word.raw, self.escape, &|name| self.lookup(name)).map_err(|e| {
            let column = word.pos.column + word.raw[..e.offset].chars().count();
            ParseError::new(Pos::new(word.pos.line, column), e.message)
        })
    }

    /// Expands a FROM line (in the global scope).
    pub fn expand_from(&self, from: &Located<FromImage>) -> Result<FromImage<String>, ParseError> {
        from.node.try_map(|w| self.expand(w))
    }

    /// Expands an instruction's words with the variables visible before it.
    ///
    /// All words of one instruction see the same variables: in `ENV A=1 B=$A`, `$A` is the value
    /// A had *before* this line, as in Docker.
    pub fn expand_instruction(
        &self,
        instruction: &Instruction,
    ) -> Result<Instruction<String>, ParseError> {
        instruction.try_map(|w| self.expand(w))
    }

    /// Records what an expanded ARG or ENV declares; other instructions change nothing here.
    pub fn apply(&mut self, instruction: &Instruction<String>) {
        match instruction {
            Instruction::Arg(decls) => self.declare_args(decls),
            Instruction::Env(pairs) => {
                for pair in pairs {
                    set(&mut self.env, &pair.key, &pair.value);
                }
            }
            _ => {}
        }
    }

    /// The ENV the image keeps, `KEY=VALUE`.
    pub fn env(&self) -> Vec<String> {
        self.env.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    /// The environment of a RUN: the ENV, plus the ARGs that no ENV shadows.
    pub fn run_env(&self) -> Vec<String> {
        let args = self
            .args
            .iter()
            .filter(|(k, _)| !self.env.iter().any(|(e, _)| e == k));
        args.chain(&self.env)
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }

    /// The ARG values declared so far (for cache keys: a RUN depends on them).
    pub fn args(&self) -> &[(String, String)] {
        &self.args
    }

    fn expand_decl(&self, decl: &ArgDecl) -> Result<ArgDecl<String>, ParseError> {
        let default = decl.default.as_ref().map(|w| self.expand(w)).transpose()?;
        Ok(ArgDecl {
            name: decl.name.clone(),
            default,
        })
    }

    /// `--build-arg` beats the default, which beats the global value; with none, the ARG stays unset.
    fn declare_args(&mut self, decls: &[ArgDecl<String>]) {
        for decl in decls {
            let value = self
                .build_args
                .get(&decl.name)
                .or(decl.default.as_ref())
                .or_else(|| self.globals.get(&decl.name))
                .cloned();
            if let Some(value) = value {
                set(&mut self.args, &decl.name, &value);
            }
        }
    }
}

fn set(vars: &mut Vec<(String, String)>, key: &str, value: &str) {
    match vars.iter_mut().find(|(k, _)| k == key) {
        Some(slot) => slot.1 = value.to_string(),
        None => vars.push((key.to_string(), value.to_string())),
    }
}
