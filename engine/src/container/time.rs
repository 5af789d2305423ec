//! Points in time as Docker writes and shows them: RFC 3339 in UTC with nanoseconds
//! (`2024-05-01T09:30:00.123456789Z`), and "5 seconds" / "About a minute" for `ps`.
//!
//! Written by hand (no date crate): a timestamp is nanoseconds since the Unix epoch, and turning
//! days into a calendar date is one well-known formula (Howard Hinnant's `civil_from_days`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const NANOS_PER_SEC: i128 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// A point in time, UTC, with nanosecond precision; `Timestamp::ZERO` means "never" and prints as
/// Go's zero time (`0001-01-01T00:00:00Z`), as Docker prints an unset `FinishedAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Nanoseconds since 1970-01-01T00:00:00Z; `i128::MIN` is the zero time.
    nanos: i128,
}

impl Timestamp {
    /// "Never": Go's zero `time.Time`.
    pub const ZERO: Timestamp = Timestamp { nanos: i128::MIN };

    /// The current time from the system clock.
    pub fn now() -> Self {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            nanos: since.as_nanos() as i128,
        }
    }

    /// A timestamp `nanos` nanoseconds after the Unix epoch.
    pub fn from_unix_nanos(nanos: i128) -> Self {
        Timestamp { nanos }
    }

    /// Whether this is the zero time ("never happened").
    pub fn is_zero(self) -> bool {
        self == Self::ZERO
    }

    /// Nanoseconds since the epoch (meaningless for the zero time).
    pub fn unix_nanos(self) -> i128 {
        self.nanos
    }

    /// How long ago this was, as seen from `now` (zero if in the future or never).
    pub fn elapsed_at(self, now: Timestamp) -> Duration {
        if self.is_zero() || now.nanos <= self.nanos {
            return Duration::ZERO;
        }
        let nanos = now.nanos - self.nanos;
        Duration::new(
            (nanos / NANOS_PER_SEC) as u64,
            (nanos % NANOS_PER_SEC) as u32,
        )
    }

    /// RFC 3339 with exactly nine fraction digits: what `docker logs -t` prints, so lines align.
    pub fn rfc3339_fixed(self) -> String {
        self.format(true)
    }

    /// RFC 3339 with trailing zeros of the fraction dropped (Go's `RFC3339Nano`): what Docker writes
    /// in JSON (`inspect`, json-file logs).
    pub fn rfc3339_nano(self) -> String {
        self.format(false)
    }

    fn format(self, fixed: bool) -> String {
        if self.is_zero() {
            return "0001-01-01T00:00:00Z".into();
        }
        let secs = self.nanos.div_euclid(NANOS_PER_SEC) as i64;
        let frac = self.nanos.rem_euclid(NANOS_PER_SEC) as u32;
        let (days, secs_of_day) = (secs.div_euclid(SECS_PER_DAY), secs.rem_euclid(SECS_PER_DAY));
        let (year, month, day) = civil_from_days(days);
        let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
        let mut fraction = format!("{frac:09}");
        if !fixed {
            while fraction.ends_with('0') {
                fraction.pop();
            }
        }
        let dot = if fraction.is_empty() { "" } else { "." };
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{dot}{fraction}Z")
    }

    /// Parses what [`Timestamp::rfc3339_nano`] and [`Timestamp::rfc3339_fixed`] write (UTC, `Z`).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "0001-01-01T00:00:00Z" {
            return Some(Self::ZERO);
        }
        let rest = text.strip_suffix('Z')?;
        let (date, time) = rest.split_once('T')?;
        let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
        let (year, month, day) = (d.next()??, d.next()??, d.next()??);
        let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
        let mut c = clock.splitn(3, ':').map(|p| p.parse::<i64>().ok());
        let (h, m, s) = (c.next()??, c.next()??, c.next()??);
        if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let frac: i128 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<9}").parse().ok()?
        };
        let secs = days_from_civil(year, month, day) * SECS_PER_DAY + h * 3600 + m * 60 + s;
        Some(Timestamp {
            nanos: secs as i128 * NANOS_PER_SEC + frac,
        })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339_nano())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.rfc3339_nano())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp {text:?}")))
    }
}

/// (year, month, day) of the day `days` after 1970-01-01, in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ANCHOR: human_duration
/// A duration the way `docker ps` says it ("Up 5 seconds", "Exited (0) About a minute ago"): the
/// same thresholds as Docker's `units.HumanDuration`.
pub fn human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    let minutes = seconds / 60;
    let hours = (d.as_secs_f64() / 3600.0 + 0.5) as u64;
    match () {
        _ if seconds < 1 => "Less than a second".into(),
        _ if seconds == 1 => "1 second".into(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", seconds / 3600 / 24 / 365),
    }
}
// ANCHOR_END: human_duration

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_format_as_rfc3339() {
        assert_eq!(
            Timestamp::from_unix_nanos(0).rfc3339_nano(),
            "1970-01-01T00:00:00Z"
        );
        let t = Timestamp::from_unix_nanos(1_700_000_000_120_000_000);
        assert_eq!(t.rfc3339_nano(), "2023-11-14T22:13:20.12Z");
        assert_eq!(t.rfc3339_fixed(), "2023-11-14T22:13:20.120000000Z");
        let leap_day = Timestamp::from_unix_nanos(951_782_400 * NANOS_PER_SEC);
        assert_eq!(leap_day.rfc3339_nano(), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn the_zero_time_is_gos_and_round_trips() {
        assert_eq!(Timestamp::ZERO.to_string(), "0001-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::parse("0001-01-01T00:00:00Z"),
            Some(Timestamp::ZERO)
        );
        assert_eq!(Timestamp::ZERO.elapsed_at(Timestamp::now()), Duration::ZERO);
    }

    #[test]
    fn formatting_and_parsing_are_inverse() {
        for nanos in [
            0,
            1,
            999_999_999,
            1_700_000_000_123_456_789,
            4_102_444_800_000_000_000,
        ] {
            let t = Timestamp::from_unix_nanos(nanos);
            assert_eq!(Timestamp::parse(&t.rfc3339_nano()), Some(t), "{t}");
            assert_eq!(Timestamp::parse(&t.rfc3339_fixed()), Some(t), "{t}");
        }
        for bad in [
            "",
            "yesterday",
            "2023-11-14T22:13:20",
            "2023-11-14T22:13:20.1234567891Z",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_read_like_dockers() {
        let s = Duration::from_secs;
        assert_eq!(
            human_duration(Duration::from_millis(300)),
            "Less than a second"
        );
        assert_eq!(human_duration(s(1)), "1 second");
        assert_eq!(human_duration(s(5)), "5 seconds");
        assert_eq!(human_duration(s(90)), "About a minute");
        assert_eq!(human_duration(s(45 * 60)), "45 minutes");
        assert_eq!(human_duration(s(3600)), "About an hour");
        assert_eq!(human_duration(s(5 * 3600)), "5 hours");
        assert_eq!(human_duration(s(3 * 86_400)), "3 days");
        assert_eq!(human_duration(s(21 * 86_400)), "3 weeks");
        assert_eq!(human_duration(s(90 * 86_400)), "3 months");
        assert_eq!(human_duration(s(800 * 86_400)), "2 years");
    }
}
