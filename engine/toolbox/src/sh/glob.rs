//! Pathname expansion: `*`, `?` and `[...]` in unquoted words match file names.
//!
//! Patterns arrive with quoted characters escaped by a backslash (see `expand`), so `"*"` stays
//! a star. A pattern that matches nothing is left as it was, as in POSIX shells.

use std::fs;
use std::path::Path;

/// Whether unquoted text contains a pattern character.
pub fn is_pattern(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Escapes pattern characters (and backslashes) so they match themselves.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Removes the escaping backslashes from a pattern component without special characters.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' {
            chars.next().unwrap_or('\\')
        } else {
            c
        });
    }
    out
}

/// Whether a component has an unescaped pattern character.
fn has_wildcard(component: &str) -> bool {
    let mut escaped = false;
    for c in component.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '*' | '?' | '[') {
            return true;
        }
    }
    false
}

/// The sorted paths matching `pattern`, or nothing.
pub fn expand(pattern: &str) -> Vec<String> {
    let dirs_only = pattern.ends_with('/');
    let mut paths = vec![if pattern.starts_with('/') {
        "/".to_string()
    } else {
        String::new()
    }];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for base in &paths {
            if has_wildcard(component) {
                let dir = if base.is_empty() { "." } else { base.as_str() };
                let Ok(entries) = fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<String> = entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|name| matches(component, name))
                    .collect();
                names.sort();
                next.extend(names.into_iter().map(|name| join(base, &name)));
            } else {
                next.push(join(base, &unescape(component)));
            }
        }
        paths = next;
    }
    paths.retain(|p| fs::symlink_metadata(p).is_ok() && (!dirs_only || Path::new(p).is_dir()));
    if dirs_only {
        paths.iter_mut().for_each(|p| p.push('/'));
    }
    paths.sort();
    paths
}

fn join(base: &str, name: &str) -> String {
    match base {
        "" => name.to_string(),
        "/" => format!("/{name}"),
        _ => format!("{base}/{name}"),
    }
}

/// Whether `name` matches one pattern component. A leading `.` must be matched explicitly.
pub fn matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') && !pattern.starts_with("\\.") {
        return false;
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pattern, &name)
}

fn match_from(pattern: &[char], name: &[char]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some('*') => (0..=name.len()).any(|skip| match_from(&pattern[1..], &name[skip..])),
        Some('?') => !name.is_empty() && match_from(&pattern[1..], &name[1..]),
        Some('[') => match (name.first(), Bracket::parse(&pattern[1..])) {
            (Some(&c), Some(bracket)) => {
                bracket.matches(c) && match_from(&pattern[1 + bracket.len..], &name[1..])
            }
            // An unclosed `[` is an ordinary character.
            (Some('['), None) => match_from(&pattern[1..], &name[1..]),
            _ => false,
        },
        Some('\\') if pattern.len() > 1 => {
            name.first() == Some(&pattern[1]) && match_from(&pattern[2..], &name[1..])
        }
        Some(&c) => name.first() == Some(&c) && match_from(&pattern[1..], &name[1..]),
    }
}

/// A bracket expression such as `[a-z_]` or `[!0-9]`.
struct Bracket {
    ranges: Vec<(char, char)>,
    negated: bool,
    /// Characters used after the `[`, including the closing `]`.
    len: usize,
}

impl Bracket {
    /// Parses what follows a `[`; `None` when there is no closing `]`.
    fn parse(pattern: &[char]) -> Option<Bracket> {
        let negated = matches!(pattern.first(), Some('!' | '^'));
        let mut i = usize::from(negated);
        let mut ranges = Vec::new();
        while let Some(&c) = pattern.get(i) {
            // A `]` right at the start is a member, not the end.
            if c == ']' && !ranges.is_empty() {
                return Some(Bracket {
                    ranges,
                    negated,
                    len: i + 1,
                });
            }
            if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|&hi| hi != ']') {
                ranges.push((c, pattern[i + 2]));
                i += 3;
            } else {
                ranges.push((c, c));
                i += 1;
            }
        }
        None
    }

    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_question_and_brackets() {
        assert!(matches("*.txt", "a.txt"));
        assert!(!matches("*.txt", "a.txt.bak"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("[ab]x", "bx"));
        assert!(matches("[a-c]x", "cx"));
        assert!(!matches("[!a-c]x", "cx"));
        assert!(matches("[]]", "]"));
    }

    #[test]
    fn hidden_files_need_an_explicit_dot() {
        assert!(!matches("*", ".profile"));
        assert!(matches(".*", ".profile"));
    }

    #[test]
    fn escaped_characters_match_literally() {
        assert!(matches(r"\*", "*"));
        assert!(!matches(r"\*", "x"));
        assert_eq!(escape("a*b"), r"a\*b");
        assert!(!has_wildcard(&escape("a*b[")));
        assert_eq!(unescape(&escape("a*b")), "a*b");
    }

    #[test]
    fn expand_walks_directories_component_by_component() {
        let found = expand("/proc/self/fd*");
        assert_eq!(found, ["/proc/self/fd", "/proc/self/fdinfo"]);
        assert_eq!(expand("/pro?/"), ["/proc/"]);
        assert!(expand("/no/such/*").is_empty());
    }
}
