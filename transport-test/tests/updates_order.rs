//! The order of updates in a frame: high, medium, then low priority, each in tree order; and
//! the priority suffixes of property names (docs/protocol.md §4.6, §5.4).

mod common;

use common::updates_app::*;
use lunette_test::{Sent, Tab};
use serde_json::json;

#[test]
fn updates_go_high_then_medium_then_low() {
    let mut tab = Tab::open(APP);
    let [name, city, count, pet_name] = tab.together(|t| {
        [
            t.create_with(1, json!({"path": "name", "priority": "low"})),
            t.create_with(1, json!({"path": "city", "priority": "high"})),
            t.create(1, "count"),
            t.create_with(1, json!({"path": "pet.name", "priority": "med"})),
        ]
    });
    tab.expect(&[
        Sent::value(city, "Paris"),
        Sent::value(count, 1),
        Sent::value(pet_name, "Rex"),
        Sent::value(name, "Ada"),
    ]);
}

#[test]
fn within_a_level_parents_go_before_children_and_siblings_in_creation_order() {
    let mut tab = Tab::open(APP);
    let [pet, name, pet_name, city] = tab.together(|t| {
        let pet = t.bind(1, "pet", "r");
        [
            pet,
            t.bind(1, "name", "r"),
            t.bind(pet, "name", "r"),
            t.bind(1, "city", "r"),
        ]
    });
    tab.expect(&[
        Sent::update(pet, json!({"obj": 3}), &[("type", "Pet")]),
        Sent::value(pet_name, "Rex"),
        Sent::value(name, "Ada"),
        Sent::value(city, "Paris"),
    ]);
}

#[test]
fn suffixes_in_update_set_priorities_and_names_go_out_bare() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.set_properties(
        1,
        json!({"x:low": "1", "y:HIGH": "2", "z": "3", "w:med": "4", "v:medium": "5"}),
    );
    second.expect(&[
        app_with(&[("y", "2")]),
        app_with(&[("v", "5"), ("w", "4"), ("z", "3")]),
        app_with(&[("x", "1")]),
    ]);
}

#[test]
fn suffixes_in_create_set_priorities_and_names_are_stored_bare() {
    let mut tab = Tab::open(APP);
    let name = tab.create_nowatch(
        1,
        json!({"path:high": "name", "a:low": "1", "b:Med": "2", "c:medium": "3", "d": "4"}),
    );
    assert_eq!(
        tab.variables()[1]["properties"],
        json!({"path": "name", "a": "1", "b": "2", "c": "3", "d": "4"})
    );
    tab.watch(name);
    tab.expect(&[
        Sent::properties(name, &[("path", "name")]),
        Sent::update(name, json!("Ada"), &[("b", "2"), ("c", "3"), ("d", "4")]),
        Sent::update(name, json!("Ada"), &[("a", "1")]),
    ]);
}

#[test]
fn no_suffix_is_medium_even_over_an_earlier_high() {
    let (mut first, mut second) = Tab::open_pair(APP);
    first.set_properties(1, json!({"x:high": "1"}));
    second.expect(&[app_with(&[("x", "1")])]);
    first.set_properties(1, json!({"x": "2", "h:high": "h"}));
    second.expect(&[app_with(&[("h", "h")]), app_with(&[("x", "2")])]);
}
