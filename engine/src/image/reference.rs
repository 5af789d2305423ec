//! Image references as Docker writes them: `name[:tag]`, where a name is slash-separated
//! lowercase components, optionally led by a registry host (`127.0.0.1:5000/app:v1`).
//!
//! Validation matters beyond tidiness: a reference becomes a path in the state root, so
//! `../../etc` must never be accepted as one.

use std::fmt;

use crate::{Error, Result};

/// A parsed image reference: repository and tag (default `latest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    repository: String,
    tag: String,
}

impl Reference {
    /// Parses `name[:tag]`, refusing anything Docker would refuse.
    pub fn parse(input: &str) -> Result<Self> {
        let invalid = |why: &str| {
            Error::InvalidArgument(format!("invalid reference format: {input:?}: {why}"))
        };
        let (name, tag) = split_tag(input);
        let tag = tag.unwrap_or("latest");
        if !valid_tag(tag) {
            return Err(invalid("tag must be [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
        }
        let mut components = name.split('/').peekable();
        let first = components.peek().copied().unwrap_or_default();
        let has_host = name.contains('/') && (first.contains(['.', ':']) || first == "localhost");
        if has_host {
            components.next();
            if !valid_host(first) {
                return Err(invalid("bad registry host"));
            }
        }
        let mut count = 0;
        for component in components {
            count += 1;
            if !valid_component(component) {
                return Err(invalid(
                    "repository name must be lowercase letters, digits and separators",
                ));
            }
        }
        if count == 0 {
            return Err(invalid("empty repository name"));
        }
        Ok(Self {
            repository: name.to_string(),
            tag: tag.to_string(),
        })
    }

    /// The repository, e.g. `toolbox` or `127.0.0.1:5000/app`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, `latest` when none was given.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repository, self.tag)
    }
}

/// Splits off a tag: the part after the last `:` when no `/` follows it (a `:` before a `/` is a port).
fn split_tag(input: &str) -> (&str, Option<&str>) {
    match input.rfind(':') {
        Some(i) if !input[i..].contains('/') => (&input[..i], Some(&input[i + 1..])),
        _ => (input, None),
    }
}

fn valid_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    first_ok
        && tag.len() <= 128
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

fn valid_host(host: &str) -> bool {
    let (name, port) = host.split_once(':').unwrap_or((host, "0"));
    let name_ok = !name.is_empty()
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    name_ok && port.parse::<u16>().is_ok()
}

/// A path component: `[a-z0-9]+` joined by single separators `.`, `_`, `__` or `-`s.
fn valid_component(component: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_gets_the_latest_tag() {
        let r = Reference::parse("toolbox").unwrap();
        assert_eq!((r.repository(), r.tag()), ("toolbox", "latest"));
        assert_eq!(r.to_string(), "toolbox:latest");
    }

    #[test]
    fn a_registry_port_is_not_a_tag() {
        let r = Reference::parse("127.0.0.1:5000/app").unwrap();
        assert_eq!((r.repository(), r.tag()), ("127.0.0.1:5000/app", "latest"));
        let r = Reference::parse("127.0.0.1:5000/team/app:v1").unwrap();
        assert_eq!((r.repository(), r.tag()), ("127.0.0.1:5000/team/app", "v1"));
    }

    #[test]
    fn path_escapes_and_bad_names_are_refused() {
        for bad in [
            "../etc", "a/../b", "..", "/abs", "Upper", "a//b", "a:", "a:-x", "", "a/", "x:y:z",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn docker_separators_are_accepted() {
        for good in [
            "my-app",
            "my_app",
            "my__app",
            "my.app",
            "a--b",
            "library/busybox:1.36.1",
        ] {
            assert!(
                Reference::parse(good).is_ok(),
                "{good:?} should be accepted"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn accepted_references_never_contain_a_parent_component(s in "[a-z0-9./:_-]{1,24}") {
            if let Ok(r) = Reference::parse(&s) {
                proptest::prop_assert!(r.repository().split('/').all(|c| c != ".." && c != "."));
                proptest::prop_assert!(!r.repository().starts_with('/'));
            }
        }
    }
}
