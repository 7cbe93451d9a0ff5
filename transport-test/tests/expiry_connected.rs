//! Expiry and eviction of sessions that have had connections (docs/protocol.md §6.1, §6.3): an
//! open connection keeps a session alive and safe from eviction; after the last disconnect it
//! expires exactly `--session-timeout` later, which connects, disconnects and page loads push
//! back and timers do not; at the session limit, `GET /` evicts the right session or answers
//! `503`.

mod common;

use std::time::Duration;

use common::*;
use lunette_core::Config;
use lunette_test::{Harness, header};

const APP: &str = r#"session:createAppVariable({type = "App", name = "Ada"})"#;
const MINUTE: Duration = Duration::from_secs(60);
const MS: Duration = Duration::from_millis(1);

/// `--session-timeout 10m`, `--unclaimed-timeout 2m`.
fn config() -> Config {
    Config {
        session_timeout: Some(10 * MINUTE),
        unclaimed_timeout: Some(2 * MINUTE),
        ..Config::default()
    }
}

fn live(h: &Harness) -> usize {
    h.core().session_count()
}

fn page_status(h: &mut Harness, sid: &str) -> u16 {
    h.get(&format!("/{sid}/variables.json")).status().as_u16()
}

/// The tab answers a `create` with its value: its session works.
fn assert_works(h: &mut Harness, tab: lunette_core::ConnId, id: i64) {
    h.send(tab, &user_batch(&[bind(id, 1, "name", "r")]));
    assert_eq!(
        h.frames(tab),
        [format!(
            r#"{{"type":"update","data":{{"varId":{id},"value":"Ada"}}}}"#
        )]
    );
}

#[test]
fn a_session_with_an_open_connection_never_expires() {
    let mut h = harness(APP, config());
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.advance(24 * 60 * MINUTE);
    assert_eq!(live(&h), 1);
    assert_works(&mut h, tab, 2);
}

#[test]
fn after_the_last_disconnect_it_expires_exactly_the_session_timeout_later() {
    let mut h = harness(APP, config());
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.advance(MINUTE);
    h.close(tab);
    h.advance(10 * MINUTE - MS);
    assert_eq!(
        live(&h),
        1,
        "not before: --unclaimed-timeout no longer applies"
    );
    h.advance(MS);
    assert_eq!(live(&h), 0);
    assert_eq!(page_status(&mut h, &sid), 404);
}

#[test]
fn closing_one_of_two_tabs_does_not_start_expiry() {
    let mut h = harness(APP, config());
    let sid = h.create_session();
    let first = h.connect(&sid);
    let second = h.connect(&sid);
    h.close(first);
    h.advance(60 * MINUTE);
    assert_eq!(live(&h), 1);
    assert_works(&mut h, second, 2);
    h.close(second);
    h.advance(10 * MINUTE - MS);
    assert_eq!(live(&h), 1);
    h.advance(MS);
    assert_eq!(live(&h), 0);
}

#[test]
fn a_disconnect_refreshes_last_activity() {
    let mut h = harness(APP, config());
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(30 * MINUTE);
    h.close(tab);
    h.advance(10 * MINUTE - MS);
    assert_eq!(
        live(&h),
        1,
        "expiry counts from the disconnect, not from the last frame"
    );
    h.advance(MS);
    assert_eq!(live(&h), 0);
}

#[test]
fn a_reconnect_stops_expiry_and_the_next_disconnect_restarts_it() {
    let mut h = harness(APP, config());
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.close(tab);
    h.advance(9 * MINUTE);
    let again = h.connect(&sid);
    h.advance(60 * MINUTE);
    assert_eq!(live(&h), 1);
    h.close(again);
    h.advance(10 * MINUTE - MS);
    assert_eq!(live(&h), 1);
    h.advance(MS);
    assert_eq!(live(&h), 0);
}

#[test]
fn a_page_load_after_the_disconnect_pushes_expiry_back() {
    let mut h = harness(APP, config());
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.close(tab);
    h.advance(5 * MINUTE);
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
    h.advance(10 * MINUTE - MS);
    assert_eq!(live(&h), 1);
    h.advance(MS);
    assert_eq!(live(&h), 0);
}

#[test]
fn timers_after_the_disconnect_do_not_refresh_activity() {
    let mut h = harness(
        r#"local app = {type = "App", n = 0}
        session:createAppVariable(app)
        session:setInterval(function() app.n = app.n + 1 print("tick") end, 1000)"#,
        config(),
    );
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, &batch(&[watch(1), bind(2, 1, "n", "r")]));
    h.close(tab);
    h.advance(10 * MINUTE - MS);
    assert_eq!(live(&h), 1);
    assert!(count_logs(&h, "tick") > 500);
    h.advance(MS);
    assert_eq!(live(&h), 0);
}

#[test]
fn without_a_session_timeout_a_disconnected_session_never_expires() {
    let config = Config {
        session_timeout: None,
        ..config()
    };
    let mut h = harness(APP, config);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.close(tab);
    h.advance(30 * 24 * 60 * MINUTE);
    assert_eq!(live(&h), 1);
    assert_eq!(page_status(&mut h, &sid), 200);
}

#[test]
fn with_every_session_connected_at_the_limit_get_answers_503_and_sessions_keep_working() {
    let config = Config {
        max_sessions: 2,
        ..config()
    };
    let mut h = harness(APP, config);
    let first = h.create_session();
    let second = h.create_session();
    let first_tab = h.connect(&first);
    let second_tab = h.connect(&second);
    let refused = h.get("/");
    assert_eq!(refused.status(), 503);
    assert_eq!(header(&refused, "retry-after"), "60");
    assert_eq!(live(&h), 2);
    assert_works(&mut h, first_tab, 2);
    assert_works(&mut h, second_tab, 2);
    h.close(second_tab);
    assert_eq!(
        h.get("/").status(),
        302,
        "a disconnected session can now be evicted"
    );
    assert_eq!(page_status(&mut h, &second), 404);
    assert_works(&mut h, first_tab, 3);
}

#[test]
fn eviction_prefers_a_session_that_never_had_a_connection() {
    let config = Config {
        max_sessions: 2,
        ..config()
    };
    let mut h = harness(APP, config);
    let connected = h.create_session();
    let tab = h.connect(&connected);
    h.advance(MS);
    h.close(tab);
    h.advance(MS);
    let unclaimed = h.create_session();
    h.advance(MS);
    assert_eq!(h.get("/").status(), 302);
    assert_eq!(
        page_status(&mut h, &unclaimed),
        404,
        "never connected: evicted first"
    );
    assert_eq!(
        page_status(&mut h, &connected),
        200,
        "older, but it had a connection"
    );
}

#[test]
fn eviction_takes_the_disconnected_session_idle_longest() {
    let config = Config {
        max_sessions: 2,
        ..config()
    };
    let mut h = harness(APP, config);
    let older = h.create_session();
    let newer = h.create_session();
    let older_tab = h.connect(&older);
    let newer_tab = h.connect(&newer);
    h.advance(MS);
    h.close(newer_tab);
    h.advance(MS);
    h.close(older_tab);
    h.advance(MS);
    assert_eq!(h.get("/").status(), 302);
    assert_eq!(
        page_status(&mut h, &newer),
        404,
        "disconnected first: idle longest"
    );
    assert_eq!(page_status(&mut h, &older), 200);
}

#[test]
fn a_session_with_an_open_connection_is_never_evicted() {
    let config = Config {
        max_sessions: 2,
        ..config()
    };
    let mut h = harness(APP, config);
    let kept = h.create_session();
    let tab = h.connect(&kept);
    for _ in 0..5 {
        h.advance(MS);
        assert_eq!(h.get("/").status(), 302);
    }
    assert_eq!(live(&h), 2);
    assert_eq!(page_status(&mut h, &kept), 200);
    assert_works(&mut h, tab, 2);
}
