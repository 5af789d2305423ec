//! Calendar arithmetic for `date`, `ls -l` and `stat`, always in UTC.
//!
//! A container has no `/etc/localtime` and the static binary has no time zone database, so UTC
//! is the honest answer (busybox in an empty image prints UTC too).

use std::time::{SystemTime, UNIX_EPOCH};

/// Three-letter month names, January first.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Three-letter weekday names, Sunday first.
pub const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/// A moment broken into calendar fields (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 is Sunday.
    pub weekday: u32,
}

impl Civil {
    /// Splits seconds since the Unix epoch into calendar fields.
    pub fn from_unix(secs: i64) -> Civil {
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: of_day / 3600,
            minute: of_day / 60 % 60,
            second: of_day % 60,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4).rem_euclid(7) as u32,
        }
    }

    /// Three-letter month name.
    pub fn month_name(&self) -> &'static str {
        MONTHS[(self.month - 1) as usize]
    }

    /// `2024-11-23 08:54:00`, the form `stat` prints.
    pub fn iso(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_is_thursday_first_of_january_1970() {
        let c = Civil::from_unix(0);
        assert_eq!((c.year, c.month, c.day, c.weekday), (1970, 1, 1, 4));
    }

    #[test]
    fn leap_day_and_time_of_day() {
        // 2024-02-29 12:34:56 UTC
        let c = Civil::from_unix(1_709_210_096);
        assert_eq!(c.iso(), "2024-02-29 12:34:56");
        assert_eq!(WEEKDAYS[c.weekday as usize], "Thu");
        assert_eq!(c.month_name(), "Feb");
    }

    #[test]
    fn times_before_the_epoch() {
        assert_eq!(Civil::from_unix(-1).iso(), "1969-12-31 23:59:59");
    }
}
