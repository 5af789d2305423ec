//! Image references as Docker reads them: `[registry/]path[:tag][@sha256:digest]`.
//!
//! Docker fills in what is left out, and ferry does the same so that names mean the same thing in
//! both: `nginx` is `docker.io/library/nginx:latest`, `me/app:v1` is `docker.io/me/app:v1`, and a
//! first component with a `.` or `:` or named `localhost` is a registry (`127.0.0.1:5000/app`).
//! People see the short ("familiar") form; the store records the full one.
//!
//! Validation matters beyond tidiness: a reference ends up in file names and in index files other
//! tools read, so `../../etc` must never be accepted as one.

use std::fmt;

use super::digest::{self, Digest};
use crate::{Error, Result};

/// The registry that names without one belong to.
pub const DEFAULT_DOMAIN: &str = "docker.io";
/// The namespace of Docker Hub's official images (`nginx` = `library/nginx`).
const OFFICIAL_NAMESPACE: &str = "library";
/// Docker's limit on the length of a name (registry and path).
const NAME_MAX: usize = 255;

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses a reference as `docker pull` would, adding `docker.io`, `library/` and `:latest` where
    /// Docker adds them (no tag is added when a digest is given).
    pub fn parse(input: &str) -> Result<Self> {
        let invalid = |why: &str| {
            Error::InvalidArgument(format!("invalid reference format: {input:?}: {why}"))
        };
        if input.len() == 64 && input.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("cannot specify 64-byte hexadecimal strings"));
        }
        let (rest, digest) = match input.split_once('@') {
            Some((rest, d)) => (
                rest,
                Some(digest::parse(d).map_err(|_| invalid("bad digest"))?),
            ),
            None => (input, None),
        };
        let (name, tag) = split_tag(rest);
        if let Some(tag) = tag {
            if !valid_tag(tag) {
                return Err(invalid("tag must be [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
            }
        }
        let (domain, path) = split_domain(name);
        if !valid_domain(domain) {
            return Err(invalid("bad registry host"));
        }
        if path.is_empty() || !path.split('/').all(valid_component) {
            return Err(invalid(
                "repository name must be lowercase letters, digits and separators",
            ));
        }
        let domain = if domain == "index.docker.io" {
            DEFAULT_DOMAIN
        } else {
            domain
        };
        let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
            format!("{OFFICIAL_NAMESPACE}/{path}")
        } else {
            path.to_string()
        };
        if domain.len() + 1 + path.len() > NAME_MAX {
            return Err(invalid(
                "repository name must not be more than 255 characters",
            ));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(_)) => None,
            (None, None) => Some("latest".to_string()),
        };
        Ok(Self {
            domain: domain.to_string(),
            path,
            tag,
            digest,
        })
    }

    /// The registry, e.g. `docker.io` or `127.0.0.1:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository path inside the registry, e.g. `library/nginx`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if any (always present unless the reference was given by digest only).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, for `name@sha256:…` references.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The full name, `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The name as people write it: `nginx`, `me/app`, `127.0.0.1:5000/app` (what `images` shows
    /// under REPOSITORY).
    pub fn repository(&self) -> String {
        if self.domain != DEFAULT_DOMAIN {
            return self.name();
        }
        let official = format!("{OFFICIAL_NAMESPACE}/");
        self.path
            .strip_prefix(&official)
            .unwrap_or(&self.path)
            .to_string()
    }

    /// The short form with tag and digest: `nginx:latest`, as `docker save` writes it in RepoTags.
    pub fn familiar(&self) -> String {
        self.with_name(&self.repository())
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Self> {
        Self::parse(&format!("{}:{tag}", self.name()))
    }

    fn with_name(&self, name: &str) -> String {
        let mut text = name.to_string();
        if let Some(tag) = &self.tag {
            text.push(':');
            text.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            text.push('@');
            text.push_str(digest.as_ref());
        }
        text
    }
}

/// The full form, `docker.io/library/nginx:latest`: what the store writes in its index.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_name(&self.name()))
    }
}

/// Splits off a tag: the part after the last `:` when no `/` follows it (a `:` before a `/` is a port).
fn split_tag(input: &str) -> (&str, Option<&str>) {
    match input.rfind(':') {
        Some(i) if !input[i..].contains('/') => (&input[..i], Some(&input[i + 1..])),
        _ => (input, None),
    }
}

/// Splits off the registry as Docker does: the first component is one when it has a `.` or `:`, is
/// `localhost`, or has an uppercase letter (repository paths cannot).
fn split_domain(name: &str) -> (&str, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => (DEFAULT_DOMAIN, name),
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

/// `host[:port]`: dot-separated labels of letters, digits and inner hyphens.
fn valid_domain(domain: &str) -> bool {
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host.split('.').all(label_ok) && port_ok
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
        if !(matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-')) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parts(input: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(input).unwrap();
        (
            r.domain().into(),
            r.path().into(),
            r.tag().map(Into::into),
            r.digest().map(|d| d.to_string()),
        )
    }

    #[test]
    fn a_bare_name_is_an_official_docker_hub_image_tagged_latest() {
        let r = Reference::parse("nginx").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/nginx:latest");
        assert_eq!(r.familiar(), "nginx:latest");
        assert_eq!(r.repository(), "nginx");
        assert_eq!(
            Reference::parse("docker.io/library/nginx:latest").unwrap(),
            r
        );
        assert_eq!(Reference::parse("index.docker.io/nginx").unwrap(), r);
    }

    #[test]
    fn a_user_repository_keeps_its_namespace() {
        assert_eq!(
            parts("me/app:v1"),
            ("docker.io".into(), "me/app".into(), Some("v1".into()), None)
        );
        assert_eq!(
            Reference::parse("me/app:v1").unwrap().familiar(),
            "me/app:v1"
        );
    }

    #[test]
    fn a_registry_port_is_not_a_tag() {
        assert_eq!(
            parts("host:5000/a/b:tag"),
            ("host:5000".into(), "a/b".into(), Some("tag".into()), None)
        );
        assert_eq!(
            parts("127.0.0.1:5000/app"),
            (
                "127.0.0.1:5000".into(),
                "app".into(),
                Some("latest".into()),
                None
            )
        );
        assert_eq!(parts("localhost/app").0, "localhost");
        assert_eq!(
            Reference::parse("host:5000/a/b:tag").unwrap().repository(),
            "host:5000/a/b"
        );
    }

    #[test]
    fn a_digest_reference_has_no_implied_tag() {
        let d = format!("sha256:{}", "ab".repeat(32));
        let (domain, path, tag, digest) = parts(&format!("name@{d}"));
        assert_eq!(
            (domain.as_str(), path.as_str(), tag, digest),
            ("docker.io", "library/name", None, Some(d.clone()))
        );
        let both = Reference::parse(&format!("name:v2@{d}")).unwrap();
        assert_eq!(both.tag(), Some("v2"));
        assert_eq!(both.familiar(), format!("name:v2@{d}"));
    }

    #[test]
    fn path_escapes_and_bad_names_are_refused() {
        let hex64 = "a".repeat(64);
        let long = format!("{}/{}", "a".repeat(200), "b".repeat(60));
        for bad in [
            "../etc",
            "a/../b",
            "..",
            "/abs",
            "Upper",
            "a//b",
            "a:",
            "a:-x",
            "",
            "a/",
            "x:y:z",
            "a@sha256:xyz",
            "a@md5:00",
            "host:port/a",
            "-host.com/a",
            hex64.as_str(),
            long.as_str(),
            "a b",
            "a/./b",
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
            "Host.Example/a",
        ] {
            assert!(
                Reference::parse(good).is_ok(),
                "{good:?} should be accepted"
            );
        }
    }

    fn component() -> impl Strategy<Value = String> {
        "[a-z0-9]{1,5}([._-][a-z0-9]{1,5}){0,2}"
    }

    fn domain() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(
            (
                "[a-z][a-z0-9]{0,5}\\.[a-z]{2,3}",
                proptest::option::of(1u16..),
            )
                .prop_map(|(host, port)| match port {
                    Some(p) => format!("{host}:{p}"),
                    None => host,
                }),
        )
    }

    proptest! {
        #[test]
        fn a_written_reference_parses_back_to_its_parts(
            domain in domain(),
            path in proptest::collection::vec(component(), 1..4),
            tag in proptest::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}"),
            hex in proptest::option::of("[0-9a-f]{64}"),
        ) {
            // Docker reads a first component with a dot as a registry: such a name is not a path.
            prop_assume!(domain.is_some() || !path[0].contains('.'));
            let path = path.join("/");
            let mut text = match &domain { Some(d) => format!("{d}/{path}"), None => path.clone() };
            if let Some(t) = &tag { text = format!("{text}:{t}"); }
            if let Some(h) = &hex { text = format!("{text}@sha256:{h}"); }
            let r = Reference::parse(&text).unwrap();
            prop_assert_eq!(r.domain(), domain.as_deref().unwrap_or("docker.io"));
            let expected_path = if domain.is_none() && !path.contains('/') { format!("library/{path}") } else { path };
            prop_assert_eq!(r.path(), expected_path.as_str());
            let expected_tag = tag.clone().or_else(|| hex.is_none().then(|| "latest".to_string()));
            prop_assert_eq!(r.tag(), expected_tag.as_deref());
            prop_assert_eq!(r.digest().map(|d| d.digest().to_string()), hex);
            prop_assert_eq!(Reference::parse(&r.to_string()).unwrap(), r.clone());
            prop_assert_eq!(Reference::parse(&r.familiar()).unwrap(), r);
        }

        #[test]
        fn accepted_references_never_contain_a_parent_or_absolute_component(s in "[a-zA-Z0-9./:@_-]{1,40}") {
            if let Ok(r) = Reference::parse(&s) {
                prop_assert!(r.path().split('/').all(|c| !c.is_empty() && c != ".." && c != "."));
                prop_assert!(!r.domain().is_empty() && !r.domain().contains('/'));
            }
        }
    }
}
