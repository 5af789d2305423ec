//! Sizes as Docker's CLI prints them (its `go-units` package): decimal units with three
//! significant digits for disk sizes (`images`, `ps -s`, prune, network and block I/O), binary
//! units with four for memory (`stats`, `info`).

/// A size in decimal units with three significant digits, as Docker's `units.HumanSize`:
/// `0B`, `999B`, `1.23kB`, `4.86MB`, `123MB`.
pub fn human_size(bytes: u64) -> String {
    scaled(bytes, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB", "EB"], 3)
}

/// A size in binary units with four significant digits, as Docker's `units.BytesSize`:
/// `0B`, `512B`, `1.5KiB`, `30MiB`, `7.667GiB`.
pub fn binary_size(bytes: u64) -> String {
    scaled(
        bytes,
        1024.0,
        &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"],
        4,
    )
}

/// `bytes` divided by `base` until it is below it, with `digits` significant digits and the unit.
fn scaled(bytes: u64, base: f64, units: &[&str], digits: i32) -> String {
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= base && unit < units.len() - 1 {
        value /= base;
        unit += 1;
    }
    format!("{}{}", significant(value, digits), units[unit])
}

/// `value` with `digits` significant digits and no trailing zeros (C's `%.Ng` for values from 1
/// up to the unit's base).
fn significant(value: f64, digits: i32) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_sizes_have_three_significant_decimal_digits() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1234), "1.23kB");
        assert_eq!(human_size(7_800), "7.8kB");
        assert_eq!(human_size(4_864_000), "4.86MB");
        assert_eq!(human_size(12_345_678), "12.3MB");
        assert_eq!(human_size(123_456_789), "123MB");
        assert_eq!(human_size(1_000_000), "1MB");
        assert_eq!(human_size(2_000_000_000), "2GB");
    }

    #[test]
    fn memory_sizes_have_four_significant_binary_digits() {
        assert_eq!(binary_size(0), "0B");
        assert_eq!(binary_size(512), "512B");
        assert_eq!(binary_size(1024), "1KiB");
        assert_eq!(binary_size(1536), "1.5KiB");
        assert_eq!(binary_size(30 << 20), "30MiB");
        assert_eq!(binary_size(1_572_864), "1.5MiB");
        assert_eq!(binary_size(1_234_567), "1.177MiB");
        assert_eq!(binary_size(8_232_222_720), "7.667GiB");
        assert_eq!(binary_size(8_344_383_488), "7.771GiB");
        assert_eq!(
            binary_size(1023 * 1024 * 1024 + 1000 * 1024 * 1024),
            "1.976GiB"
        );
        assert_eq!(binary_size(10_485_235), "9.999MiB");
        assert_eq!(
            binary_size(10_485_759),
            "10MiB",
            "rounding carries into the next digit"
        );
    }
}
