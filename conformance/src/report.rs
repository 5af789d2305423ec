//! The table of scenarios × engines: one column per engine, kept as JSON in
//! `conformance/results/<engine>.json`, printed as text and written as the book's Markdown page.
//!
//! Columns are files because the references are run at other times than ferry (by
//! `conformance/run-references`): the page always shows the latest run of each.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::EngineKind;
use crate::runner::Verdict;
use crate::scenario::Scenario;
use crate::Error;

/// One engine's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// `ferry`, `docker` or `podman`.
    pub engine: String,
    /// What the engine reported as its version.
    pub version: String,
    /// Scenario name → verdict.
    pub results: BTreeMap<String, Verdict>,
}

impl Column {
    /// Reads a column file; `None` when there is none yet.
    pub fn read(path: &Path) -> Result<Option<Column>, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Scenario {
                    file: path.display().to_string(),
                    message: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Writes the column as pretty JSON (stable order, so diffs show what changed).
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::io(path, std::io::Error::other(e)))?;
        std::fs::write(path, text + "\n").map_err(|e| Error::io(path, e))
    }

    /// Keeps this column's verdicts and adds `earlier`'s for scenarios this run did not run
    /// (a run limited with `CONFORMANCE_ONLY`), dropping scenarios that no longer exist.
    pub fn merged_over(mut self, earlier: Option<Column>, scenarios: &[Scenario]) -> Column {
        if let Some(earlier) = earlier {
            for (name, verdict) in earlier.results {
                self.results.entry(name).or_insert(verdict);
            }
        }
        self.results
            .retain(|name, _| scenarios.iter().any(|s| &s.name == name));
        self
    }
}

/// The short word for a verdict in a table cell.
fn cell(verdict: Option<&Verdict>) -> &'static str {
    match verdict {
        Some(Verdict::Pass) => "pass",
        Some(Verdict::Fail(_)) => "FAIL",
        Some(Verdict::NotApplicable(_)) => "n/a",
        None => "-",
    }
}

fn column_for(columns: &[Column], kind: EngineKind) -> Option<&Column> {
    columns.iter().find(|c| c.engine == kind.name())
}

/// The table as plain text, for the test's output.
pub fn text_table(scenarios: &[Scenario], columns: &[Column]) -> String {
    let width = scenarios
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:width$}  {:6} {:6} {:6}\n",
        "scenario", "ferry", "docker", "podman"
    );
    for s in scenarios {
        let cells: Vec<&str> = EngineKind::ALL
            .iter()
            .map(|k| cell(column_for(columns, *k).and_then(|c| c.results.get(&s.name))))
            .collect();
        let _ = writeln!(
            out,
            "{:width$}  {:6} {:6} {:6}",
            s.name, cells[0], cells[1], cells[2]
        );
    }
    for kind in EngineKind::ALL {
        let _ = writeln!(
            out,
            "{}",
            totals_line(scenarios, column_for(columns, kind), kind)
        );
    }
    out
}

fn totals_line(scenarios: &[Scenario], column: Option<&Column>, kind: EngineKind) -> String {
    let Some(column) = column else {
        return format!("{kind}: not run yet");
    };
    let count = |word: &str| {
        scenarios
            .iter()
            .filter(|s| cell(column.results.get(&s.name)) == word)
            .count()
    };
    format!(
        "{kind} ({}): {} pass, {} fail, {} n/a, {} not run",
        column.version,
        count("pass"),
        count("FAIL"),
        count("n/a"),
        count("-")
    )
}

/// The book's "Conformance" page.
pub fn markdown(scenarios: &[Scenario], columns: &[Column]) -> String {
    let mut md = String::from(INTRO);
    md.push_str("\n## Totals\n\n");
    for kind in EngineKind::ALL {
        let _ = writeln!(
            md,
            "- {}",
            totals_line(scenarios, column_for(columns, kind), kind)
        );
    }
    let mut file = "";
    for s in scenarios {
        if s.file != file {
            file = &s.file;
            let _ = write!(md, "\n## `{file}`\n\n| scenario | seed | ferry | docker | podman |\n|---|---|---|---|---|\n");
        }
        let cells: Vec<&str> = EngineKind::ALL
            .iter()
            .map(|k| cell(column_for(columns, *k).and_then(|c| c.results.get(&s.name))))
            .collect();
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} |",
            s.name,
            escape(&s.seed),
            cells[0],
            cells[1],
            cells[2]
        );
    }
    md.push_str("\n## Why: failures, n/a and deliberate differences\n\n");
    for s in scenarios {
        let notes = notes(s, columns);
        if !notes.is_empty() {
            let _ = writeln!(md, "- `{}` — {}", s.name, escape(&s.about));
            for note in notes {
                let _ = writeln!(md, "  - {}", escape(&note));
            }
        }
    }
    md
}

/// Every reason worth reading about one scenario: failures, n/a, and stated differences.
fn notes(s: &Scenario, columns: &[Column]) -> Vec<String> {
    let mut notes = Vec::new();
    for kind in EngineKind::ALL {
        match column_for(columns, kind).and_then(|c| c.results.get(&s.name)) {
            Some(Verdict::Fail(reason)) => notes.push(format!("{kind} fails: {reason}")),
            Some(Verdict::NotApplicable(reason)) => notes.push(format!("{kind} n/a: {reason}")),
            _ => {}
        }
    }
    for (kind, why) in &s.differs {
        notes.push(format!("{kind} differs on purpose: {why}"));
    }
    for (i, step) in s.steps.iter().enumerate() {
        for (kind, (_, why)) in &step.overrides {
            notes.push(format!("step {}: {kind} answers differently: {why}", i + 1));
        }
    }
    notes
}

/// Keeps a cell on one line, its pipes from splitting the table, and `<name>` from being read as
/// an HTML tag.
/// (Inside `code spans` `<` is shown as written, so it is left alone there.)
fn escape(text: &str) -> String {
    let one_line = text.replace('|', "\\|").replace('\n', " ");
    one_line
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 0 {
                part.replace('<', "&lt;").replace('>', "&gt;")
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`")
}

const INTRO: &str = "# Conformance\n\n\
This page is generated by `conformance/run-references` and `CONFORMANCE_RECORD=1 cargo test -p conformance` (do not edit it by hand). The suite in\n\
`conformance/scenarios/` turns every command walk-through of the course notes into scenarios: CLI\n\
invocations with the exit codes and output real Docker gives. The same scenarios run against ferry,\n\
against real Docker (dockerd 20.10 from Debian's `docker.io`, the reference: a scenario Docker fails is\n\
a wrong scenario) and against podman (a second reference), each with the same busybox image imported\n\
as `bb`. `conformance/run-references` starts Docker and podman, runs their columns, and cleans up.\n\n\
`FAIL` on ferry mostly means the feature has not landed yet; the reason says which step differed.\n\
`n/a` means the engine cannot run the scenario on this machine, for the reason given below.\n\
`conformance/ferry-required.txt` lists the scenarios ferry must pass for the test to succeed.\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    const FILE: &str = r#"
[[scenario]]
name = "a"
seed = "002 §1"
about = "first | piped <id> `a <b>`"
[[scenario.step]]
run = "true"
[scenario.step.podman]
exit = 1
why = "podman differs"

[[scenario]]
name = "b"
seed = "002 §2"
about = "second"
na = { podman = "cannot here" }
[[scenario.step]]
run = "true"
"#;

    fn columns() -> Vec<Column> {
        let ferry = Column {
            engine: "ferry".into(),
            version: "ferry 0.1.0".into(),
            results: BTreeMap::from([
                ("a".into(), Verdict::Pass),
                (
                    "b".into(),
                    Verdict::Fail("step 1 `x`: exit 1, expected 0".into()),
                ),
            ]),
        };
        let docker = Column {
            engine: "docker".into(),
            version: "dockerd 20.10".into(),
            results: BTreeMap::from([("a".into(), Verdict::Pass)]),
        };
        vec![ferry, docker]
    }

    #[test]
    fn the_text_table_has_a_row_per_scenario_and_totals() {
        let scenarios = parse("01-x.toml", FILE).unwrap();
        let table = text_table(&scenarios, &columns());
        assert!(
            table
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["a", "pass", "pass", "-"]),
            "{table}"
        );
        assert!(
            table
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["b", "FAIL", "-", "-"]),
            "{table}"
        );
        assert!(
            table.contains("ferry (ferry 0.1.0): 1 pass, 1 fail, 0 n/a, 0 not run"),
            "{table}"
        );
        assert!(table.contains("podman: not run yet"));
    }

    #[test]
    fn the_page_lists_reasons_and_differences_and_escapes_pipes() {
        let scenarios = parse("01-x.toml", FILE).unwrap();
        let md = markdown(&scenarios, &columns());
        assert!(md.contains("| `a` | 002 §1 | pass | pass | - |"), "{md}");
        assert!(md.contains("ferry fails: step 1 `x`: exit 1, expected 0"));
        assert!(md.contains("step 1: podman answers differently: podman differs"));
        assert!(md.contains("first \\| piped &lt;id&gt; `a <b>`"));
    }

    #[test]
    fn a_partial_run_keeps_the_earlier_verdicts_of_what_it_skipped() {
        let scenarios = parse("01-x.toml", FILE).unwrap();
        let earlier = columns().remove(0);
        let now = Column {
            engine: "ferry".into(),
            version: "v2".into(),
            results: BTreeMap::from([("a".into(), Verdict::Fail("new".into()))]),
        };
        let merged = now.merged_over(Some(earlier), &scenarios);
        assert_eq!(merged.results["a"], Verdict::Fail("new".into()));
        assert!(matches!(merged.results["b"], Verdict::Fail(_)));
    }

    #[test]
    fn columns_round_trip_through_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ferry.json");
        let column = columns().remove(0);
        column.write(&path).unwrap();
        assert_eq!(Column::read(&path).unwrap(), Some(column));
        assert_eq!(Column::read(&dir.path().join("none.json")).unwrap(), None);
    }
}
