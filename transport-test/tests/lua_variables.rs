//! Server variables from Lua and the JSON helpers (docs/protocol.md §7.2, §7.3): creating and
//! destroying server variables, what tabs watching them are sent, `ui.json_encode` and
//! `json_decode`, and wrappers that are plain Lua globals (§5.7).

use std::time::Duration;

use lunette_core::{Config, Site};
use lunette_test::Harness;

const WATCH_1: &str = r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn create_variable_numbers_server_variables_from_minus_one() {
    let mut h = Harness::with_main(
        r#"
        local app = { type = "App" }
        session:createAppVariable(app)
        local a = session:createVariable(1, nil, { path = "type" })
        local b = session:createVariable(0, { type = "Root" })
        session:createAppVariable(app, { ids = a .. "," .. b })
        "#,
    );
    let sid = h.create_session();
    assert_eq!(h.app_property(&sid, "ids").as_deref(), Some("-1,-2"));
    let variables = h.variables(&sid);
    let ids: Vec<i64> = variables
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v["id"].as_i64().expect("an id"))
        .collect();
    assert_eq!(
        ids,
        [1, -1, -2],
        "tree order: variable 1, its child, then the new root"
    );
}

#[test]
fn destroy_variable_works_by_id_and_by_object() {
    let mut h = Harness::with_main(
        r#"
        local held = { type = "Held" }
        local a = session:createVariable(0, held)
        local b = session:createVariable(0, { type = "Other" })
        local by_object = session:destroyVariable(held)
        local by_id = session:destroyVariable(b)
        local again = session:destroyVariable(b)
        session:createAppVariable({ type = "App" },
          { result = tostring(by_object) .. "," .. tostring(by_id) .. "," .. tostring(again) })
        "#,
    );
    let sid = h.create_session();
    assert_eq!(
        h.app_property(&sid, "result").as_deref(),
        Some("true,true,false")
    );
    assert_eq!(h.variables(&sid).as_array().map(Vec::len), Some(1));
}

#[test]
fn destroying_variable_1_is_an_error() {
    let mut h = Harness::with_main(
        r#"
        session:createAppVariable({ type = "App" })
        local ok, err = pcall(session.destroyVariable, session, 1)
        session:createAppVariable(session:getApp(), { err = tostring(err) })
        "#,
    );
    let sid = h.create_session();
    let err = h.app_property(&sid, "err").expect("an error message");
    assert!(err.contains("variable 1 cannot be destroyed"), "{err}");
}

#[test]
fn a_destroyed_server_variable_sends_destroy_to_every_watching_tab_children_first() {
    let mut h = Harness::with_main(
        r#"
        local list = { type = "List" }
        local app = { type = "App", list = list }
        session:createAppVariable(app)
        local parent = session:createVariable(0, list)
        session:createVariable(parent, nil, { path = "type" })
        function app:drop() session:destroyVariable(list) end
        "#,
    );
    let sid = h.create_session();
    let tabs = [h.connect(&sid), h.connect(&sid)];
    for tab in tabs {
        h.send(
            tab,
            r#"{"messages":[{"type":"watch","data":{"varId":-1}},{"type":"watch","data":{"varId":-2}}]}"#,
        );
    }
    h.advance(ms(10));
    for tab in tabs {
        h.frames(tab);
    }
    h.send(
        tabs[0],
        r#"{"userEvent":true,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"drop()","access":"action"}}},{"type":"update","data":{"varId":2,"value":null}}]}"#,
    );
    let destroys =
        r#"[{"type":"destroy","data":{"varId":-2}},{"type":"destroy","data":{"varId":-1}}]"#;
    assert_eq!(h.frames(tabs[0]), [destroys]);
    h.advance(ms(10));
    assert_eq!(h.frames(tabs[1]), [destroys]);
}

#[test]
fn server_variables_are_visible_to_every_connection() {
    let mut h = Harness::with_main(
        r#"
        session:createAppVariable({ type = "App" })
        session:createVariable(0, { 1, 2, 3 })
        "#,
    );
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, r#"{"type":"watch","data":{"varId":-1}}"#);
    h.advance(ms(10));
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":-1,"value":[1,2,3]}}"#]
    );
}

#[test]
fn json_encode_and_decode_round_trip() {
    let mut h = Harness::with_main(
        r#"
        local text = ui.json_encode({ b = { 1, 2.5, "x" }, a = true, _hidden = 1, [3] = "three", e = {} })
        local back = ui.json_decode(text)
        local again = ui.json_encode(back)
        local nan, why = ui.json_encode({ 0/0 })
        local bad, err = ui.json_decode("{")
        session:createAppVariable({ type = "App" }, {
          text = text, same = tostring(text == again),
          nan = tostring(nan) .. "|" .. tostring(why ~= nil), bad = tostring(bad) .. "|" .. tostring(err ~= nil),
        })
        "#,
    );
    let sid = h.create_session();
    assert_eq!(
        h.app_property(&sid, "text").as_deref(),
        Some(r#"{"3":"three","a":true,"b":[1,2.5,"x"],"e":{}}"#)
    );
    assert_eq!(h.app_property(&sid, "same").as_deref(), Some("true"));
    assert_eq!(h.app_property(&sid, "nan").as_deref(), Some("nil|true"));
    assert_eq!(h.app_property(&sid, "bad").as_deref(), Some("nil|true"));
}

/// A tab that binds variables without watching variable 1 gets their values and no viewdefs;
/// once it watches variable 1 it gets them, first in the frame (§8).
#[test]
fn viewdefs_reach_only_connections_watching_variable_1() {
    let mut h = Harness::new(
        Site::from_texts(&[
            (
                "lua/main.lua",
                r#"session:createAppVariable({ type = "App", name = "Ada" })"#,
            ),
            (
                "viewdefs/App.DEFAULT.html",
                "<template><b ui-value=\"name\"></b></template>",
            ),
        ]),
        Config::default(),
        1,
    );
    let sid = h.create_session();
    let watcher = h.connect(&sid);
    let other = h.connect(&sid);
    h.send(
        other,
        r#"{"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"name","access":"r"}}}]}"#,
    );
    h.send(watcher, WATCH_1);
    h.advance(ms(10));
    assert_eq!(
        h.frames(other),
        [r#"{"type":"update","data":{"varId":2,"value":"Ada"}}"#],
        "no viewdefs for a tab that does not watch variable 1"
    );
    let viewdefs = r#"{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"App.DEFAULT\":\"<template><b ui-value=\\\"name\\\"></b></template>\"}"}}}"#;
    let app =
        r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}"#;
    assert_eq!(h.frames(watcher), [format!("[{viewdefs},{app}]")]);

    h.send(other, WATCH_1);
    h.advance(ms(10));
    assert_eq!(h.frames(other), [format!("[{viewdefs},{app}]")]);
    assert!(h.frames(watcher).is_empty());
}

/// §5.7: a global `T` with `new` is a wrapper (there is no `ui.registerWrapper`); its proxy's
/// methods work with `:` and `.`; children navigate from the wrapper; `type` follows it.
#[test]
fn a_lua_global_with_new_wraps_a_value() {
    let mut h = Harness::with_main(
        r#"
        Upper = { type = "Upper" }
        Upper.__index = Upper
        function Upper:new(proxy)
          local w = setmetatable({ proxy = proxy }, self)
          w.text = string.upper(proxy:getValue())
          w.kind = proxy.getProperty("kind")
          return w
        end
        function Upper:sync() self.text = string.upper(self.value) end
        local app = { type = "App", name = "ada" }
        function app:rename() self.name = "grace" end
        session:createAppVariable(app, { registerWrapper = tostring(ui.registerWrapper) })
        "#,
    );
    let sid = h.create_session();
    assert_eq!(
        h.app_property(&sid, "registerWrapper").as_deref(),
        Some("nil"),
        "there is no ui.registerWrapper: wrappers are globals with new"
    );
    let tab = h.connect(&sid);
    h.send(
        tab,
        r#"{"messages":[
          {"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"name?wrapper=Upper&kind=k1","access":"r"}}},
          {"type":"create","data":{"id":3,"parentId":2,"properties":{"path":"text","access":"r"}}},
          {"type":"create","data":{"id":4,"parentId":2,"properties":{"path":"kind","access":"r"}}}]}"#,
    );
    h.advance(ms(10));
    assert_eq!(
        h.frames(tab),
        [
            r#"[{"type":"update","data":{"varId":2,"value":{"obj":3},"properties":{"type":"Upper"}}},{"type":"update","data":{"varId":3,"value":"ADA"}},{"type":"update","data":{"varId":4,"value":"k1"}}]"#
        ]
    );
    h.send(
        tab,
        r#"{"userEvent":true,"messages":[{"type":"create","data":{"id":5,"parentId":1,"properties":{"path":"rename()","access":"action"}}},{"type":"update","data":{"varId":5,"value":null}}]}"#,
    );
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":3,"value":"GRACE"}}"#],
        "the wrapper is kept (same object id) and synced"
    );
}
