//! Expiry of sessions no browser has connected to (docs/protocol.md §6.3): exactly
//! `--unclaimed-timeout` after the last activity, which page loads refresh and timers and debug
//! requests do not.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, Response};
use lunette_core::{Config, Core, HttpReply, SeededIds};
use lunette_test::{Harness, body_text, location, site_with_main};

const APP: &str = r#"session:createAppVariable({type = "App"})"#;
const MINUTE: Duration = Duration::from_secs(60);
const MS: Duration = Duration::from_millis(1);

fn unclaimed_after(timeout: Option<Duration>) -> Config {
    Config {
        unclaimed_timeout: timeout,
        ..Config::default()
    }
}

/// A harness with `--unclaimed-timeout 2m` serving `main`, and a session created at t = 0.
fn two_minute_session(main: &str) -> (Harness, String) {
    let mut h = Harness::new(site_with_main(main), unclaimed_after(Some(2 * MINUTE)), 1);
    let sid = h.create_session();
    (h, sid)
}

/// Whether the core still holds a session, asked without a request that could refresh it.
fn live(h: &Harness) -> bool {
    h.core().session_count() == 1
}

fn assert_gone(h: &mut Harness, sid: &str) {
    assert!(
        !live(h),
        "the session should have expired at {:?}",
        h.elapsed()
    );
    let page = h.get(&format!("/{sid}"));
    assert_eq!(page.status(), 404);
    assert!(body_text(&page).contains("expired"));
    assert_eq!(h.get(&format!("/{sid}/variables.json")).status(), 404);
}

#[test]
fn an_unclaimed_session_lives_until_exactly_the_unclaimed_timeout() {
    let (mut h, sid) = two_minute_session(APP);
    h.advance(2 * MINUTE - MS);
    assert!(live(&h));
    h.advance(MS);
    assert_gone(&mut h, &sid);
}

#[test]
fn a_page_load_pushes_expiry_back() {
    let (mut h, sid) = two_minute_session(APP);
    h.advance(MINUTE);
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
    h.advance(2 * MINUTE - MS);
    assert!(live(&h), "expiry should have moved to 3 minutes");
    h.advance(MS);
    assert_gone(&mut h, &sid);
}

#[test]
fn a_page_load_of_a_sub_path_pushes_expiry_back() {
    let (mut h, sid) = two_minute_session(APP);
    h.advance(MINUTE);
    assert_eq!(h.get(&format!("/{sid}/some/view")).status(), 200);
    h.advance(2 * MINUTE - MS);
    assert!(live(&h), "expiry should have moved to 3 minutes");
    h.advance(MS);
    assert!(!live(&h));
}

#[test]
fn a_head_page_load_pushes_expiry_back_like_get() {
    let (mut h, sid) = two_minute_session(APP);
    h.advance(MINUTE);
    assert_eq!(h.request(Method::HEAD, &format!("/{sid}")).status(), 200);
    h.advance(2 * MINUTE - MS);
    assert!(live(&h), "expiry should have moved to 3 minutes");
    h.advance(MS);
    assert!(!live(&h));
}

#[test]
fn without_an_unclaimed_timeout_a_session_never_expires() {
    let mut h = Harness::new(site_with_main(APP), unclaimed_after(None), 1);
    let sid = h.create_session();
    h.advance(Duration::from_secs(24 * 60 * 60));
    assert!(live(&h));
    assert_eq!(h.core().poll_timeout(), None);
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}

#[test]
fn the_session_timeout_does_not_apply_to_a_session_never_connected() {
    let config = Config {
        session_timeout: Some(Duration::from_secs(10)),
        ..unclaimed_after(Some(2 * MINUTE))
    };
    let mut h = Harness::new(site_with_main(APP), config, 1);
    h.create_session();
    h.advance(2 * MINUTE - MS);
    assert!(live(&h));
    h.advance(MS);
    assert!(!live(&h));
}

#[test]
fn timer_callbacks_do_not_refresh_activity() {
    let (mut h, sid) = two_minute_session(
        r#"local app, ticks = {type = "App"}, 0
        session:createAppVariable(app)
        session:setInterval(function()
          ticks = ticks + 1
          session:createAppVariable(app, {ticks = tostring(ticks)})
          print("tick")
        end, 1000)"#,
    );
    h.advance(2 * MINUTE - MS);
    assert!(live(&h));
    assert_eq!(h.logs().iter().filter(|r| r.message == "tick").count(), 119);
    h.advance(MS);
    assert_gone(&mut h, &sid);
}

#[test]
fn debug_requests_do_not_refresh_activity() {
    let (mut h, sid) = two_minute_session(APP);
    h.advance(MINUTE);
    assert_eq!(h.get(&format!("/{sid}/variables.json")).status(), 200);
    assert_eq!(h.get(&format!("/{sid}/variables")).status(), 200);
    h.advance(MINUTE - MS);
    assert!(live(&h));
    h.advance(MS);
    assert!(
        !live(&h),
        "the debug page and JSON must not have moved expiry"
    );
}

#[test]
fn timers_end_with_the_session() {
    let (mut h, _sid) = two_minute_session(
        r#"session:createAppVariable({type = "App"})
        session:setInterval(function() print("tick") end, 1000)"#,
    );
    h.advance(2 * MINUTE);
    assert!(!live(&h));
    let ticks = |h: &Harness| h.logs().iter().filter(|r| r.message == "tick").count();
    assert_eq!(ticks(&h), 119, "ticks at 1 s … 119 s; expiry wins at 120 s");
    assert_eq!(h.core().poll_timeout(), None);
    h.advance(10 * MINUTE);
    assert_eq!(ticks(&h), 119);
}

#[test]
fn each_session_expires_on_its_own_clock() {
    let mut h = Harness::new(site_with_main(APP), unclaimed_after(Some(2 * MINUTE)), 1);
    let first = h.create_session();
    h.advance(MINUTE);
    let second = h.create_session();
    h.advance(MINUTE);
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{first}")).status(), 404);
    h.advance(MINUTE - MS);
    assert_eq!(h.core().session_count(), 1);
    h.advance(MS);
    assert_eq!(h.core().session_count(), 0);
    assert_eq!(h.get(&format!("/{second}")).status(), 404);
}

/// A request straight to `core`, as a transport makes it, without firing any deadline first.
fn get_from(core: &mut Core, now: Instant, path: &str) -> Response<Bytes> {
    let request = Request::get(path)
        .body(Bytes::new())
        .expect("a valid request");
    match core.handle_http(now, request) {
        Ok(HttpReply::Respond(response)) => response,
        other => panic!("{path} should answer a page: {other:?}"),
    }
}

/// A transport's timer can fire after a request that arrives past a session's expiry (both
/// ready at once, the request handled first): the session must already be gone then.
#[test]
fn a_request_after_expiry_finds_the_session_gone_even_if_the_timer_is_late() {
    let start = Instant::now();
    let config = unclaimed_after(Some(2 * MINUTE));
    let mut core = Core::new(
        config,
        site_with_main(APP),
        Box::new(SeededIds::new(1)),
        start,
    );
    let page = location(&get_from(&mut core, start, "/")).to_owned();
    assert_eq!(core.poll_timeout(), Some(start + 2 * MINUTE));

    let late = start + 2 * MINUTE + Duration::from_millis(5);
    assert_eq!(get_from(&mut core, late, &page).status(), 404);
    assert_eq!(
        get_from(&mut core, late, &format!("{page}/variables.json")).status(),
        404
    );
    assert_eq!(core.session_count(), 0);
}
