//! Content digests: `sha256:<64 hex>` parsed and checked, and the sha256 of a byte range of a file,
//! read through one fixed-size buffer. Must not hold a whole blob in memory, nor know where a range
//! comes from (a layout's blob file or an entry inside a tar).

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};

use sha2::{Digest as _, Sha256};

/// The buffer one hashing pass reads through.
const HASH_BUFFER: usize = 1 << 20;

/// A content digest. Only sha256 is supported: it is what every registry and builder writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

/// Why a digest was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("digest `{text}` uses an unsupported algorithm (only sha256 is supported)")]
    Unsupported { text: String },
    #[error("`{text}` is not a sha256 digest (sha256: followed by 64 lowercase hex digits)")]
    Invalid { text: String },
}

impl Digest {
    /// Parses `sha256:` + 64 lowercase hex digits.
    pub fn parse(text: &str) -> Result<Digest, DigestError> {
        let Some((algorithm, hex)) = text.split_once(':') else {
            return Err(DigestError::Invalid { text: text.into() });
        };
        if algorithm != "sha256" {
            let known = !algorithm.is_empty()
                && algorithm
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(&b));
            return Err(if known {
                DigestError::Unsupported { text: text.into() }
            } else {
                DigestError::Invalid { text: text.into() }
            });
        }
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DigestError::Invalid { text: text.into() });
        }
        Ok(Digest(text.to_string()))
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hasher(Sha256::new_with_prefix(bytes))
    }

    fn from_hasher(hasher: Sha256) -> Digest {
        let hash = hasher.finalize();
        let mut text = String::with_capacity(71);
        text.push_str("sha256:");
        for byte in hash.iter() {
            text.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
            text.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
        }
        Digest(text)
    }

    /// `sha256:…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex part, as in a layout's `blobs/sha256/<hex>`.
    pub fn hex(&self) -> &str {
        &self.0[7..]
    }

    /// The first 12 hex digits, for messages.
    pub fn short(&self) -> &str {
        &self.0[7..19]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What hashing a range found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashed {
    pub digest: Digest,
    /// Bytes actually read: less than asked when the file ends early.
    pub len: u64,
}

/// The sha256 of `len` bytes of `reader` (an open file) from `offset`, read through one fixed-size
/// buffer.
pub fn hash_range(mut reader: impl Read + Seek, offset: u64, len: u64) -> io::Result<Hashed> {
    reader.seek(SeekFrom::Start(offset))?;
    let mut reader = reader.take(len);
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; HASH_BUFFER];
    let mut read = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        hasher.update(&buffer[..n]);
        read += n as u64;
    }
    Ok(Hashed {
        digest: Digest::from_hasher(hasher),
        len: read,
    })
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn digest_of_bytes_matches_the_known_empty_digest() {
        assert_eq!(Digest::of(b"").as_str(), EMPTY);
        assert_eq!(Digest::parse(EMPTY).unwrap(), Digest::of(b""));
        assert_eq!(Digest::of(b"").short(), "e3b0c44298fc");
    }

    #[test]
    fn digests_other_than_lowercase_sha256_are_refused() {
        let upper = EMPTY.to_uppercase().replace("SHA256", "sha256");
        for bad in ["", "sha256:", "sha256:abc", upper.as_str(), "e3b0c442"] {
            assert!(
                matches!(Digest::parse(bad), Err(DigestError::Invalid { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            Digest::parse(&format!("sha512:{}", "a".repeat(128))),
            Err(DigestError::Unsupported { .. })
        ));
    }

    #[test]
    fn hashing_a_range_reads_only_that_range() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        std::fs::write(&path, b"xxhello worldyy").unwrap();
        let hashed = hash_range(File::open(&path).unwrap(), 2, 11).unwrap();
        assert_eq!(hashed.digest, Digest::of(b"hello world"));
        assert_eq!(hashed.len, 11);
        let short = hash_range(File::open(&path).unwrap(), 10, 100).unwrap();
        assert_eq!(short.len, 5);
    }
}
