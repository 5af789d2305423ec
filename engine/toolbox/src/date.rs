//! `date [-u] [+FORMAT]`: the current time in UTC (the container has no time zone data).

use std::io::{self, Write};

use crate::clock::{self, Civil, WEEKDAYS};
use crate::error::{report, AppletError, Result};

/// The layout `date` prints without a format.
const DEFAULT_FORMAT: &str = "%a %b %e %H:%M:%S %Z %Y";

/// Prints the time; `+FORMAT` understands `%Y %m %d %e %H %M %S %s %a %b %j %T %F %Z %%`.
pub fn main(args: &[String]) -> i32 {
    report("date", date(args))
}

fn date(args: &[String]) -> Result<i32> {
    let mut format = DEFAULT_FORMAT;
    for arg in args {
        match arg.strip_prefix('+') {
            Some(custom) => format = custom,
            None if arg == "-u" => {}
            None => return Err(AppletError::Usage("date [-u] [+FORMAT]".into())),
        }
    }
    let _ = writeln!(io::stdout(), "{}", render(format, clock::now()));
    Ok(0)
}

/// Expands strftime-style `%` conversions for the UTC time `secs`.
fn render(format: &str, secs: i64) -> String {
    let c = Civil::from_unix(secs);
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(ch) = chars.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let piece = match chars.next() {
            Some('Y') => c.year.to_string(),
            Some('m') => format!("{:02}", c.month),
            Some('d') => format!("{:02}", c.day),
            Some('e') => format!("{:>2}", c.day),
            Some('H') => format!("{:02}", c.hour),
            Some('M') => format!("{:02}", c.minute),
            Some('S') => format!("{:02}", c.second),
            Some('s') => secs.to_string(),
            Some('a') => WEEKDAYS[c.weekday as usize].to_string(),
            Some('b') => c.month_name().to_string(),
            Some('j') => format!("{:03}", day_of_year(&c)),
            Some('T') => format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second),
            Some('F') => format!("{}-{:02}-{:02}", c.year, c.month, c.day),
            Some('Z') => "UTC".to_string(),
            Some('%') => "%".to_string(),
            Some(other) => format!("%{other}"),
            None => "%".to_string(),
        };
        out.push_str(&piece);
    }
    out
}

/// 1 for January 1st.
fn day_of_year(c: &Civil) -> u32 {
    const DAYS_BEFORE_MONTH: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = (c.year % 4 == 0 && c.year % 100 != 0) || c.year % 400 == 0;
    DAYS_BEFORE_MONTH[(c.month - 1) as usize] + c.day + u32::from(leap && c.month > 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_looks_like_busybox_date() {
        // 2024-11-23 08:54:00 UTC was a Saturday.
        assert_eq!(
            render(DEFAULT_FORMAT, 1_732_352_040),
            "Sat Nov 23 08:54:00 UTC 2024"
        );
    }

    #[test]
    fn custom_formats_and_epoch_seconds() {
        assert_eq!(render("%F %T", 0), "1970-01-01 00:00:00");
        assert_eq!(render("%s%%", 42), "42%");
        assert_eq!(render("%j", 1_709_210_096), "060");
    }
}
