//! The WebSocket handshake on `/ws/<sid>` (docs/protocol.md §3.1): which requests are refused and
//! how, which `Origin`s are accepted, and that the server sends nothing on connect.

mod common;

use common::{batch, harness, ms, watch};
use lunette_core::Config;
use lunette_test::{Harness, body_text};

const APP: &str = r#"session:createAppVariable({type = "App"})"#;

fn session() -> (Harness, String) {
    let mut h = Harness::with_main(APP);
    let sid = h.create_session();
    (h, sid)
}

#[test]
fn an_unknown_sid_answers_404() {
    let (mut h, _sid) = session();
    let refused = h
        .upgrade("0123456789abcdef0123456789abcdef", &[])
        .expect_err("no such session");
    assert_eq!(refused.status(), 404);
    assert!(body_text(&refused).contains("expired"));
}

#[test]
fn a_plain_get_of_the_websocket_path_answers_400() {
    let (mut h, sid) = session();
    let response = h.get(&format!("/ws/{sid}"));
    assert_eq!(response.status(), 400);
}

#[test]
fn a_plain_get_of_an_unknown_sid_still_answers_404() {
    let (mut h, _sid) = session();
    let response = h.get("/ws/0123456789abcdef0123456789abcdef");
    assert_eq!(response.status(), 404);
}

#[test]
fn an_upgrade_accepted_joins_the_session() {
    let (mut h, sid) = session();
    let tab = h.upgrade(&sid, &[]).expect("no Origin is accepted");
    h.send(tab, &batch(&[watch(1)]));
    h.advance(ms(10));
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}"#]
    );
}

#[test]
fn an_origin_with_another_host_answers_403() {
    let (mut h, sid) = session();
    let refused = h
        .upgrade(&sid, &[("origin", "http://evil.example:8080")])
        .expect_err("another host");
    assert_eq!(refused.status(), 403);
}

#[test]
fn an_origin_with_another_port_answers_403() {
    let (mut h, sid) = session();
    for origin in ["http://localhost:8081", "http://localhost"] {
        let refused = h
            .upgrade(&sid, &[("origin", origin)])
            .expect_err("another port");
        assert_eq!(refused.status(), 403, "{origin}");
    }
}

#[test]
fn an_origin_that_is_not_a_url_answers_403() {
    let (mut h, sid) = session();
    let refused = h
        .upgrade(&sid, &[("origin", "null")])
        .expect_err("opaque origin");
    assert_eq!(refused.status(), 403);
}

#[test]
fn an_origin_naming_the_host_is_accepted_in_any_case() {
    let (mut h, sid) = session();
    for origin in [
        "http://localhost:8080",
        "http://LocalHost:8080",
        "https://localhost:8080",
    ] {
        assert!(
            h.upgrade(&sid, &[("origin", origin)]).is_ok(),
            "{origin} names the request's host"
        );
    }
}

#[test]
fn no_origin_is_accepted() {
    let (mut h, sid) = session();
    assert!(h.upgrade(&sid, &[]).is_ok());
}

#[test]
fn an_allowed_origin_is_accepted_and_others_still_refused() {
    let config = Config {
        allow_origins: vec!["https://app.example".to_owned()],
        ..Config::default()
    };
    let mut h = harness(APP, config);
    let sid = h.create_session();
    assert!(
        h.upgrade(&sid, &[("origin", "https://app.example")])
            .is_ok()
    );
    let refused = h
        .upgrade(&sid, &[("origin", "https://other.example")])
        .expect_err("not listed");
    assert_eq!(refused.status(), 403);
}

#[test]
fn an_allowed_origin_does_not_open_unknown_sessions() {
    let config = Config {
        allow_origins: vec!["https://app.example".to_owned()],
        ..Config::default()
    };
    let mut h = harness(APP, config);
    h.create_session();
    let refused = h
        .upgrade(
            "0123456789abcdef0123456789abcdef",
            &[("origin", "https://app.example")],
        )
        .expect_err("no such session");
    assert_eq!(refused.status(), 404);
}

#[test]
fn a_refused_origin_does_not_join_the_session() {
    let config = Config {
        session_timeout: Some(ms(1000)),
        unclaimed_timeout: Some(ms(5000)),
        ..Config::default()
    };
    let mut h = harness(APP, config);
    let sid = h.create_session();
    h.upgrade(&sid, &[("origin", "http://evil.example")])
        .expect_err("refused");
    h.advance(ms(4999));
    assert_eq!(
        h.core().session_count(),
        1,
        "still unclaimed, not connected"
    );
    h.advance(ms(1));
    assert_eq!(h.core().session_count(), 0, "expired as never connected");
}

#[test]
fn the_server_sends_nothing_on_connect() {
    let (mut h, sid) = session();
    let tab = h.connect(&sid);
    assert!(h.frames(tab).is_empty());
    h.advance(ms(60_000));
    assert!(h.frames(tab).is_empty(), "nothing until the client speaks");
    let second = h.connect(&sid);
    h.advance(ms(60_000));
    assert!(h.frames(tab).is_empty());
    assert!(h.frames(second).is_empty());
}
