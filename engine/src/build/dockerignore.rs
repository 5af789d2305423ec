//! `.dockerignore`: which files of the build context the build never sees.
//!
//! One pattern per line ([`glob`](super::glob) syntax); `#` starts a comment line; `!pattern`
//! brings back what an earlier line excluded. The *last* matching line decides. A pattern that
//! matches a directory excludes everything below it, so `node_modules` is enough.

use std::path::Path;

use super::glob;

/// The parsed rules of a `.dockerignore` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    pattern: String,
    /// `!pattern`: this rule re-includes.
    include: bool,
}

impl DockerIgnore {
    /// The name Docker reads in the context's root.
    pub const FILE_NAME: &'static str = ".dockerignore";

    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> Self {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let (include, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let pattern = clean(pattern);
                (!pattern.is_empty()).then_some(Rule { pattern, include })
            })
            .collect();
        Self { rules }
    }

    /// Reads `<context>/.dockerignore`; no file means nothing is ignored.
    pub fn load(context: &Path) -> std::io::Result<Self> {
        match std::fs::read_to_string(context.join(Self::FILE_NAME)) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    // ANCHOR: is_ignored
    /// Whether `path` (relative to the context, `/`-separated) is excluded.
    pub fn is_ignored(&self, path: &str) -> bool {
        let path = clean(path);
        let mut ignored = false;
        for rule in &self.rules {
            if matches_or_parent(&rule.pattern, &path) {
                ignored = !rule.include;
            }
        }
        ignored
    }
    // ANCHOR_END: is_ignored

    /// Whether an excluded directory may still hold re-included files (so a walk must enter it).
    pub fn may_include_below(&self, dir: &str) -> bool {
        let prefix = format!("{}/", clean(dir));
        self.rules.iter().filter(|r| r.include).any(|r| {
            let first = r.pattern.split('/').next().unwrap_or_default();
            r.pattern.starts_with(&prefix) || glob::has_wildcards(first)
        })
    }
}

/// Whether `pattern` matches `path` or one of its parent directories.
fn matches_or_parent(pattern: &str, path: &str) -> bool {
    let parents = path.match_indices('/').map(|(i, _)| &path[..i]);
    glob::matches(pattern, path)
        || parents
            .into_iter()
            .any(|parent| glob::matches(pattern, parent))
}

/// `./a//b/../c/` → `a/c`; a leading `/` means the context root, as in Docker.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_pattern_excludes_everything_below_it() {
        let ignore = DockerIgnore::parse("# deps\nnode_modules\n/dist/\n");
        assert!(ignore.is_ignored("node_modules"));
        assert!(ignore.is_ignored("node_modules/a/b.js"));
        assert!(ignore.is_ignored("dist/app.js"));
        assert!(!ignore.is_ignored("src/node_modules_helper.js"));
        assert!(!ignore.is_ignored("src/app.js"));
    }

    #[test]
    fn the_last_matching_line_wins_and_bang_re_includes() {
        let ignore = DockerIgnore::parse("*.md\n!README.md\n");
        assert!(ignore.is_ignored("CHANGES.md"));
        assert!(!ignore.is_ignored("README.md"));
        let ignore = DockerIgnore::parse("!README.md\n*.md\n");
        assert!(
            ignore.is_ignored("README.md"),
            "a later exclusion overrides an earlier exception"
        );
    }

    #[test]
    fn double_star_patterns_match_at_any_depth() {
        let ignore = DockerIgnore::parse("**/*.pyc\n**/.git\n");
        assert!(ignore.is_ignored("a.pyc"));
        assert!(ignore.is_ignored("pkg/sub/a.pyc"));
        assert!(ignore.is_ignored(".git/HEAD"));
        assert!(ignore.is_ignored("vendor/lib/.git/config"));
        assert!(!ignore.is_ignored("a.py"));
    }

    #[test]
    fn excluded_directories_are_entered_only_when_an_exception_may_lie_below() {
        let ignore = DockerIgnore::parse("target\n!target/app.jar\n");
        assert!(ignore.is_ignored("target"));
        assert!(ignore.may_include_below("target"));
        assert!(!ignore.is_ignored("target/app.jar"));
        assert!(!ignore.may_include_below("other"));
    }

    #[test]
    fn patterns_are_cleaned_like_paths() {
        let ignore = DockerIgnore::parse("./a//b/../c/\n");
        assert!(ignore.is_ignored("a/c/x"));
    }
}
