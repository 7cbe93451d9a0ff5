//! Several tabs of one session, closing a tab and reconnecting (docs/protocol.md §4.1, §6.2).

mod common;

use common::*;
use lunette_core::Config;
use lunette_test::{Harness, Sent, Tab};
use serde_json::{Value, json};

const APP: &str = r#"
app = {type = "App", name = "Ada", city = "Paris", count = 1}
function app.bump(self) self.count = self.count + 1 end
session:createAppVariable(app)
"#;

/// `(id, connection)` of each variable `variables.json` lists, in tree order; variable 1
/// belongs to no connection.
fn owners(variables: &Value) -> Vec<(i64, Option<i64>)> {
    variables
        .as_array()
        .expect("variables.json is an array")
        .iter()
        .map(|v| (v["id"].as_i64().expect("an id"), v["connection"].as_i64()))
        .collect()
}

#[test]
fn two_tabs_may_both_use_id_2_and_each_gets_only_its_own_updates() {
    let (mut first, mut second) = Tab::open_pair(APP);
    let name = first.create(1, "name");
    let city = second.create(1, "city");
    assert_eq!((name, city), (2, 2));
    first.expect_update(name, "Ada");
    second.expect_update(city, "Paris");

    second.write(city, "Rome");
    first.advance(FLUSH);
    first.expect_nothing(); // the first tab's 2 is bound to name
    second.expect_nothing(); // a written value is not echoed
    let variables = first.variables();
    assert_eq!(variables[1]["value"], "Ada");
    assert_eq!(variables[2]["value"], "Rome");
}

#[test]
fn the_debug_view_tells_the_tabs_variables_apart() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.create(1, "name");
    second.create(1, "city");
    let variables = first.variables();
    assert_eq!(variables[1]["connection"], 1);
    assert_eq!(variables[1]["clientId"], 2);
    assert_eq!(variables[2]["connection"], 2);
    assert_eq!(variables[2]["clientId"], 2);
    assert_ne!(variables[1]["id"], variables[2]["id"]);
}

#[test]
fn a_change_made_in_one_tab_reaches_the_other_tabs_binding_of_the_same_data() {
    let (mut first, mut second) = Tab::open_pair(APP);
    let name = first.create(1, "name");
    let other_name = second.together(|t| {
        t.bind(1, "city", "r");
        t.bind(1, "name", "r")
    });
    first.take();
    second.take();

    first.write(name, "Bob");
    first.expect_nothing();
    second.expect_update(other_name, "Bob");
}

#[test]
fn a_user_event_in_one_tab_updates_the_other_tab_at_once() {
    let (mut first, mut second) = Tab::open_pair(APP);
    let bump = first.bind(1, "bump()", "action");
    let count = second.bind(1, "count", "r");
    second.take();
    first.user_event(|t| t.write(bump, Value::Null));
    second.expect_update(count, 2);
    first.expect_nothing();
}

#[test]
fn a_tab_cannot_destroy_another_tabs_variable() {
    let (mut first, mut second) = Tab::open_pair(APP);
    let name = first.create(1, "name");
    first.take();
    second.destroy(name);
    first.advance(FLUSH);
    first.expect_nothing();
    second.expect_nothing(); // an id unknown to the second tab is ignored
    assert_eq!(variable_ids(&mut first.harness(), first.sid()), [1, 2]);
    // The first tab's variable still lives for it.
    first.write(name, "Bob");
    assert_eq!(first.variables()[1]["value"], "Bob");
}

#[test]
fn closing_a_tab_destroys_only_its_client_variables() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.together(|t| {
        t.create(1, "name");
        t.bind(1, "city", "r");
        t.create_nowatch(1, json!({"path": "count"}));
    });
    second.bind(1, "name", "r");
    first.take();
    second.take();

    first.close();
    let left = owners(&second.variables());
    assert_eq!(left.len(), 2, "variable 1 and the second tab's 2: {left:?}");
    assert_eq!(left[0], (1, None));
    assert_eq!(left[1].1, Some(2));
    second.advance(FLUSH);
    second.expect_nothing(); // it never saw the first tab's variables
}

#[test]
fn the_other_tab_keeps_working_after_one_closes() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.create(1, "name");
    let (name, bump, count) = second.together(|t| {
        (
            t.create(1, "name"),
            t.bind(1, "bump()", "action"),
            t.bind(1, "count", "r"),
        )
    });
    second.take();
    first.close();

    second.user_event(|t| t.write(bump, Value::Null));
    second.expect_update(count, 2);
    let read_name = second.together(|t| {
        t.write(name, "Bob");
        t.bind(1, "name", "r")
    });
    second.expect_update(read_name, "Bob");
    second.watch(1);
    second.expect(&[Sent::update(1, json!({"obj": 2}), &[("type", "App")])]);
}

const TEMPLATE: &str = "<template><span ui-value=\"name\"></span></template>";

/// What a tab gets for watching variable 1: the viewdefs, then the app's value and type.
fn first_watch() -> [Sent; 2] {
    [
        Sent::viewdefs(&[("App.DEFAULT", TEMPLATE)]),
        Sent::update(1, json!({"obj": 2}), &[("type", "App")]),
    ]
}

/// A session of `APP` with its viewdefs, and a tab that has sent nothing yet.
fn connected() -> Tab {
    Tab::connect_on(Harness::new(
        site(APP, &[("App.DEFAULT", TEMPLATE)]),
        Config::default(),
        3,
    ))
}

/// A tab that watched variable 1 and bound `name` and `city`, then closed.
fn closed_after_binding() -> Tab {
    let mut old = connected();
    old.together(|t| {
        t.watch(1);
        t.create(1, "name");
        t.bind(1, "city", "r");
    });
    assert_eq!(old.take_frame().len(), 4, "viewdefs, app, name and city");
    old.close();
    old
}

#[test]
fn after_a_reconnect_watch_redelivers_the_viewdefs_and_the_full_update() {
    let old = closed_after_binding();
    old.advance(ms(2000));
    let mut new = old.connect_sibling();
    new.expect_nothing();
    new.watch(1);
    new.expect(&first_watch());
}

#[test]
fn after_a_reconnect_ids_from_2_are_accepted() {
    let mut new = closed_after_binding().connect_sibling();
    new.watch(1);
    new.take();
    let (city, name) = new.together(|t| (t.bind(1, "city", "r"), t.create(1, "name")));
    assert_eq!((city, name), (2, 3));
    new.expect(&[Sent::value(city, "Paris"), Sent::value(name, "Ada")]);
    assert_eq!(
        variable_ids(&mut new.harness(), new.sid()).len(),
        3,
        "only the new tab's two and variable 1"
    );
}

#[test]
fn a_new_tab_next_to_an_open_one_gets_its_own_viewdefs() {
    let mut first = connected();
    first.watch(1);
    first.expect(&first_watch());
    let mut second = first.connect_sibling();
    second.watch(1);
    second.expect(&first_watch());
    first.expect_nothing();
}
