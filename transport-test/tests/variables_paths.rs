//! Variables: paths, access modes, errors and value JSON (docs/protocol.md §5.1–§5.8).

mod common;

use common::variables_app::*;
use common::*;
use lunette_test::Harness;
use serde_json::json;

// --- §5.1, §5.3: indices and calls, read and written -----------------------------------------

#[test]
fn an_index_reads_the_lua_element_one_higher() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "items.0", "r"),
            bind(3, 1, "items.1", "r"),
            bind(4, 1, "items.2", "r"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [
            value_update(2, json!("first")),
            value_update(3, json!("second"))
        ]
    );
}

#[test]
fn writing_an_index_rawsets_the_element() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "items.2", "rw"), bind(3, 1, "items", "r")]),
    );
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [value_update(3, json!(["first", "second"]))]
    );
    h.send(tab, &batch(&[write(2, json!("third"))]));
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [value_update(3, json!(["first", "second", "third"]))],
        "rawset: __newindex would have stored \"hooked\" and echoed it"
    );
}

#[test]
fn reading_a_call_calls_the_method_without_argument() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "greet()", "r")]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"hello"}}"#]
    );
    assert!(count_logs(&h, "greet 0 nil") >= 1);
    assert_eq!(count_logs(&h, "greet 1 nil"), 0);
}

#[test]
fn writing_an_rw_call_passes_the_value() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "greet()", "rw")]));
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[write(2, json!("hi"))]));
    assert_eq!(count_logs(&h, "greet 1 hi"), 1);
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty(), "read back as written");
}

#[test]
fn writing_an_action_call_passes_nothing() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "go()", "action")]));
    h.send(tab, &batch(&[write(2, json!("ignored"))]));
    h.send(tab, &batch(&[write(2, json!(null))]));
    assert_eq!(count_logs(&h, "go 0"), 2);
    assert_eq!(count_logs(&h, "go 1"), 0);
    h.advance(FLUSH);
    assert!(
        h.frames(tab).is_empty(),
        "actions are not evaluated or sent"
    );
}

#[test]
fn writing_a_setter_passes_the_value() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "setName(_)", "w"), bind(3, 1, "name", "r")]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[write(2, json!("Bob"))]));
    assert_eq!(count_logs(&h, "setName 1"), 1);
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":3,"value":"Bob"}}"#]
    );
}

// --- §5.2: access modes and the path endings they allow --------------------------------------

#[test]
fn a_setter_with_r_or_rw_is_access_denied_and_creates_nothing() {
    for properties in [
        json!({"path": "setName(_)", "access": "r"}),
        json!({"path": "setName(_)", "access": "rw"}),
        json!({"path": "setName(_)"}),
    ] {
        assert_eq!(
            refused(APP, &batch(&[create(2, 1, properties.clone())])),
            ("access-denied".to_owned(), Some(2)),
            "{properties}"
        );
    }
}

#[test]
fn a_call_with_w_is_access_denied_and_creates_nothing() {
    assert_eq!(
        refused(APP, &batch(&[bind(2, 1, "greet()", "w")])),
        ("access-denied".to_owned(), Some(2))
    );
}

#[test]
fn a_setter_before_the_end_is_path_failure() {
    assert_eq!(
        refused(APP, &batch(&[bind(2, 1, "child(_).x", "action")])),
        ("path-failure".to_owned(), Some(2))
    );
}

#[test]
fn the_action_mode_accepts_both_endings() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "go()", "action"),
            bind(3, 1, "setName(_)", "action"),
        ]),
    );
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    assert_eq!(variable_ids(&mut h, &sid), [1, 2, 3]);
}

#[test]
fn an_update_to_a_forbidden_combination_is_access_denied_and_changes_nothing() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "greet()", "r"), bind(3, 1, "name", "rw")]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    h.send(
        tab,
        &batch(&[
            set_properties(2, json!({"access": "w", "viewdef": "X"})),
            set_properties(3, json!({"path": "setName(_)"})),
        ]),
    );
    let received = one_frame(&mut h, tab);
    assert_eq!(
        error_of(&received[0]),
        ("access-denied".to_owned(), Some(2))
    );
    assert_eq!(
        error_of(&received[1]),
        ("access-denied".to_owned(), Some(3))
    );
    let variables = h.variables(&sid);
    assert_eq!(variables[1]["access"], "r");
    assert_eq!(
        variables[1]["properties"].get("viewdef"),
        None,
        "the whole message is rejected"
    );
    assert_eq!(variables[2]["path"], "name");
}

#[test]
fn writing_an_r_variable_is_access_denied() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name", "r")]));
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[write(2, json!("Bob"))]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, tab),
        ("access-denied".to_owned(), Some(2))
    );
    assert_eq!(h.variables(&sid)[1]["value"], "Ada");
}

#[test]
fn writing_variable_1_is_access_denied() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[write(1, json!({"name": "Bob"}))]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, tab),
        ("access-denied".to_owned(), Some(1))
    );
}

// --- §5.1, §5.3: climbing with .., and nil on the way ----------------------------------------

#[test]
fn dot_dot_reads_from_the_grandparent() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "child", "r"),
            bind(3, 2, "..x", "r"),
            bind(4, 2, "x", "r"),
            bind(5, 2, "..", "r"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received[1], value_update(3, json!("app x")));
    assert_eq!(received[2], value_update(4, json!("child x")));
    assert_eq!(
        received[3],
        json!({"type": "update", "data": {"varId": 5, "value": {"obj": 2}, "properties": {"type": "App"}}})
    );
}

#[test]
fn going_above_a_root_is_path_failure() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "..x", "r"),
            bind(3, 1, "child", "r"),
            bind(4, 3, "....x", "r"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 3, "{received:?}");
    assert_eq!(received[0]["data"]["varId"], 3);
    assert_eq!(error_of(&received[1]), ("path-failure".to_owned(), Some(2)));
    assert_eq!(error_of(&received[2]), ("path-failure".to_owned(), Some(4)));
    assert_eq!(
        variable_ids(&mut h, &sid),
        [1, 2, 3, 4],
        "created, in error"
    );
}

#[test]
fn reading_through_nil_is_null_without_error() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "missing.deeper.still", "r"),
            bind(3, 1, "missing.call()", "r"),
        ]),
    );
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty());
    let variables = h.variables(&sid);
    assert_eq!(variables[1]["error"], json!(null));
    assert_eq!(variables[2]["error"], json!(null));
}

#[test]
fn indexing_a_non_table_or_calling_a_non_function_is_path_failure() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "name.x", "r"), bind(3, 1, "name()", "r")]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(error_of(&received[0]), ("path-failure".to_owned(), Some(2)));
    assert_eq!(error_of(&received[1]), ("path-failure".to_owned(), Some(3)));
}

#[test]
fn writing_through_nil_is_path_failure() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "missing.deeper", "rw")]));
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    h.send(tab, &batch(&[write(2, json!("x"))]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, tab),
        ("path-failure".to_owned(), Some(2))
    );
}

// --- §5.8, §7.8: Lua errors in actions and getters -------------------------------------------

#[test]
fn a_lua_error_in_an_action_is_lua_error_and_earlier_changes_are_still_sent() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "count", "r"), bind(3, 1, "fail()", "action")]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0], value_update(2, json!(2)));
    assert_eq!(error_of(&received[1]), ("lua-error".to_owned(), Some(3)));
    let description = received[1]["data"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        description.starts_with("lua/main.lua:") && description.ends_with("boom"),
        "{description}"
    );
}

/// Each tab binds 2 to `fragile()` and 3, 4, 5 to the actions that break and fix it.
fn fragile_tabs() -> (Harness, lunette_core::ConnId, lunette_core::ConnId) {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    for tab in [first, second] {
        h.send(
            tab,
            &batch(&[
                bind(2, 1, "fragile()", "r"),
                bind(3, 1, "breakIt()", "action"),
                bind(4, 1, "fixIt()", "action"),
                bind(5, 1, "breakOtherwise()", "action"),
            ]),
        );
    }
    h.advance(FLUSH);
    for tab in [first, second] {
        assert_eq!(
            h.frames(tab),
            [r#"{"type":"update","data":{"varId":2,"value":"fine"}}"#]
        );
    }
    (h, first, second)
}

#[test]
fn a_failing_getter_yields_one_error_per_watcher_not_one_per_cycle() {
    let (mut h, first, second) = fragile_tabs();
    h.send(first, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    for tab in [first, second] {
        assert_eq!(only_error(&mut h, tab), ("lua-error".to_owned(), Some(2)));
    }
    for _ in 0..3 {
        h.send(first, &batch(&[]));
        h.send(second, &batch(&[write(3, json!(null))]));
        h.advance(FLUSH);
    }
    assert!(
        h.frames(first).is_empty(),
        "the error state is not re-sent every cycle"
    );
    assert!(h.frames(second).is_empty());
}

#[test]
fn a_changed_error_is_sent_again() {
    let (mut h, first, second) = fragile_tabs();
    h.send(first, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    h.frames(first);
    h.frames(second);
    h.send(first, &batch(&[write(5, json!(null))]));
    h.advance(FLUSH);
    let received = one_frame(&mut h, first);
    assert_eq!(error_of(&received[0]), ("lua-error".to_owned(), Some(2)));
    assert!(
        received[0]["data"]["description"]
            .as_str()
            .is_some_and(|d| d.ends_with("broken: twice")),
        "{received:?}"
    );
}

#[test]
fn recovery_re_sends_the_unchanged_value_to_each_watcher() {
    let (mut h, first, second) = fragile_tabs();
    h.send(first, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    h.frames(first);
    h.frames(second);
    h.send(second, &batch(&[write(4, json!(null))]));
    h.advance(FLUSH);
    for tab in [first, second] {
        assert_eq!(
            h.frames(tab),
            [r#"{"type":"update","data":{"varId":2,"value":"fine"}}"#]
        );
    }
    h.send(first, &batch(&[]));
    h.advance(FLUSH);
    assert!(h.frames(first).is_empty());
}

#[test]
fn a_watch_of_a_variable_in_error_sends_its_properties_and_the_error() {
    let (mut h, first, _second) = fragile_tabs();
    h.send(first, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    h.frames(first);
    h.send(first, &batch(&[watch(2)]));
    h.advance(FLUSH);
    let received = one_frame(&mut h, first);
    assert_eq!(
        received[0],
        json!({"type": "update", "data": {"varId": 2, "properties": {"access": "r", "path": "fragile()"}}}),
        "no value while in error"
    );
    assert_eq!(error_of(&received[1]), ("lua-error".to_owned(), Some(2)));
}

// --- §5.5, §5.6, §6.3: value JSON, object ids, type, the variable limit ----------------------

#[test]
fn values_encode_as_section_5_5_says() {
    let (mut h, _sid, tab) = open(
        r#"
        enc = {
          empty = {}, typed = {type = "T"}, arr = {1, "two", true}, holes = {[1] = 1, [3] = 3},
          under = {10, 20, _n = 2}, nested = {{1}, {}}, five = 5.0, big = 1e21, small = 1e-7,
          negzero = -0.0, int = 42, half = 0.5, str = "q\"b\\s/<é>\n", mixed = {1, x = 2},
          fn = function() end, no = false,
        }
        session:createAppVariable({type = "App", enc = enc})
        "#,
    );
    let names = [
        "empty", "typed", "arr", "holes", "under", "nested", "five", "big", "small", "negzero",
        "int", "half", "str", "mixed", "fn", "no",
    ];
    let creates: Vec<_> = names
        .iter()
        .zip(2..)
        .map(|(name, id)| bind(id, 1, &format!("enc.{name}"), "r"))
        .collect();
    h.send(tab, &batch(&creates));
    h.advance(FLUSH);
    let frames = h.frames(tab);
    let values: Vec<&str> = [
        r#"{"type":"update","data":{"varId":2,"value":{"obj":3}}}"#,
        r#"{"type":"update","data":{"varId":3,"value":{"obj":4},"properties":{"type":"T"}}}"#,
        r#"{"type":"update","data":{"varId":4,"value":[1,"two",true]}}"#,
        r#"{"type":"update","data":{"varId":5,"value":[1,null,3]}}"#,
        r#"{"type":"update","data":{"varId":6,"value":[10,20]}}"#,
        r#"{"type":"update","data":{"varId":7,"value":[[1],{"obj":5}]}}"#,
        r#"{"type":"update","data":{"varId":8,"value":5}}"#,
        r#"{"type":"update","data":{"varId":9,"value":1e+21}}"#,
        r#"{"type":"update","data":{"varId":10,"value":1e-7}}"#,
        r#"{"type":"update","data":{"varId":11,"value":0}}"#,
        r#"{"type":"update","data":{"varId":12,"value":42}}"#,
        r#"{"type":"update","data":{"varId":13,"value":0.5}}"#,
        r#"{"type":"update","data":{"varId":14,"value":"q\"b\\s/<é>\n"}}"#,
        r#"{"type":"update","data":{"varId":15,"value":{"obj":6}}}"#,
        r#"{"type":"update","data":{"varId":16,"value":{"obj":7}}}"#,
        r#"{"type":"update","data":{"varId":17,"value":false}}"#,
    ]
    .to_vec();
    assert_eq!(frames, [format!("[{}]", values.join(","))]);
}

#[test]
fn nan_gives_path_failure_and_keeps_the_last_value() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "ratio", "r"),
            bind(3, 1, "nanify()", "action"),
            bind(4, 1, "restore()", "action"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":1}}"#]
    );
    h.send(tab, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, tab),
        ("path-failure".to_owned(), Some(2))
    );
    assert_eq!(h.variables(&sid)[1]["value"], 1, "the last value stays");
    h.send(tab, &batch(&[write(4, json!(null))]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":2}}"#]
    );
}

#[test]
fn infinity_gives_path_failure_and_keeps_the_last_value() {
    let (mut h, sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "ratio", "r"), bind(3, 1, "infinify()", "action")]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[write(3, json!(null))]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, tab),
        ("path-failure".to_owned(), Some(2))
    );
    assert_eq!(h.variables(&sid)[1]["value"], 1);
}

#[test]
fn object_ids_start_at_2_and_are_stable_across_variables_and_time() {
    const OBJECTS: &str = r#"
        app = {type = "App", pet = {type = "Pet"}, spare = {type = "Pet"}}
        app.alias = app.pet
        function app.swap(self) self.pet, self.spare = self.spare, self.pet end
        session:createAppVariable(app)
    "#;
    let (mut h, sid, tab) = open(OBJECTS);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "pet", "r"),
            bind(3, 1, "alias", "r"),
            bind(4, 1, "swap()", "action"),
        ]),
    );
    h.advance(FLUSH);
    let pet = |id: i64, obj: i64| json!({"type": "update", "data": {"varId": id, "value": {"obj": obj}, "properties": {"type": "Pet"}}});
    assert_eq!(one_frame(&mut h, tab), [pet(2, 3), pet(3, 3)]);
    h.send(tab, &batch(&[write(4, json!(null))]));
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, tab), [value_update(2, json!({"obj": 4}))]);
    h.send(tab, &batch(&[write(4, json!(null))]));
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, tab), [value_update(2, json!({"obj": 3}))]);

    let other = h.create_session();
    assert_ne!(other, sid);
    let other_tab = h.connect(&other);
    h.send(other_tab, &batch(&[watch(1), bind(2, 1, "spare", "r")]));
    h.advance(FLUSH);
    let received = one_frame(&mut h, other_tab);
    assert_eq!(
        received[0]["data"]["value"],
        json!({"obj": 2}),
        "each session starts at 2"
    );
    assert_eq!(received[1], pet(2, 3));
}

#[test]
fn type_comes_from_the_metatable_then_the_table_itself() {
    let (mut h, _sid, tab) = open(
        r#"
        Proto = {type = "Proto"}
        Proto.__index = Proto
        t = {
          meta = setmetatable({type = "Own"}, {type = "Meta"}),
          own = {type = "Own"},
          proto = setmetatable({}, Proto),
          shadowed = setmetatable({type = "Own"}, Proto),
          number = {type = 7},
          inherited = setmetatable({}, setmetatable({}, {__index = {type = "Deep"}})),
          fallback = setmetatable({type = "Own"}, {type = {}}),
        }
        session:createAppVariable({type = "App", t = t})
        "#,
    );
    let cases = [
        ("meta", "Meta"),
        ("own", "Own"),
        ("proto", "Proto"),
        ("shadowed", "Proto"),
        ("number", "7"),
        ("inherited", "Deep"),
        ("fallback", "Own"),
    ];
    let creates: Vec<_> = cases
        .iter()
        .zip(2..)
        .map(|((name, _), id)| bind(id, 1, &format!("t.{name}"), "r"))
        .collect();
    h.send(tab, &batch(&creates));
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    let types: Vec<&str> = received
        .iter()
        .map(|m| m["data"]["properties"]["type"].as_str().unwrap_or("<none>"))
        .collect();
    assert_eq!(types, cases.map(|(_, t)| t));
}

#[test]
fn create_beyond_max_variables_is_limit_exceeded() {
    let config = lunette_core::Config {
        max_variables: 3,
        ..lunette_core::Config::default()
    };
    let (mut h, sid, tab) = open_with(Harness::new(lunette_test::site_with_main(APP), config, 1));
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "name", "r"),
            bind(3, 1, "count", "r"),
            bind(4, 1, "x", "r"),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 3, "{received:?}");
    assert_eq!(
        received[..2],
        [value_update(2, json!("Ada")), value_update(3, json!(1))]
    );
    assert_eq!(
        error_of(&received[2]),
        ("limit-exceeded".to_owned(), Some(4))
    );
    assert_eq!(variable_ids(&mut h, &sid), [1, 2, 3]);
    h.send(tab, &batch(&[destroy(3), bind(4, 1, "x", "r")]));
    h.advance(FLUSH);
    assert_eq!(
        one_frame(&mut h, tab),
        [
            value_update(4, json!("app x")),
            json!({"type": "destroy", "data": {"varId": 3}})
        ]
    );
}
