//! `GET /` creates a session, runs its main.lua and redirects to it (docs/protocol.md §2,
//! §6.1).

mod common;

use common::http::*;
use lunette_core::Config;
use lunette_test::{Harness, location, site_with_main};

// --- §2, §6.1: GET / redirects to a new session whose main.lua has run ---

#[test]
fn get_root_redirects_to_a_new_well_formed_sid() {
    let mut h = harness();
    let response = h.get("/");
    assert_eq!(response.status(), 302);
    let target = location(&response);
    let sid = target
        .strip_prefix('/')
        .expect("Location is an absolute path");
    assert!(is_well_formed_sid(sid), "{target:?}");
    assert_eq!(h.core().session_count(), 1);
}

#[test]
fn ten_gets_of_root_give_ten_distinct_sessions() {
    let mut h = harness();
    let mut sids: Vec<String> = (0..10).map(|_| h.create_session()).collect();
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), 10);
    assert_eq!(h.core().session_count(), 10);
}

#[test]
fn sids_come_from_the_id_source() {
    let first_sid =
        |seed| Harness::new(site_with_main(APP), Config::default(), seed).create_session();
    assert_eq!(first_sid(5), first_sid(5));
    assert_ne!(first_sid(5), first_sid(6));
}

#[test]
fn variable_1_exists_when_the_redirect_is_sent() {
    let mut h =
        Harness::with_main(r#"session:createAppVariable({type = "App"}, {made = "by main.lua"})"#);
    let sid = h.create_session();
    assert_eq!(h.app_property(&sid, "made").as_deref(), Some("by main.lua"));
}
