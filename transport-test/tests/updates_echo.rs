//! What comes back to the tab that wrote a value or set properties, and what reaches the
//! other tabs (docs/protocol.md §4.3, §4.6).

mod common;

use common::updates_app::*;
use common::*;
use lunette_test::{Sent, Tab};
use serde_json::json;

#[test]
fn properties_are_not_echoed_to_the_setter_but_reach_other_watchers() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.set_properties(1, json!({"viewdef": "App.DEFAULT"}));
    first.advance(FLUSH);
    first.expect_nothing();
    second.expect(&[app_with(&[("viewdef", "App.DEFAULT")])]);
}

#[test]
fn properties_set_on_an_own_variable_are_not_echoed() {
    let mut tab = Tab::open(APP);
    let pet = tab.bind(1, "pet", "r");
    tab.expect(&[Sent::update(pet, json!({"obj": 3}), &[("type", "Pet")])]);
    tab.set_properties(pet, json!({"viewdef": "Pet.DEFAULT", "elementId": "ui-9"}));
    tab.advance(FLUSH);
    tab.expect_nothing();
    assert_eq!(tab.variables()[1]["properties"]["viewdef"], "Pet.DEFAULT");
}

#[test]
fn a_written_value_read_back_unchanged_is_not_echoed() {
    let mut tab = Tab::open(APP);
    let name = tab.create(1, "name");
    tab.expect_update(name, "Ada");
    tab.write(name, "Bob");
    tab.advance(ms(100));
    tab.expect_nothing();
    assert_eq!(tab.variables()[1]["value"], "Bob", "the write happened");
}

#[test]
fn a_written_number_read_back_unchanged_is_not_echoed() {
    let mut tab = Tab::open(APP);
    let count = tab.create(1, "count");
    tab.expect_update(count, 1);
    tab.write(count, 2.5);
    tab.write(count, 7);
    tab.advance(ms(100));
    tab.expect_nothing();
}

#[test]
fn a_value_the_app_normalised_is_sent_back() {
    let mut tab = Tab::open(APP);
    let upper = tab.create(1, "upper()");
    tab.advance(FLUSH);
    tab.expect_nothing(); // nil at first
    tab.write(upper, "bob");
    tab.expect_update(upper, "BOB");
    tab.write(upper, "BOB");
    tab.advance(FLUSH);
    tab.expect_nothing(); // already upper case: read back as written
}

#[test]
fn an_error_is_dropped_when_its_variables_value_is_re_sent_after_it() {
    let mut tab = Tab::open(APP);
    let strict = tab.create(1, "strict()");
    tab.expect_update(strict, "init");
    tab.write(strict, "x");
    // The setter stored x before failing: the value re-sent replaces the error.
    tab.expect_update(strict, "x");
}

#[test]
fn an_error_stays_when_its_variables_value_is_not_re_sent() {
    let mut tab = Tab::open(APP);
    let strict = tab.create(1, "strict()");
    tab.take();
    tab.write(strict, "x");
    tab.take();
    tab.write(strict, "x");
    assert_eq!(tab.expect_error(), ("lua-error".to_owned(), Some(strict)));
}

#[test]
fn a_new_path_re_evaluates_the_variable() {
    let mut tab = Tab::open(APP);
    let variable = tab.create(1, "name");
    tab.take();
    tab.set_properties(variable, json!({"path": "city"}));
    // The new value, not the path the sender set.
    tab.expect_update(variable, "Paris");
}

#[test]
fn an_access_change_to_r_makes_writes_access_denied() {
    let mut tab = Tab::open(APP);
    let name = tab.create(1, "name");
    tab.expect_update(name, "Ada");
    tab.together(|t| {
        t.set_properties(name, json!({"access": "r"}));
        t.write(name, "Bob");
    });
    assert_eq!(tab.expect_error(), ("access-denied".to_owned(), Some(name)));
    assert_eq!(tab.variables()[1]["value"], "Ada");
}
