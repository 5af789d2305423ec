//! Content addresses: `sha256:<64 hex digits>`, computed while bytes stream past.
//!
//! Everything in the image store is named by the SHA-256 of its bytes, so a name is also a check:
//! whoever reads a blob can hash it again and know it is the one that was meant. [`Hashing`] wraps
//! a reader or writer and hashes what goes through it, so a blob is verified in the same pass that
//! stores it.

use std::io::{self, Read, Write};

pub use oci_spec::image::Digest;
use sha2::{Digest as _, Sha256};

use crate::{Error, Result};

/// The only algorithm ferry writes (and the one every registry uses).
pub const ALGORITHM: &str = "sha256";

/// The digest of a byte slice.
pub fn sha256(bytes: &[u8]) -> Digest {
    from_hex(&hex::encode(Sha256::digest(bytes))).expect("sha256 output is 64 lowercase hex digits")
}

/// Builds `sha256:<hex>` from 64 hex digits.
pub fn from_hex(hex: &str) -> Result<Digest> {
    parse(&format!("{ALGORITHM}:{hex}"))
}

/// Parses a digest string, accepting only well-formed `sha256:` digests.
///
/// Other algorithms are refused rather than carried along: their hex part becomes a file name in
/// the store, and only a fixed-length lowercase-hex name is known to be safe there.
pub fn parse(text: &str) -> Result<Digest> {
    let digest: Digest = text
        .parse()
        .map_err(|e| Error::InvalidArgument(format!("invalid digest {text:?}: {e}")))?;
    if digest.algorithm().as_ref() != ALGORITHM {
        return Err(Error::InvalidArgument(format!(
            "unsupported digest algorithm in {text:?} (only sha256)"
        )));
    }
    Ok(digest)
}

/// The first 12 hex digits: how Docker shows image ids.
pub fn short(digest: &Digest) -> &str {
    &digest.digest()[..12]
}

/// A reader or writer that hashes every byte passing through and counts them.
pub struct Hashing<T> {
    inner: T,
    hasher: Sha256,
    bytes: u64,
}

impl<T> Hashing<T> {
    /// Wraps `inner`; nothing has been hashed yet.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The digest and length of everything that went through, and the inner reader or writer.
    pub fn finish(self) -> (Digest, u64, T) {
        let hex = hex::encode(self.hasher.finalize());
        (
            from_hex(&hex).expect("sha256 output is 64 lowercase hex digits"),
            self.bytes,
            self.inner,
        )
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_of_empty_input_is_the_well_known_one() {
        let empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(sha256(b"").to_string(), empty);
        let (digest, len, _) = Hashing::new(io::empty()).finish();
        assert_eq!((digest.to_string().as_str(), len), (empty, 0));
    }

    #[test]
    fn hashing_a_stream_equals_hashing_its_bytes() {
        let data = b"layer bytes".repeat(1000);
        let mut reader = Hashing::new(&data[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        let (digest, len, _) = reader.finish();
        assert_eq!(digest, sha256(&data));
        assert_eq!(len, data.len() as u64);
    }

    #[test]
    fn only_sha256_digests_with_64_hex_digits_are_accepted() {
        assert!(parse(&format!("sha256:{}", "a".repeat(64))).is_ok());
        for bad in [
            "sha256:abc",
            "sha512:00",
            "sha256:../../etc",
            "md5:x",
            "",
            &format!("sha256:{}", "A".repeat(64)),
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
