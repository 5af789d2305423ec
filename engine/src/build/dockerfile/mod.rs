//! The Dockerfile language: parsing, variable expansion with ARG/ENV scoping, and writing back.
//!
//! Parsing happens in three passes, one module each:
//! 1. [`lines`]: parser directives, comments, line continuations → one logical line per
//!    instruction, each remembering its physical lines for error positions;
//! 2. [`words`]: an instruction's arguments → raw words (quote-aware, quotes kept);
//! 3. `parser`: each keyword's argument syntax → [`Instruction`]s grouped into [`Stage`]s.
//!
//! Expansion is separate ([`Scope`], [`expand`]): a word's value depends on the ARGs and ENVs in
//! force when the build reaches it, including the base image's environment, so the builder asks
//! for it step by step. Every error carries a line and a column ([`ParseError`]).
//!
//! ```
//! use ferry::build::dockerfile::{parse, Command, Instruction};
//! let file = parse("FROM toolbox AS base\nRUN echo hi\n").unwrap();
//! assert_eq!(file.stages[0].name(), Some("base"));
//! assert_eq!(file.stages[0].instructions[0].node, Instruction::Run(Command::Shell("echo hi".into())));
//! ```

mod ast;
mod error;
pub mod expand;
pub mod lines;
mod parser;
mod render;
mod scope;
pub mod words;

#[cfg(test)]
mod roundtrip_tests;
#[cfg(test)]
mod seed_tests;

pub use ast::{
    ArgDecl, Command, Copy, Dockerfile, FromImage, Instruction, KeyValue, Located, Stage, Word,
};
pub use error::{ParseError, Pos};
pub use lines::Directives;
pub use parser::parse;
pub use render::Rendered;
pub use scope::Scope;
