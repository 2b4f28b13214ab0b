//! Registry endpoints: the one place that turns what the user typed (`--registry-endpoint`, an image
//! URI's host), what ECR answered (`proxyEndpoint`) and a registry id into the URL the credentials go
//! to. URLs are built and checked with the URL parser, never by pasting strings together, so that the
//! credentials only ever reach the origin the user pointed at (or the registry ECR named for them).
//!
//! Accepted: `https://HOST[:PORT]` (a path prefix is kept for `--registry-endpoint`), plain `http://`
//! only for 127.0.0.1, ::1 and localhost. Refused: user info (it would be sent as a second set of
//! credentials, and printing the endpoint would print it), a query or a fragment (they used to be
//! dropped silently), another scheme, no host. Pure: no I/O.

use std::net::IpAddr;

use reqwest::Url;

use crate::image_ref::is_registry_id;

/// A registry endpoint that was refused.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("the registry endpoint `{endpoint}` is not a URL")]
    NotAUrl {
        /// The endpoint as given, user info hidden.
        endpoint: String,
        #[source]
        source: url::ParseError,
    },
    #[error(
        "the registry endpoint `{endpoint}` {problem}; expected https://HOST[:PORT] (plain http only \
         for 127.0.0.1, ::1 or localhost)"
    )]
    Refused {
        /// The endpoint as given, user info hidden.
        endpoint: String,
        problem: &'static str,
    },
    #[error(
        "ECR named `{endpoint}` as the registry endpoint (proxyEndpoint), which {problem}; expected \
         https://HOST; pass --registry-endpoint to push elsewhere"
    )]
    Proxy {
        /// The endpoint as ECR sent it, user info hidden.
        endpoint: String,
        problem: &'static str,
    },
    #[error("registry id `{id}` is not the 12-digit AWS account id of a registry")]
    RegistryId { id: String },
    #[error("`{host}` is not a registry host")]
    Host {
        host: String,
        #[source]
        source: url::ParseError,
    },
}

/// Parses `--registry-endpoint`: `https://host[:port][/prefix]`, a bare host (https), or `http://`
/// for loopback. The result always ends in `/`.
pub fn parse(text: &str) -> Result<Url, EndpointError> {
    let trimmed = text.trim();
    let refused = |problem| EndpointError::Refused {
        endpoint: redacted(text),
        problem,
    };
    let mut url = if trimmed.contains("://") {
        Url::parse(trimmed)
    } else {
        Url::parse("https://localhost/").and_then(|base| base.join(&format!("//{trimmed}")))
    }
    .map_err(|source| EndpointError::NotAUrl {
        endpoint: redacted(text),
        source,
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(refused("is plain http to a host that is not this machine")),
        _ => return Err(refused("is neither https nor http")),
    }
    check_common(&url).map_err(refused)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Checks the `proxyEndpoint` of ECR's `GetAuthorizationToken`: `https://HOST[:PORT]` and nothing
/// more (no user info, path, query or fragment). Plain `http://` only for a loopback host, as for
/// `--registry-endpoint` (ECR itself never names one; a local stand-in of ECR may).
pub fn proxy(text: &str) -> Result<Url, EndpointError> {
    let refused = |problem| EndpointError::Proxy {
        endpoint: redacted(text),
        problem,
    };
    let url = Url::parse(text.trim()).map_err(|_| refused("is not a URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => return Err(refused("is not https")),
    }
    check_common(&url).map_err(refused)?;
    if url.path() != "/" {
        return Err(refused("has a path"));
    }
    Ok(url)
}

/// The endpoint of an image URI's registry host (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`): https, that
/// host, nothing else.
pub fn on_host(host: &str) -> Result<Url, EndpointError> {
    let bad = |source| EndpointError::Host {
        host: host.to_string(),
        source,
    };
    let mut url = Url::parse("https://localhost/").map_err(bad)?;
    url.set_host(Some(host)).map_err(bad)?;
    if url.host_str() != Some(host.to_ascii_lowercase().as_str()) {
        return Err(bad(url::ParseError::InvalidDomainCharacter));
    }
    Ok(url)
}

/// `proxy` (the caller's own registry, `https://ACCOUNT.dkr.ecr.REGION.amazonaws.com`) moved to
/// registry `id` when `id` is another account's: ECR's token is valid for every registry the caller may
/// push to. An endpoint whose host does not start with an account id is kept as it is.
pub fn for_registry(proxy: &Url, id: Option<&str>) -> Result<Url, EndpointError> {
    let Some(id) = id else {
        return Ok(proxy.clone());
    };
    if !is_registry_id(id) {
        return Err(EndpointError::RegistryId { id: id.to_string() });
    }
    let Some((account, domain)) = proxy.host_str().and_then(|h| h.split_once('.')) else {
        return Ok(proxy.clone());
    };
    if !is_registry_id(account) || account == id {
        return Ok(proxy.clone());
    }
    let host = [id, domain].join(".");
    let mut url = proxy.clone();
    url.set_host(Some(&host))
        .map_err(|source| EndpointError::Host { host, source })?;
    Ok(url)
}

/// Whether `endpoint` is Amazon ECR's (`*.amazonaws.com`, `*.amazonaws.com.cn`, dual-stack
/// `*.on.aws`, and their VPC endpoints).
pub fn is_ecr(endpoint: &Url) -> bool {
    endpoint.host_str().is_some_and(|host| {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        host.ends_with(".amazonaws.com")
            || host.ends_with(".amazonaws.com.cn")
            || host.ends_with(".on.aws")
    })
}

/// What every endpoint must satisfy, whoever named it.
fn check_common(url: &Url) -> Result<(), &'static str> {
    if url.host_str().is_none_or(str::is_empty) {
        return Err("names no host");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("carries user info (user:password@); the gate sends ECR's credentials itself");
    }
    if url.query().is_some() {
        return Err("has a query (?…)");
    }
    if url.fragment().is_some() {
        return Err("has a fragment (#…)");
    }
    Ok(())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// `text` with anything that looks like user info (between `://` and the last `@` before the path)
/// replaced by `***`, for messages.
fn redacted(text: &str) -> String {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &text[..start], &rest[at..]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "https://123456789012.dkr.ecr.us-east-1.amazonaws.com";

    fn parsed(text: &str) -> String {
        parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .to_string()
    }

    #[test]
    fn endpoints_are_https_unless_loopback() {
        assert_eq!(
            parsed("123456789012.dkr.ecr.us-east-1.amazonaws.com"),
            "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/"
        );
        assert_eq!(parsed("http://127.0.0.1:5000"), "http://127.0.0.1:5000/");
        assert_eq!(parsed("http://[::1]:5000/"), "http://[::1]:5000/");
        assert_eq!(parsed("http://localhost:5000"), "http://localhost:5000/");
        assert_eq!(parsed("http://127.8.9.10:5000"), "http://127.8.9.10:5000/");
        assert_eq!(
            parsed(" https://registry.example.com/mirror "),
            "https://registry.example.com/mirror/"
        );
        for insecure in [
            "http://registry.example.com",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "http://[::ffff:10.0.0.1]",
            "http://0x7f000001.evil.example",
        ] {
            let error = parse(insecure).expect_err(insecure);
            assert!(
                matches!(&error, EndpointError::Refused { problem, .. } if problem.contains("plain http")),
                "{insecure}: {error}"
            );
        }
        for other in [
            "ftp://127.0.0.1",
            "file:///etc/passwd",
            "javascript:x",
            "data:x,y",
        ] {
            assert!(parse(other).is_err(), "{other}");
        }
        for bad in ["https://", "", "https://a b", "https://[::1"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn endpoints_with_user_info_query_or_fragment_are_refused() {
        for (text, problem) in [
            ("https://user:secret@registry.example.com", "user info"),
            ("http://user:secret@127.0.0.1:5000", "user info"),
            ("user:secret@127.0.0.1:5000", "user info"),
            ("https://:secret@registry.example.com", "user info"),
            ("https://user@registry.example.com", "user info"),
            ("https://registry.example.com/?x=1", "query"),
            ("http://127.0.0.1:5000/x?", "query"),
            ("https://registry.example.com/#f", "fragment"),
        ] {
            let error = parse(text).expect_err(text);
            let message = error.to_string();
            assert!(message.contains(problem), "{text}: {message}");
            assert!(!message.contains("secret"), "{text}: {message}");
        }
    }

    #[test]
    fn backslashes_and_odd_authorities_resolve_to_the_host_that_is_printed() {
        // The URL parser treats `\` as `/` in https URLs: the host is what comes before it, and that is
        // what the gate connects to and names.
        let url =
            parse("https://evil.example\\@123456789012.dkr.ecr.us-east-1.amazonaws.com").unwrap();
        assert_eq!(url.host_str(), Some("evil.example"));
        assert!(url.path().starts_with("/@123456789012"), "{url}");
    }

    #[test]
    fn proxy_endpoint_is_https_host_and_nothing_more() {
        assert_eq!(proxy(OWN).unwrap().as_str(), format!("{OWN}/"));
        assert_eq!(
            proxy("https://registry.example.com:8443/")
                .unwrap()
                .as_str(),
            "https://registry.example.com:8443/"
        );
        assert_eq!(
            proxy("http://127.0.0.1:18403").unwrap().as_str(),
            "http://127.0.0.1:18403/"
        );
        for (text, problem) in [
            (
                "http://123456789012.dkr.ecr.us-east-1.amazonaws.com",
                "not https",
            ),
            ("http://10.0.0.1:18403", "not https"),
            ("http://127.0.0.1.evil.example", "not https"),
            ("ftp://127.0.0.1:18403", "not https"),
            ("http://AWS:token@127.0.0.1:18403", "user info"),
            ("http://127.0.0.1:18403/x", "has a path"),
            ("https://AWS:token@127.0.0.1:18403", "user info"),
            ("https://127.0.0.1:18403/x", "has a path"),
            ("https://127.0.0.1:18403/?x", "query"),
            ("https://127.0.0.1:18403#x", "fragment"),
            ("127.0.0.1:18403", "not"),
            ("", "not a URL"),
            ("https://", "not a URL"),
        ] {
            let error = proxy(text).expect_err(text);
            let message = error.to_string();
            assert!(message.contains(problem), "{text}: {message}");
            assert!(message.contains("proxyEndpoint"), "{message}");
            assert!(!message.contains("token"), "{text}: {message}");
        }
    }

    #[test]
    fn push_endpoint_moves_to_the_named_registry() {
        let own = proxy(OWN).unwrap();
        let moved = |id| for_registry(&own, id).map(|u| u.to_string());
        assert_eq!(moved(None).unwrap(), format!("{OWN}/"));
        assert_eq!(moved(Some("123456789012")).unwrap(), format!("{OWN}/"));
        assert_eq!(
            moved(Some("210987654321")).unwrap(),
            "https://210987654321.dkr.ecr.us-east-1.amazonaws.com/"
        );
        let elsewhere = proxy("https://proxy.example.com").unwrap();
        assert_eq!(
            for_registry(&elsewhere, Some("210987654321"))
                .unwrap()
                .as_str(),
            "https://proxy.example.com/"
        );
        let short = proxy("https://12345.dkr.ecr.us-east-1.amazonaws.com").unwrap();
        assert_eq!(
            for_registry(&short, Some("210987654321")).unwrap().as_str(),
            "https://12345.dkr.ecr.us-east-1.amazonaws.com/"
        );
    }

    #[test]
    fn a_hostile_registry_id_never_reaches_the_host() {
        let own = proxy(OWN).unwrap();
        for id in [
            "127.0.0.1:18403/x?",
            "evil.example/",
            "evil.example#",
            "a@evil.example",
            "12345678901",
            "１２３４５６７８９０１２",
            "",
        ] {
            let error = for_registry(&own, Some(id)).expect_err(id);
            assert!(
                matches!(error, EndpointError::RegistryId { .. }),
                "{id}: {error}"
            );
        }
    }

    #[test]
    fn image_hosts_become_https_endpoints_of_that_host_only() {
        assert_eq!(
            on_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
                .unwrap()
                .as_str(),
            "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/"
        );
        for bad in [
            "evil.example:443",
            "evil.example/x",
            "user@evil.example",
            "evil.example?",
            "evil.example#",
            "",
            "a b",
        ] {
            assert!(on_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ecr_endpoints_are_recognised() {
        for ecr in [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
            "123456789012.dkr-ecr.us-east-1.on.aws",
            "vpce-0a1b.dkr.ecr.us-east-1.vpce.amazonaws.com",
        ] {
            assert!(is_ecr(&parse(ecr).unwrap()), "{ecr}");
        }
        assert!(!is_ecr(&parse("http://127.0.0.1:5000").unwrap()));
        assert!(!is_ecr(&parse("registry.example.com").unwrap()));
        assert!(!is_ecr(&parse("amazonaws.com.evil.example").unwrap()));
    }

    #[test]
    fn redaction_hides_user_info_only() {
        assert_eq!(redacted("https://u:p@h/x@y"), "https://***@h/x@y");
        assert_eq!(redacted("u:p@h"), "***@h");
        assert_eq!(redacted("https://h/a@b"), "https://h/a@b");
        assert_eq!(redacted("https://a@b@h"), "https://***@h");
    }
}
