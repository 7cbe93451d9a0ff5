//! `create=T` (docs/protocol.md §5.7): at creation the variable holds `T:new(v)` made from its
//! initial value, typed `T`; for a path variable, the path's value takes over at the first
//! evaluation that reads something else.

mod common;

use common::*;
use serde_json::{Value, json};

const APP: &str = r#"
Person = {type = "Person"}
Person.__index = Person
function Person:new(name)
  print("new Person " .. tostring(name))
  return setmetatable({shout = string.upper(name)}, self)
end
Plain = {}
function Plain:new(v) return {greeting = "hi " .. v} end
Failing = {}
function Failing:new() error("no person today") end

app = {type = "App", name = "ada", count = 1}
function app:rename() self.name = "bob" end
function app:touch() self.count = self.count + 1 end
session:createAppVariable(app)
"#;

fn act(h: &mut lunette_test::Harness, tab: lunette_core::ConnId, id: i64, method: &str) {
    h.send(
        tab,
        &user_batch(&[
            bind(id, 1, &format!("{method}()"), "action"),
            write(id, Value::Null),
        ]),
    );
}

#[test]
fn the_created_object_is_the_value_and_its_type_is_t() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "name?create=Person", "r"),
            bind(3, 2, "shout", "r"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [concat!(
            r#"[{"type":"update","data":{"varId":2,"value":{"obj":3},"properties":{"type":"Person"}}},"#,
            r#"{"type":"update","data":{"varId":3,"value":"ADA"}}]"#
        )]
    );
    assert_eq!(count_logs(&h, "new Person ada"), 1);
}

#[test]
fn an_untyped_result_is_typed_by_the_name_of_t() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "name?create=Plain", "r"),
            bind(3, 2, "greeting", "r"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received[0]["data"]["properties"]["type"], "Plain");
    assert_eq!(received[1], value_update(3, json!("hi ada")));
}

#[test]
fn the_created_object_stays_while_the_path_reads_the_same() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "name?create=Person", "r"),
            bind(3, 2, "shout", "r"),
        ]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    act(&mut h, tab, 4, "touch");
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty(), "nothing changed for 2 and 3");
    assert_eq!(
        count_logs(&h, "new Person ada"),
        1,
        "made once, at creation"
    );
}

#[test]
fn a_different_path_value_replaces_the_created_object() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name?create=Person", "r")]));
    h.advance(FLUSH);
    h.frames(tab);
    act(&mut h, tab, 4, "rename");
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"bob"}}"#]
    );
    assert_eq!(count_logs(&h, "new Person bob"), 0, "only made at creation");
    let variables = h.variables(&sid);
    assert_eq!(variables[1]["value"], "bob");
    assert_eq!(variables[1]["type"], "Person", "type is never cleared");
}

#[test]
fn an_unknown_or_failing_t_leaves_the_plain_value() {
    for name in ["Nobody", "Failing"] {
        let (mut h, _sid, tab) = open(APP);
        h.send(
            tab,
            &batch(&[bind(2, 1, &format!("name?create={name}"), "r")]),
        );
        h.advance(FLUSH);
        assert_eq!(
            h.frames(tab),
            [r#"{"type":"update","data":{"varId":2,"value":"ada"}}"#],
            "{name}"
        );
        assert!(
            h.logs()
                .iter()
                .any(|r| r.message.starts_with("variable") && r.message.contains("not created")),
            "{name}: a debug log says why: {:?}",
            h.logs()
        );
    }
}
