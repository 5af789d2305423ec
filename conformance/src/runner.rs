//! Runs scenarios against an engine: fixtures up, steps in order until one fails, cleanup
//! always, and a verdict per scenario.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, EngineKind};
use crate::expect::clip;
use crate::fixture::{Registry, REGISTRY_ADDR};
use crate::scenario::{Fixture, Scenario, Step};
use crate::shell;

/// How a scenario went on one engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "reason")]
pub enum Verdict {
    /// Every step produced what Docker produces.
    #[serde(rename = "pass")]
    Pass,
    /// A step did not; the reason names it and what differed.
    #[serde(rename = "fail")]
    Fail(String),
    /// The engine cannot run it here, for the reason the scenario gives.
    #[serde(rename = "n/a")]
    NotApplicable(String),
}

/// Seconds a cleanup command may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Pause between two tries of a step that has `retry`.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Runs one scenario against `engine` and says how it went.
pub fn run_scenario(engine: &Engine, scenario: &Scenario) -> Verdict {
    if let Some(reason) = scenario.not_applicable.get(&engine.kind) {
        return Verdict::NotApplicable(reason.clone());
    }
    let work = match tempfile::Builder::new()
        .prefix("conformance-work-")
        .tempdir()
    {
        Ok(dir) => dir,
        Err(e) => return Verdict::Fail(format!("cannot make a work directory: {e}")),
    };
    let mut env = engine.env().clone();
    env.insert("WORK".into(), work.path().display().to_string());
    env.insert("ENGINE".into(), engine.kind.name().into());
    let verdict = match start_fixtures(scenario, work.path(), &mut env) {
        Ok(_fixtures) => run_steps(engine.kind, scenario, work.path(), &env),
        Err(reason) => Verdict::Fail(reason),
    };
    for command in &scenario.cleanup {
        let _ = shell::run(command, work.path(), &env, CLEANUP_TIMEOUT);
    }
    verdict
}

/// Starts what the scenario needs; the returned guards stop them when dropped.
fn start_fixtures(
    scenario: &Scenario,
    work: &Path,
    env: &mut BTreeMap<String, String>,
) -> Result<Vec<Registry>, String> {
    let mut running = Vec::new();
    for fixture in &scenario.needs {
        match fixture {
            Fixture::Registry => {
                let dir = work.join("registry");
                std::fs::create_dir_all(&dir).map_err(|e| format!("fixture registry: {e}"))?;
                running.push(Registry::start(&dir).map_err(|e| format!("fixture registry: {e}"))?);
                env.insert("REGISTRY".into(), REGISTRY_ADDR.into());
            }
        }
    }
    Ok(running)
}

fn run_steps(
    kind: EngineKind,
    scenario: &Scenario,
    work: &Path,
    env: &BTreeMap<String, String>,
) -> Verdict {
    for (i, step) in scenario.steps.iter().enumerate() {
        if let Err(reason) = run_step(kind, step, work, env) {
            return Verdict::Fail(format!(
                "step {} `{}`: {reason}",
                i + 1,
                clip(first_line(&step.run))
            ));
        }
    }
    Verdict::Pass
}

/// Runs a step, again and again while it fails and its `retry` time lasts.
fn run_step(
    kind: EngineKind,
    step: &Step,
    work: &Path,
    env: &BTreeMap<String, String>,
) -> Result<(), String> {
    let expect = step.expect_for(kind);
    let deadline = Instant::now() + Duration::from_secs_f64(step.retry.unwrap_or(0.0));
    loop {
        let out = shell::run(&step.run, work, env, Duration::from_secs_f64(step.timeout))
            .map_err(|e| format!("cannot run bash: {e}"))?;
        match expect.check(&out) {
            Ok(()) => return Ok(()),
            Err(reason) if Instant::now() >= deadline => return Err(reason),
            Err(_) => std::thread::sleep(RETRY_PAUSE),
        }
    }
}

fn first_line(text: &str) -> &str {
    text.trim().lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_serialize_as_status_and_reason() {
        let json = serde_json::to_string(&Verdict::Fail("step 1".into())).unwrap();
        assert_eq!(json, r#"{"status":"fail","reason":"step 1"}"#);
        let back: Verdict =
            serde_json::from_str(r#"{"status":"n/a","reason":"no cgroup"}"#).unwrap();
        assert_eq!(back, Verdict::NotApplicable("no cgroup".into()));
        assert_eq!(
            serde_json::to_string(&Verdict::Pass).unwrap(),
            r#"{"status":"pass"}"#
        );
    }
}
