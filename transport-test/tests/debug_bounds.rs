//! The debug listing `/<sid>/variables.json` (docs/protocol.md §11) stays linear and bounded
//! however deep or wide a peer makes the tree (issue 10, class 4): past its bounds it lists a
//! prefix in tree order and ends with a `{"truncated":true,"listed":N,"total":M}` marker.

mod common;

use std::time::{Duration, Instant};

use common::*;
use lunette_core::Config;
use lunette_test::{Harness, body_text};
use serde_json::{Value, json};

const APP: &str = r#"
app = {type = "App", x = "leaf", long = string.rep("a", 100000)}
session:createAppVariable(app)
"#;

/// The bounds of core's debug listing (`core/src/debug.rs`).
const MAX_LISTED: usize = 10_000;
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// `create{id: i, parentId: i-1, path: "x", access: "w"}` for `i` in `from..=to`.
fn chain(from: i64, to: i64) -> Vec<Value> {
    (from..=to).map(|id| bind(id, id - 1, "x", "w")).collect()
}

fn listing(h: &mut Harness, sid: &str) -> (Vec<Value>, usize) {
    let response = h.get(&format!("/{sid}/variables.json"));
    assert_eq!(response.status(), 200);
    let bytes = response.body().len();
    match serde_json::from_slice(response.body()).expect("variables.json is JSON") {
        Value::Array(list) => (list, bytes),
        other => panic!("variables.json is an array, not {other}"),
    }
}

/// The truncation marker ending a listing, if there is one.
fn marker(list: &[Value]) -> Option<&Value> {
    list.last().filter(|last| last.get("truncated").is_some())
}

fn config(max_depth: usize) -> Config {
    Config {
        max_depth,
        ..Config::default()
    }
}

#[test]
fn a_chain_at_the_depth_limit_is_listed_whole() {
    let (mut h, sid, tab) = open(APP);
    let limit = Config::default().max_depth as i64;
    h.send(tab, &batch(&chain(2, limit + 1)));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    let (list, _) = listing(&mut h, &sid);
    assert_eq!(marker(&list), None, "not truncated");
    let depths: Vec<i64> = list
        .iter()
        .map(|v| v["depth"].as_i64().expect("a depth"))
        .collect();
    assert_eq!(depths, (0..=limit).collect::<Vec<_>>());
    assert!(list.iter().all(|v| v["active"] == json!(true)));
}

/// Working out whether each variable is active walked up to the root from every variable:
/// 5,000 levels took 0.7 s in a release build, 20,000 took 14 s. One pass down the tree
/// lists 10,000 levels in well under a second, even in a debug build.
#[test]
fn a_ten_thousand_deep_chain_is_listed_in_linear_time() {
    let (mut h, sid, tab) = open_with(harness(APP, config(20_000)));
    let deepest = MAX_LISTED as i64;
    h.send(tab, &batch(&chain(2, deepest)));
    h.advance(FLUSH);
    let started = Instant::now();
    let response = h.get(&format!("/{sid}/variables.json"));
    let took = started.elapsed();
    assert_eq!(response.status(), 200);
    assert!(
        took < Duration::from_secs(4),
        "10,000 levels took {took:?}: not linear"
    );
    let (list, _) = listing(&mut h, &sid);
    assert_eq!(marker(&list), None, "exactly the listing limit");
    assert_eq!(list.len(), MAX_LISTED);
    assert_eq!(list[MAX_LISTED - 1]["depth"], json!(MAX_LISTED - 1));
}

#[test]
fn a_wide_tree_lists_a_bounded_prefix_and_says_so() {
    let (mut h, sid, tab) = open(APP);
    let total = MAX_LISTED + 50;
    let fan: Vec<Value> = (2..=total as i64).map(|id| bind(id, 1, "x", "w")).collect();
    h.send(tab, &batch(&fan));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    let (list, _) = listing(&mut h, &sid);
    assert_eq!(list.len(), MAX_LISTED + 1, "the limit, then the marker");
    assert_eq!(
        marker(&list),
        Some(&json!({"truncated": true, "listed": MAX_LISTED, "total": total}))
    );
    let ids: Vec<i64> = list[..MAX_LISTED]
        .iter()
        .map(|v| v["id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(
        ids,
        (1..=MAX_LISTED as i64).collect::<Vec<_>>(),
        "tree order"
    );
}

#[test]
fn a_listing_past_its_byte_bound_is_cut_short() {
    let (mut h, sid, tab) = open(APP);
    let label = "b".repeat(2_000);
    let count = 2_500;
    let fan: Vec<Value> = (2..=count + 1)
        .map(|id| create(id, 1, json!({"path": "x", "access": "w", "label": label})))
        .collect();
    h.send(tab, &batch(&fan));
    h.advance(FLUSH);
    let (list, bytes) = listing(&mut h, &sid);
    assert!(bytes <= MAX_BYTES + 100, "{bytes} bytes");
    let cut = marker(&list).expect("truncated by size");
    let listed = cut["listed"].as_u64().expect("listed") as usize;
    assert!(listed > 1000 && listed < count as usize, "{cut}");
    assert_eq!(list.len(), listed + 1);
    assert_eq!(cut["total"], json!(count + 1));
}

#[test]
fn a_long_value_is_clipped() {
    // Properties are at most 64 KiB each (property_limits), so only a value can be longer
    // than what the listing shows of one.
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "long", "r")]));
    h.advance(FLUSH);
    h.frames(tab);
    let (list, bytes) = listing(&mut h, &sid);
    assert!(bytes < 200_000, "{bytes} bytes");
    assert_eq!(list[1]["value"], Value::Null, "too long to list");
    assert_eq!(list[1]["valueBytes"], json!(100_002));
}

#[test]
fn active_follows_inactive_and_dormant_ancestors() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "x", "w"),
            bind(3, 2, "x", "w"),
            bind(4, 3, "x", "w"),
            bind(5, 1, "x", "w"),
            bind(6, 5, "x", "w"),
            bind(7, 1, "x", "w"),
            set_properties(2, json!({"inactive": "true"})),
            unwatch(5),
        ]),
    );
    h.advance(FLUSH);
    let (list, _) = listing(&mut h, &sid);
    let active: Vec<(i64, bool)> = list
        .iter()
        .map(|v| {
            (
                v["clientId"].as_i64().unwrap_or(1),
                v["active"] == json!(true),
            )
        })
        .collect();
    assert_eq!(
        active,
        [
            (1, true),
            (2, false),
            (3, false),
            (4, false),
            (5, false),
            (6, false),
            (7, true)
        ]
    );
}

#[test]
fn the_page_shows_the_truncation() {
    let (mut h, sid, _tab) = open(APP);
    let page = body_text(&h.get(&format!("/{sid}/variables")));
    assert!(
        page.contains(r#"<p id="truncated""#),
        "a place for the notice"
    );
    let script = body_text(&h.get("/lunette/variables-page.js"));
    assert!(
        script.contains("last.truncated === true")
            && script.contains("Truncated: showing the first"),
        "the script reads the marker and says what it left out"
    );
}
