//! Locations and fingerprints: repo-relative, normalised, and the same alert across rebuilds.

use super::location::{fingerprint, location_uri};
use super::tests::{checked, finding, hash, one_image, render, result_of, results, uri};
use crate::findings::{Package, Severity};
use crate::policy::Policy;

#[test]
fn locations_have_no_colon_tag_digest_or_account() {
    let mut set = one_image(vec![
        finding("CVE-2021-3711", Severity::Critical)
            .score(9.8)
            .package("openssl", "1.1.1k"),
        finding("CVE-2022-0001", Severity::High)
            .score(7.1)
            .package("lib:colon name", "1:2.3-4"),
    ]);
    set.images[0].tags = vec!["release-2026".into()];
    let doc = checked(&set, &Policy::default());
    let digest = set.images[0].digest.clone().unwrap();
    for result in results(&doc, 0) {
        let uri = uri(result);
        assert!(!uri.contains(':'), "{uri}");
        for leaked in [
            "sha256",
            &digest[7..19],
            "release-2026",
            "123456789012",
            "eu-west-1",
            "1.1.1k",
        ] {
            assert!(!uri.contains(leaked), "{leaked} in {uri}");
        }
    }
    assert_eq!(
        uri(result_of(&doc, "CVE-2022-0001")),
        "ecr/payments/api/os-packages/lib%3Acolon%20name"
    );
}

#[test]
fn location_uri_normalises_segments_within_each_part() {
    let at = |repository: &str, name: Option<&str>, path: Option<&str>| {
        location_uri(
            repository,
            &Package {
                name: name.map(Into::into),
                path: path.map(Into::into),
                ..Package::default()
            },
        )
    };
    assert_eq!(
        at("a/b", Some("x"), Some("//usr/./lib/../lib64/")),
        "ecr/a/b/usr/lib64"
    );
    assert_eq!(at("a", Some("x"), Some("../../..")), "ecr/a/os-packages/x");
    assert_eq!(
        at("", Some("../x"), None),
        "ecr/unknown-repository/os-packages/x"
    );
    assert_eq!(at("a", Some("~é%"), None), "ecr/a/os-packages/~%C3%A9%25");
    assert_eq!(at("a", Some("..."), None), "ecr/a/os-packages/...");
    assert_eq!(at("a", None, Some("")), "ecr/a/os-packages/unnamed-package");
}

#[test]
fn fingerprints_ignore_version_tag_and_digest_but_not_package_or_path() {
    let render_one = |version: &str, digest: &str, tag: &str, name: &str, path: Option<&str>| {
        let mut f = finding("CVE-2021-3711", Severity::Critical)
            .score(9.8)
            .package(name, version);
        if let Some(path) = path {
            f = f.path(path);
        }
        let mut set = one_image(vec![f]);
        set.images[0].digest = Some(digest.into());
        set.images[0].tags = vec![tag.into()];
        hash(&render(&set, &Policy::default())["runs"][0]["results"][0]).to_string()
    };
    let base = render_one("1.1.1k", "sha256:aaaa", "v1", "openssl", None);
    assert_eq!(
        base,
        render_one("1.1.1w", "sha256:bbbb", "v2", "openssl", None)
    );
    assert_ne!(
        base,
        render_one("1.1.1k", "sha256:aaaa", "v1", "libssl", None)
    );
    assert_ne!(
        base,
        render_one("1.1.1k", "sha256:aaaa", "v1", "openssl", Some("/opt/lib"))
    );
    assert_ne!(
        render_one("1", "sha256:a", "v1", "openssl", Some("/opt/a")),
        render_one("1", "sha256:a", "v1", "openssl", Some("/opt/b"))
    );
    assert_ne!(
        fingerprint("CVE-1", "repo", Some("ab"), Some("c")),
        fingerprint("CVE-1", "repo", Some("a"), Some("bc"))
    );
    assert_ne!(
        fingerprint("CVE-1", "repo", Some("a"), None),
        fingerprint("CVE-1", "repo", Some("a"), Some(""))
    );
    assert_ne!(
        fingerprint("CVE-1", "repo-a", Some("a"), None),
        fingerprint("CVE-1", "repo-b", Some("a"), None)
    );
}
