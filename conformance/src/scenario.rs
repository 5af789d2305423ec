//! Scenarios as data: the TOML files in `conformance/scenarios/`, one per seed topic.
//!
//! A scenario is a sequence of shell steps (`docker …` is the engine under test) with the exit
//! code and output each must produce, plus cleanup commands that always run. Keeping them as
//! data, not Rust, lets the same file be read as documentation and run against any engine.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::EngineKind;
use crate::expect::{Exit, Expect, Patterns};
use crate::Error;

/// One scenario file as written: `[[scenario]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    scenario: Vec<RawScenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    seed: String,
    about: String,
    #[serde(default)]
    needs: Vec<Fixture>,
    #[serde(default)]
    na: BTreeMap<String, String>,
    #[serde(default)]
    differs: BTreeMap<String, String>,
    step: Vec<RawStep>,
    #[serde(default)]
    cleanup: Vec<String>,
}

/// The expectation fields a step, or an engine's override of it, may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    exit: Option<Exit>,
    stdout: Option<String>,
    #[serde(default)]
    stdout_matches: Patterns,
    #[serde(default)]
    stdout_lacks: Patterns,
    #[serde(default)]
    stderr_matches: Patterns,
    /// Only in an override: why this engine answers differently.
    why: Option<String>,
}

/// A step as written: its command, Docker's answer, and per-engine overrides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    run: String,
    exit: Option<Exit>,
    stdout: Option<String>,
    #[serde(default)]
    stdout_matches: Patterns,
    #[serde(default)]
    stdout_lacks: Patterns,
    #[serde(default)]
    stderr_matches: Patterns,
    retry: Option<f64>,
    timeout: Option<f64>,
    ferry: Option<RawExpect>,
    docker: Option<RawExpect>,
    podman: Option<RawExpect>,
}

/// Something a scenario needs besides the engine and the `bb` image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fixture {
    /// A Distribution registry with htpasswd auth (user `admin`, password `admin`) at `$REGISTRY`.
    Registry,
}

/// A scenario ready to run.
#[derive(Debug)]
pub struct Scenario {
    /// Unique across the suite; what `ferry-required.txt` lists.
    pub name: String,
    /// The file it came from, e.g. `03-logs.toml`.
    pub file: String,
    /// Where in the seeds the walk-through is.
    pub seed: String,
    /// What the scenario proves, in one or two sentences.
    pub about: String,
    /// Fixtures started before the first step and stopped after cleanup.
    pub needs: Vec<Fixture>,
    /// Engines that cannot run it here, with the reason.
    pub not_applicable: BTreeMap<EngineKind, String>,
    /// Deliberate differences of an engine from Docker, explained.
    pub differs: BTreeMap<EngineKind, String>,
    /// The steps, in order; the first that fails ends the scenario.
    pub steps: Vec<Step>,
    /// Commands run after the steps whatever happened; their results are ignored.
    pub cleanup: Vec<String>,
}

/// One shell command and what it must produce.
#[derive(Debug)]
pub struct Step {
    /// Bash source; `docker` is a function calling the engine under test.
    pub run: String,
    /// What Docker does (and so every engine, unless overridden).
    pub expect: Expect,
    /// Per-engine replacements of `expect`, each with the reason it differs.
    pub overrides: BTreeMap<EngineKind, (Expect, String)>,
    /// Re-run the step until it passes, for at most this many seconds.
    pub retry: Option<f64>,
    /// Kill the step after this many seconds.
    pub timeout: f64,
}

/// Seconds a step may run when it does not say.
pub const DEFAULT_TIMEOUT: f64 = 60.0;

impl Step {
    /// The expectation for `engine`: its override if it has one, else Docker's.
    pub fn expect_for(&self, engine: EngineKind) -> &Expect {
        self.overrides
            .get(&engine)
            .map(|(e, _)| e)
            .unwrap_or(&self.expect)
    }
}

/// Loads every `*.toml` file of `dir`, in file-name order, and checks the suite is well formed.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut scenarios = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        scenarios.extend(parse(&file, &text)?);
    }
    check_unique(&scenarios)?;
    Ok(scenarios)
}

/// Parses one scenario file's text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Vec<Scenario>, Error> {
    let raw: File = toml::from_str(text).map_err(|e| Error::Scenario {
        file: file.into(),
        message: e.to_string(),
    })?;
    raw.scenario.into_iter().map(|s| build(file, s)).collect()
}

fn invalid(file: &str, scenario: &str, message: impl Into<String>) -> Error {
    Error::Scenario {
        file: file.into(),
        message: format!("scenario {scenario}: {}", message.into()),
    }
}

fn build(file: &str, raw: RawScenario) -> Result<Scenario, Error> {
    let name = raw.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(invalid(
            file,
            &name,
            "name must be lowercase letters, digits and '-'",
        ));
    }
    if raw.step.is_empty() {
        return Err(invalid(file, &name, "has no step"));
    }
    let engines = |map: BTreeMap<String, String>,
                   what: &str|
     -> Result<BTreeMap<EngineKind, String>, Error> {
        map.into_iter()
            .map(|(engine, reason)| {
                let kind = EngineKind::parse(&engine).ok_or_else(|| {
                    invalid(file, &name, format!("{what}: unknown engine {engine}"))
                })?;
                if reason.trim().is_empty() {
                    return Err(invalid(
                        file,
                        &name,
                        format!("{what}.{engine} must say why"),
                    ));
                }
                Ok((kind, reason))
            })
            .collect()
    };
    let not_applicable = engines(raw.na, "na")?;
    if not_applicable.contains_key(&EngineKind::Docker) {
        return Err(invalid(
            file,
            &name,
            "Docker is the reference: a scenario it cannot run is not a scenario",
        ));
    }
    let differs = engines(raw.differs, "differs")?;
    let steps = raw
        .step
        .into_iter()
        .enumerate()
        .map(|(i, step)| {
            build_step(step).map_err(|m| invalid(file, &name, format!("step {}: {m}", i + 1)))
        })
        .collect::<Result<_, _>>()?;
    Ok(Scenario {
        name,
        file: file.into(),
        seed: raw.seed,
        about: raw.about,
        needs: raw.needs,
        not_applicable,
        differs,
        steps,
        cleanup: raw.cleanup,
    })
}

fn build_step(raw: RawStep) -> Result<Step, String> {
    let expect = Expect::new(
        raw.exit.unwrap_or(Exit::Code(0)),
        raw.stdout,
        raw.stdout_matches,
        raw.stdout_lacks,
        raw.stderr_matches,
    )?;
    let mut overrides = BTreeMap::new();
    for (kind, over) in [
        (EngineKind::Ferry, raw.ferry),
        (EngineKind::Docker, raw.docker),
        (EngineKind::Podman, raw.podman),
    ] {
        let Some(over) = over else { continue };
        let why = over
            .why
            .filter(|w| !w.trim().is_empty())
            .ok_or_else(|| format!("the {kind} override must say why"))?;
        let merged = expect.with(
            over.exit,
            over.stdout,
            over.stdout_matches,
            over.stdout_lacks,
            over.stderr_matches,
        )?;
        overrides.insert(kind, (merged, why));
    }
    if raw.retry.is_some_and(|r| r <= 0.0) || raw.timeout.is_some_and(|t| t <= 0.0) {
        return Err("retry and timeout must be positive".into());
    }
    Ok(Step {
        run: raw.run,
        expect,
        overrides,
        retry: raw.retry,
        timeout: raw.timeout.unwrap_or(DEFAULT_TIMEOUT),
    })
}

fn check_unique(scenarios: &[Scenario]) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for s in scenarios {
        if !seen.insert(s.name.as_str()) {
            return Err(invalid(
                &s.file,
                &s.name,
                "the name is used twice in the suite",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[scenario]]
name = "run-exit-code"
seed = "002 §10"
about = "exit codes pass through"
na = { podman = "a reason" }
cleanup = ["docker rm -f cf-x"]

[[scenario.step]]
run = "docker run --rm bb sh -c 'exit 3'"
exit = 3

[[scenario.step]]
run = "docker ps"
stdout_matches = "^CONTAINER ID"

[scenario.step.podman]
exit = 125
why = "podman says so"
"#;

    #[test]
    fn a_scenario_file_parses_into_steps_with_overrides() {
        let s = parse("t.toml", ONE).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].steps.len(), 2);
        assert_eq!(s[0].steps[0].expect.exit, Exit::Code(3));
        assert_eq!(
            s[0].steps[1].expect_for(EngineKind::Podman).exit,
            Exit::Code(125)
        );
        assert_eq!(
            s[0].steps[1].expect_for(EngineKind::Ferry).exit,
            Exit::Code(0)
        );
        assert_eq!(s[0].not_applicable[&EngineKind::Podman], "a reason");
    }

    #[test]
    fn an_override_without_a_reason_is_rejected() {
        let text = ONE.replace("why = \"podman says so\"\n", "");
        let err = parse("t.toml", &text).unwrap_err().to_string();
        assert!(err.contains("must say why"), "{err}");
    }

    #[test]
    fn docker_cannot_be_marked_not_applicable() {
        let text = ONE.replace("na = { podman", "na = { docker");
        let err = parse("t.toml", &text).unwrap_err().to_string();
        assert!(err.contains("reference"), "{err}");
    }

    #[test]
    fn unknown_fields_are_errors_not_silently_ignored() {
        let text = ONE.replace("exit = 3", "exti = 3");
        assert!(parse("t.toml", &text).is_err());
    }

    #[test]
    fn a_bad_regex_is_reported_with_its_scenario() {
        let text = ONE.replace("^CONTAINER ID", "(unclosed");
        let err = parse("t.toml", &text).unwrap_err().to_string();
        assert!(
            err.contains("run-exit-code") && err.contains("step 2"),
            "{err}"
        );
    }
}
