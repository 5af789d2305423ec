//! How a registry asks for credentials, and how a client answers.
//!
//! A registry that wants credentials answers `401` with a `WWW-Authenticate` challenge:
//!
//! - `Basic realm="…"` (the seeds' htpasswd registry): send `Authorization: Basic
//!   base64(user:password)` with every request;
//! - `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
//!   scope="repository:library/nginx:pull"` (Docker Hub): fetch a token from the realm — with the
//!   user's credentials if any, anonymously otherwise — and send `Authorization: Bearer TOKEN`.
//!   Tokens are per *scope* (which repositories, which actions), so one is cached per scope.

use serde::Deserialize;

/// What a `WWW-Authenticate` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// HTTP basic authentication.
    Basic {
        /// The protection space, for people.
        realm: String,
    },
    /// A token from a token server.
    Bearer {
        /// The token server's URL.
        realm: String,
        /// The registry's name at the token server.
        service: Option<String>,
        /// The access asked for, e.g. `repository:library/nginx:pull`.
        scope: Option<String>,
    },
}

// ANCHOR: parse_challenge
/// Parses a `WWW-Authenticate` header value; `None` for schemes other than Basic and Bearer.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let (scheme, params) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
    let params = parse_params(params);
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic {
            realm: get("realm").unwrap_or_default(),
        }),
        "bearer" => Some(Challenge::Bearer {
            realm: get("realm")?,
            service: get("service"),
            scope: get("scope"),
        }),
        _ => None,
    }
}
// ANCHOR_END: parse_challenge

/// `key="value",key=value` → pairs; commas inside quotes belong to the value.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                (
                    quoted[..end].to_string(),
                    quoted.get(end + 1..).unwrap_or(""),
                )
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim().to_string(), &after[end..])
            }
        };
        pairs.push((key, value));
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    pairs
}

/// A token server's answer (`token` is Docker's name, `access_token` OAuth's; either may come).
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

impl TokenResponse {
    /// The token, whichever field carried it.
    pub fn into_token(self) -> Option<String> {
        self.token.or(self.access_token).filter(|t| !t.is_empty())
    }
}

/// The scope of pulling from `repository`.
pub fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

/// The scope of pushing to `repository`.
pub fn push_scope(repository: &str) -> String {
    format!("repository:{repository}:pull,push")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hubs_bearer_challenge_is_parsed_with_its_comma_scope() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#;
        assert_eq!(
            parse_challenge(header),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:samalba/my-app:pull,push".into()),
            })
        );
    }

    #[test]
    fn basic_challenges_and_unquoted_values_are_understood() {
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic {
                realm: "Registry Realm".into()
            })
        );
        assert_eq!(
            parse_challenge("bearer realm=http://t/token, service=reg"),
            Some(Challenge::Bearer {
                realm: "http://t/token".into(),
                service: Some("reg".into()),
                scope: None
            })
        );
        assert_eq!(parse_challenge("Negotiate abc"), None);
        assert_eq!(
            parse_challenge("Bearer service=x"),
            None,
            "a bearer challenge needs a realm"
        );
    }

    #[test]
    fn tokens_come_in_either_field() {
        let docker: TokenResponse =
            serde_json::from_str(r#"{"token":"t1","expires_in":300}"#).unwrap();
        assert_eq!(docker.into_token().as_deref(), Some("t1"));
        let oauth: TokenResponse = serde_json::from_str(r#"{"access_token":"t2"}"#).unwrap();
        assert_eq!(oauth.into_token().as_deref(), Some("t2"));
        let empty: TokenResponse = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.into_token(), None);
    }
}
