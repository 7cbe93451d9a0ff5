//! Depth of the variable tree that a peer controls (issue 10, class 1): a deep chain of
//! client variables is removed without recursion, and `create` beyond the depth limit is
//! refused with `limit-exceeded` while the connection and session stay usable.

mod common;

use common::*;
use serde_json::{Value, json};

const APP: &str = r#"
app = {type = "App", x = "leaf"}
session:createAppVariable(app)
"#;

/// `create{id: i, parentId: i-1, path: "x", access: "w"}` for `i` in `from..=to`.
fn chain(from: i64, to: i64) -> Vec<Value> {
    (from..=to).map(|id| bind(id, id - 1, "x", "w")).collect()
}

/// The limit of `Config::default()`, which `--max-depth` sets.
const MAX_DEPTH: i64 = 100;

fn deep_config(max_depth: usize) -> lunette_core::Config {
    lunette_core::Config {
        max_depth,
        ..lunette_core::Config::default()
    }
}

/// The session answers a fresh tab's watch of variable 1.
fn assert_usable(h: &mut lunette_test::Harness, sid: &str) {
    let again = h.connect(sid);
    h.send(again, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(again).len(), 1, "the session still answers");
}

/// The reproduction of issue 10 with the depth limit lifted: one frame of a 5,000-deep chain,
/// then the socket closes. The recursive subtree removal overflowed the stack and aborted the
/// process.
#[test]
fn a_five_thousand_deep_chain_is_removed_when_its_connection_closes() {
    let (mut h, sid, tab) = open_with(harness(APP, deep_config(10_000)));
    h.send(tab, &batch(&chain(2, 5001)));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty(), "every create is accepted");
    assert_eq!(variable_ids(&mut h, &sid).len(), 5001);
    h.close(tab);

    assert_eq!(variable_ids(&mut h, &sid), [1], "the chain is gone");
    assert_usable(&mut h, &sid);
}

/// The same frame with the default limits: the chain stops at the limit, the rest is refused,
/// and the close removes what was made.
#[test]
fn the_reproduction_with_default_limits_is_refused_past_the_depth_limit() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&chain(2, 5001)));
    h.advance(FLUSH);
    let errors = received(&mut h, tab);
    let first_refused = MAX_DEPTH + 2;
    assert_eq!(errors.len(), (5001 - first_refused + 1) as usize);
    assert_eq!(
        error_of(&errors[0]),
        ("limit-exceeded".to_owned(), Some(first_refused))
    );
    assert_eq!(variable_ids(&mut h, &sid).len() as i64, 1 + MAX_DEPTH);
    h.close(tab);

    assert_eq!(variable_ids(&mut h, &sid), [1]);
    assert_usable(&mut h, &sid);
}

#[test]
fn a_create_at_the_depth_limit_is_accepted() {
    let (mut h, sid, tab) = open(APP);
    // Variable 1 is at depth 0, so id `d + 1` lies at depth `d`.
    h.send(tab, &batch(&chain(2, MAX_DEPTH + 1)));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty(), "no error at the limit");
    let variables = h.variables(&sid);
    let deepest = variables.as_array().expect("an array").last().cloned();
    assert_eq!(deepest.map(|v| v["depth"].clone()), Some(json!(MAX_DEPTH)));
}

#[test]
fn a_create_one_past_the_depth_limit_is_limit_exceeded_and_the_tab_goes_on() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&chain(2, MAX_DEPTH + 1)));
    h.advance(FLUSH);
    h.send(tab, &batch(&chain(MAX_DEPTH + 2, MAX_DEPTH + 2)));
    h.advance(FLUSH);
    let answer = one_frame(&mut h, tab);
    assert_eq!(answer.len(), 1);
    let id = MAX_DEPTH + 2;
    assert_eq!(
        error_of(&answer[0]),
        ("limit-exceeded".to_owned(), Some(id))
    );
    let description = answer[0]["data"]["description"].as_str().unwrap_or("");
    assert!(
        description.contains(&format!("variable {id}"))
            && description.contains(&MAX_DEPTH.to_string())
            && description.contains("--max-depth"),
        "names the variable and the limit: {description}"
    );
    assert_eq!(variable_ids(&mut h, &sid).len() as i64, 1 + MAX_DEPTH);

    // The same tab goes on: a shallow binding works, and the refused id is free.
    h.send(tab, &batch(&[bind(id, 1, "x", "r")]));
    h.advance(FLUSH);
    assert_eq!(received(&mut h, tab), [value_update(id, json!("leaf"))]);
    assert_usable(&mut h, &sid);
}

#[test]
fn the_depth_limit_follows_the_config() {
    let (mut h, _sid, tab) = open_with(harness(APP, deep_config(3)));
    h.send(tab, &batch(&chain(2, 5)));
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 1, "only the fourth level is refused");
    assert_eq!(
        error_of(&received[0]),
        ("limit-exceeded".to_owned(), Some(5))
    );
}

#[test]
fn server_variables_respect_the_depth_limit_too() {
    let main = "local app = {type = 'App'}\n\
                session:createAppVariable(app)\n\
                local parent, made, why = 0, 0, nil\n\
                for _ = 1, 200 do\n\
                  local ok, id = pcall(session.createVariable, session, parent, {}, {})\n\
                  if not ok then why = id break end\n\
                  parent, made = id, made + 1\n\
                end\n\
                session:createAppVariable(app, {result = made .. ' ' .. tostring(why)})";
    let mut h = lunette_test::Harness::with_main(main);
    let sid = h.create_session();
    let result = h.app_property(&sid, "result").expect("main.lua reported");
    assert!(
        result.starts_with("101 ") && result.contains("deeper than 100 levels (--max-depth)"),
        "{result}"
    );
}
