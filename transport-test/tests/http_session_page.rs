//! The session page, its cookie and headers, and the expired page of an unknown sid
//! (docs/protocol.md §2).

mod common;

use std::time::Duration;

use common::http::*;
use http::Method;
use lunette_core::{Config, Site};
use lunette_test::{Harness, body_text, header, location};

// --- §2: the session page, its cookie and headers ---

#[test]
fn session_page_is_the_builtin_shell_when_the_site_has_no_index() {
    let mut h = harness();
    let sid = h.create_session();
    let response = h.get(&format!("/{sid}"));
    assert_eq!(response.status(), 200);
    assert_html_page(&response);
    let body = body_text(&response);
    assert!(body.contains("<div ui-app></div>"), "{body}");
    assert!(body.contains(r#"src="/lunette/client.js""#), "{body}");
    assert!(body.contains(r#"href="/lunette/client.css""#), "{body}");
}

#[test]
fn every_path_under_a_live_sid_serves_the_page() {
    let mut h = harness();
    let sid = h.create_session();
    let page = h.get(&format!("/{sid}"));
    for path in [
        format!("/{sid}/"),
        format!("/{sid}/any/sub/path"),
        format!("/{sid}/x.js"),
    ] {
        let response = h.get(&path);
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.body(), page.body(), "{path}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
    }
}

#[test]
fn the_sites_index_html_wins_over_the_shell() {
    let index = "<!doctype html><title>mine</title><div ui-app></div>";
    let mut h = Harness::new(
        Site::from_texts(&[("lua/main.lua", APP), ("html/index.html", index)]),
        Config::default(),
        1,
    );
    let sid = h.create_session();
    for path in [format!("/{sid}"), format!("/{sid}/any/sub/path")] {
        let response = h.get(&path);
        assert_eq!(response.status(), 200);
        assert_eq!(body_text(&response), index, "{path}");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    }
}

#[test]
fn session_page_sets_exactly_the_session_cookie() {
    let mut h = harness();
    let sid = h.create_session();
    let response = h.get(&format!("/{sid}"));
    let cookies: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 1);
    assert_eq!(
        cookies[0],
        format!("ui-session={sid}; Path=/; HttpOnly; SameSite=Lax").as_str()
    );
}

#[test]
fn the_redirect_and_the_session_page_are_not_cached() {
    let mut h = harness();
    let redirect = h.get("/");
    assert_eq!(header(&redirect, "cache-control"), "no-store");
    let page = h.get(location(&redirect));
    assert_eq!(page.status(), 200);
    assert_eq!(header(&page, "cache-control"), "no-store");
}

#[test]
fn every_html_response_carries_no_referrer() {
    let main = main_failing_from_one_minute(r#"error("late")"#);
    let files = [
        ("lua/main.lua", main.as_str()),
        ("html/about.html", "<p>about</p>"),
    ];
    let mut h = Harness::new(Site::from_texts(&files), Config::default(), 1);
    let sid = h.create_session();
    let mut responses = vec![
        h.get(&format!("/{sid}")),
        h.get(&format!("/{UNKNOWN_SID}")),
        h.get("/missing.txt"),
        h.get("/a/../b"),
        h.request(Method::POST, "/"),
        h.get("/about.html"),
    ];
    h.advance(Duration::from_secs(60));
    responses.push(h.get("/"));
    responses.push(
        harness_with(Config {
            max_sessions: 0,
            ..Config::default()
        })
        .get("/"),
    );
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 404, 404, 400, 405, 200, 500, 503]);
    for response in &responses {
        assert_eq!(header(response, "content-type"), "text/html; charset=utf-8");
        assert_eq!(
            header(response, "referrer-policy"),
            "no-referrer",
            "{}",
            response.status()
        );
    }
}

// --- §2: a well-formed unknown sid gets the expired page ---

#[test]
fn unknown_well_formed_sid_gets_the_expired_page_linking_home() {
    let mut h = harness();
    for path in [
        format!("/{UNKNOWN_SID}"),
        format!("/{UNKNOWN_SID}/sub/path"),
    ] {
        let response = h.get(&path);
        assert_eq!(response.status(), 404, "{path}");
        assert_html_page(&response);
        let body = body_text(&response);
        assert!(body.contains("expired"), "{body}");
        assert!(body.contains("never existed"), "{body}");
        assert!(body.contains(r#"href="/""#), "{body}");
        assert!(response.headers().get("set-cookie").is_none());
    }
    assert_eq!(h.core().session_count(), 0);
}
