//! Several tabs of one session, closing a tab and reconnecting (docs/protocol.md §4.1, §6.2).

mod common;

use common::*;
use lunette_core::Config;
use lunette_test::Harness;
use serde_json::json;

const APP: &str = r#"
app = {type = "App", name = "Ada", city = "Paris", count = 1}
function app.bump(self) self.count = self.count + 1 end
session:createAppVariable(app)
"#;

#[test]
fn two_tabs_may_both_use_id_2_and_each_gets_only_its_own_updates() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[bind(2, 1, "name", "rw")]));
    h.send(second, &batch(&[bind(2, 1, "city", "rw")]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(first),
        [r#"{"type":"update","data":{"varId":2,"value":"Ada"}}"#]
    );
    assert_eq!(
        h.frames(second),
        [r#"{"type":"update","data":{"varId":2,"value":"Paris"}}"#]
    );

    h.send(second, &batch(&[write(2, json!("Rome"))]));
    h.advance(FLUSH);
    assert!(
        h.frames(first).is_empty(),
        "the first tab's 2 is bound to name"
    );
    assert!(h.frames(second).is_empty(), "written value not echoed");
    let variables = h.variables(&sid);
    assert_eq!(variables[1]["value"], "Ada");
    assert_eq!(variables[2]["value"], "Rome");
}

#[test]
fn the_debug_view_tells_the_tabs_variables_apart() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[bind(2, 1, "name", "rw")]));
    h.send(second, &batch(&[bind(2, 1, "city", "rw")]));
    let variables = h.variables(&sid);
    assert_eq!(variables[1]["connection"], 1);
    assert_eq!(variables[1]["clientId"], 2);
    assert_eq!(variables[2]["connection"], 2);
    assert_eq!(variables[2]["clientId"], 2);
    assert_ne!(variables[1]["id"], variables[2]["id"]);
}

#[test]
fn a_change_made_in_one_tab_reaches_the_other_tabs_binding_of_the_same_data() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[bind(2, 1, "name", "rw")]));
    h.send(
        second,
        &batch(&[bind(2, 1, "city", "r"), bind(3, 1, "name", "r")]),
    );
    h.advance(FLUSH);
    h.frames(first);
    h.frames(second);

    h.send(first, &batch(&[write(2, json!("Bob"))]));
    h.advance(FLUSH);
    assert!(h.frames(first).is_empty());
    assert_eq!(
        h.frames(second),
        [r#"{"type":"update","data":{"varId":3,"value":"Bob"}}"#]
    );
}

#[test]
fn a_user_event_in_one_tab_updates_the_other_tab_at_once() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[bind(2, 1, "bump()", "action")]));
    h.send(second, &batch(&[bind(2, 1, "count", "r")]));
    h.advance(FLUSH);
    h.frames(second);
    h.send(first, &user_batch(&[write(2, json!(null))]));
    assert_eq!(
        h.frames(second),
        [r#"{"type":"update","data":{"varId":2,"value":2}}"#]
    );
    assert!(h.frames(first).is_empty());
}

#[test]
fn a_tab_cannot_destroy_another_tabs_variable() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[bind(2, 1, "name", "rw")]));
    h.advance(FLUSH);
    h.frames(first);
    h.send(second, &batch(&[destroy(2)]));
    h.advance(FLUSH);
    assert!(h.frames(first).is_empty());
    assert!(
        h.frames(second).is_empty(),
        "an id unknown to the second tab is ignored"
    );
    assert_eq!(variable_ids(&mut h, &sid), [1, 2]);
    // The first tab's variable still lives for it.
    h.send(first, &batch(&[write(2, json!("Bob"))]));
    assert_eq!(h.variables(&sid)[1]["value"], "Bob");
}

#[test]
fn closing_a_tab_destroys_only_its_client_variables() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(
        first,
        &batch(&[
            bind(2, 1, "name", "rw"),
            bind(3, 1, "city", "r"),
            create_nowatch(4, 1, json!({"path": "count"})),
        ]),
    );
    h.send(second, &batch(&[bind(2, 1, "name", "r")]));
    h.advance(FLUSH);
    h.frames(first);
    h.frames(second);

    h.close(first);
    let variables = h.variables(&sid);
    let left: Vec<(i64, i64)> = variables
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| {
            (
                v["id"].as_i64().unwrap_or(0),
                v["connection"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        left.len(),
        2,
        "variable 1 and the second tab's 2: {variables}"
    );
    assert_eq!(left[0], (1, 0));
    assert_eq!(left[1].1, 2);
    h.advance(FLUSH);
    assert!(
        h.frames(second).is_empty(),
        "the second tab never saw the first tab's variables"
    );
}

#[test]
fn the_other_tab_keeps_working_after_one_closes() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[bind(2, 1, "name", "rw")]));
    h.send(
        second,
        &batch(&[
            bind(2, 1, "name", "rw"),
            bind(3, 1, "bump()", "action"),
            bind(4, 1, "count", "r"),
        ]),
    );
    h.advance(FLUSH);
    h.frames(second);
    h.close(first);

    h.send(second, &user_batch(&[write(3, json!(null))]));
    assert_eq!(
        h.frames(second),
        [r#"{"type":"update","data":{"varId":4,"value":2}}"#]
    );
    h.send(
        second,
        &batch(&[write(2, json!("Bob")), bind(5, 1, "name", "r")]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(second),
        [r#"{"type":"update","data":{"varId":5,"value":"Bob"}}"#]
    );
    h.send(second, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(second),
        [r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}"#]
    );
}

const TEMPLATE: &str = "<template><span ui-value=\"name\"></span></template>";

fn viewdefs_frame() -> String {
    concat!(
        r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"App.DEFAULT\":\"<template><span ui-value=\\\"name\\\"></span></template>\"}"}}},"#,
        r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}]"#
    )
    .to_owned()
}

#[test]
fn after_a_reconnect_watch_redelivers_the_viewdefs_and_the_full_update() {
    let mut h = Harness::new(
        site(APP, &[("App.DEFAULT", TEMPLATE)]),
        Config::default(),
        3,
    );
    let sid = h.create_session();
    let old = h.connect(&sid);
    h.send(
        old,
        &batch(&[watch(1), bind(2, 1, "name", "rw"), bind(3, 1, "city", "r")]),
    );
    h.advance(FLUSH);
    assert_eq!(h.frames(old).len(), 1);
    h.close(old);
    h.advance(ms(2000));

    let new = h.connect(&sid);
    assert!(h.frames(new).is_empty());
    h.send(new, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(new), [viewdefs_frame()]);
}

#[test]
fn after_a_reconnect_ids_from_2_are_accepted() {
    let mut h = Harness::new(
        site(APP, &[("App.DEFAULT", TEMPLATE)]),
        Config::default(),
        3,
    );
    let sid = h.create_session();
    let old = h.connect(&sid);
    h.send(
        old,
        &batch(&[watch(1), bind(2, 1, "name", "rw"), bind(3, 1, "city", "r")]),
    );
    h.advance(FLUSH);
    h.close(old);

    let new = h.connect(&sid);
    h.send(new, &batch(&[watch(1)]));
    h.advance(FLUSH);
    h.frames(new);
    h.send(
        new,
        &batch(&[bind(2, 1, "city", "r"), bind(3, 1, "name", "rw")]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(new),
        [
            r#"[{"type":"update","data":{"varId":2,"value":"Paris"}},{"type":"update","data":{"varId":3,"value":"Ada"}}]"#
        ]
    );
    assert_eq!(
        variable_ids(&mut h, &sid).len(),
        3,
        "only the new tab's two and variable 1"
    );
}

#[test]
fn a_new_tab_next_to_an_open_one_gets_its_own_viewdefs() {
    let mut h = Harness::new(
        site(APP, &[("App.DEFAULT", TEMPLATE)]),
        Config::default(),
        3,
    );
    let sid = h.create_session();
    let first = h.connect(&sid);
    h.send(first, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(first), [viewdefs_frame()]);
    let second = h.connect(&sid);
    h.send(second, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(second), [viewdefs_frame()]);
    assert!(h.frames(first).is_empty());
}
