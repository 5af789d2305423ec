//! Shell-style patterns over slash-separated paths, as COPY sources and `.dockerignore` use them.
//!
//! The syntax is Go's `filepath.Match` (what Docker uses) plus `**`:
//! `*` any run of characters except `/`; `?` one character except `/`; `[a-z]`, `[^0-9]` a
//! character class; `\c` the character `c`; `**` any number of path components (`**/x` matches
//! `x`, `a/x` and `a/b/x`).

/// Whether the whole of `path` matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let path: Vec<char> = path.chars().collect();
    match_at(&pattern, &path)
}

/// Whether `pattern` has any special character (a plain path needs no directory walk).
pub fn has_wildcards(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '\\'])
}

// ANCHOR: match_at
fn match_at(p: &[char], s: &[char]) -> bool {
    match p {
        [] => s.is_empty(),
        ['*', '*', rest @ ..] => any_depth(rest, s),
        ['*', rest @ ..] => (0..=s.len())
            .take_while(|&i| i == 0 || s[i - 1] != '/')
            .any(|i| match_at(rest, &s[i..])),
        ['?', rest @ ..] => matches!(s.first(), Some(&c) if c != '/') && match_at(rest, &s[1..]),
        ['[', rest @ ..] => match Class::parse(rest) {
            Some((class, after)) => {
                matches!(s.first(), Some(&c) if c != '/' && class.contains(c))
                    && match_at(after, &s[1..])
            }
            None => s.first() == Some(&'[') && match_at(rest, &s[1..]),
        },
        ['\\', c, rest @ ..] | [c, rest @ ..] => s.first() == Some(c) && match_at(rest, &s[1..]),
    }
}

/// After `**`: the rest may start after any number of whole components.
fn any_depth(rest: &[char], s: &[char]) -> bool {
    match rest {
        [] => true,
        ['/', after @ ..] => {
            let starts = (0..=s.len()).filter(|&i| i == 0 || s[i - 1] == '/');
            starts.into_iter().any(|i| match_at(after, &s[i..]))
        }
        _ => (0..=s.len()).any(|i| match_at(rest, &s[i..])),
    }
}
// ANCHOR_END: match_at

/// A `[...]` character class.
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    /// Parses the class after its `[`: the class and the pattern after its `]`, or `None` when
    /// there is no closing `]` (the `[` is then an ordinary character).
    fn parse(p: &[char]) -> Option<(Class, &[char])> {
        let (negated, mut p) = match p {
            ['^' | '!', rest @ ..] => (true, rest),
            _ => (false, p),
        };
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let (lo, rest) = match p {
                [']', rest @ ..] if !first => return Some((Class { negated, ranges }, rest)),
                ['\\', c, rest @ ..] | [c, rest @ ..] => (*c, rest),
                [] => return None,
            };
            first = false;
            p = rest;
            let hi = match p {
                ['-', '\\', c, rest @ ..] | ['-', c, rest @ ..] if *c != ']' => {
                    p = rest;
                    *c
                }
                _ => lo,
            };
            ranges.push((lo, hi));
        }
    }

    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn star_and_question_mark_stay_within_one_component() {
        assert!(matches("hom*", "home"));
        assert!(matches("hom*", "hom"));
        assert!(!matches("hom*", "home/x"));
        assert!(matches("*.go", "app.go"));
        assert!(!matches("*.go", "cmd/app.go"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "a/c"));
    }

    #[test]
    fn double_star_spans_any_number_of_components() {
        for path in ["x.md", "a/x.md", "a/b/x.md"] {
            assert!(matches("**/*.md", path), "{path}");
        }
        assert!(!matches("**/x", "ax"));
        assert!(matches("a/**/z", "a/z"));
        assert!(matches("a/**/z", "a/b/c/z"));
        assert!(matches("node_modules/**", "node_modules/a/b"));
    }

    #[test]
    fn classes_ranges_negation_and_escapes() {
        assert!(matches("file[0-9].txt", "file7.txt"));
        assert!(!matches("file[0-9].txt", "filex.txt"));
        assert!(matches("[^a]b", "xb"));
        assert!(!matches("[!a]b", "ab"));
        assert!(matches("[]x]", "]"), "a ] first in the class is literal");
        assert!(matches(r"a\*", "a*"));
        assert!(!matches(r"a\*", "ab"));
        assert!(matches("a[", "a["), "an unclosed [ is literal");
    }
}
