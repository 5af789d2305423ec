//! `ferry ps`: which containers to list (`-a`, `-n`, `-l`, `-f`) and the text of each column, as
//! Docker writes it ("Up 5 seconds", "Exited (0) 3 seconds ago", `"sh -c 'sleep 1…"`).

use super::state::{State, Status};
use super::store::Container;
use super::time::{human_duration, Timestamp};
use crate::{Error, Result};

/// `-f key=value` filters: values of one key are alternatives, different keys must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    names: Vec<String>,
    ids: Vec<String>,
    statuses: Vec<Status>,
    exit_codes: Vec<i32>,
}

impl Filters {
    /// Parses `name=…`, `id=…`, `status=…` and `exited=…` filters.
    pub fn parse(filters: &[String]) -> Result<Self> {
        let mut parsed = Filters::default();
        for filter in filters {
            let (key, value) = filter.split_once('=').ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "bad format of filter (expected name=value): {filter}"
                ))
            })?;
            match key {
                "name" => parsed.names.push(value.to_string()),
                "id" => parsed.ids.push(value.to_string()),
                "status" => parsed.statuses.push(Status::parse(value).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "invalid filter 'status={value}': must be one of created, restarting, running, removing, paused, exited, dead"
                    ))
                })?),
                "exited" => parsed.exit_codes.push(value.parse().map_err(|_| Error::InvalidArgument(format!("invalid filter 'exited={value}'")))?),
                other => return Err(Error::InvalidArgument(format!("invalid filter '{other}'"))),
            }
        }
        Ok(parsed)
    }

    /// Whether `container` passes every filter.
    pub fn matches(&self, container: &Container) -> bool {
        let state = &container.record.state;
        (self.names.is_empty() || self.names.iter().any(|p| name_matches(p, container.name())))
            && (self.ids.is_empty()
                || self
                    .ids
                    .iter()
                    .any(|p| container.id().as_str().starts_with(p.as_str())))
            && (self.statuses.is_empty() || self.statuses.contains(&state.status))
            && (self.exit_codes.is_empty()
                || (state.status == Status::Exited && self.exit_codes.contains(&state.exit_code)))
    }
}

/// Docker matches names with a regular expression; the anchors `^` and `$` and plain substrings
/// cover how it is used.
fn name_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern);
    match (pattern.strip_prefix('^'), pattern.strip_suffix('$')) {
        (Some(rest), _) if rest.ends_with('$') => name == &rest[..rest.len() - 1],
        (Some(rest), _) => name.starts_with(rest),
        (None, Some(rest)) => name.ends_with(rest),
        (None, None) => name.contains(pattern),
    }
}

/// What `ps` was asked to show.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `-a`: stopped containers too.
    pub all: bool,
    /// `-n N` (`-l` is `-n 1`): the N most recently created, in any state.
    pub last: Option<usize>,
    /// `-f`.
    pub filters: Filters,
}

// ANCHOR: select
/// Picks the containers `ps` lists from all of them (newest first): running ones unless `-a`, a
/// `-n`/`-l` or a status filter says otherwise.
pub fn select(containers: Vec<Container>, selection: &Selection) -> Vec<Container> {
    let everything =
        selection.all || selection.last.is_some() || !selection.filters.statuses.is_empty();
    let mut chosen: Vec<Container> = containers
        .into_iter()
        .filter(|c| everything || c.status().is_active())
        .filter(|c| selection.filters.matches(c))
        .collect();
    if let Some(n) = selection.last {
        chosen.truncate(n);
    }
    chosen
}
// ANCHOR_END: select

// ANCHOR: status_text
/// The STATUS column: Docker's `State.String()`.
pub fn status_text(state: &State, now: Timestamp) -> String {
    let since = |t: Timestamp| human_duration(t.elapsed_at(now));
    match state.status {
        Status::Running => format!("Up {}", since(state.started_at)),
        Status::Paused => format!("Up {} (Paused)", since(state.started_at)),
        Status::Restarting => format!(
            "Restarting ({}) {} ago",
            state.exit_code,
            since(state.finished_at)
        ),
        Status::Removing => "Removal In Progress".into(),
        Status::Dead => "Dead".into(),
        Status::Created => "Created".into(),
        Status::Exited if state.finished_at.is_zero() => "Exited".into(),
        Status::Exited => format!(
            "Exited ({}) {} ago",
            state.exit_code,
            since(state.finished_at)
        ),
    }
}
// ANCHOR_END: status_text

/// The COMMAND column: the command line (arguments with spaces in single quotes), cut to 20
/// characters with `…` unless `no_trunc`, in double quotes.
pub fn command_text(args: &[String], no_trunc: bool) -> String {
    let quoted: Vec<String> = args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect();
    let mut command = quoted.join(" ");
    if !no_trunc && command.chars().count() > 20 {
        command = command.chars().take(19).chain(['…']).collect();
    }
    format!("{command:?}")
}

/// One `ps` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// CONTAINER ID: 12 digits (64 with `--no-trunc`).
    pub id: String,
    /// IMAGE: as given to `run`.
    pub image: String,
    /// COMMAND.
    pub command: String,
    /// CREATED: "5 seconds ago".
    pub created: String,
    /// STATUS.
    pub status: String,
    /// PORTS: published ports, `0.0.0.0:8080->80/tcp`.
    pub ports: String,
    /// NAMES.
    pub names: String,
}

/// The `ps` row of `container` at time `now`.
pub fn row(container: &Container, now: Timestamp, no_trunc: bool) -> Row {
    let record = &container.record;
    Row {
        id: if no_trunc {
            record.id.to_string()
        } else {
            record.id.short().to_string()
        },
        image: record.config.image.clone(),
        command: command_text(&record.config.args, no_trunc),
        created: format!("{} ago", human_duration(record.created.elapsed_at(now))),
        status: status_text(&record.state, now),
        ports: crate::network::settings(&container.dir)
            .map(|s| s.ps_ports())
            .unwrap_or_default(),
        names: record.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: i128) -> Timestamp {
        Timestamp::from_unix_nanos(secs * 1_000_000_000)
    }

    #[test]
    fn status_reads_like_dockers() {
        let now = at(1000);
        let mut state = State::created();
        assert_eq!(status_text(&state, now), "Created");
        state.status = Status::Running;
        state.started_at = at(995);
        assert_eq!(status_text(&state, now), "Up 5 seconds");
        state.status = Status::Paused;
        assert_eq!(status_text(&state, now), "Up 5 seconds (Paused)");
        state.status = Status::Exited;
        state.exit_code = 3;
        state.finished_at = at(997);
        assert_eq!(status_text(&state, now), "Exited (3) 3 seconds ago");
        state.status = Status::Restarting;
        assert_eq!(status_text(&state, now), "Restarting (3) 3 seconds ago");
        state.status = Status::Removing;
        assert_eq!(status_text(&state, now), "Removal In Progress");
        state.status = Status::Dead;
        assert_eq!(status_text(&state, now), "Dead");
        assert_eq!(human_duration(Duration::from_secs(0)), "Less than a second");
    }

    #[test]
    fn commands_are_quoted_and_cut_at_twenty_characters() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            command_text(&args(&["sleep", "100"]), false),
            "\"sleep 100\""
        );
        assert_eq!(
            command_text(&args(&["sh", "-c", "while true; do date; done"]), false),
            "\"sh -c 'while true; …\""
        );
        assert_eq!(
            command_text(&args(&["sh", "-c", "a b"]), true),
            "\"sh -c 'a b'\""
        );
    }

    #[test]
    fn filters_parse_and_name_patterns_anchor() {
        let f = Filters::parse(&[
            "name=web".into(),
            "status=exited".into(),
            "status=created".into(),
            "id=ab".into(),
        ])
        .unwrap();
        assert_eq!(f.statuses, [Status::Exited, Status::Created]);
        assert!(Filters::parse(&["status=stopped".into()]).is_err());
        assert!(Filters::parse(&["color=red".into()]).is_err());
        assert!(Filters::parse(&["name".into()]).is_err());
        assert!(name_matches("test", "test-1") && name_matches("test", "my-test"));
        assert!(name_matches("^test", "test-1") && !name_matches("^test", "my-test"));
        assert!(name_matches("^test-1$", "test-1") && !name_matches("^test-1$", "test-10"));
        assert!(name_matches("-1$", "test-1") && !name_matches("-1$", "test-10"));
    }
}
