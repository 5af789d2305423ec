//! Container ids: 64 lowercase hex digits (256 random bits), shown shortened to 12, as Docker does.

use std::fmt;
use std::io::Read;

use crate::{Error, Result};

/// A container's identity: 64 hex digits, of which the first 12 are the "short id".
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ContainerId(String);

impl ContainerId {
    /// Length of the id shown by `ps` and used as the default hostname.
    pub const SHORT_LEN: usize = 12;

    /// Draws a fresh id from the kernel's random source.
    pub fn random() -> Result<Self> {
        let mut bytes = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(Error::io("read", "/dev/urandom"))?;
        Ok(Self(hex::encode(bytes)))
    }

    /// Accepts an existing full id (64 lowercase hex digits).
    pub fn parse(s: &str) -> Result<Self> {
        let valid = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(Self(s.to_string()))
        } else {
            Err(Error::InvalidArgument(format!(
                "invalid container id: {s:?}"
            )))
        }
    }

    /// The full 64-digit id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 digits: what `ps` shows and the default hostname.
    pub fn short(&self) -> &str {
        &self.0[..Self::SHORT_LEN]
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_64_hex_digits_and_differ() {
        let a = ContainerId::random().unwrap();
        let b = ContainerId::random().unwrap();
        assert_eq!(a.as_str().len(), 64);
        assert!(ContainerId::parse(a.as_str()).is_ok());
        assert_ne!(a, b);
        assert_eq!(a.short(), &a.as_str()[..12]);
    }

    #[test]
    fn parse_refuses_anything_but_64_lowercase_hex() {
        assert!(ContainerId::parse("abc").is_err());
        assert!(ContainerId::parse(&"G".repeat(64)).is_err());
        assert!(ContainerId::parse(&"../".repeat(21)).is_err());
    }
}
