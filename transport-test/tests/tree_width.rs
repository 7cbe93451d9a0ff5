//! Width of the variable tree that a peer controls (issue 10, class 4): removing one of many
//! siblings costs no scan of the others, so closing a tab with tens of thousands of bindings,
//! or destroying them one by one, stays linear.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const APP: &str = r#"
app = {type = "App", x = "leaf"}
session:createAppVariable(app)
"#;

const SIBLINGS: i64 = 20_000;

/// A removal scanned its parent's children: 20,000 siblings took about 9 s to close and 7 s
/// to destroy one by one in a debug build, 0.2 s now.
const QUICK: Duration = Duration::from_secs(3);

fn fan() -> String {
    let messages: Vec<Value> = (2..=SIBLINGS + 1).map(|id| bind(id, 1, "x", "w")).collect();
    batch(&messages)
}

#[test]
fn closing_a_tab_with_many_siblings_is_linear() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &fan());
    let started = Instant::now();
    h.close(tab);
    let took = started.elapsed();
    assert!(took < QUICK, "closing took {took:?}");
    assert_eq!(variable_ids(&mut h, &sid), [1]);
}

#[test]
fn destroying_many_siblings_one_by_one_is_linear() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &fan());
    let destroys: Vec<Value> = (2..=SIBLINGS + 1).map(destroy).collect();
    let frame = batch(&destroys);
    let started = Instant::now();
    h.send(tab, &frame);
    let took = started.elapsed();
    assert!(took < QUICK, "destroying took {took:?}");
    h.advance(FLUSH);
    assert_eq!(
        received(&mut h, tab).len() as i64,
        SIBLINGS,
        "one destroy each"
    );
    assert_eq!(variable_ids(&mut h, &sid), [1]);
}
