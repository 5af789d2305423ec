//! `sleep DURATION...`: waits; durations may be fractional, carry an `s`/`m`/`h`/`d` suffix,
//! or be `infinity` (the usual way to keep a container's PID 1 alive).

use std::time::Duration;

use crate::error::{report, AppletError, Result};

/// Sums the durations and sleeps that long.
pub fn main(args: &[String]) -> i32 {
    report("sleep", sleep(args))
}

fn sleep(args: &[String]) -> Result<i32> {
    if args.is_empty() {
        return Err(AppletError::Usage("sleep [N[smhd]|infinity]...".into()));
    }
    let mut total = 0.0;
    for arg in args {
        total += seconds(arg).ok_or_else(|| AppletError::Msg(format!("invalid number '{arg}'")))?;
    }
    if total.is_infinite() {
        loop {
            std::thread::sleep(Duration::from_secs(u64::from(u32::MAX)));
        }
    }
    std::thread::sleep(Duration::from_secs_f64(total));
    Ok(0)
}

/// Seconds in one duration argument, or `None` if it is not a duration.
fn seconds(arg: &str) -> Option<f64> {
    if arg == "infinity" || arg == "inf" {
        return Some(f64::INFINITY);
    }
    let (number, unit) = match arg.char_indices().last()? {
        (at, 's') => (&arg[..at], 1.0),
        (at, 'm') => (&arg[..at], 60.0),
        (at, 'h') => (&arg[..at], 3600.0),
        (at, 'd') => (&arg[..at], 86_400.0),
        _ => (arg, 1.0),
    };
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then_some(value * unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_fractions_suffixes_and_infinity() {
        assert_eq!(seconds("1.5"), Some(1.5));
        assert_eq!(seconds("2m"), Some(120.0));
        assert_eq!(seconds("0.5h"), Some(1800.0));
        assert_eq!(seconds("infinity"), Some(f64::INFINITY));
    }

    #[test]
    fn negative_or_garbage_durations_are_rejected() {
        assert_eq!(seconds("-1"), None);
        assert_eq!(seconds("abc"), None);
        assert_eq!(seconds("nan"), None);
        assert_eq!(seconds(""), None);
    }
}
