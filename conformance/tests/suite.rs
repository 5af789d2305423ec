//! The conformance suite as a test: runs every scenario against the engine named by
//! `CONFORMANCE_ENGINE` (ferry by default) and prints the scenario × engine table. With
//! `CONFORMANCE_RECORD=1` (as `run-references` sets it) it also records the engine's column in
//! `conformance/results/` and writes the table as the book's page `book/src/conformance.md`;
//! without it, a test run leaves every tracked file as it was.
//!
//! What must pass: on ferry, the scenarios listed in `conformance/ferry-required.txt` (the list
//! grows as features land); on Docker, every scenario (Docker is the reference: a scenario it
//! fails is a wrong scenario). The podman column is published, not asserted.
//!
//! `CONFORMANCE_ONLY=word` runs only the scenarios whose name contains `word`.

use std::path::{Path, PathBuf};

use conformance::engine::EngineKind;
use conformance::report::{self, Column};
use conformance::runner::Verdict;
use conformance::scenario::{self, Scenario};
use ferry_testkit::{require, Need};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scenarios() -> Vec<Scenario> {
    scenario::load_dir(&crate_dir().join("scenarios")).expect("the scenario files are well formed")
}

fn required() -> Vec<String> {
    let path = crate_dir().join("ferry-required.txt");
    let text = std::fs::read_to_string(&path).expect("conformance/ferry-required.txt exists");
    conformance::required_names(&text)
}

fn column_path(kind: EngineKind) -> PathBuf {
    crate_dir().join("results").join(format!("{kind}.json"))
}

fn needs(kind: EngineKind) -> &'static [Need] {
    match kind {
        EngineKind::Ferry => &[Need::Root, Need::Namespaces, Need::Overlay, Need::Cgroups],
        EngineKind::Docker | EngineKind::Podman => &[Need::Root],
    }
}

#[test]
fn every_scenario_file_parses_and_every_seed_topic_has_scenarios() {
    let scenarios = scenarios();
    let files: std::collections::BTreeSet<&str> =
        scenarios.iter().map(|s| s.file.as_str()).collect();
    assert!(
        files.len() >= 10,
        "one file per seed topic, found {files:?}"
    );
    for s in &scenarios {
        assert!(
            !s.seed.trim().is_empty() && !s.about.trim().is_empty(),
            "{} says where it comes from and what it proves",
            s.name
        );
    }
}

#[test]
fn ferry_required_lists_only_scenarios_that_exist() {
    let names: Vec<String> = scenarios().into_iter().map(|s| s.name).collect();
    for name in required() {
        assert!(
            names.contains(&name),
            "ferry-required.txt lists {name}, which is no scenario"
        );
    }
}

#[test]
fn the_seeds_walkthroughs_conform_on_the_chosen_engine() {
    let kind = EngineKind::from_env().expect("CONFORMANCE_ENGINE is ferry, docker or podman");
    if !require(
        "the_seeds_walkthroughs_conform_on_the_chosen_engine",
        needs(kind),
    ) {
        return;
    }
    let scenarios = scenarios();
    let only = std::env::var("CONFORMANCE_ONLY").ok();
    let ferry = Path::new(env!("CARGO_BIN_EXE_conformance-ferry"));
    let column = conformance::run_suite(kind, &scenarios, ferry, only.as_deref())
        .expect("the engine can run scenarios");

    let path = column_path(kind);
    let column = column.merged_over(
        Column::read(&path).expect("the earlier column is readable"),
        &scenarios,
    );
    let record = std::env::var("CONFORMANCE_RECORD").is_ok_and(|v| v == "1");
    if record {
        column.write(&path).expect("results/ is writable");
    }
    // The table shows this run's column beside the recorded columns of the other engines.
    let columns: Vec<Column> = EngineKind::ALL
        .iter()
        .filter_map(|k| {
            if *k == kind {
                Some(column.clone())
            } else {
                Column::read(&column_path(*k)).ok().flatten()
            }
        })
        .collect();
    conformance::say(&report::text_table(&scenarios, &columns));
    if record {
        let page = crate_dir().join("../book/src/conformance.md");
        std::fs::write(&page, report::markdown(&scenarios, &columns))
            .expect("the book page is writable");
    }

    let must_pass: Vec<String> = match kind {
        EngineKind::Ferry => required(),
        EngineKind::Docker => scenarios.iter().map(|s| s.name.clone()).collect(),
        EngineKind::Podman => vec![],
    };
    let failures: Vec<String> = must_pass
        .iter()
        .filter(|name| only.as_deref().is_none_or(|o| name.contains(o)))
        .filter_map(|name| match column.results.get(name) {
            Some(Verdict::Fail(reason)) => Some(format!("{name}: {reason}")),
            None => Some(format!("{name}: did not run")),
            _ => None,
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{kind} fails scenarios it must pass:\n{}",
        failures.join("\n")
    );
}
