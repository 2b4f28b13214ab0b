//! Package URLs (purls), parsed as the purl specification describes: `pkg:TYPE/NAMESPACE/NAME@VERSION
//! ?QUALIFIERS#SUBPATH`, every part percent-decoded, the type and qualifier keys lower-cased.
//!
//! Lenient where real documents are: `pkg:///type/…` slashes, an npm scope written `@scope` instead of
//! `%40scope` (an `@` before the last `/` is not the version separator), a `%` not followed by two hex
//! digits kept as it is. Pure; it knows nothing of images or findings.
//!
//! NOTE: the parsing steps follow the specification's "How to parse a purl string":
//! https://github.com/package-url/purl-spec/blob/main/PURL-SPECIFICATION.rst

use std::collections::BTreeMap;

/// A parsed purl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// The package type, lower-cased (`deb`, `npm`, `oci`, …).
    pub kind: String,
    /// Namespace segments joined by `/`, decoded; `None` when absent.
    pub namespace: Option<String>,
    /// The name, decoded; never empty.
    pub name: String,
    /// The version, decoded; `None` when absent (the purl then stands for every version).
    pub version: Option<String>,
    /// Qualifiers by lower-cased key, values decoded; empty values are dropped.
    pub qualifiers: BTreeMap<String, String>,
    /// Subpath segments joined by `/`, decoded, without `.`, `..` or empty segments.
    pub subpath: Option<String>,
}

impl Purl {
    /// Parses `text` if it is a purl (`pkg:` scheme, a type and a name); `None` otherwise.
    pub fn parse(text: &str) -> Option<Purl> {
        let text = text.trim();
        // The subpath, then the qualifiers, are split off from the right.
        let (rest, subpath) = match text.rsplit_once('#') {
            Some((rest, subpath)) => (rest, segments(subpath)),
            None => (text, None),
        };
        let (rest, qualifiers) = match rest.rsplit_once('?') {
            Some((rest, query)) => (rest, qualifiers(query)),
            None => (rest, BTreeMap::new()),
        };
        let (scheme, rest) = rest.split_once(':')?;
        if !scheme.eq_ignore_ascii_case("pkg") {
            return None;
        }
        let rest = rest.trim_start_matches('/');
        let (kind, rest) = rest.split_once('/')?;
        if kind.is_empty()
            || !kind
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".+-".contains(c))
        {
            return None;
        }
        // The version follows the last `@` after the last `/` (an npm scope may be written `@scope/`).
        let last_slash = rest.trim_end_matches('/').rfind('/').map_or(0, |i| i + 1);
        let (rest, version) = match rest[last_slash..].rfind('@') {
            Some(at) => {
                let at = last_slash + at;
                (&rest[..at], Some(decode(&rest[at + 1..])))
            }
            None => (rest, None),
        };
        let rest = rest.trim_end_matches('/');
        let (namespace, name) = match rest.rsplit_once('/') {
            Some((namespace, name)) => (segments(namespace), decode(name)),
            None => (None, decode(rest)),
        };
        if name.trim().is_empty() {
            return None;
        }
        Some(Purl {
            kind: kind.to_ascii_lowercase(),
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
            subpath,
        })
    }

    /// A qualifier's value.
    pub fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.get(key).map(String::as_str)
    }
}

/// `a/b/c` decoded segment by segment, without empty, `.` and `..` segments; `None` when nothing is left.
fn segments(text: &str) -> Option<String> {
    let parts: Vec<String> = text
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .map(decode)
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn qualifiers(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let value = decode(value);
            (!key.is_empty() && !value.is_empty()).then(|| (key.to_ascii_lowercase(), value))
        })
        .collect()
}

/// Percent-decodes `text`; a `%` without two hex digits after it stays as it is, and bytes that do not
/// form UTF-8 become U+FFFD.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(high), Some(low)) = (
                bytes.get(i + 1).and_then(|b| hex(*b)),
                bytes.get(i + 2).and_then(|b| hex(*b)),
            )
        {
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl(text: &str) -> Purl {
        Purl::parse(text).unwrap_or_else(|| panic!("{text} is a purl"))
    }

    #[test]
    fn the_parts_are_split_and_decoded() {
        let p = purl(
            "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie&Checksum=sha1%3Aab#a/./b/../c%20d/",
        );
        assert_eq!(p.kind, "deb");
        assert_eq!(p.namespace.as_deref(), Some("debian"));
        assert_eq!(p.name, "curl");
        assert_eq!(p.version.as_deref(), Some("7.50.3-1"));
        assert_eq!(p.qualifier("arch"), Some("i386"));
        assert_eq!(p.qualifier("distro"), Some("jessie"));
        assert_eq!(p.qualifier("checksum"), Some("sha1:ab"));
        assert_eq!(p.subpath.as_deref(), Some("a/b/c d"));
    }

    #[test]
    fn oci_digests_are_decoded_and_qualifiers_keep_their_slashes() {
        let p = purl(
            "pkg:oci/debian@sha256%3A244fd47e07d10?repository_url=docker.io/library/debian&arch=amd64&tag=latest",
        );
        assert_eq!(p.kind, "oci");
        assert_eq!(p.namespace, None);
        assert_eq!(p.name, "debian");
        assert_eq!(p.version.as_deref(), Some("sha256:244fd47e07d10"));
        assert_eq!(
            p.qualifier("repository_url"),
            Some("docker.io/library/debian")
        );
        assert_eq!(p.qualifier("tag"), Some("latest"));
        // An unencoded colon in the version is fine too.
        assert_eq!(
            purl("pkg:oci/app@sha256:00ff").version.as_deref(),
            Some("sha256:00ff")
        );
    }

    #[test]
    fn namespaces_and_npm_scopes_in_either_spelling() {
        for text in [
            "pkg:npm/%40angular/animation@12.3.1",
            "pkg:npm/@angular/animation@12.3.1",
        ] {
            let p = purl(text);
            assert_eq!(p.namespace.as_deref(), Some("@angular"), "{text}");
            assert_eq!(p.name, "animation");
            assert_eq!(p.version.as_deref(), Some("12.3.1"));
        }
        let p = purl("pkg:npm/@angular/animation");
        assert_eq!(p.namespace.as_deref(), Some("@angular"));
        assert_eq!(p.name, "animation");
        assert_eq!(p.version, None);
        let p = purl("pkg:golang/google.golang.org/genproto#googleapis/api/annotations");
        assert_eq!(p.namespace.as_deref(), Some("google.golang.org"));
        assert_eq!(p.name, "genproto");
        assert_eq!(p.subpath.as_deref(), Some("googleapis/api/annotations"));
        let p = purl("pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources");
        assert_eq!(p.namespace.as_deref(), Some("org.apache.xmlgraphics"));
        assert_eq!(p.qualifier("packaging"), Some("sources"));
    }

    #[test]
    fn rpm_epochs_and_encoded_characters_survive() {
        let p = purl("pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25&epoch=1");
        assert_eq!(p.qualifier("epoch"), Some("1"));
        let p = purl("pkg:deb/debian/libc6@2.36-9%2Bdeb12u4");
        assert_eq!(p.version.as_deref(), Some("2.36-9+deb12u4"));
        let p = purl("pkg:deb/debian/tzdata@2%3A2024a-0");
        assert_eq!(p.version.as_deref(), Some("2:2024a-0"));
    }

    #[test]
    fn lenient_spellings_are_read() {
        let p = purl("pkg:///PyPI/Django@1.11.1");
        assert_eq!(p.kind, "pypi");
        assert_eq!(p.name, "Django");
        let p = purl("PKG:apk/alpine/busybox@1.36.1-r5?arch=x86_64&empty=&=x");
        assert_eq!(p.kind, "apk");
        assert_eq!(p.qualifiers.len(), 1, "{:?}", p.qualifiers);
        assert_eq!(purl("pkg:generic/a%zzb").name, "a%zzb");
        assert_eq!(purl("pkg:generic/bad%ff").name, "bad\u{fffd}");
        assert_eq!(purl("pkg:generic/name@").version, None);
        // An `@` in the namespace is not the version's.
        let p = purl("pkg:generic/a@/b");
        assert_eq!(
            (p.namespace.as_deref(), p.name.as_str(), p.version),
            (Some("a@"), "b", None)
        );
    }

    #[test]
    fn what_is_not_a_purl_is_none() {
        for text in [
            "",
            "pkg:",
            "pkg:deb",
            "pkg:deb/",
            "pkg:/",
            "https://example.com/pkg/deb",
            "nginx",
            "registry.k8s.io/kube-apiserver:v1.26.0",
            "cpe:2.3:a:apache:log4j:2.4",
            "pkg:de b/x",
            "pkg:deb/%20",
        ] {
            assert_eq!(Purl::parse(text), None, "{text}");
        }
    }
}
