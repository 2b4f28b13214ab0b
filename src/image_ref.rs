//! Image references: what the user names on the command line, parsed and checked before any AWS call.
//!
//! Accepts `REPO[:TAG]`, `REPO@sha256:…`, `REPO:TAG@sha256:…` and full ECR URIs
//! (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO…`, also `.amazonaws.com.cn`, FIPS `dkr.ecr-fips` and
//! dual-stack `dkr-ecr.REGION.on.aws` hosts), taking the registry id and region from the URI. Pure.

use std::fmt;

use crate::digest::Digest;

/// The forms accepted, for error messages.
pub const ACCEPTED_FORMS: &str = "REPOSITORY[:TAG], REPOSITORY@sha256:DIGEST, or \
ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG|@sha256:DIGEST]";

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry's account id, when the reference is a full URI.
    pub registry_id: Option<String>,
    /// The region, when the reference is a full URI.
    pub region: Option<String>,
    /// The registry host, when the reference is a full URI.
    pub host: Option<String>,
    pub repository: String,
    /// The tag, when given (or `latest` when neither tag nor digest is given).
    pub tag: Option<String>,
    /// The digest, when given; it takes precedence over the tag.
    pub digest: Option<Digest>,
}

/// Why a reference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference `{reference}`: {problem}; expected {ACCEPTED_FORMS}")]
pub struct ReferenceError {
    pub reference: String,
    pub problem: String,
}

impl ImageRef {
    /// Parses a reference.
    pub fn parse(text: &str) -> Result<ImageRef, ReferenceError> {
        let fail = |problem: &str| ReferenceError {
            reference: text.to_string(),
            problem: problem.to_string(),
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(fail("it is empty"));
        }
        if trimmed.contains("://") {
            return Err(fail("leave out the scheme (https://)"));
        }
        let (rest, digest) = match trimmed.split_once('@') {
            Some((rest, digest)) => match Digest::parse(digest) {
                Ok(digest) => (rest, Some(digest)),
                Err(_) => {
                    return Err(fail(
                        "the digest must be sha256: followed by 64 lowercase hex digits",
                    ));
                }
            },
            None => (trimmed, None),
        };
        let (host, path) = match rest.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), path)
            }
            _ => (None, rest),
        };
        let (repository, tag) = match path.rsplit_once(':') {
            Some((repository, tag)) => (repository, Some(tag.to_string())),
            None => (path, None),
        };
        if let Some(tag) = &tag
            && !is_tag(tag)
        {
            return Err(fail(
                "a tag is 1 to 128 letters, digits, `_`, `.` or `-`, not starting with `.` or `-`",
            ));
        }
        if !is_repository(repository) {
            return Err(fail(
                "a repository name is 2 to 256 lowercase letters, digits and `._-/` separators \
                 (like `team/app`)",
            ));
        }
        let (registry_id, region) = match host {
            Some(host) => match ecr_host(host) {
                Some((account, region)) => (Some(account), Some(region)),
                None => {
                    return Err(fail(&format!(
                        "`{host}` is not an Amazon ECR registry host"
                    )));
                }
            },
            None => (None, None),
        };
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Ok(ImageRef {
            registry_id,
            region,
            host: host.map(str::to_string),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(host) = &self.host {
            write!(f, "{host}/")?;
        }
        f.write_str(&self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// A registry id: the 12-digit AWS account id that owns the registry (ASCII digits only).
pub fn is_registry_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_tag(tag: &str) -> bool {
    let mut bytes = tag.bytes();
    let Some(first) = bytes.next() else {
        return false;
    };
    tag.len() <= 128
        && (first.is_ascii_alphanumeric() || first == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// ECR's repository name pattern: components of `[a-z0-9]+([._-][a-z0-9]+)*` joined by `/`.
fn is_repository(name: &str) -> bool {
    if !(2..=256).contains(&name.len()) {
        return false;
    }
    name.split('/').all(|component| {
        let bytes = component.as_bytes();
        !bytes.is_empty()
            && bytes[0].is_ascii_lowercase() | bytes[0].is_ascii_digit()
            && bytes[bytes.len() - 1].is_ascii_lowercase() | bytes[bytes.len() - 1].is_ascii_digit()
            && bytes.iter().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && !component.contains("..")
            && !component.contains("__")
            && !bytes
                .windows(2)
                .any(|w| matches!(w[0], b'.' | b'-') && matches!(w[1], b'.' | b'_' | b'-'))
    })
}

/// The account id and region of an ECR registry host, or `None` when the host is not ECR's.
fn ecr_host(host: &str) -> Option<(String, String)> {
    let host = host.to_ascii_lowercase();
    let (account, rest) = host.split_once('.')?;
    if !is_registry_id(account) {
        return None;
    }
    // dkr.ecr.REGION.SUFFIX | dkr.ecr-fips.REGION.SUFFIX | dkr-ecr.REGION.on.aws | dkr-ecr-fips.REGION.on.aws
    let (region, suffix) = if let Some(rest) = rest
        .strip_prefix("dkr.ecr.")
        .or_else(|| rest.strip_prefix("dkr.ecr-fips."))
    {
        rest.split_once('.')?
    } else if let Some(rest) = rest
        .strip_prefix("dkr-ecr.")
        .or_else(|| rest.strip_prefix("dkr-ecr-fips."))
    {
        let (region, suffix) = rest.split_once('.')?;
        if suffix != "on.aws" {
            return None;
        }
        (region, suffix)
    } else {
        return None;
    };
    const SUFFIXES: &[&str] = &[
        "amazonaws.com",
        "amazonaws.com.cn",
        "on.aws",
        "c2s.ic.gov",
        "sc2s.sgov.gov",
        "cloud.adc-e.uk",
        "csp.hci.ic.gov",
    ];
    let region_ok = !region.is_empty()
        && region.contains('-')
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    (region_ok && SUFFIXES.contains(&suffix)).then(|| (account.to_string(), region.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn short_forms_parse_and_default_to_latest() {
        let r = ImageRef::parse("team/app").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_deref()),
            ("team/app", Some("latest"))
        );
        let r = ImageRef::parse("team/app:v1.2.3").unwrap();
        assert_eq!(r.tag.as_deref(), Some("v1.2.3"));
        let r = ImageRef::parse(&format!("team/app@{DIGEST}")).unwrap();
        assert_eq!(
            (r.tag, r.digest.as_ref().map(Digest::as_str)),
            (None, Some(DIGEST))
        );
        let r = ImageRef::parse(&format!("team/app:v1@{DIGEST}")).unwrap();
        assert_eq!(
            (r.tag.as_deref(), r.digest.as_ref().map(Digest::as_str)),
            (Some("v1"), Some(DIGEST))
        );
    }

    #[test]
    fn full_uris_give_registry_and_region() {
        for (uri, account, region) in [
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1",
                "123456789012",
                "eu-west-1",
            ),
            (
                "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
                "123456789012",
                "cn-north-1",
            ),
            (
                "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a/b:c",
                "123456789012",
                "us-gov-west-1",
            ),
            (
                "123456789012.dkr-ecr.us-east-2.on.aws/app",
                "123456789012",
                "us-east-2",
            ),
        ] {
            let r = ImageRef::parse(uri).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(r.registry_id.as_deref(), Some(account), "{uri}");
            assert_eq!(r.region.as_deref(), Some(region), "{uri}");
        }
    }

    #[test]
    fn invalid_references_are_refused_with_the_accepted_forms() {
        for bad in [
            "",
            "App",
            "a",
            "team//app",
            "team/app:",
            "team/app:-x",
            "team/app@sha256:short",
            "team/app@md5:0123",
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
            "docker.io/library/nginx",
            "12345.dkr.ecr.eu-west-1.amazonaws.com/app",
            "123456789012.dkr.ecr.eu-west-1.example.com/app",
            "team/app:v1 extra",
            "team/-app",
            "team/app.",
        ] {
            let error = ImageRef::parse(bad).expect_err(bad);
            assert!(error.to_string().contains("REPOSITORY[:TAG]"), "{error}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "team/app:latest",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1",
        ] {
            assert_eq!(ImageRef::parse(text).unwrap().to_string(), text);
        }
    }
}
