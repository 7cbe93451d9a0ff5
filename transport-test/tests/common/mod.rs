//! Helpers shared by the WebSocket protocol tests: building inbound messages and reading
//! outbound frames. Each test file uses a different subset.
#![allow(dead_code)]

pub mod http;
pub mod lua_sandbox;
pub mod updates_app;
pub mod variables_app;

use std::time::Duration;

use bytes::Bytes;
use lunette_core::{Config, ConnId, Site};
use lunette_test::{Harness, site_with_main};
use serde_json::{Value, json};

/// Time a test lets pass after a frame before reading the replies. Replies leave at the end
/// of the step that made them (§4.5), so nothing depends on it any more; it stands for "a
/// little later" in the tests written when they waited for a 10 ms flush deadline.
pub const FLUSH: Duration = Duration::from_millis(10);

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A site with `lua/main.lua` and these viewdefs (`(key, template)`).
pub fn site(main: &str, viewdefs: &[(&str, &str)]) -> Site {
    let mut site = site_with_main(main);
    for (key, template) in viewdefs {
        site.insert(
            &format!("viewdefs/{key}.html"),
            Bytes::copy_from_slice(template.as_bytes()),
        );
    }
    site
}

/// A session of `main` with one tab that watches variable 1 and has taken its first flush.
pub fn open(main: &str) -> (Harness, String, ConnId) {
    open_with(Harness::with_main(main))
}

pub fn open_with(mut h: Harness) -> (Harness, String, ConnId) {
    let sid = h.create_session();
    let tab = tab(&mut h, &sid);
    (h, sid, tab)
}

/// A new tab on `sid` that watches variable 1 and has taken its first flush.
pub fn tab(h: &mut Harness, sid: &str) -> ConnId {
    let tab = h.connect(sid);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    let first = h.frames(tab);
    assert_eq!(first.len(), 1, "watch of variable 1 answers one frame");
    tab
}

/// `{"userEvent":false,"messages":[…]}`.
pub fn batch(messages: &[Value]) -> String {
    json!({"userEvent": false, "messages": messages}).to_string()
}

/// `{"userEvent":true,"messages":[…]}`.
pub fn user_batch(messages: &[Value]) -> String {
    json!({"userEvent": true, "messages": messages}).to_string()
}

pub fn watch(id: i64) -> Value {
    json!({"type": "watch", "data": {"varId": id}})
}

pub fn unwatch(id: i64) -> Value {
    json!({"type": "unwatch", "data": {"varId": id}})
}

pub fn destroy(id: i64) -> Value {
    json!({"type": "destroy", "data": {"varId": id}})
}

/// `create` of `id` under `parent` with these properties (a JSON object).
pub fn create(id: i64, parent: i64, properties: Value) -> Value {
    json!({"type": "create", "data": {"id": id, "parentId": parent, "properties": properties}})
}

pub fn create_nowatch(id: i64, parent: i64, properties: Value) -> Value {
    json!({"type": "create", "data": {"id": id, "parentId": parent, "nowatch": true, "properties": properties}})
}

/// `create` of `id` under `parent` with just `path` and `access`.
pub fn bind(id: i64, parent: i64, path: &str, access: &str) -> Value {
    create(id, parent, json!({"path": path, "access": access}))
}

/// `create`s under variable 1 numbered from `first`: each of `paths` with `access`.
pub fn binds(first: i64, access: &str, paths: &[&str]) -> Vec<Value> {
    (first..)
        .zip(paths)
        .map(|(id, path)| bind(id, 1, path, access))
        .collect()
}

/// `update` writing `value`.
pub fn write(id: i64, value: Value) -> Value {
    json!({"type": "update", "data": {"varId": id, "value": value}})
}

/// `update` setting properties.
pub fn set_properties(id: i64, properties: Value) -> Value {
    json!({"type": "update", "data": {"varId": id, "properties": properties}})
}

/// The messages of one outbound frame: an object is one message, an array several.
pub fn messages(frame: &str) -> Vec<Value> {
    match serde_json::from_str(frame).expect("outbound frames are JSON") {
        Value::Array(items) => {
            assert!(!items.is_empty(), "an outbound frame is never []");
            items
        }
        object @ Value::Object(_) => vec![object],
        other => panic!("an outbound frame is an object or an array, not {other}"),
    }
}

/// Every message the tab received since the last call, across frames.
pub fn received(h: &mut Harness, tab: ConnId) -> Vec<Value> {
    h.frames(tab).iter().flat_map(|f| messages(f)).collect()
}

/// The messages of the one frame the tab received since the last call.
pub fn one_frame(h: &mut Harness, tab: ConnId) -> Vec<Value> {
    let frames = h.frames(tab);
    assert_eq!(
        frames.len(),
        1,
        "expected exactly one frame, got {frames:?}"
    );
    messages(&frames[0])
}

/// `(code, varId)` of an `error` message, panicking for any other message.
pub fn error_of(message: &Value) -> (String, Option<i64>) {
    assert_eq!(message["type"], "error", "not an error: {message}");
    let code = message["data"]["code"]
        .as_str()
        .expect("an error has a code")
        .to_owned();
    assert!(
        message["data"]["description"].is_string(),
        "an error has a description: {message}"
    );
    (code, message["data"]["varId"].as_i64())
}

/// The one message received, which must be an error: its `(code, varId)`.
pub fn only_error(h: &mut Harness, tab: ConnId) -> (String, Option<i64>) {
    let received = one_frame(h, tab);
    assert_eq!(received.len(), 1, "expected one error, got {received:?}");
    error_of(&received[0])
}

/// What a new tab of `main` gets for sending `frame`, which must be one error: its
/// `(code, varId)`. Panics if the frame created a variable.
pub fn refused(main: &str, frame: &str) -> (String, Option<i64>) {
    let (mut h, sid, tab) = open(main);
    h.send(tab, frame);
    h.advance(FLUSH);
    let error = only_error(&mut h, tab);
    assert_eq!(variable_ids(&mut h, &sid), [1], "{frame} created nothing");
    error
}

/// `{"type":"update","data":{"varId":id,"value":value}}`.
pub fn value_update(id: i64, value: Value) -> Value {
    json!({"type": "update", "data": {"varId": id, "value": value}})
}

/// Variable ids of the session as `variables.json` lists them, in tree order.
pub fn variable_ids(h: &mut Harness, sid: &str) -> Vec<i64> {
    h.variables(sid)
        .as_array()
        .expect("variables.json is an array")
        .iter()
        .map(|v| v["id"].as_i64().expect("an id"))
        .collect()
}

/// Log lines (messages) equal to `text` so far.
pub fn count_logs(h: &Harness, text: &str) -> usize {
    h.logs().iter().filter(|r| r.message == text).count()
}

/// A harness with this config, seed 1, serving `main`.
pub fn harness(main: &str, config: Config) -> Harness {
    Harness::new(site_with_main(main), config, 1)
}
