//! `Core::stats` (issue 13): the counters core keeps for a transport's `/metrics`.

use std::time::Duration;

use lunette_core::Config;
use lunette_test::{Harness, site_with_main};

const WATCH: &str = r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#;

#[test]
fn sessions_connections_and_frames_are_counted() {
    let mut h = Harness::with_main(r#"session:createAppVariable({type = "App"})"#);
    assert_eq!(h.core().stats(), Default::default());
    let sid = h.create_session();
    let _other = h.create_session();
    let tab = h.connect(&sid);
    h.send_all(tab, &[WATCH, WATCH]);
    h.send(tab, WATCH);
    let stats = h.core().stats();
    assert_eq!(stats.sessions, 2);
    assert_eq!(stats.sessions_created, 2);
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.frames_received, 3);
    assert!(stats.sessions_memory > 0);
    assert!(!stats.draining);
    h.close(tab);
    assert_eq!(h.core().stats().connections, 0);
    h.core_mut().set_draining(true);
    assert!(h.core().stats().draining);
}

#[test]
fn expiry_and_eviction_are_counted_apart() {
    let config = Config {
        max_sessions: 2,
        unclaimed_timeout: Some(Duration::from_secs(60)),
        ..Config::default()
    };
    let mut h = Harness::new(
        site_with_main(r#"session:createAppVariable({type = "App"})"#),
        config,
        3,
    );
    h.create_session();
    h.create_session();
    h.create_session();
    let stats = h.core().stats();
    assert_eq!((stats.sessions_created, stats.sessions_evicted), (3, 1));
    assert_eq!(stats.sessions_expired, 0);
    h.advance(Duration::from_secs(61));
    let stats = h.core().stats();
    assert_eq!((stats.sessions, stats.sessions_expired), (0, 2));
    assert_eq!(stats.sessions_evicted, 1);
}

#[test]
fn lua_errors_and_spent_budgets_are_counted() {
    let main = r#"
        session:createAppVariable({type = "App"})
        session:setTimeout(function() error("boom") end, 10)
        session:setTimeout(function() while true do end end, 20)
    "#;
    let config = Config {
        lua_budget: 100_000,
        ..Config::default()
    };
    let mut h = Harness::new(site_with_main(main), config, 4);
    h.create_session();
    assert_eq!(h.core().stats().lua_errors, 0);
    h.advance(Duration::from_millis(10));
    let stats = h.core().stats();
    assert_eq!((stats.lua_errors, stats.budget_exhausted), (1, 0));
    h.advance(Duration::from_millis(10));
    let stats = h.core().stats();
    assert_eq!(stats.budget_exhausted, 1);
    assert_eq!(stats.lua_errors, 2, "the runaway timer failed too");
    // A main.lua that fails: a 500, no session, one more Lua error.
    let mut h = Harness::with_main(r#"error("broken")"#);
    assert_eq!(h.get("/").status(), 500);
    let stats = h.core().stats();
    assert_eq!((stats.sessions_created, stats.lua_errors), (0, 1));
}
