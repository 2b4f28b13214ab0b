//! Where a result is and which alert it is: a stable repo-relative location and GitHub's fingerprint.
//!
//! Both are built from the repository and the package (name, path), never from version, tag, digest or
//! account, so an alert stays the same alert across image rebuilds. Percent-encoding a segment is
//! [`escape`]'s; this file only chooses the segments. It must not depend on the verdict.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::limits::MAX_DESCRIPTION_LEN;
use crate::findings::Package;
use crate::report::escape;

/// `ecr/<repository>/<package path>` or `ecr/<repository>/os-packages/<package name>`: repo-relative,
/// without scheme, colon, tag, digest or account. Each part is cut to its first 1,024 bytes and
/// normalised on its own (empty and `.` segments dropped, `..` removes the previous segment of that part
/// only), and every byte outside `[A-Za-z0-9._~-]` of a segment is percent-encoded.
pub(super) fn location_uri(repository: &str, package: &Package) -> String {
    let mut uri = String::from("ecr");
    if !push_segments(&mut uri, repository) {
        uri.push_str("/unknown-repository");
    }
    let path_written = package
        .path
        .as_deref()
        .is_some_and(|path| push_segments(&mut uri, path));
    if !path_written {
        uri.push_str("/os-packages");
        let name = package.name.as_deref().unwrap_or_default();
        if !push_segments(&mut uri, name) {
            uri.push_str("/unnamed-package");
        }
    }
    uri
}

/// Appends `/segment` for each normalised segment of `path`; false when there were none.
fn push_segments(uri: &mut String, path: &str) -> bool {
    let end = path
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|&end| end <= MAX_DESCRIPTION_LEN)
        .last()
        .unwrap_or(0);
    let mut segments: Vec<&str> = Vec::new();
    for segment in path[..end].split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    for segment in &segments {
        uri.push('/');
        uri.push_str(&escape::uri_segment(segment));
    }
    !segments.is_empty()
}

/// GitHub's alert identity for a result: vulnerability id, repository, package name and path, never
/// version, tag or digest. 16 hex digits of SHA-256 and `:1`, the shape CodeQL uses.
pub(super) fn fingerprint(
    id: &str,
    repository: &str,
    name: Option<&str>,
    path: Option<&str>,
) -> String {
    let mut hasher = Sha256::new();
    for part in [Some(id), Some(repository), name, path] {
        match part {
            Some(part) => {
                hasher.update([1u8]);
                hasher.update((part.len() as u64).to_le_bytes());
                hasher.update(part.as_bytes());
            }
            None => hasher.update([0u8]),
        }
    }
    let digest = hasher.finalize();
    let mut hash = String::with_capacity(18);
    for byte in &digest[..8] {
        let _ = write!(hash, "{byte:02x}");
    }
    hash.push_str(":1");
    hash
}
