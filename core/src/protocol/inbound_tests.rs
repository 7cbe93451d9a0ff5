//! Unit tests of inbound parsing (docs/protocol.md §3.2, §4.2–§4.4), one shape rule at a time.

use serde_json::Value;

use super::inbound::Frame;
use super::{ErrorCode, Message, WireError, parse_frame, parse_message};

fn frame(text: &str) -> Frame {
    parse_frame(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn frame_error(text: &str) -> WireError {
    match parse_frame(text) {
        Ok(frame) => panic!("{text}: parsed as {frame:?}"),
        Err(error) => error,
    }
}

fn message(json: &str) -> Result<Message, WireError> {
    let value: Value = serde_json::from_str(json).expect("test JSON is valid");
    parse_message(&value)
}

fn ok(json: &str) -> Message {
    message(json).unwrap_or_else(|error| panic!("{json}: {error}"))
}

/// The code and varId of the error `json` must give.
fn rejected(json: &str) -> (ErrorCode, Option<i64>) {
    match message(json) {
        Ok(message) => panic!("{json}: parsed as {message:?}"),
        Err(error) => (error.code, error.var_id),
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

const BAD: ErrorCode = ErrorCode::BadMessage;

#[test]
fn frame_batch_single_object_and_bare_array_are_accepted() {
    let batch = frame(r#"{"userEvent":true,"messages":[{"type":"watch"},7]}"#);
    assert!(batch.user_event);
    assert_eq!(
        batch.messages,
        [serde_json::json!({"type":"watch"}), 7.into()]
    );

    let single = frame(r#"{"type":"watch","data":{"varId":1}}"#);
    assert!(!single.user_event);
    assert_eq!(
        single.messages,
        [serde_json::json!({"type":"watch","data":{"varId":1}})]
    );

    let list = frame(r#"[{"type":"watch"},{"type":"unwatch"}]"#);
    assert!(!list.user_event);
    assert_eq!(list.messages.len(), 2);
}

#[test]
fn frame_user_event_defaults_to_false_and_messages_may_be_empty() {
    let batch = frame(r#"{"messages":[]}"#);
    assert!(!batch.user_event);
    assert!(batch.messages.is_empty());
    assert!(!frame(r#"{"userEvent":false,"messages":[]}"#).user_event);
    assert!(frame("[]").messages.is_empty());
}

#[test]
fn frame_user_event_without_messages_is_a_single_message() {
    let single = frame(r#"{"userEvent":true,"type":"watch"}"#);
    assert!(!single.user_event, "only a batch carries a user event");
    assert_eq!(single.messages.len(), 1);
}

#[test]
fn frame_invalid_json_is_one_bad_json_error() {
    for text in [
        "",
        " ",
        "{",
        "[1,]",
        "{}x",
        "nul",
        "{'a':1}",
        "[1] [2]",
        "\u{feff}[]",
    ] {
        let error = frame_error(text);
        assert_eq!(error.code, ErrorCode::BadJson, "{text:?}");
        assert_eq!(error.var_id, None, "{text:?}");
    }
}

#[test]
fn frame_deep_nesting_is_bad_json_not_a_stack_overflow() {
    let text = "[".repeat(100_000);
    assert_eq!(frame_error(&text).code, ErrorCode::BadJson);
    let text = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    assert_eq!(frame_error(&text).code, ErrorCode::BadJson);
}

#[test]
fn frame_other_top_level_values_are_bad_message() {
    for text in ["1", "7.5", "\"watch\"", "true", "null"] {
        let error = frame_error(text);
        assert_eq!((error.code, error.var_id), (BAD, None), "{text}");
    }
}

#[test]
fn frame_non_boolean_user_event_is_bad_message() {
    for user_event in ["1", "null", "\"true\"", "[]", "{}"] {
        let text = format!(r#"{{"userEvent":{user_event},"messages":[]}}"#);
        let error = frame_error(&text);
        assert_eq!((error.code, error.var_id), (BAD, None), "{text}");
    }
}

#[test]
fn frame_non_array_messages_is_bad_message() {
    for messages in ["{}", "null", "\"x\"", "1", "true"] {
        let text = format!(r#"{{"userEvent":true,"messages":{messages}}}"#);
        let error = frame_error(&text);
        assert_eq!((error.code, error.var_id), (BAD, None), "{text}");
    }
}

#[test]
fn section_3_2_examples_parse() {
    assert_eq!(
        ok(
            r#"{"type":"create","data":{"id":7,"parentId":3,"properties":{"path":"contact.email","access":"r","elementId":"ui-12"}}}"#
        ),
        Message::Create {
            id: 7,
            parent_id: 3,
            properties: pairs(&[
                ("access", "r"),
                ("elementId", "ui-12"),
                ("path", "contact.email")
            ]),
            nowatch: false,
        }
    );
    assert_eq!(
        ok(
            r#"{"type":"create","data":{"id":8,"parentId":3,"nowatch":true,"properties":{"path":"items?wrapper=lua.ViewList","elementId":"ui-13"}}}"#
        ),
        Message::Create {
            id: 8,
            parent_id: 3,
            properties: pairs(&[
                ("elementId", "ui-13"),
                ("path", "items?wrapper=lua.ViewList")
            ]),
            nowatch: true,
        }
    );
    assert_eq!(
        ok(r#"{"type":"update","data":{"varId":7,"value":"new text"}}"#),
        Message::Update {
            var_id: 7,
            value: Some("new text".into()),
            properties: None
        }
    );
    assert_eq!(
        ok(r#"{"type":"update","data":{"varId":9,"value":null}}"#),
        Message::Update {
            var_id: 9,
            value: Some(Value::Null),
            properties: None
        }
    );
    assert_eq!(
        ok(r#"{"type":"update","data":{"varId":4,"properties":{"viewdef":"Contact.DEFAULT"}}}"#),
        Message::Update {
            var_id: 4,
            value: None,
            properties: Some(pairs(&[("viewdef", "Contact.DEFAULT")]))
        }
    );
    assert_eq!(
        ok(r#"{"type":"destroy","data":{"varId":7}}"#),
        Message::Destroy { var_id: 7 }
    );
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":1}}"#),
        Message::Watch { var_id: 1 }
    );
}

#[test]
fn section_12_inbound_frames_parse() {
    let step_4 = frame(r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#);
    assert!(!step_4.user_event);
    assert_eq!(
        step_4
            .messages
            .iter()
            .map(parse_message)
            .collect::<Vec<_>>(),
        [Ok(Message::Watch { var_id: 1 })]
    );

    let step_6 = frame(
        r#"{"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"value1","access":"rw","elementId":"ui-1"}}},{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"value2","access":"rw","elementId":"ui-2"}}},{"type":"create","data":{"id":4,"parentId":1,"properties":{"path":"compute()","access":"r","elementId":"ui-3"}}}]}"#,
    );
    let created: Vec<Message> = step_6
        .messages
        .iter()
        .map(|message| parse_message(message).expect("step 6 parses"))
        .collect();
    assert_eq!(
        created,
        [
            (2, "rw", "ui-1", "value1"),
            (3, "rw", "ui-2", "value2"),
            (4, "r", "ui-3", "compute()")
        ]
        .map(|(id, access, element, path)| Message::Create {
            id,
            parent_id: 1,
            properties: pairs(&[("access", access), ("elementId", element), ("path", path)]),
            nowatch: false,
        })
    );

    for (var_id, text) in [(2, "2"), (3, "3")] {
        let step = frame(&format!(
            r#"{{"userEvent":false,"messages":[{{"type":"update","data":{{"varId":{var_id},"value":"{text}"}}}}]}}"#
        ));
        assert_eq!(
            parse_message(&step.messages[0]),
            Ok(Message::Update {
                var_id,
                value: Some(text.into()),
                properties: None
            })
        );
    }
}

#[test]
fn message_must_be_an_object() {
    for json in ["[]", "1", "null", "\"watch\"", "true"] {
        assert_eq!(rejected(json), (BAD, None), "{json}");
    }
}

#[test]
fn message_type_must_be_a_string() {
    for json in [
        r#"{"data":{"varId":1}}"#,
        r#"{"type":1,"data":{"varId":1}}"#,
        r#"{"type":null,"data":{"varId":1}}"#,
        r#"{"type":["watch"],"data":{"varId":1}}"#,
    ] {
        assert_eq!(rejected(json), (BAD, None), "{json}");
    }
}

#[test]
fn message_unknown_type_is_unknown_type() {
    for json in [
        r#"{"type":"Watch","data":{"varId":1}}"#,
        r#"{"type":"ping","data":{}}"#,
        r#"{"type":"","data":{"varId":1}}"#,
        r#"{"type":"ping"}"#,
        r#"{"type":"ping","data":3}"#,
    ] {
        assert_eq!(rejected(json), (ErrorCode::UnknownType, None), "{json}");
    }
}

#[test]
fn unknown_type_description_quotes_at_most_a_short_excerpt() {
    let long = "x".repeat(10_000);
    let error = message(&format!(r#"{{"type":"{long}","data":{{}}}}"#)).expect_err("unknown");
    assert!(error.description.len() < 100, "{}", error.description);
    assert!(error.description.ends_with("…\""), "{}", error.description);
    let error = message(r#"{"type":"pïng","data":{}}"#).expect_err("unknown");
    assert_eq!(error.description, "unknown message type \"pïng\"");
}

#[test]
fn message_data_must_be_an_object() {
    for json in [
        r#"{"type":"watch"}"#,
        r#"{"type":"watch","data":null}"#,
        r#"{"type":"watch","data":[1]}"#,
        r#"{"type":"create","data":"x"}"#,
    ] {
        assert_eq!(rejected(json), (BAD, None), "{json}");
    }
}

#[test]
fn ids_accept_integral_floats() {
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":7.0}}"#),
        Message::Watch { var_id: 7 }
    );
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":7e0}}"#),
        Message::Watch { var_id: 7 }
    );
    assert_eq!(
        ok(r#"{"type":"unwatch","data":{"varId":-3.0}}"#),
        Message::Unwatch { var_id: -3 }
    );
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":9007199254740992.0}}"#),
        Message::Watch {
            var_id: 9_007_199_254_740_992
        }
    );
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":9223372036854775807}}"#),
        Message::Watch { var_id: i64::MAX }
    );
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":-9223372036854775808}}"#),
        Message::Watch { var_id: i64::MIN }
    );
}

#[test]
fn floats_are_read_exactly() {
    // serde_json's default float parsing gets this one wrong by one (…594); core enables
    // its `float_roundtrip` feature.
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":7315540281778593.0}}"#),
        Message::Watch {
            var_id: 7_315_540_281_778_593
        }
    );
    let Message::Update {
        value: Some(value), ..
    } = ok(r#"{"type":"update","data":{"varId":2,"value":7315540281778593.5}}"#)
    else {
        panic!("an update with a value");
    };
    assert_eq!(value.as_f64(), Some(7_315_540_281_778_593.5_f64));
    let Message::Update {
        value: Some(value), ..
    } = ok(r#"{"type":"update","data":{"varId":2,"value":0.30000000000000004}}"#)
    else {
        panic!("an update with a value");
    };
    assert_eq!(value.as_f64(), Some(0.1 + 0.2));
}

#[test]
fn ids_reject_fractions_strings_and_huge_numbers() {
    for id in [
        "7.5",
        "\"7\"",
        "true",
        "null",
        "[7]",
        "{}",
        "9223372036854775808",
        "18446744073709551615",
        "-9223372036854775809",
        "1e19",
        "9007199254740994.0",
        "1e300",
    ] {
        for json in [
            format!(r#"{{"type":"watch","data":{{"varId":{id}}}}}"#),
            format!(r#"{{"type":"unwatch","data":{{"varId":{id}}}}}"#),
            format!(r#"{{"type":"destroy","data":{{"varId":{id}}}}}"#),
            format!(r#"{{"type":"update","data":{{"varId":{id},"value":1}}}}"#),
            format!(
                r#"{{"type":"create","data":{{"id":{id},"parentId":1,"properties":{{"path":"x"}}}}}}"#
            ),
        ] {
            assert_eq!(rejected(&json), (BAD, None), "{json}");
        }
        let json = format!(
            r#"{{"type":"create","data":{{"id":5,"parentId":{id},"properties":{{"path":"x"}}}}}}"#
        );
        assert_eq!(rejected(&json), (BAD, Some(5)), "{json}");
    }
}

#[test]
fn required_ids_must_be_present() {
    for json in [
        r#"{"type":"watch","data":{}}"#,
        r#"{"type":"unwatch","data":{"id":3}}"#,
        r#"{"type":"destroy","data":{"var_id":3}}"#,
        r#"{"type":"update","data":{"value":3}}"#,
        r#"{"type":"create","data":{"parentId":1,"properties":{"path":"x"}}}"#,
    ] {
        assert_eq!(rejected(json), (BAD, None), "{json}");
    }
    assert_eq!(
        rejected(r#"{"type":"create","data":{"id":4,"properties":{"path":"x"}}}"#),
        (BAD, Some(4))
    );
}

#[test]
fn create_id_must_be_at_least_one() {
    for id in ["0", "-1", "-0.0", "-9223372036854775808"] {
        let json = format!(
            r#"{{"type":"create","data":{{"id":{id},"parentId":1,"properties":{{"path":"x"}}}}}}"#
        );
        assert_eq!(rejected(&json), (BAD, None), "{json}");
    }
    let one = ok(r#"{"type":"create","data":{"id":1,"parentId":1,"properties":{"path":"x"}}}"#);
    assert_eq!(one.var_id(), 1, "1 is left for the session's duplicate-id");
}

#[test]
fn create_needs_a_non_empty_path() {
    for json in [
        r#"{"type":"create","data":{"id":5,"parentId":1}}"#,
        r#"{"type":"create","data":{"id":5,"parentId":1,"properties":{}}}"#,
        r#"{"type":"create","data":{"id":5,"parentId":1,"properties":{"access":"r"}}}"#,
        r#"{"type":"create","data":{"id":5,"parentId":1,"properties":{"path":""}}}"#,
        r#"{"type":"create","data":{"id":5,"parentId":1,"properties":{"Path":"x"}}}"#,
        r#"{"type":"create","data":{"id":5,"parentId":1,"properties":{"path":"x","path:low":""}}}"#,
        r#"{"type":"create","data":{"id":5,"parentId":1,"path":"x","properties":{}}}"#,
    ] {
        assert_eq!(rejected(json), (BAD, Some(5)), "{json}");
    }
}

#[test]
fn create_path_may_carry_a_priority_suffix() {
    let created =
        ok(r#"{"type":"create","data":{"id":5,"parentId":1,"properties":{"path:HIGH":"a.b"}}}"#);
    assert_eq!(
        created,
        Message::Create {
            id: 5,
            parent_id: 1,
            properties: pairs(&[("path:HIGH", "a.b")]),
            nowatch: false
        }
    );
    ok(r#"{"type":"create","data":{"id":5,"parentId":1,"properties":{"path":"","path:med":"x"}}}"#);
}

#[test]
fn property_values_must_be_strings() {
    for value in ["1", "null", "true", "[]", "{}"] {
        let json = format!(
            r#"{{"type":"create","data":{{"id":6,"parentId":1,"properties":{{"path":"x","access":{value}}}}}}}"#
        );
        assert_eq!(rejected(&json), (BAD, Some(6)), "{json}");
        let json = format!(
            r#"{{"type":"update","data":{{"varId":-2,"properties":{{"viewdef":{value}}}}}}}"#
        );
        assert_eq!(rejected(&json), (BAD, Some(-2)), "{json}");
    }
}

#[test]
fn property_names_must_not_be_empty() {
    for name in ["", ":high", ":LOW", ":med", ":Medium"] {
        let json = format!(
            r#"{{"type":"create","data":{{"id":6,"parentId":1,"properties":{{"path":"x","{name}":"v"}}}}}}"#
        );
        assert_eq!(rejected(&json), (BAD, Some(6)), "{json}");
        let json =
            format!(r#"{{"type":"update","data":{{"varId":3,"properties":{{"{name}":"v"}}}}}}"#);
        assert_eq!(rejected(&json), (BAD, Some(3)), "{json}");
    }
    // A colon alone, or an unknown suffix, leaves a name.
    let update = ok(r#"{"type":"update","data":{"varId":3,"properties":{":":"a",":hi":"b"}}}"#);
    assert_eq!(
        update,
        Message::Update {
            var_id: 3,
            value: None,
            properties: Some(pairs(&[(":", "a"), (":hi", "b")]))
        }
    );
}

#[test]
fn properties_must_be_an_object() {
    for properties in ["[]", "null", "\"path=x\"", "1"] {
        let json = format!(
            r#"{{"type":"create","data":{{"id":6,"parentId":1,"properties":{properties}}}}}"#
        );
        assert_eq!(rejected(&json), (BAD, Some(6)), "{json}");
        let json = format!(r#"{{"type":"update","data":{{"varId":3,"properties":{properties}}}}}"#);
        assert_eq!(rejected(&json), (BAD, Some(3)), "{json}");
    }
}

#[test]
fn properties_keep_their_suffixes_sorted_by_name_in_byte_order() {
    let update = ok(
        r#"{"type":"update","data":{"varId":3,"properties":{"zeta":"1","Zeta":"2","é":"3","a:high":"4","a":"5","b:Low":"6"}}}"#,
    );
    assert_eq!(
        update,
        Message::Update {
            var_id: 3,
            value: None,
            properties: Some(pairs(&[
                ("Zeta", "2"),
                ("a", "5"),
                ("a:high", "4"),
                ("b:Low", "6"),
                ("zeta", "1"),
                ("é", "3")
            ]))
        }
    );
}

#[test]
fn create_nowatch_is_true_only_for_json_true() {
    for (nowatch, expected) in [
        ("true", true),
        ("false", false),
        ("\"true\"", false),
        ("1", false),
        ("null", false),
    ] {
        let json = format!(
            r#"{{"type":"create","data":{{"id":2,"parentId":1,"nowatch":{nowatch},"properties":{{"path":"x"}}}}}}"#
        );
        let Message::Create { nowatch, .. } = ok(&json) else {
            panic!("{json}: not a create");
        };
        assert_eq!(nowatch, expected, "{json}");
    }
    let Message::Create { nowatch, .. } =
        ok(r#"{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"x"}}}"#)
    else {
        panic!("not a create");
    };
    assert!(!nowatch);
}

#[test]
fn unknown_members_are_ignored() {
    assert_eq!(
        ok(
            r#"{"type":"create","extra":1,"data":{"id":2,"parentId":-1,"widget":{},"unbound":true,"value":"v","properties":{"path":"x"}}}"#
        ),
        Message::Create {
            id: 2,
            parent_id: -1,
            properties: pairs(&[("path", "x")]),
            nowatch: false
        }
    );
    assert_eq!(
        ok(r#"{"type":"watch","data":{"varId":2,"value":1,"properties":7}}"#),
        Message::Watch { var_id: 2 }
    );
}

#[test]
fn update_tells_absent_value_from_null() {
    let absent = ok(r#"{"type":"update","data":{"varId":5}}"#);
    assert_eq!(
        absent,
        Message::Update {
            var_id: 5,
            value: None,
            properties: None
        }
    );
    let null = ok(r#"{"type":"update","data":{"varId":5,"value":null,"properties":{}}}"#);
    assert_eq!(
        null,
        Message::Update {
            var_id: 5,
            value: Some(Value::Null),
            properties: Some(Vec::new())
        }
    );
    let structured = ok(r#"{"type":"update","data":{"varId":5,"value":{"a":[1,2.5,"x"]}}}"#);
    assert_eq!(
        structured,
        Message::Update {
            var_id: 5,
            value: Some(serde_json::json!({"a":[1,2.5,"x"]})),
            properties: None
        }
    );
}

#[test]
fn destroy_watch_and_unwatch_take_any_integer_var_id() {
    for var_id in [1, 0, -1, 42] {
        for (kind, expected) in [
            ("destroy", Message::Destroy { var_id }),
            ("watch", Message::Watch { var_id }),
            ("unwatch", Message::Unwatch { var_id }),
        ] {
            let json = format!(r#"{{"type":"{kind}","data":{{"varId":{var_id}}}}}"#);
            assert_eq!(ok(&json), expected);
            assert_eq!(expected.var_id(), var_id);
        }
    }
}
