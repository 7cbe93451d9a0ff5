//! Messages and the update cycle: what a connection is sent, when, and in which order
//! (docs/protocol.md §4.2–§4.6, §5.4).

mod common;

use common::*;
use lunette_core::Config;
use lunette_test::Harness;
use serde_json::json;

const APP: &str = r#"
App = {type = "App"}
App.__index = App
app = setmetatable({name = "Ada", city = "Paris", count = 1, pet = {type = "Pet", name = "Rex"}}, App)
function App:upper(v)
  if v ~= nil then self._upper = string.upper(v) end
  return self._upper
end
function App:bump() self.count = self.count + 1 end
function App:unbump() self.count = self.count - 1 end
function App:retype() self.pet.type = "Cat" end
function App:strict(v)
  if v ~= nil then
    self._strict = v
    error("rejected")
  end
  return self._strict or "init"
end
session:createAppVariable(app)
"#;

/// Variable 2 reads `count`, variable 3 is the `bump()` action, 4 the `unbump()` action; the
/// initial value of 2 has been taken.
fn counter() -> (Harness, String, lunette_core::ConnId) {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "count", "r"),
            bind(3, 1, "bump()", "action"),
            bind(4, 1, "unbump()", "action"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":1}}"#]
    );
    (h, sid, tab)
}

fn bump() -> String {
    batch(&[write(3, json!(null))])
}

const COUNT_2: &str = r#"{"type":"update","data":{"varId":2,"value":2}}"#;

// --- §4.4, §8: watching variable 1 sends the viewdefs first, then its value and type ---------

#[test]
fn watching_variable_1_sends_the_viewdefs_first_then_its_value_and_type() {
    let site = site(
        APP,
        &[
            ("Pet.list-item", "<template><i>pet</i></template>"),
            (
                "App.DEFAULT",
                "<template><b ui-value=\"name\"></b></template>",
            ),
        ],
    );
    let mut h = Harness::new(site, Config::default(), 1);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [concat!(
            r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"App.DEFAULT\":\"<template><b ui-value=\\\"name\\\"></b></template>\",\"Pet.list-item\":\"<template><i>pet</i></template>\"}"}}},"#,
            r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}]"#
        )]
    );
}

#[test]
fn viewdefs_are_sent_once_per_connection() {
    let site = site(APP, &[("App.DEFAULT", "<template><b></b></template>")]);
    let mut h = Harness::new(site, Config::default(), 1);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab).len(), 1);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}"#],
        "a second watch owes a full update but not the viewdefs again"
    );
}

// --- §4.2: create gets no reply, but its value in the same cycle -----------------------------

#[test]
fn create_gets_no_reply_but_its_value_in_the_same_cycle() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create(2, 1, json!({"path": "name", "elementId": "ui-1"}))]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"Ada"}}"#],
        "the value only: the message's properties count as received"
    );
}

#[test]
fn create_of_an_object_also_gets_the_type_the_server_set() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create(2, 1, json!({"path": "pet", "access": "r"}))]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":{"obj":3},"properties":{"type":"Pet"}}}"#]
    );
}

#[test]
fn a_null_initial_value_is_not_sent() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "missing", "rw"), bind(3, 1, "upper()", "rw")]),
    );
    h.advance(ms(1000));
    assert!(h.frames(tab).is_empty());
}

#[test]
fn the_query_of_a_path_counts_as_received() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create(
            2,
            1,
            json!({"path": "name?flag&k=v", "access": "r"}),
        )]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"Ada"}}"#]
    );
    let variables = h.variables(&sid);
    assert_eq!(variables[1]["path"], "name");
    assert_eq!(variables[1]["properties"]["flag"], "true");
    assert_eq!(variables[1]["properties"]["k"], "v");
}

// --- §4.2, §4.4: nowatch, and the full update a watch owes -----------------------------------

#[test]
fn create_with_nowatch_does_not_watch() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            create_nowatch(
                2,
                1,
                json!({"path": "count", "access": "r", "elementId": "ui-5"}),
            ),
            bind(3, 1, "bump()", "action"),
        ]),
    );
    h.advance(FLUSH);
    assert!(
        h.frames(tab).is_empty(),
        "no value for an unwatched variable"
    );
    h.send(tab, &bump());
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty(), "nor for its changes");
}

#[test]
fn a_watch_after_nowatch_yields_the_full_update() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create_nowatch(
            2,
            1,
            json!({"path": "count", "access": "r", "elementId": "ui-5"}),
        )]),
    );
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    h.send(tab, &batch(&[watch(2)]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [
            r#"{"type":"update","data":{"varId":2,"value":1,"properties":{"access":"r","elementId":"ui-5","path":"count"}}}"#
        ]
    );
}

#[test]
fn a_second_watch_owes_a_full_update_again() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create(2, 1, json!({"path": "name", "elementId": "ui-1"}))]),
    );
    h.advance(FLUSH);
    assert_eq!(h.frames(tab).len(), 1);
    h.send(tab, &batch(&[watch(2)]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [
            r#"{"type":"update","data":{"varId":2,"value":"Ada","properties":{"elementId":"ui-1","path":"name"}}}"#
        ]
    );
}

// --- §4.3: properties are not echoed to the tab that set them --------------------------------

#[test]
fn properties_are_not_echoed_to_the_setter_but_reach_other_watchers() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(
        first,
        &batch(&[set_properties(1, json!({"viewdef": "App.DEFAULT"}))]),
    );
    h.advance(FLUSH);
    assert!(h.frames(first).is_empty(), "not echoed to the setter");
    assert_eq!(
        h.frames(second),
        [
            r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"viewdef":"App.DEFAULT"}}}"#
        ]
    );
}

#[test]
fn properties_set_on_an_own_variable_are_not_echoed() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "pet", "r")]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab).len(), 1);
    h.send(
        tab,
        &batch(&[set_properties(
            2,
            json!({"viewdef": "Pet.DEFAULT", "elementId": "ui-9"}),
        )]),
    );
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    assert_eq!(h.variables(&sid)[1]["properties"]["viewdef"], "Pet.DEFAULT");
}

// --- §4.3: a written value comes back only if the app changed it -----------------------------

#[test]
fn a_written_value_read_back_unchanged_is_not_echoed() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name", "rw")]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab).len(), 1);
    h.send(tab, &batch(&[write(2, json!("Bob"))]));
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty());
    assert_eq!(h.variables(&sid)[1]["value"], "Bob", "the write happened");
}

#[test]
fn a_written_number_read_back_unchanged_is_not_echoed() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "count", "rw")]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab).len(), 1);
    h.send(tab, &batch(&[write(2, json!(2.5))]));
    h.send(tab, &batch(&[write(2, json!(7))]));
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty());
}

#[test]
fn a_value_the_app_normalised_is_sent_back() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "upper()", "rw")]));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty(), "nil at first");
    h.send(tab, &batch(&[write(2, json!("bob"))]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"BOB"}}"#]
    );
    h.send(tab, &batch(&[write(2, json!("BOB"))]));
    h.advance(FLUSH);
    assert!(
        h.frames(tab).is_empty(),
        "already upper case: read back as written"
    );
}

// --- §4.6: no clearing: an update with properties carries the value --------------------------

#[test]
fn a_property_change_carries_the_value_once_one_was_received() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "pet", "r"), bind(3, 1, "retype()", "action")]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":{"obj":3},"properties":{"type":"Pet"}}}"#]
    );
    h.send(tab, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":{"obj":3},"properties":{"type":"Cat"}}}"#],
        "same object, new type: the update still carries the value"
    );
}

#[test]
fn a_property_at_a_lower_priority_than_the_value_carries_the_value() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create_nowatch(
            2,
            1,
            json!({"path": "name", "a:high": "1", "c:low": "3"}),
        )]),
    );
    h.send(tab, &batch(&[watch(2)]));
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [
            json!({"type": "update", "data": {"varId": 2, "properties": {"a": "1"}}}),
            json!({"type": "update", "data": {"varId": 2, "value": "Ada", "properties": {"path": "name"}}}),
            json!({"type": "update", "data": {"varId": 2, "value": "Ada", "properties": {"c": "3"}}}),
        ],
        "once the value arrived in the frame, later updates of the variable carry it"
    );
}

// --- §4.6: only differences are sent; a change undone before the flush sends nothing ---------

#[test]
fn only_changed_properties_are_sent_and_a_removed_one_as_empty() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    let app_with = |properties: serde_json::Value| json!({"type": "update", "data": {"varId": 1, "value": {"obj": 2}, "properties": properties}});
    h.send(
        first,
        &batch(&[set_properties(1, json!({"a": "1", "b": "2"}))]),
    );
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, second),
        [app_with(json!({"a": "1", "b": "2"}))]
    );
    h.send(
        first,
        &batch(&[set_properties(1, json!({"a": "1", "b": "3"}))]),
    );
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, second), [app_with(json!({"b": "3"}))]);
    h.send(first, &batch(&[set_properties(1, json!({"a": ""}))]));
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, second), [app_with(json!({"a": ""}))]);
    assert!(h.frames(first).is_empty());
}

#[test]
fn a_property_change_reverted_before_the_flush_sends_nothing() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[set_properties(1, json!({"a": "1"}))]));
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, second).len(), 1);
    // Undone within the step, before its flush.
    h.send(
        first,
        &batch(&[
            set_properties(1, json!({"a": "2", "b": "x"})),
            set_properties(1, json!({"a": "1", "b": ""})),
        ]),
    );
    h.advance(ms(100));
    assert!(h.frames(second).is_empty());
    assert!(h.frames(first).is_empty());
}

#[test]
fn a_value_change_reverted_before_the_flush_sends_nothing() {
    let (mut h, _sid, tab) = counter();
    h.send(tab, &batch(&[write(3, json!(null)), write(4, json!(null))]));
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty());
}

// --- §4.5: every step's replies leave at the end of that step --------------------------------

#[test]
fn a_user_event_is_answered_within_its_step() {
    let (mut h, _sid, tab) = counter();
    h.send(tab, &user_batch(&[write(3, json!(null))]));
    assert_eq!(h.frames(tab), [COUNT_2], "no clock advance needed");
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty(), "and nothing is left for later");
}

#[test]
fn a_user_event_also_sends_what_was_pending_on_every_connection() {
    let (mut h, sid, first) = counter();
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[set_properties(1, json!({"a": "1"}))]));
    h.advance(ms(3));
    h.send(first, &user_batch(&[write(3, json!(null))]));
    assert_eq!(h.frames(first), [COUNT_2]);
    assert_eq!(
        h.frames(second),
        [r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"a":"1"}}}"#]
    );
    h.advance(ms(100));
    assert!(h.frames(first).is_empty());
    assert!(h.frames(second).is_empty());
}

#[test]
fn every_step_flushes_what_it_left_pending_user_event_or_not() {
    // §4.5 step 2 (revised 2026-12): no reply waits for a timer.
    let (mut h, _sid, tab) = counter();
    for count in 2..=4 {
        h.send(tab, &bump());
        assert_eq!(
            h.frames(tab),
            [format!(
                r#"{{"type":"update","data":{{"varId":2,"value":{count}}}}}"#
            )],
            "answered at the end of its own step, with no clock advance"
        );
    }
    assert_eq!(
        h.core().poll_timeout(),
        None,
        "and no flush deadline is armed"
    );
}

#[test]
fn frames_handed_in_together_are_answered_in_one_frame() {
    // §4.5: a transport holding several frames of one connection flushes once after the last.
    let (mut h, _sid, tab) = counter();
    let (first, second, third) = (bump(), bump(), bump());
    h.send_all(tab, &[&first, &second, &third]);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":4}}"#]
    );
}

#[test]
fn a_step_with_nothing_pending_sends_no_frame() {
    let (mut h, _sid, tab) = counter();
    h.send(tab, &batch(&[unwatch(77)]));
    assert!(h.frames(tab).is_empty());
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty());
}

#[test]
fn a_change_made_by_a_timer_leaves_at_the_end_of_its_step() {
    let (mut h, _sid, tab) = open(
        r#"
        app = {type = "App", count = 1}
        session:createAppVariable(app)
        session:setTimeout(function() app.count = 2 end, 1000)
        "#,
    );
    h.send(tab, &batch(&[bind(2, 1, "count", "r")]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab).len(), 1);
    let until_timer = ms(1000) - h.elapsed();
    h.advance(until_timer - std::time::Duration::from_micros(1));
    assert!(h.frames(tab).is_empty());
    h.advance(std::time::Duration::from_micros(1));
    assert_eq!(h.frames(tab), [COUNT_2]);
}

#[test]
fn a_property_set_by_a_timer_leaves_at_the_end_of_its_step() {
    let (mut h, _sid, tab) = open(
        r#"
        app = {type = "App"}
        session:createAppVariable(app)
        session:setTimeout(function() session:createAppVariable(app, {ticks = "1"}) end, 1000)
        "#,
    );
    let until_timer = ms(1000) - h.elapsed();
    h.advance(until_timer - std::time::Duration::from_micros(1));
    assert!(h.frames(tab).is_empty());
    h.advance(std::time::Duration::from_micros(1));
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"ticks":"1"}}}"#]
    );
}

// --- §4.6, §5.4: priorities and tree order in a frame; priority suffixes ---------------------

#[test]
fn updates_go_high_then_medium_then_low() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            create(2, 1, json!({"path": "name", "priority": "low"})),
            create(3, 1, json!({"path": "city", "priority": "high"})),
            create(4, 1, json!({"path": "count"})),
            create(5, 1, json!({"path": "pet.name", "priority": "med"})),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [
            value_update(3, json!("Paris")),
            value_update(4, json!(1)),
            value_update(5, json!("Rex")),
            value_update(2, json!("Ada")),
        ]
    );
}

#[test]
fn within_a_level_parents_go_before_children_and_siblings_in_creation_order() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "pet", "r"),
            bind(3, 1, "name", "r"),
            bind(4, 2, "name", "r"),
            bind(5, 1, "city", "r"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [
            json!({"type": "update", "data": {"varId": 2, "value": {"obj": 3}, "properties": {"type": "Pet"}}}),
            value_update(4, json!("Rex")),
            value_update(3, json!("Ada")),
            value_update(5, json!("Paris")),
        ]
    );
}

#[test]
fn suffixes_in_update_set_priorities_and_names_go_out_bare() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(
        first,
        &batch(&[set_properties(
            1,
            json!({"x:low": "1", "y:HIGH": "2", "z": "3", "w:med": "4", "v:medium": "5"}),
        )]),
    );
    h.advance(FLUSH);
    let app_with = |properties: serde_json::Value| json!({"type": "update", "data": {"varId": 1, "value": {"obj": 2}, "properties": properties}});
    assert_eq!(
        one_frame(&mut h, second),
        [
            app_with(json!({"y": "2"})),
            app_with(json!({"v": "5", "w": "4", "z": "3"})),
            app_with(json!({"x": "1"})),
        ]
    );
}

#[test]
fn suffixes_in_create_set_priorities_and_names_are_stored_bare() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create_nowatch(
            2,
            1,
            json!({"path:high": "name", "a:low": "1", "b:Med": "2", "c:medium": "3", "d": "4"}),
        )]),
    );
    h.advance(FLUSH);
    let properties = &h.variables(&sid)[1]["properties"];
    assert_eq!(
        properties,
        &json!({"path": "name", "a": "1", "b": "2", "c": "3", "d": "4"})
    );
    h.send(tab, &batch(&[watch(2)]));
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [
            json!({"type": "update", "data": {"varId": 2, "properties": {"path": "name"}}}),
            json!({"type": "update", "data": {"varId": 2, "value": "Ada", "properties": {"b": "2", "c": "3", "d": "4"}}}),
            json!({"type": "update", "data": {"varId": 2, "value": "Ada", "properties": {"a": "1"}}}),
        ]
    );
}

#[test]
fn no_suffix_is_medium_even_over_an_earlier_high() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[set_properties(1, json!({"x:high": "1"}))]));
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, second).len(), 1);
    h.send(
        first,
        &batch(&[set_properties(1, json!({"x": "2", "h:high": "h"}))]),
    );
    h.advance(FLUSH);
    let app_with = |properties: serde_json::Value| json!({"type": "update", "data": {"varId": 1, "value": {"obj": 2}, "properties": properties}});
    assert_eq!(
        one_frame(&mut h, second),
        [app_with(json!({"h": "h"})), app_with(json!({"x": "2"}))]
    );
}

// --- §4.6: an error superseded by its variable's value ---------------------------------------

#[test]
fn an_error_is_dropped_when_its_variables_value_is_re_sent_after_it() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "strict()", "rw")]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"init"}}"#]
    );
    h.send(tab, &batch(&[write(2, json!("x"))]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"x"}}"#],
        "the setter stored x before failing: the value re-sent replaces the error"
    );
}

#[test]
fn an_error_stays_when_its_variables_value_is_not_re_sent() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "strict()", "rw")]));
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[write(2, json!("x"))]));
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[write(2, json!("x"))]));
    h.advance(FLUSH);
    let (code, var_id) = only_error(&mut h, tab);
    assert_eq!((code.as_str(), var_id), ("lua-error", Some(2)));
}

// --- §4.4, §5.4: watching variable 1 again, changing a path ----------------------------------

#[test]
fn watching_variable_1_again_after_unwatching_it_redelivers_the_viewdefs() {
    let site = site(APP, &[("App.DEFAULT", "<template><b></b></template>")]);
    let mut h = Harness::new(site, Config::default(), 1);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    let first = h.frames(tab);
    assert_eq!(
        first,
        [concat!(
            r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"App.DEFAULT\":\"<template><b></b></template>\"}"}}},"#,
            r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}]"#
        )]
    );
    h.send(tab, &batch(&[unwatch(1)]));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        first,
        "the viewdefs and the full update again"
    );
}

#[test]
fn a_new_path_re_evaluates_the_variable() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name", "rw")]));
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[set_properties(2, json!({"path": "city"}))]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"Paris"}}"#],
        "the new value, not the path the sender set"
    );
}

#[test]
fn an_access_change_to_r_makes_writes_access_denied() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name", "rw")]));
    assert_eq!(one_frame(&mut h, tab), [value_update(2, json!("Ada"))]);
    h.send(
        tab,
        &batch(&[
            set_properties(2, json!({"access": "r"})),
            write(2, json!("Bob")),
        ]),
    );
    let received = one_frame(&mut h, tab);
    assert_eq!(
        error_of(&received[0]),
        ("access-denied".to_owned(), Some(2))
    );
    assert_eq!(h.variables(&sid)[1]["value"], "Ada");
}
