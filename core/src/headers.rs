//! What core's responses say to browsers about themselves: content security policies, the
//! session cookie's attributes, and which `Host` names the server answers to (DNS rebinding).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use bytes::Bytes;
use http::{HeaderValue, Request, header};

use crate::assets;

/// The app page at `/<sid>` (built-in or the site's `html/index.html`), unless the site
/// brings its own policy in [`SITE_POLICY`]. What the bundled client needs: its modules and
/// the site's files from the same origin; template `<script>`s, which the client runs from
/// `blob:` URLs; inline `<style>` and `style` attributes in templates (and `ui-html`); images
/// from the site, `data:` and `blob:`; the WebSocket to the same host (CSP3 `'self'` covers
/// `ws:`/`wss:` there). No inline script or event-handler attribute runs, so markup that a
/// `ui-html` binding shows cannot run code; no other site may frame the page.
pub(crate) const APP_POLICY: &str = "default-src 'self'; script-src 'self' blob:; \
style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The debug page `/<sid>/variables`: its script from core, its inline stylesheet, and the
/// JSON beside it.
pub(crate) const DEBUG_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

/// Error pages: an inline stylesheet and nothing else.
pub(crate) const ERROR_PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The site file whose text replaces [`APP_POLICY`] on the app page; empty, no policy.
pub(crate) const SITE_POLICY: &str = "html/csp.txt";

/// The app page's policy: the site's own if it has one ([`SITE_POLICY`], whitespace runs and
/// line breaks read as one space; empty means none), else [`APP_POLICY`]. `Err` carries why
/// the site's file cannot be a header value; the built-in policy then applies.
pub(crate) fn app_policy(site_policy: Option<&Bytes>) -> Result<Option<HeaderValue>, String> {
    let builtin = Ok(Some(HeaderValue::from_static(APP_POLICY)));
    let Some(bytes) = site_policy else {
        return builtin;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(format!("{SITE_POLICY} is not UTF-8"));
    };
    let policy = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if policy.is_empty() {
        return Ok(None);
    }
    match HeaderValue::from_str(&policy) {
        Ok(value) if policy.is_ascii() => Ok(Some(value)),
        _ => Err(format!(
            "{SITE_POLICY} holds characters a header cannot carry"
        )),
    }
}

/// The `Link` header of app pages: a `modulepreload` of the client's bundle, which its entry
/// `client.js` imports. The browser starts fetching it as the page's headers arrive, beside the
/// entry rather than after it, and a site's own `html/index.html` gets this without saying so.
pub(crate) fn module_preloads() -> HeaderValue {
    static LINK: OnceLock<HeaderValue> = OnceLock::new();
    LINK.get_or_init(|| {
        let links: Vec<String> = assets::preloaded_modules()
            .map(|module| format!("<{module}>; rel=modulepreload"))
            .collect();
        HeaderValue::from_str(&links.join(", ")).unwrap_or(HeaderValue::from_static(""))
    })
    .clone()
}

/// The `Set-Cookie` value naming the session. `HttpOnly`: the client takes the sid from the
/// page's path, so no script needs the cookie. `Secure` when the request reached the proxy in
/// front of the server over TLS.
pub(crate) fn session_cookie(sid: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("ui-session={sid}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// Whether a proxy in front says the client used `https`: the first entry of
/// `X-Forwarded-Proto` or the `proto` of the first element of `Forwarded` (RFC 7239). Only a
/// proxy that sets these (replacing what clients send) makes them true; a client that sends
/// them itself only makes its own cookie `Secure`.
pub(crate) fn forwarded_https<B>(request: &Request<B>) -> bool {
    let text = |name| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let first = |list: &str| list.split(',').next().unwrap_or("").trim().to_owned();
    if let Some(proto) = text(header::HeaderName::from_static("x-forwarded-proto")) {
        return first(proto).eq_ignore_ascii_case("https");
    }
    if let Some(forwarded) = text(header::FORWARDED) {
        return first(forwarded).split(';').any(|pair| {
            pair.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("proto")
                    && value.trim().trim_matches('"').eq_ignore_ascii_case("https")
            })
        });
    }
    false
}

/// Whether the request's `Host` may be answered: always when `allowed` is `None`; otherwise a
/// loopback name (`localhost`, `*.localhost`, `127.x.y.z`, `[::1]`, any port) or one of
/// `allowed` (a name, or a name with its port). A request without `Host` cannot come from a
/// browser, so it is not a rebinding and is answered.
pub(crate) fn host_allowed<B>(request: &Request<B>, allowed: Option<&[String]>) -> bool {
    let Some(allowed) = allowed else {
        return true;
    };
    let Some(host) = request.headers().get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let name = host_name(host);
    let bare = |name: &str| name.trim_end_matches('.').to_ascii_lowercase();
    is_loopback_name(name)
        || allowed.iter().any(|allowed| {
            if host_name(allowed) == allowed {
                bare(allowed) == bare(name)
            } else {
                allowed.eq_ignore_ascii_case(host)
            }
        })
}

/// The name part of a `Host` value: without its port, an IPv6 literal with its brackets.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn is_loopback_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return v6.parse::<Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request<()> {
        let mut request = Request::get("/");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap_or_else(|error| panic!("{error}"))
    }

    fn allows(host: &str, allowed: &[&str]) -> bool {
        let allowed: Vec<String> = allowed.iter().map(|a| (*a).to_owned()).collect();
        host_allowed(&request(&[("host", host)]), Some(&allowed))
    }

    #[test]
    fn loopback_names_with_any_port_are_allowed() {
        for host in [
            "localhost",
            "LOCALHOST:8080",
            "localhost.",
            "app.localhost:3000",
            "127.0.0.1",
            "127.0.0.1:8080",
            "127.1.2.3:1",
            "[::1]",
            "[::1]:8080",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(allows(host, &[]), "{host}");
        }
    }

    #[test]
    fn other_names_are_refused_unless_allowed() {
        for host in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "128.0.0.1",
            "0.0.0.0:8080",
            "[::2]:8080",
            "[::1",
            "",
        ] {
            assert!(!allows(host, &[]), "{host:?}");
        }
        assert!(allows("app.example:8080", &["app.example"]));
        assert!(allows("APP.example", &["app.example"]));
        assert!(allows("app.example:8080", &["app.example:8080"]));
        assert!(!allows("app.example:9090", &["app.example:8080"]));
        assert!(!allows("other.example", &["app.example"]));
    }

    #[test]
    fn no_check_without_a_list_and_no_host_is_no_rebinding() {
        assert!(host_allowed(&request(&[("host", "evil.example")]), None));
        assert!(host_allowed(&request(&[]), Some(&[])));
    }

    #[test]
    fn https_is_known_from_the_first_forwarded_entry() {
        for (name, value, https) in [
            ("x-forwarded-proto", "https", true),
            ("x-forwarded-proto", "HTTPS, http", true),
            ("x-forwarded-proto", "http, https", false),
            ("forwarded", "for=192.0.2.1;proto=https", true),
            ("forwarded", "proto=\"https\";by=x, proto=http", true),
            ("forwarded", "for=192.0.2.1;proto=http, proto=https", false),
            ("forwarded", "for=192.0.2.1", false),
        ] {
            assert_eq!(
                forwarded_https(&request(&[(name, value)])),
                https,
                "{name}: {value}"
            );
        }
        assert!(!forwarded_https(&request(&[])));
    }

    #[test]
    fn a_site_policy_is_one_line_or_none() {
        let policy = |text: &str| app_policy(Some(&Bytes::from(text.to_owned())));
        assert_eq!(
            policy("default-src 'self';\n  img-src *\n"),
            Ok(Some(HeaderValue::from_static(
                "default-src 'self'; img-src *"
            )))
        );
        assert_eq!(policy(" \n"), Ok(None));
        assert!(policy("default-src \u{1}").is_err());
        assert!(policy("default-src é").is_err());
        assert_eq!(
            app_policy(None),
            Ok(Some(HeaderValue::from_static(APP_POLICY)))
        );
    }
}
