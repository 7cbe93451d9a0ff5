//! `--max-memory` (issue 10, class 3): the memory all sessions of a core hold (Lua heaps and
//! tracker data) has a ceiling. Past it, `GET /` evicts sessions without a connection, never
//! connected first and then the least recently active, and answers 503 when every session has
//! a connection.

use std::time::Duration;

use lunette_core::Config;
use lunette_test::{Harness, site_with_main};

/// Each session holds a ~1 MB string.
const HEAVY: &str = "big = string.rep('x', 1000000)\nsession:createAppVariable({type = 'App'})";

fn harness(max_memory: usize) -> Harness {
    let config = Config {
        max_memory: Some(max_memory),
        ..Config::default()
    };
    Harness::new(site_with_main(HEAVY), config, 1)
}

fn evictions(h: &Harness) -> usize {
    h.logs()
        .iter()
        .filter(|r| r.message == "session evicted: --max-memory reached")
        .count()
}

#[test]
fn sessions_memory_counts_heaps_and_trackers() {
    let mut h = harness(usize::MAX);
    h.create_session();
    let one = h.core().sessions_memory();
    assert!(one > 1_000_000, "{one}");
    assert!(one >= h.core().lua_heap_bytes());
    h.create_session();
    let two = h.core().sessions_memory();
    assert!(two > one + 1_000_000, "{one} then {two}");
}

#[test]
fn past_the_ceiling_the_least_recently_active_idle_session_is_evicted() {
    let mut h = harness(3_000_000);
    let first = h.create_session();
    h.advance(Duration::from_secs(1));
    let second = h.create_session();
    h.advance(Duration::from_secs(1));
    let third = h.create_session();
    assert_eq!(evictions(&h), 0);
    // The first is visited again, so the second is now the least recently active.
    assert_eq!(h.get(&format!("/{first}")).status(), 200);
    h.advance(Duration::from_secs(1));
    let fourth = h.create_session();
    assert_eq!(evictions(&h), 1);
    assert_eq!(h.get(&format!("/{second}")).status(), 404);
    for sid in [&first, &third, &fourth] {
        assert_eq!(h.get(&format!("/{sid}")).status(), 200, "{sid}");
    }
    assert!(h.core().sessions_memory() < 3_000_000 + 1_500_000);
}

#[test]
fn when_every_session_is_connected_new_ones_get_503() {
    let mut h = harness(2_500_000);
    for _ in 0..3 {
        let sid = h.create_session();
        h.connect(&sid);
    }
    let response = h.get("/");
    assert_eq!(response.status(), 503);
    assert_eq!(lunette_test::header(&response, "retry-after"), "60");
    assert_eq!(h.core().session_count(), 3);
}
