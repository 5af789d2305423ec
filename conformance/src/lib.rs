//! The conformance suite: the seeds' command walk-throughs as scenarios, run against any
//! Docker-compatible CLI (`CONFORMANCE_ENGINE=ferry|docker|podman`).
//!
//! - [`scenario`]: the TOML scenario files and their checks.
//! - [`expect`]: exit codes, exact output, patterns.
//! - [`shell`]: one step in bash, where `docker` is the engine under test.
//! - [`engine`]: which CLI, its private state, the imported `bb` image.
//! - [`fixture`]: the busybox root filesystem, the registry with auth.
//! - [`runner`]: fixtures, steps, cleanup, a verdict per scenario.
//! - [`report`]: the scenario × engine table, as text and as the book's page.

pub mod engine;
pub mod expect;
pub mod fixture;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod shell;

use std::path::{Path, PathBuf};
use std::time::Instant;

use engine::{Engine, EngineKind};
use report::Column;
use runner::Verdict;
use scenario::Scenario;

/// What can stop the suite from running at all (a failing scenario is a [`Verdict`], not this).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A scenario or results file is malformed.
    #[error("{file}: {message}")]
    Scenario {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// `CONFORMANCE_ENGINE` names no engine the suite knows.
    #[error("CONFORMANCE_ENGINE={0}: expected ferry, docker or podman")]
    UnknownEngine(String),
    /// The engine or a fixture cannot be used on this machine.
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Runs `scenarios` against `kind` and returns its column. `only`, when given, limits the run to
/// the scenarios whose name contains it. Progress goes to stderr, one line per scenario.
pub fn run_suite(
    kind: EngineKind,
    scenarios: &[Scenario],
    ferry_bin: &Path,
    only: Option<&str>,
) -> Result<Column, Error> {
    let images = tempfile::Builder::new()
        .prefix("conformance-rootfs-")
        .tempdir()
        .map_err(|e| Error::io(Path::new("/tmp"), e))?;
    let rootfs = fixture::busybox_rootfs(images.path())?;
    let engine = Engine::start(kind, ferry_bin, &rootfs)?;
    let mut column = Column {
        engine: kind.name().into(),
        version: engine.version.clone(),
        results: Default::default(),
    };
    for scenario in scenarios
        .iter()
        .filter(|s| only.is_none_or(|o| s.name.contains(o)))
    {
        let started = Instant::now();
        let verdict = runner::run_scenario(&engine, scenario);
        let word = match &verdict {
            Verdict::Pass => "pass".to_string(),
            Verdict::Fail(reason) => format!("FAIL {reason}"),
            Verdict::NotApplicable(reason) => format!("n/a  {reason}"),
        };
        say(&format!(
            "[{kind}] {:<40} {:>5.1}s {word}",
            scenario.name,
            started.elapsed().as_secs_f64()
        ));
        column.results.insert(scenario.name.clone(), verdict);
    }
    engine.finish();
    Ok(column)
}

/// Writes a line straight to stderr, past the test harness's output capture, so the progress and
/// the table show in a plain `cargo test` run and not only with `--nocapture`.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The names listed in a `ferry-required.txt`-style file (one per line, `#` comments).
pub fn required_names(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_names_skip_comments_and_blank_lines() {
        let text = "# header\nrun-exit-code\n\n  ps-all # trailing\n";
        assert_eq!(required_names(text), ["run-exit-code", "ps-all"]);
    }
}
