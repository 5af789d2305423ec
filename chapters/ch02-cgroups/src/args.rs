//! The demos' options: a few `--name N` flags with defaults, and nothing else.

use crate::Error;

/// Reads `--name N` options from `args` (without the program name) into the values of `flags`,
/// in order; a flag that is not given keeps its default. Anything else is a usage error.
pub fn numeric_flags<const N: usize>(
    args: &[String],
    flags: [(&str, u64); N],
) -> Result<[u64; N], Error> {
    let mut values = flags.map(|(_, default)| default);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let index = flags
            .iter()
            .position(|(name, _)| name == arg)
            .ok_or_else(|| Error::Usage(format!("unknown argument {arg:?}")))?;
        let value = rest
            .next()
            .ok_or_else(|| Error::Usage(format!("{arg} needs a value")))?;
        values[index] = value
            .parse()
            .map_err(|_| Error::Usage(format!("{arg} wants a whole number, not {value:?}")))?;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_not_given_keep_their_defaults() {
        let got = numeric_flags(&args(""), [("--limit-mb", 30), ("--interval-ms", 100)]).unwrap();
        assert_eq!(got, [30, 100]);
    }

    #[test]
    fn given_flags_override_in_any_order() {
        let flags = [("--percent", 10), ("--seconds", 3)];
        assert_eq!(
            numeric_flags(&args("--seconds 2 --percent 20"), flags).unwrap(),
            [20, 2]
        );
    }

    #[test]
    fn unknown_missing_or_non_numeric_values_are_usage_errors() {
        let flags = [("--percent", 10)];
        for bad in ["--cpus 2", "--percent", "--percent ten", "--percent -5"] {
            let err = numeric_flags(&args(bad), flags).unwrap_err();
            assert!(matches!(err, Error::Usage(_)), "{bad}: {err}");
        }
    }
}
