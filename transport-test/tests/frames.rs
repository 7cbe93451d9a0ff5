//! Inbound frames, error replies and the shape of outbound frames (docs/protocol.md §3.2–§3.4,
//! §4.6): the three shapes a frame may take, the error each malformed message gets while the
//! others still run, and one frame per flush, an object or an array, or none.

mod common;

use common::*;
use serde_json::json;

const APP: &str = r#"
app = {type = "App", name = "Ada", city = "Paris"}
session:createAppVariable(app)
"#;

fn create_name(id: i64) -> serde_json::Value {
    create(id, 1, json!({"path": "name", "elementId": "ui-1"}))
}

const NAME_2: &str = r#"{"type":"update","data":{"varId":2,"value":"Ada"}}"#;

#[test]
fn a_batch_object_is_accepted() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[create_name(2)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab), [NAME_2]);
}

#[test]
fn a_batch_without_user_event_is_accepted() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &json!({"messages": [create_name(2)]}).to_string());
    assert_eq!(
        h.frames(tab),
        [NAME_2],
        "answered within the step all the same"
    );
}

#[test]
fn a_single_message_object_is_accepted() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &create_name(2).to_string());
    h.advance(FLUSH);
    assert_eq!(h.frames(tab), [NAME_2]);
}

#[test]
fn a_bare_array_of_messages_is_accepted() {
    let (mut h, _sid, tab) = open(APP);
    let list = json!([create_name(2), bind(3, 1, "city", "r")]);
    h.send(tab, &list.to_string());
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [
            r#"[{"type":"update","data":{"varId":2,"value":"Ada"}},{"type":"update","data":{"varId":3,"value":"Paris"}}]"#
        ]
    );
}

#[test]
fn a_single_message_is_never_a_user_event() {
    let (mut h, _sid, tab) = open(APP);
    let mut message = create_name(2);
    message["userEvent"] = json!(true);
    h.send(tab, &message.to_string());
    // Every step flushes (§4.5), so whether a frame is a user event no longer shows.
    assert_eq!(h.frames(tab), [NAME_2]);
}

#[test]
fn a_bare_array_is_never_a_user_event() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &json!([create_name(2)]).to_string());
    assert_eq!(h.frames(tab), [NAME_2]);
}

#[test]
fn invalid_json_yields_one_bad_json_error_and_the_connection_stays_open() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, r#"{"userEvent":false,"messages":[{"type":"create""#);
    h.advance(FLUSH);
    assert_eq!(only_error(&mut h, tab), ("bad-json".to_owned(), None));
    assert_eq!(h.close_code(tab), None, "the connection stays open");
    h.send(tab, &batch(&[create_name(2)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab), [NAME_2], "the next frame runs");
}

#[test]
fn a_frame_of_another_top_level_value_is_one_bad_message() {
    let (mut h, _sid, tab) = open(APP);
    for text in ["42", r#""create""#, "null", "true"] {
        h.send(tab, text);
        h.advance(FLUSH);
        assert_eq!(
            only_error(&mut h, tab),
            ("bad-message".to_owned(), None),
            "{text}"
        );
    }
}

#[test]
fn a_non_boolean_user_event_is_one_bad_message_and_nothing_of_the_frame_runs() {
    let frame = json!({"userEvent": "yes", "messages": [create_name(2)]});
    assert_eq!(
        refused(APP, &frame.to_string()),
        ("bad-message".to_owned(), None)
    );
}

#[test]
fn a_non_array_messages_is_one_bad_message_and_nothing_of_the_frame_runs() {
    let frame = json!({"userEvent": true, "messages": {"0": create_name(2)}});
    assert_eq!(
        refused(APP, &frame.to_string()),
        ("bad-message".to_owned(), None)
    );
}

#[test]
fn an_unknown_type_yields_unknown_type_and_the_next_message_still_runs() {
    let (mut h, _sid, tab) = open(APP);
    let unknown = json!({"type": "frobnicate", "data": {"varId": 1}});
    h.send(tab, &batch(&[unknown, create_name(2)]));
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0], value_update(2, json!("Ada")));
    assert_eq!(error_of(&received[1]).0, "unknown-type");
}

#[test]
fn a_failing_message_does_not_stop_the_next_ones() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            json!("not a message"),
            json!({"type": "watch"}),
            json!({"type": 7, "data": {}}),
            create_name(2),
        ]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 4, "{received:?}");
    assert_eq!(received[0], value_update(2, json!("Ada")));
    for error in &received[1..] {
        assert_eq!(error_of(error).0, "bad-message");
    }
}

#[test]
fn create_without_id_is_bad_message_and_creates_nothing() {
    let message =
        json!({"type": "create", "data": {"parentId": 1, "properties": {"path": "name"}}});
    assert_eq!(refused(APP, &batch(&[message])).0, "bad-message");
}

#[test]
fn create_with_a_non_string_property_is_bad_message_and_creates_nothing() {
    let message = create(2, 1, json!({"path": "name", "elementId": 12}));
    assert_eq!(
        refused(APP, &batch(&[message])),
        ("bad-message".to_owned(), Some(2))
    );
}

#[test]
fn create_without_path_is_bad_message_and_creates_nothing() {
    for message in [
        create(2, 1, json!({"access": "r"})),
        create(2, 1, json!({"path": ""})),
        create(2, 1, json!({})),
        json!({"type": "create", "data": {"id": 2, "parentId": 1}}),
    ] {
        assert_eq!(
            refused(APP, &batch(std::slice::from_ref(&message))),
            ("bad-message".to_owned(), Some(2)),
            "{message}"
        );
    }
}

#[test]
fn create_with_an_invalid_access_is_bad_message_and_creates_nothing() {
    assert_eq!(
        refused(APP, &batch(&[bind(2, 1, "name", "read")])),
        ("bad-message".to_owned(), Some(2))
    );
}

#[test]
fn create_with_an_unparsable_path_is_path_failure_and_creates_nothing() {
    for path in ["a..b", "name.", "f(", "g(x)"] {
        assert_eq!(
            refused(APP, &batch(&[bind(2, 1, path, "r")])),
            ("path-failure".to_owned(), Some(2)),
            "{path}"
        );
    }
}

#[test]
fn update_of_an_unknown_id_is_not_found_with_that_var_id() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[write(9, json!("x"))]));
    h.advance(FLUSH);
    assert_eq!(only_error(&mut h, tab), ("not-found".to_owned(), Some(9)));
    h.send(tab, &batch(&[set_properties(-3, json!({"a": "b"}))]));
    h.advance(FLUSH);
    assert_eq!(only_error(&mut h, tab), ("not-found".to_owned(), Some(-3)));
}

#[test]
fn watch_of_an_unknown_id_is_not_found_with_that_var_id() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[watch(9)]));
    h.advance(FLUSH);
    assert_eq!(only_error(&mut h, tab), ("not-found".to_owned(), Some(9)));
    h.send(tab, &batch(&[watch(-1)]));
    h.advance(FLUSH);
    assert_eq!(only_error(&mut h, tab), ("not-found".to_owned(), Some(-1)));
}

#[test]
fn another_tabs_client_variable_is_not_found() {
    let (mut h, sid, first) = open(APP);
    let second = tab(&mut h, &sid);
    h.send(first, &batch(&[create_name(2)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(first), [NAME_2]);
    h.send(second, &batch(&[watch(2)]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, second),
        ("not-found".to_owned(), Some(2))
    );
    h.send(second, &batch(&[write(2, json!("Bob"))]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, second),
        ("not-found".to_owned(), Some(2))
    );
    assert!(
        h.frames(first).is_empty(),
        "the first tab's variable is untouched"
    );
}

#[test]
fn create_under_an_unknown_parent_is_not_found_and_creates_nothing() {
    assert_eq!(
        refused(APP, &batch(&[bind(2, 7, "name", "r")])).0,
        "not-found"
    );
}

#[test]
fn create_reusing_a_live_id_is_duplicate_id() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[create_name(2)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab), [NAME_2]);
    h.send(tab, &batch(&[bind(2, 1, "city", "r")]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, tab),
        ("duplicate-id".to_owned(), Some(2))
    );
    let variables = h.variables(&sid);
    assert_eq!(variables.as_array().map(Vec::len), Some(2));
    assert_eq!(variables[1]["path"], "name", "the first variable 2 stays");
}

#[test]
fn create_with_id_1_is_duplicate_id() {
    assert_eq!(
        refused(APP, &batch(&[bind(1, 1, "name", "r")])),
        ("duplicate-id".to_owned(), Some(1))
    );
}

#[test]
fn errors_leave_in_the_same_flush_as_the_other_replies() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[create_name(2), write(9, json!("x"))]));
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0], value_update(2, json!("Ada")));
    assert_eq!(error_of(&received[1]), ("not-found".to_owned(), Some(9)));
}

#[test]
fn an_error_alone_leaves_at_the_end_of_its_step() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[watch(9)]));
    assert_eq!(only_error(&mut h, tab), ("not-found".to_owned(), Some(9)));
}

#[test]
fn errors_of_a_user_event_leave_within_its_step() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &user_batch(&[create_name(2), write(9, json!("x"))]));
    let received = one_frame(&mut h, tab);
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0], value_update(2, json!("Ada")));
    assert_eq!(error_of(&received[1]), ("not-found".to_owned(), Some(9)));
}

#[test]
fn destroys_and_errors_leave_in_the_order_they_arose() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[create_name(2), bind(3, 1, "city", "r")]));
    h.advance(FLUSH);
    h.frames(tab);
    h.send(
        tab,
        &batch(&[write(9, json!("x")), destroy(2), watch(8), destroy(3)]),
    );
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    let kinds: Vec<(String, i64)> = received
        .iter()
        .map(|m| {
            (
                m["type"].as_str().unwrap_or_default().to_owned(),
                m["data"]["varId"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [("error", 9), ("destroy", 2), ("error", 8), ("destroy", 3)];
    assert_eq!(
        kinds,
        expected.map(|(kind, id)| (kind.to_owned(), id)),
        "{received:?}"
    );
}

#[test]
fn one_pending_message_is_sent_as_an_object() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[create_name(2)]));
    h.advance(FLUSH);
    let frames = h.frames(tab);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].starts_with('{'), "{frames:?}");
}

#[test]
fn several_pending_messages_are_sent_as_one_array() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[create_name(2), bind(3, 1, "city", "r")]));
    assert_eq!(
        h.frames(tab),
        [
            r#"[{"type":"update","data":{"varId":2,"value":"Ada"}},{"type":"update","data":{"varId":3,"value":"Paris"}}]"#
        ]
    );
}

#[test]
fn nothing_pending_sends_no_frame() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[]));
    h.send(tab, &batch(&[unwatch(5), destroy(6)]));
    h.send(tab, &batch(&[bind(2, 1, "missing", "r")]));
    h.send(tab, &user_batch(&[]));
    h.advance(ms(1000));
    assert!(h.frames(tab).is_empty(), "never an empty array");
}

#[test]
fn update_with_a_non_string_property_is_bad_message_and_changes_nothing() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[create_name(2)]));
    h.advance(FLUSH);
    h.frames(tab);
    let message = json!({"type": "update", "data": {"varId": 2, "value": "Bob", "properties": {"viewdef": "X", "n": 1}}});
    h.send(tab, &batch(&[message]));
    h.advance(FLUSH);
    assert_eq!(only_error(&mut h, tab), ("bad-message".to_owned(), Some(2)));
    let variables = h.variables(&sid);
    assert_eq!(
        variables[1]["value"], "Ada",
        "the value was not written either"
    );
    assert_eq!(variables[1]["properties"].get("viewdef"), None);
}

#[test]
fn create_with_an_id_below_1_is_bad_message() {
    for id in [0, -2] {
        assert_eq!(
            refused(APP, &batch(&[bind(id, 1, "name", "r")])).0,
            "bad-message",
            "id {id}"
        );
    }
}

#[test]
fn integral_floats_count_as_integer_ids() {
    let (mut h, _sid, tab) = open(APP);
    let message = json!({"type": "create", "data": {"id": 2.0, "parentId": 1.0, "properties": {"path": "name"}}});
    h.send(
        tab,
        &batch(&[message, json!({"type": "watch", "data": {"varId": 2e0}})]),
    );
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"Ada","properties":{"path":"name"}}}"#]
    );
    h.send(
        tab,
        &batch(&[json!({"type": "watch", "data": {"varId": 2.5}})]),
    );
    h.advance(FLUSH);
    assert_eq!(only_error(&mut h, tab).0, "bad-message");
}

#[test]
fn unknown_members_are_ignored() {
    let (mut h, _sid, tab) = open(APP);
    let message = json!({
        "type": "create", "extra": [1],
        "data": {"id": 2, "parentId": 1, "widget": "input", "unbound": true, "value": "x",
                 "properties": {"path": "name"}}
    });
    let frame = json!({"userEvent": false, "messages": [message], "sequence": 4});
    h.send(tab, &frame.to_string());
    h.advance(FLUSH);
    assert_eq!(h.frames(tab), [NAME_2]);
}

#[test]
fn an_update_cycle_follows_every_frame_even_an_empty_or_failed_one() {
    let (mut h, _sid, tab) = open(
        r#"app = {type = "App"}
        function app.probe(self) print("probe") return 1 end
        session:createAppVariable(app)"#,
    );
    h.send(tab, &batch(&[bind(2, 1, "probe()", "r")]));
    for frame in [
        batch(&[]),
        "{oops".to_owned(),
        "7".to_owned(),
        batch(&[watch(9)]),
    ] {
        let before = count_logs(&h, "probe");
        h.send(tab, &frame);
        assert_eq!(count_logs(&h, "probe"), before + 1, "after {frame}");
    }
}
