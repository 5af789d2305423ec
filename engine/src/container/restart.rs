//! `--restart`: whether the monitor starts a container again after its PID 1 exits, and how long it
//! waits first.
//!
//! The policies are Docker's: `no`, `on-failure[:N]` (non-zero exits, at most N restarts),
//! `always` and `unless-stopped` (the same as `always` here: ferry has no daemon that restarts at
//! boot). A container stopped by `ferry stop` is never restarted, whatever its policy. Between
//! restarts the monitor waits 100 ms, doubling each time up to a minute, and back to 100 ms once a
//! run lasted ten seconds: a crashing container does not spin the CPU.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A container's restart policy, serialized as Docker's `HostConfig.RestartPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(try_from = "PolicyJson", into = "PolicyJson")]
pub enum RestartPolicy {
    /// Never restart (the default).
    #[default]
    No,
    /// Restart after a non-zero exit, at most `max_retries` times (0: without limit).
    OnFailure {
        /// How many restarts are allowed; 0 means no limit.
        max_retries: u32,
    },
    /// Restart after every exit.
    Always,
    /// Like `always` (Docker differs only when its daemon restarts).
    UnlessStopped,
}

/// Docker's JSON shape: `{"Name": "on-failure", "MaximumRetryCount": 3}`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PolicyJson {
    name: String,
    maximum_retry_count: u32,
}

impl From<RestartPolicy> for PolicyJson {
    fn from(policy: RestartPolicy) -> Self {
        let maximum_retry_count = match policy {
            RestartPolicy::OnFailure { max_retries } => max_retries,
            _ => 0,
        };
        PolicyJson {
            name: policy.name().into(),
            maximum_retry_count,
        }
    }
}

impl TryFrom<PolicyJson> for RestartPolicy {
    type Error = Error;
    fn try_from(json: PolicyJson) -> Result<Self> {
        match json.name.as_str() {
            "on-failure" => Ok(RestartPolicy::OnFailure {
                max_retries: json.maximum_retry_count,
            }),
            other => RestartPolicy::parse(other),
        }
    }
}

impl RestartPolicy {
    /// Parses `--restart`: `no`, `always`, `unless-stopped`, `on-failure` or `on-failure:N`.
    pub fn parse(text: &str) -> Result<Self> {
        let (name, count) = match text.split_once(':') {
            Some((name, count)) => (name, Some(count)),
            None => (text, None),
        };
        let policy = match (name, count) {
            ("" | "no", None) => RestartPolicy::No,
            ("always", None) => RestartPolicy::Always,
            ("unless-stopped", None) => RestartPolicy::UnlessStopped,
            ("on-failure", None) => RestartPolicy::OnFailure { max_retries: 0 },
            ("on-failure", Some(n)) => match n.parse::<u32>() {
                Ok(max_retries) => RestartPolicy::OnFailure { max_retries },
                Err(_) => return Err(Error::InvalidArgument(format!("invalid restart policy format: maximum retry count must be an integer: {n:?}"))),
            },
            ("no" | "always" | "unless-stopped", Some(_)) => {
                return Err(Error::InvalidArgument(format!("invalid restart policy format: maximum retry count can only be used with 'on-failure': {text:?}")))
            }
            _ => return Err(Error::InvalidArgument(format!("invalid restart policy format: unknown policy {name:?}"))),
        };
        Ok(policy)
    }

    /// The policy's name as Docker spells it.
    pub fn name(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure { .. } => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }

    // ANCHOR: should_restart
    /// Whether to start the container again after PID 1 exited with `exit_code`, having been
    /// restarted `restarts` times already. A manual stop always wins.
    pub fn should_restart(self, exit_code: i32, restarts: u32, manually_stopped: bool) -> bool {
        if manually_stopped {
            return false;
        }
        match self {
            RestartPolicy::No => false,
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
            RestartPolicy::OnFailure { max_retries } => {
                exit_code != 0 && (max_retries == 0 || restarts < max_retries)
            }
        }
    }
    // ANCHOR_END: should_restart
}

/// The delay before the next restart: 100 ms doubling to a minute, reset after a run of 10 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_secs(60);
    const STABLE_RUN: Duration = Duration::from_secs(10);

    /// A fresh back-off: the first restart waits 100 ms.
    pub fn new() -> Self {
        Backoff { next: Self::FIRST }
    }

    /// How long to wait before restarting a container whose last run lasted `ran_for`.
    pub fn delay_after(&mut self, ran_for: Duration) -> Duration {
        if ran_for >= Self::STABLE_RUN {
            self.next = Self::FIRST;
        }
        let delay = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        delay
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_policy_spellings_parse() {
        assert_eq!(RestartPolicy::parse("no").unwrap(), RestartPolicy::No);
        assert_eq!(
            RestartPolicy::parse("always").unwrap(),
            RestartPolicy::Always
        );
        assert_eq!(
            RestartPolicy::parse("unless-stopped").unwrap(),
            RestartPolicy::UnlessStopped
        );
        assert_eq!(
            RestartPolicy::parse("on-failure").unwrap(),
            RestartPolicy::OnFailure { max_retries: 0 }
        );
        assert_eq!(
            RestartPolicy::parse("on-failure:3").unwrap(),
            RestartPolicy::OnFailure { max_retries: 3 }
        );
        for bad in ["sometimes", "always:3", "on-failure:x", "on-failure:-1"] {
            assert!(RestartPolicy::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn on_failure_restarts_failures_up_to_the_limit_and_a_manual_stop_wins() {
        let policy = RestartPolicy::OnFailure { max_retries: 2 };
        assert!(
            !policy.should_restart(0, 0, false),
            "success is not a failure"
        );
        assert!(policy.should_restart(1, 0, false));
        assert!(policy.should_restart(1, 1, false));
        assert!(
            !policy.should_restart(1, 2, false),
            "two restarts were allowed"
        );
        assert!(RestartPolicy::Always.should_restart(0, 100, false));
        assert!(!RestartPolicy::Always.should_restart(137, 0, true));
        assert!(!RestartPolicy::No.should_restart(1, 0, false));
    }

    #[test]
    fn the_policy_serializes_as_dockers_restart_policy_object() {
        let json = serde_json::to_string(&RestartPolicy::OnFailure { max_retries: 5 }).unwrap();
        assert_eq!(json, r#"{"Name":"on-failure","MaximumRetryCount":5}"#);
        let back: RestartPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, RestartPolicy::OnFailure { max_retries: 5 });
    }

    #[test]
    fn backoff_doubles_to_a_minute_and_resets_after_a_stable_run() {
        let mut backoff = Backoff::new();
        let quick = Duration::from_millis(5);
        let delays: Vec<u128> = (0..4)
            .map(|_| backoff.delay_after(quick).as_millis())
            .collect();
        assert_eq!(delays, [100, 200, 400, 800]);
        for _ in 0..20 {
            backoff.delay_after(quick);
        }
        assert_eq!(backoff.delay_after(quick), Duration::from_secs(60));
        assert_eq!(
            backoff.delay_after(Duration::from_secs(11)),
            Duration::from_millis(100)
        );
    }
}
