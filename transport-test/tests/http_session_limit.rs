//! At the session limit, `GET /` evicts the least recently active session, or answers 503
//! (docs/protocol.md §6.3).

mod common;

use std::time::Duration;

use common::http::*;
use lunette_core::Config;
use lunette_test::{body_text, header};

// --- §6.3: at the session limit, eviction or 503 ---

#[test]
fn get_root_at_the_limit_evicts_the_oldest_session() {
    let mut h = harness_with(Config {
        max_sessions: 3,
        ..Config::default()
    });
    let mut sids = Vec::new();
    for _ in 0..3 {
        sids.push(h.create_session());
        h.advance(Duration::from_millis(1));
    }
    let newest = h.create_session();
    assert_eq!(h.core().session_count(), 3);
    assert_eq!(h.get(&format!("/{}", sids[0])).status(), 404);
    for sid in [&sids[1], &sids[2], &newest] {
        assert_eq!(h.get(&format!("/{sid}")).status(), 200);
    }
}

#[test]
fn eviction_picks_the_oldest_last_activity_not_the_oldest_creation() {
    let mut h = harness_with(Config {
        max_sessions: 2,
        ..Config::default()
    });
    let first = h.create_session();
    h.advance(Duration::from_millis(1));
    let second = h.create_session();
    h.advance(Duration::from_millis(1));
    assert_eq!(h.get(&format!("/{first}")).status(), 200);
    h.advance(Duration::from_millis(1));
    h.create_session();
    assert_eq!(h.get(&format!("/{second}")).status(), 404);
    assert_eq!(h.get(&format!("/{first}")).status(), 200);
}

#[test]
fn no_room_for_any_session_answers_503_with_retry_after() {
    let mut h = harness_with(Config {
        max_sessions: 0,
        ..Config::default()
    });
    let response = h.get("/");
    assert_eq!(response.status(), 503);
    assert_eq!(header(&response, "retry-after"), "60");
    assert_html_page(&response);
    assert!(
        body_text(&response).contains("limit"),
        "{}",
        body_text(&response)
    );
    assert_eq!(h.core().session_count(), 0);
}
