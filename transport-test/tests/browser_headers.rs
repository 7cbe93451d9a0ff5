//! What responses tell browsers about themselves (issue 10, class 5): `nosniff` everywhere,
//! content security policies, the session cookie's attributes, and the `Host` check that
//! stops DNS rebinding on a server bound to loopback.

use bytes::Bytes;
use http::{Method, Response};
use lunette_core::{Config, LogLevel, Site};
use lunette_test::{Harness, body_text, header, site_with_main};

const APP: &str = r#"session:createAppVariable({type = "App"})"#;

fn harness_with_files(files: &[(&str, &str)], config: Config) -> Harness {
    let mut all = vec![("lua/main.lua", APP)];
    all.extend_from_slice(files);
    Harness::new(Site::from_texts(&all), config, 1)
}

/// A core that answers only loopback names and `allowed`, as one bound to loopback is.
fn loopback_only(allowed: &[&str]) -> Harness {
    let config = Config {
        allowed_hosts: Some(allowed.iter().map(|name| (*name).to_owned()).collect()),
        ..Config::default()
    };
    Harness::new(site_with_main(APP), config, 1)
}

/// The directives of a policy, by name.
fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d == &name || d.starts_with(&format!("{name} ")))
}

fn policy(response: &Response<Bytes>) -> &str {
    header(response, "content-security-policy")
}

// --- X-Content-Type-Options ---

#[test]
fn every_response_says_nosniff() {
    let mut h = harness_with_files(&[("html/site.css", "body{}")], Config::default());
    let sid = h.create_session();
    let mut responses = vec![
        h.get("/"),
        h.get(&format!("/{sid}")),
        h.get(&format!("/{sid}/deeper")),
        h.get(&format!("/{sid}/variables")),
        h.get(&format!("/{sid}/variables.json")),
        h.get("/0123456789abcdef0123456789abcdef/variables.json"),
        h.get("/lunette/client.js"),
        h.get("/lunette/variables-page.js"),
        h.get("/site.css"),
        h.get("/missing.txt"),
        h.get("/a/../b"),
        h.get(&format!("/ws/{sid}")),
        h.request(Method::POST, "/"),
        h.request(Method::HEAD, &format!("/{sid}")),
    ];
    let etag = header(&responses[6], "etag").to_owned();
    let not_modified = h.request_with_headers(
        Method::GET,
        "/lunette/client.js",
        &[("if-none-match", &etag)],
    );
    assert_eq!(not_modified.status(), 304);
    responses.push(not_modified);
    let refused = h.upgrade(&sid, &[("origin", "http://evil.example")]);
    responses.push(refused.expect_err("a foreign origin is refused"));
    for response in &responses {
        assert_eq!(
            header(response, "x-content-type-options"),
            "nosniff",
            "{} {}",
            response.status(),
            body_text(response)
        );
    }
}

// --- Content-Security-Policy ---

#[test]
fn the_app_page_runs_no_inline_script_and_cannot_be_framed() {
    for files in [
        vec![],
        vec![("html/index.html", "<!doctype html><div ui-app></div>")],
    ] {
        let mut h = harness_with_files(&files, Config::default());
        let sid = h.create_session();
        for path in [format!("/{sid}"), format!("/{sid}/any/path")] {
            let page = h.get(&path);
            assert_eq!(page.status(), 200);
            let policy = policy(&page);
            assert_eq!(
                directive(policy, "frame-ancestors"),
                Some("frame-ancestors 'none'")
            );
            // The client's modules and template scripts (from blob: URLs), never inline.
            assert_eq!(
                directive(policy, "script-src"),
                Some("script-src 'self' blob:")
            );
            assert_eq!(directive(policy, "connect-src"), Some("connect-src 'self'"));
            assert_eq!(directive(policy, "object-src"), Some("object-src 'none'"));
            assert_eq!(directive(policy, "default-src"), Some("default-src 'self'"));
        }
    }
}

#[test]
fn the_debug_page_loads_its_script_from_a_file_under_a_strict_policy() {
    let mut h = harness_with_files(&[], Config::default());
    let sid = h.create_session();
    let page = h.get(&format!("/{sid}/variables"));
    assert_eq!(page.status(), 200);
    let policy = policy(&page);
    assert_eq!(directive(policy, "default-src"), Some("default-src 'none'"));
    assert_eq!(directive(policy, "script-src"), Some("script-src 'self'"));
    assert_eq!(directive(policy, "connect-src"), Some("connect-src 'self'"));
    assert_eq!(
        directive(policy, "frame-ancestors"),
        Some("frame-ancestors 'none'")
    );
    let body = body_text(&page);
    assert_eq!(body.matches("<script").count(), 1, "{body}");
    assert!(body.contains(r#"<script src="/lunette/variables-page.js"></script>"#));
    let script = h.get("/lunette/variables-page.js");
    assert_eq!(script.status(), 200);
    assert_eq!(
        header(&script, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(body_text(&script).contains("variables.json"));
}

#[test]
fn error_pages_allow_nothing_but_their_stylesheet() {
    let mut h = harness_with_files(&[], Config::default());
    for response in [
        h.get("/0123456789abcdef0123456789abcdef"),
        h.get("/missing.txt"),
        h.request(Method::POST, "/"),
    ] {
        assert_eq!(
            policy(&response),
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'none'",
            "{}",
            response.status()
        );
    }
    // Static files are not documents: no policy of their own.
    assert_eq!(policy(&h.get("/lunette/client.js")), "");
}

#[test]
fn a_site_brings_its_own_policy_in_html_csp_txt() {
    let own = "default-src 'self';\n  img-src https://images.example\n";
    let mut h = harness_with_files(&[("html/csp.txt", own)], Config::default());
    let sid = h.create_session();
    assert_eq!(
        policy(&h.get(&format!("/{sid}"))),
        "default-src 'self'; img-src https://images.example"
    );
    // Only the app page: the debug and error pages keep theirs.
    let debug = h.get(&format!("/{sid}/variables"));
    assert_eq!(
        directive(policy(&debug), "script-src"),
        Some("script-src 'self'")
    );

    let mut h = harness_with_files(&[("html/csp.txt", "  \n")], Config::default());
    let sid = h.create_session();
    let page = h.get(&format!("/{sid}"));
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("content-security-policy").is_none());
}

#[test]
fn a_policy_that_cannot_be_a_header_is_logged_and_the_builtin_one_served() {
    let mut h = harness_with_files(&[("html/csp.txt", "default-src \u{7}")], Config::default());
    let sid = h.create_session();
    let page = h.get(&format!("/{sid}"));
    assert_eq!(page.status(), 200);
    assert_eq!(
        directive(policy(&page), "script-src"),
        Some("script-src 'self' blob:")
    );
    assert!(
        h.logs().iter().any(|record| record.level == LogLevel::Warn
            && record.message.contains("html/csp.txt")),
        "{:?}",
        h.logs()
    );
}

#[test]
fn an_edited_policy_applies_to_the_next_page_load() {
    let config = Config {
        hotload: true,
        ..Config::default()
    };
    let mut h = harness_with_files(&[], config);
    let sid = h.create_session();
    h.change_files(&[("html/csp.txt", Some("default-src 'self'"))]);
    assert_eq!(policy(&h.get(&format!("/{sid}"))), "default-src 'self'");
    h.change_files(&[("html/csp.txt", None)]);
    assert_eq!(
        directive(policy(&h.get(&format!("/{sid}"))), "frame-ancestors"),
        Some("frame-ancestors 'none'")
    );
}

// --- The session cookie ---

fn cookie(h: &mut Harness, sid: &str, headers: &[(&str, &str)]) -> String {
    let page = h.request_with_headers(Method::GET, &format!("/{sid}"), headers);
    assert_eq!(page.status(), 200);
    header(&page, "set-cookie").to_owned()
}

#[test]
fn the_cookie_is_http_only_and_secure_when_a_proxy_says_https() {
    let mut h = harness_with_files(&[], Config::default());
    let sid = h.create_session();
    let plain = format!("ui-session={sid}; Path=/; HttpOnly; SameSite=Lax");
    let secure = format!("{plain}; Secure");
    assert_eq!(cookie(&mut h, &sid, &[]), plain);
    assert_eq!(
        cookie(&mut h, &sid, &[("x-forwarded-proto", "https")]),
        secure
    );
    assert_eq!(
        cookie(&mut h, &sid, &[("forwarded", "for=192.0.2.7;proto=https")]),
        secure
    );
    assert_eq!(
        cookie(&mut h, &sid, &[("x-forwarded-proto", "http")]),
        plain
    );
}

// --- Host (DNS rebinding) ---

#[test]
fn bound_to_loopback_a_foreign_host_gets_421_everywhere() {
    let mut h = loopback_only(&[]);
    let sid = h.create_session();
    let evil = [("host", "rebind.evil.example:8080")];
    let paths = [
        "/".to_owned(),
        format!("/{sid}"),
        format!("/{sid}/variables.json"),
        "/lunette/client.js".to_owned(),
    ];
    for path in &paths {
        let response = h.request_with_headers(Method::GET, path, &evil);
        assert_eq!(response.status(), 421, "{path}");
        let body = body_text(&response);
        assert!(body.contains("rebind.evil.example:8080"), "{body}");
        assert!(body.contains("--allow-host"), "{body}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
    let origin = ("origin", "http://rebind.evil.example:8080");
    let upgrade = h.upgrade(&sid, &[evil[0], origin]);
    assert_eq!(
        upgrade.map_err(|r| r.status()),
        Err(http::StatusCode::MISDIRECTED_REQUEST)
    );
    // The refused requests created nothing and left the session alone.
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}

#[test]
fn bound_to_loopback_loopback_names_are_answered() {
    let mut h = loopback_only(&[]);
    for host in [
        "localhost:8080",
        "127.0.0.1:8080",
        "[::1]:8080",
        "app.localhost",
    ] {
        let response = h.request_with_headers(Method::GET, "/", &[("host", host)]);
        assert_eq!(response.status(), 302, "{host}");
    }
    let sid = h.create_session();
    let origin = ("origin", "http://127.0.0.1:8080");
    assert!(
        h.upgrade(&sid, &[("host", "127.0.0.1:8080"), origin])
            .is_ok()
    );
}

#[test]
fn allowed_hosts_are_answered_too() {
    let mut h = loopback_only(&["app.example"]);
    let allowed = h.request_with_headers(Method::GET, "/", &[("host", "APP.example:443")]);
    assert_eq!(allowed.status(), 302);
    let other = h.request_with_headers(Method::GET, "/", &[("host", "other.example")]);
    assert_eq!(other.status(), 421);
}

#[test]
fn without_a_host_check_any_host_is_answered() {
    let mut h = harness_with_files(&[], Config::default());
    let response = h.request_with_headers(Method::GET, "/", &[("host", "anything.example")]);
    assert_eq!(response.status(), 302);
}
