//! What a tab is owed when it creates or watches a variable: the viewdefs, the value and the
//! properties the server set, not what the tab sent itself (docs/protocol.md §4.2, §4.4, §8).

mod common;

use common::updates_app::*;
use common::*;
use lunette_core::Config;
use lunette_test::{Harness, Sent, Tab};
use serde_json::{Value, json};

/// A session of `APP` with these viewdefs, and a tab that has sent nothing yet.
fn with_viewdefs(viewdefs: &[(&str, &str)]) -> Tab {
    Tab::connect_on(Harness::new(site(APP, viewdefs), Config::default(), 1))
}

#[test]
fn watching_variable_1_sends_the_viewdefs_first_then_its_value_and_type() {
    let mut tab = with_viewdefs(&[
        ("Pet.list-item", "<template><i>pet</i></template>"),
        (
            "App.DEFAULT",
            "<template><b ui-value=\"name\"></b></template>",
        ),
    ]);
    tab.watch(1);
    // Byte for byte, since the keys inside the viewdefs text go in byte order (§3.3).
    assert_eq!(
        tab.frames(),
        [concat!(
            r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"App.DEFAULT\":\"<template><b ui-value=\\\"name\\\"></b></template>\",\"Pet.list-item\":\"<template><i>pet</i></template>\"}"}}},"#,
            r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"App"}}}]"#
        )]
    );
}

#[test]
fn viewdefs_are_sent_once_per_connection() {
    let mut tab = with_viewdefs(&[("App.DEFAULT", "<template><b></b></template>")]);
    tab.watch(1);
    tab.expect(&[
        Sent::viewdefs(&[("App.DEFAULT", "<template><b></b></template>")]),
        app_with(&[("type", "App")]),
    ]);
    tab.watch(1);
    // A second watch owes a full update but not the viewdefs again.
    tab.expect(&[app_with(&[("type", "App")])]);
}

#[test]
fn watching_variable_1_again_after_unwatching_it_redelivers_the_viewdefs() {
    let mut tab = with_viewdefs(&[("App.DEFAULT", "<template><b></b></template>")]);
    let first = [
        Sent::viewdefs(&[("App.DEFAULT", "<template><b></b></template>")]),
        app_with(&[("type", "App")]),
    ];
    tab.watch(1);
    tab.expect(&first);
    tab.unwatch(1);
    tab.advance(FLUSH);
    tab.expect_nothing();
    tab.watch(1);
    tab.expect(&first);
}

#[test]
fn create_gets_no_reply_but_its_value_in_the_same_cycle() {
    let mut tab = Tab::open(APP);
    let name = tab.create_with(1, json!({"path": "name", "elementId": "ui-1"}));
    // The value only: the message's properties count as received.
    tab.expect_update(name, "Ada");
}

#[test]
fn create_of_an_object_also_gets_the_type_the_server_set() {
    let mut tab = Tab::open(APP);
    let pet = tab.bind(1, "pet", "r");
    tab.expect(&[Sent::update(pet, json!({"obj": 3}), &[("type", "Pet")])]);
}

#[test]
fn a_null_initial_value_is_not_sent() {
    let mut tab = Tab::open(APP);
    tab.together(|t| {
        t.create(1, "missing");
        t.create(1, "upper()");
    });
    tab.advance(ms(1000));
    tab.expect_nothing();
}

#[test]
fn the_query_of_a_path_counts_as_received() {
    let mut tab = Tab::open(APP);
    let name = tab.bind(1, "name?flag&k=v", "r");
    tab.expect_update(name, "Ada");
    let variables = tab.variables();
    assert_eq!(variables[1]["path"], "name");
    assert_eq!(variables[1]["properties"]["flag"], "true");
    assert_eq!(variables[1]["properties"]["k"], "v");
}

#[test]
fn create_with_nowatch_does_not_watch() {
    let mut tab = Tab::open(APP);
    let bump = tab.together(|t| {
        t.create_nowatch(
            1,
            json!({"path": "count", "access": "r", "elementId": "ui-5"}),
        );
        t.bind(1, "bump()", "action")
    });
    tab.advance(FLUSH);
    tab.expect_nothing(); // no value for an unwatched variable
    tab.write(bump, Value::Null);
    tab.advance(FLUSH);
    tab.expect_nothing(); // nor for its changes
}

#[test]
fn a_watch_after_nowatch_yields_the_full_update() {
    let mut tab = Tab::open(APP);
    let count = tab.create_nowatch(
        1,
        json!({"path": "count", "access": "r", "elementId": "ui-5"}),
    );
    tab.advance(FLUSH);
    tab.expect_nothing();
    tab.watch(count);
    tab.expect(&[Sent::update(
        count,
        json!(1),
        &[("access", "r"), ("elementId", "ui-5"), ("path", "count")],
    )]);
}

#[test]
fn a_second_watch_owes_a_full_update_again() {
    let mut tab = Tab::open(APP);
    let name = tab.create_with(1, json!({"path": "name", "elementId": "ui-1"}));
    tab.expect_update(name, "Ada");
    tab.watch(name);
    tab.expect(&[Sent::update(
        name,
        json!("Ada"),
        &[("elementId", "ui-1"), ("path", "name")],
    )]);
}
