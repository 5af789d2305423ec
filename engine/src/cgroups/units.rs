//! Parsing the values users type for `-m`/`--memory-swap` and `--cpus`, the way Docker does.
//!
//! Docker reads sizes with binary multipliers (`1k` = 1024 bytes) and an optional `b`/`ib` suffix, in
//! any case (`500m`, `1G`, `30MB`, `1.5g`, `1 gib`); it reads `--cpus` as a decimal fraction of the
//! machine's CPUs. Scripts written for Docker pass these strings unchanged, so ferry accepts the same
//! ones and refuses the others with Docker's messages.

use super::error::InvalidLimit;

/// Parses a memory size such as `500m`, `1g`, `30M`, `1024` or `1.5g` into bytes.
///
/// Units are `b`, `k`, `m`, `g`, `t`, `p` (powers of 1024), case-insensitive, optionally followed
/// by `i` and/or `b` and optionally preceded by one space, as Docker's `RAMInBytes` allows.
/// Anything else (`12q`, `-1`, `m`, an overflow) is `invalid size: '<text>'`.
pub fn parse_memory(text: &str) -> Result<u64, InvalidLimit> {
    let invalid = || InvalidLimit::Size(text.to_string());
    let number_len = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_len);
    let suffix = suffix.strip_prefix(' ').unwrap_or(suffix);
    let multiplier = unit_multiplier(suffix).ok_or_else(invalid)?;
    match number.split_once('.') {
        None if is_digits(number) => {
            let whole: u64 = number.parse().map_err(|_| invalid())?;
            whole
                .checked_mul(multiplier)
                .filter(|bytes| *bytes <= i64::MAX as u64)
                .ok_or_else(invalid)
        }
        Some((whole, fraction)) if is_digits(whole) && is_digits(fraction) => {
            let value: f64 = number.parse().map_err(|_| invalid())?;
            let bytes = value * multiplier as f64;
            // Docker truncates the product to whole bytes.
            (bytes < i64::MAX as f64)
                .then_some(bytes as u64)
                .ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

/// True for a non-empty run of ASCII digits.
fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The multiplier a size suffix stands for: `[kmgtp]?i?b?`, case-insensitive.
fn unit_multiplier(suffix: &str) -> Option<u64> {
    let lower = suffix.to_ascii_lowercase();
    let mut rest = lower.as_str();
    let mut multiplier = 1u64;
    if let Some(unit) = rest.chars().next() {
        if let Some(power) = "kmgtp".find(unit) {
            multiplier = 1u64 << (10 * (power as u32 + 1));
            rest = &rest[1..];
        }
    }
    let rest = rest.strip_prefix('i').unwrap_or(rest);
    let rest = rest.strip_prefix('b').unwrap_or(rest);
    rest.is_empty().then_some(multiplier)
}

/// Parses `--cpus` (e.g. `0.5`, `1.5`) against the CPUs this process may run on.
///
/// Refuses what is not a finite number and what lies outside `0.01..=N`, with Docker's message
/// `range of CPUs is from 0.01 to N.00, as there are only N CPUs available`.
pub fn parse_cpus(text: &str) -> Result<f64, InvalidLimit> {
    parse_cpus_on(text, available_cpus())
}

/// [`parse_cpus`] for a machine with `available` CPUs (what tests use).
pub fn parse_cpus_on(text: &str, available: usize) -> Result<f64, InvalidLimit> {
    let cpus: f64 = text
        .trim()
        .parse()
        .ok()
        .filter(|c: &f64| c.is_finite())
        .ok_or_else(|| InvalidLimit::Cpus(text.to_string()))?;
    if !(0.01..=available as f64).contains(&cpus) {
        return Err(InvalidLimit::CpusOutOfRange { available });
    }
    Ok(cpus)
}

/// How many CPUs this process may run on (its affinity mask), as Docker's `sysinfo.NumCPU`.
pub fn available_cpus() -> usize {
    match nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)) {
        Ok(set) => (0..nix::sched::CpuSet::count())
            .filter(|cpu| set.is_set(*cpu).unwrap_or(false))
            .count()
            .max(1),
        Err(_) => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn memory_sizes_use_binary_units_in_any_case() {
        assert_eq!(parse_memory("1024"), Ok(1024));
        assert_eq!(parse_memory("500m"), Ok(500 * MIB));
        assert_eq!(parse_memory("30M"), Ok(30 * MIB));
        assert_eq!(parse_memory("1g"), Ok(1024 * MIB));
        assert_eq!(parse_memory("4k"), Ok(4096));
        assert_eq!(parse_memory("7b"), Ok(7));
        assert_eq!(parse_memory("2t"), Ok(2 << 40));
    }

    #[test]
    fn memory_sizes_accept_dockers_b_and_ib_suffixes_and_one_space() {
        assert_eq!(parse_memory("30MB"), Ok(30 * MIB));
        assert_eq!(parse_memory("30mib"), Ok(30 * MIB));
        assert_eq!(parse_memory("1 g"), Ok(1024 * MIB));
    }

    #[test]
    fn memory_fractions_are_truncated_to_bytes() {
        assert_eq!(parse_memory("1.5g"), Ok(1536 * MIB));
        assert_eq!(parse_memory("0.5k"), Ok(512));
        assert_eq!(parse_memory("1.1b"), Ok(1));
    }

    #[test]
    fn memory_sizes_that_docker_refuses_are_refused_with_its_message() {
        for bad in [
            "12q", "", "m", "-1", "1.5.2g", ".5g", "5.g", "1  g", "1gg", "9999999p",
        ] {
            let err = parse_memory(bad).expect_err(bad);
            assert_eq!(err.to_string(), format!("invalid size: '{bad}'"));
        }
    }

    #[test]
    fn cpus_accept_fractions_up_to_the_machine() {
        assert_eq!(parse_cpus_on("0.5", 2), Ok(0.5));
        assert_eq!(parse_cpus_on("2", 2), Ok(2.0));
        assert_eq!(parse_cpus_on("0.01", 2), Ok(0.01));
    }

    #[test]
    fn cpus_beyond_the_machine_or_not_positive_are_out_of_range() {
        for bad in ["3", "2.01", "0", "-1", "0.001"] {
            let err = parse_cpus_on(bad, 2).expect_err(bad);
            assert_eq!(
                err.to_string(),
                "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"
            );
        }
    }

    #[test]
    fn cpus_that_are_not_numbers_are_refused() {
        for bad in ["NaN", "inf", "half", ""] {
            let err = parse_cpus_on(bad, 2).expect_err(bad);
            assert_eq!(
                err.to_string(),
                format!("failed to parse '{bad}' as a rational number")
            );
        }
    }

    #[test]
    fn this_machine_has_at_least_one_cpu() {
        assert!(available_cpus() >= 1);
    }

    proptest! {
        #[test]
        fn memory_size_round_trips_number_and_unit(
            n in 0u64..(1 << 30),
            (unit, shift) in prop_oneof![
                Just(("", 0u32)), Just(("b", 0)), Just(("k", 10)), Just(("M", 20)),
                Just(("g", 30)), Just(("KiB", 10)), Just(("mb", 20)),
            ],
        ) {
            prop_assert_eq!(parse_memory(&format!("{n}{unit}")), Ok(n << shift));
        }

        #[test]
        fn memory_parser_never_panics(text in "\\PC{0,12}") {
            let _ = parse_memory(&text);
        }
    }
}
