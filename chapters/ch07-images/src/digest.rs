//! Content addresses: a blob's name is `sha256:` and the hex SHA-256 of its bytes.

use sha2::{Digest as _, Sha256};

use crate::Error;

// ANCHOR: sha256
/// `sha256:<64 hex digits>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}
// ANCHOR_END: sha256

/// Checks that `bytes` hash to `expected`: how a puller knows it got what the manifest names.
pub fn verify(what: &str, bytes: &[u8], expected: &str) -> Result<(), Error> {
    let actual = sha256(bytes);
    if actual != expected {
        return Err(Error::DigestMismatch {
            what: what.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

/// The 64 hex digits of a `sha256:` digest (a blob's file name), refusing anything else.
pub fn hex_part(digest: &str) -> Result<&str, Error> {
    match digest.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) =>
        {
            Ok(hex)
        }
        _ => Err(Error::Invalid(format!("not a sha256 digest: {digest:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_of_nothing_is_the_well_known_one() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn verification_names_both_digests() {
        assert!(verify("x", b"abc", &sha256(b"abc")).is_ok());
        let err = verify("layer", b"abc", &sha256(b"abd"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("layer: expected sha256:"), "{err}");
    }

    #[test]
    fn only_sha256_hex_names_are_file_names() {
        assert!(hex_part(&sha256(b"")).is_ok());
        assert!(hex_part("sha256:../../etc/passwd").is_err());
        assert!(hex_part("md5:abc").is_err());
    }
}
