//! What an update carries: only the differences since the last flush, a removed property as
//! `""`, nothing for a change undone before the flush, and the value along with any property
//! once the tab has one (docs/protocol.md §4.6).

mod common;

use common::updates_app::*;
use common::*;
use lunette_test::{Sent, Tab};
use serde_json::{Value, json};

#[test]
fn a_property_change_carries_the_value_once_one_was_received() {
    let mut tab = Tab::open(APP);
    let (pet, retype) = tab.together(|t| (t.bind(1, "pet", "r"), t.bind(1, "retype()", "action")));
    tab.expect(&[Sent::update(pet, json!({"obj": 3}), &[("type", "Pet")])]);
    tab.write(retype, Value::Null);
    // Same object, new type: the update still carries the value.
    tab.expect(&[Sent::update(pet, json!({"obj": 3}), &[("type", "Cat")])]);
}

#[test]
fn a_property_at_a_lower_priority_than_the_value_carries_the_value() {
    let mut tab = Tab::open(APP);
    let name = tab.create_nowatch(1, json!({"path": "name", "a:high": "1", "c:low": "3"}));
    tab.watch(name);
    // Once the value arrived in the frame, later updates of the variable carry it.
    tab.expect(&[
        Sent::properties(name, &[("a", "1")]),
        Sent::update(name, json!("Ada"), &[("path", "name")]),
        Sent::update(name, json!("Ada"), &[("c", "3")]),
    ]);
}

#[test]
fn only_changed_properties_are_sent_and_a_removed_one_as_empty() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.set_properties(1, json!({"a": "1", "b": "2"}));
    second.expect(&[app_with(&[("a", "1"), ("b", "2")])]);
    first.set_properties(1, json!({"a": "1", "b": "3"}));
    second.expect(&[app_with(&[("b", "3")])]);
    first.set_properties(1, json!({"a": ""}));
    second.expect(&[app_with(&[("a", "")])]);
    first.expect_nothing();
}

#[test]
fn a_property_change_reverted_before_the_flush_sends_nothing() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.set_properties(1, json!({"a": "1"}));
    second.expect(&[app_with(&[("a", "1")])]);
    first.together(|t| {
        t.set_properties(1, json!({"a": "2", "b": "x"}));
        t.set_properties(1, json!({"a": "1", "b": ""}));
    });
    first.advance(ms(100));
    second.expect_nothing();
    first.expect_nothing();
}

#[test]
fn a_value_change_reverted_before_the_flush_sends_nothing() {
    let mut tab = counter();
    tab.together(|t| {
        t.write(BUMP, Value::Null);
        t.write(UNBUMP, Value::Null);
    });
    tab.advance(ms(100));
    tab.expect_nothing();
}
