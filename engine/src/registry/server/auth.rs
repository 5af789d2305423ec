//! HTTP basic authentication against an htpasswd file, as the seeds' registry is set up:
//!
//! ```text
//! htpasswd -Bbn admin admin > /var/lib/registry_auth/htpasswd
//! ```
//!
//! Each line is `user:hash`; only bcrypt hashes (`$2y$…`, what `-B` writes) are accepted, as in
//! the reference registry. bcrypt is slow on purpose, and a client sends the password with every
//! request, so a password that checked out once is remembered (as its SHA-256, never in clear).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Mutex;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// Why an htpasswd file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum HtpasswdError {
    /// It cannot be read.
    #[error("read htpasswd file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A line is not `user:bcrypt-hash`.
    #[error("htpasswd line {line}: expected user:$2y$… (a bcrypt hash, as `htpasswd -B` writes)")]
    BadLine {
        /// 1-based line number.
        line: usize,
    },
}

/// The users of an htpasswd file and the passwords already checked.
#[derive(Debug)]
pub struct Htpasswd {
    users: HashMap<String, String>,
    verified: Mutex<HashSet<(String, [u8; 32])>>,
}

impl Htpasswd {
    /// Reads an htpasswd file.
    pub fn load(path: &Path) -> Result<Self, HtpasswdError> {
        let text = std::fs::read_to_string(path).map_err(|source| HtpasswdError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses the text of an htpasswd file (blank lines and `#` comments are skipped).
    pub fn parse(text: &str) -> Result<Self, HtpasswdError> {
        let mut users = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(':') {
                Some((user, hash)) if !user.is_empty() && hash.starts_with("$2") => {
                    users.insert(user.to_string(), hash.to_string());
                }
                _ => return Err(HtpasswdError::BadLine { line: i + 1 }),
            }
        }
        Ok(Self {
            users,
            verified: Mutex::new(HashSet::new()),
        })
    }

    // ANCHOR: check
    /// Whether an `Authorization` header value carries a valid user and password.
    pub fn check(&self, authorization: Option<&str>) -> bool {
        let Some((user, password)) = authorization.and_then(basic_credentials) else {
            return false;
        };
        let Some(hash) = self.users.get(&user) else {
            return false;
        };
        let key = (user, Sha256::digest(password.as_bytes()).into());
        if self.verified.lock().is_ok_and(|v| v.contains(&key)) {
            return true;
        }
        let valid = bcrypt::verify(&password, hash).unwrap_or(false);
        if valid {
            if let Ok(mut verified) = self.verified.lock() {
                verified.insert(key);
            }
        }
        valid
    }
    // ANCHOR_END: check
}

/// `Basic base64(user:password)` → (user, password).
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user_pass: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        )
    }

    #[test]
    fn a_bcrypt_password_checks_out_and_others_do_not() {
        let hash = bcrypt::hash("admin", 4).unwrap();
        let file = Htpasswd::parse(&format!("# users\nadmin:{hash}\n")).unwrap();
        assert!(file.check(Some(&header("admin:admin"))));
        assert!(
            file.check(Some(&header("admin:admin"))),
            "and again, from the cache"
        );
        assert!(!file.check(Some(&header("admin:wrong"))));
        assert!(!file.check(Some(&header("nobody:admin"))));
        assert!(!file.check(Some("Bearer abc")));
        assert!(!file.check(None));
    }

    #[test]
    fn the_hash_htpasswd_b_writes_is_accepted() {
        // `htpasswd -Bbn admin admin`
        let file =
            Htpasswd::parse("admin:$2y$05$eeJIkfXSGoGgWraf.Hv64eLcd3VibCVzNG2a93uFw0NZ51NJXHArm\n")
                .unwrap();
        assert!(file.check(Some(&header("admin:admin"))));
    }

    #[test]
    fn non_bcrypt_lines_are_refused_with_their_number() {
        let err = Htpasswd::parse("ok:$2y$05$x\nbad:{SHA}abc\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "htpasswd line 2: expected user:$2y$… (a bcrypt hash, as `htpasswd -B` writes)"
        );
    }

    #[test]
    fn passwords_may_contain_colons() {
        assert_eq!(
            basic_credentials(&header("u:p:q")),
            Some(("u".into(), "p:q".into()))
        );
    }
}
