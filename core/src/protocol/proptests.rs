//! Property tests of the protocol module: the parser never panics and fails only in the ways
//! §3.2 allows; what it accepts round-trips; every encoded frame is the JSON it claims to be.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::inbound::Frame;
use super::{
    ErrorCode, Message, Outbound, encode_frame, parse_frame, parse_message, viewdefs_message,
};

/// Member names and strings the protocol gives meaning to, so that generated values hit the
/// interesting paths often rather than almost never.
const WORDS: [&str; 18] = [
    "type",
    "data",
    "messages",
    "userEvent",
    "id",
    "parentId",
    "varId",
    "properties",
    "path",
    "path:high",
    "value",
    "nowatch",
    "create",
    "update",
    "destroy",
    "watch",
    "unwatch",
    "",
];

fn word_or_any() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(WORDS.as_slice()).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3_i64..10).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3_i32..10).prop_map(|i| Value::from(f64::from(i))),
        any::<f64>().prop_filter_map("JSON numbers are finite", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        word_or_any().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((word_or_any(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// What §3.2 says a frame with this top-level value is: its user event and messages, or
/// `None` for a `bad-message`.
fn model_frame(top: &Value) -> Option<(bool, Vec<Value>)> {
    match top {
        Value::Array(messages) => Some((false, messages.clone())),
        Value::Object(object) => match object.get("messages") {
            None => Some((false, vec![top.clone()])),
            Some(Value::Array(messages)) => match object.get("userEvent") {
                None => Some((false, messages.clone())),
                Some(Value::Bool(flag)) => Some((*flag, messages.clone())),
                Some(_) => None,
            },
            Some(_) => None,
        },
        _ => None,
    }
}

/// Checks what may be said of any message's parse without re-implementing the parser.
fn check_message(message: &Value) -> Result<(), TestCaseError> {
    match parse_message(message) {
        Ok(parsed) => {
            let again = parse_message(&to_json(&parsed));
            prop_assert_eq!(again, Ok(parsed.clone()), "re-encoded {:?}", parsed);
            if let Message::Create { id, .. } = parsed {
                prop_assert!(id >= 1);
            }
        }
        Err(error) => {
            prop_assert!(
                matches!(error.code, ErrorCode::BadMessage | ErrorCode::UnknownType),
                "{}",
                error
            );
            if error.code == ErrorCode::UnknownType {
                prop_assert_eq!(error.var_id, None);
            }
            prop_assert!(!error.description.is_empty());
        }
    }
    Ok(())
}

/// Checks the §3.2 contract for one text frame: messages, or exactly one frame-level error.
fn check_frame_text(text: &str) -> Result<Option<Frame>, TestCaseError> {
    match parse_frame(text) {
        Ok(frame) => {
            for message in &frame.messages {
                check_message(message)?;
            }
            Ok(Some(frame))
        }
        Err(error) => {
            prop_assert!(
                matches!(error.code, ErrorCode::BadJson | ErrorCode::BadMessage),
                "{}",
                error
            );
            prop_assert_eq!(error.var_id, None);
            Ok(None)
        }
    }
}

/// A message as the bundled client would write it, ids as plain integers.
fn to_json(message: &Message) -> Value {
    fn object(properties: &[(String, String)]) -> Value {
        Value::Object(
            properties
                .iter()
                .map(|(name, text)| (name.clone(), Value::String(text.clone())))
                .collect(),
        )
    }
    let (kind, data) = match message {
        Message::Create {
            id,
            parent_id,
            properties,
            nowatch,
        } => (
            "create",
            serde_json::json!({"id": id, "parentId": parent_id, "properties": object(properties), "nowatch": nowatch}),
        ),
        Message::Update {
            var_id,
            value,
            properties,
        } => {
            let mut data = Map::new();
            data.insert("varId".to_owned(), Value::from(*var_id));
            if let Some(value) = value {
                data.insert("value".to_owned(), value.clone());
            }
            if let Some(properties) = properties {
                data.insert("properties".to_owned(), object(properties));
            }
            ("update", Value::Object(data))
        }
        Message::Destroy { var_id } => ("destroy", serde_json::json!({ "varId": var_id })),
        Message::Watch { var_id } => ("watch", serde_json::json!({ "varId": var_id })),
        Message::Unwatch { var_id } => ("unwatch", serde_json::json!({ "varId": var_id })),
    };
    serde_json::json!({"type": kind, "data": data})
}

/// Property names that are valid and never name `path`: not empty once a suffix is stripped.
fn property_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-oq-zA-Z][a-zA-Z]{0,7}(:high|:HIGH|:med|:medium|:low)?",
        any::<String>().prop_map(|name| format!("x{name}")),
    ]
}

fn property_list() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::btree_map(property_name(), any::<String>(), 0..5)
        .prop_map(|map| map.into_iter().collect())
}

fn valid_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            1_i64..,
            any::<i64>(),
            property_list(),
            "[^?]{1,12}",
            any::<bool>()
        )
            .prop_map(|(id, parent_id, mut properties, path, nowatch)| {
                properties.push(("path".to_owned(), path));
                properties.sort();
                Message::Create {
                    id,
                    parent_id,
                    properties,
                    nowatch,
                }
            }),
        (
            any::<i64>(),
            proptest::option::of(json_value()),
            proptest::option::of(property_list())
        )
            .prop_map(|(var_id, value, properties)| Message::Update {
                var_id,
                value,
                properties
            }),
        any::<i64>().prop_map(|var_id| Message::Destroy { var_id }),
        any::<i64>().prop_map(|var_id| Message::Watch { var_id }),
        any::<i64>().prop_map(|var_id| Message::Unwatch { var_id }),
    ]
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    proptest::sample::select(ErrorCode::ALL.as_slice())
}

fn outbound() -> impl Strategy<Value = Outbound> {
    prop_oneof![
        (
            any::<i64>(),
            proptest::option::of(json_value().prop_map(|value| value.to_string())),
            proptest::collection::vec((word_or_any(), any::<String>()), 0..5)
        )
            .prop_map(|(var_id, value, properties)| Outbound::Update {
                var_id,
                value,
                properties
            }),
        any::<i64>().prop_map(|var_id| Outbound::Destroy { var_id }),
        (
            proptest::option::of(any::<i64>()),
            error_code(),
            any::<String>()
        )
            .prop_map(|(var_id, code, description)| Outbound::Error {
                var_id,
                code,
                description
            }),
    ]
}

/// The JSON structure `message` must encode to.
fn expected_json(message: &Outbound) -> Value {
    match message {
        Outbound::Update {
            var_id,
            value,
            properties,
        } => {
            let mut data = Map::new();
            data.insert("varId".to_owned(), Value::from(*var_id));
            if let Some(value) = value {
                let value: Value = serde_json::from_str(value).expect("generated value JSON");
                data.insert("value".to_owned(), value);
            }
            if !properties.is_empty() {
                // Later duplicates overwrite earlier ones, as the encoder promises.
                let properties: Map<String, Value> = properties
                    .iter()
                    .map(|(name, text)| (name.clone(), Value::String(text.clone())))
                    .collect();
                data.insert("properties".to_owned(), Value::Object(properties));
            }
            serde_json::json!({"type": "update", "data": data})
        }
        Outbound::Destroy { var_id } => {
            serde_json::json!({"type": "destroy", "data": {"varId": var_id}})
        }
        Outbound::Error {
            var_id,
            code,
            description,
        } => {
            let mut data = Map::new();
            if let Some(var_id) = var_id {
                data.insert("varId".to_owned(), Value::from(*var_id));
            }
            data.insert("code".to_owned(), Value::from(code.as_str()));
            data.insert("description".to_owned(), Value::from(description.as_str()));
            serde_json::json!({"type": "error", "data": data})
        }
    }
}

proptest! {
    #[test]
    fn parse_frame_never_panics_on_arbitrary_text(text in any::<String>()) {
        check_frame_text(&text)?;
    }

    #[test]
    fn parse_frame_never_panics_on_json_like_text(
        text in r#"[\[\]{}",:0-9a-zA-Z.eE+\- \\]{0,64}"#
    ) {
        check_frame_text(&text)?;
    }

    #[test]
    fn parse_frame_follows_section_3_2_on_arbitrary_json(top in json_value()) {
        let text = top.to_string();
        let frame = check_frame_text(&text)?;
        match model_frame(&top) {
            Some((user_event, messages)) => {
                let frame = frame.expect("the model accepts this frame");
                prop_assert_eq!(frame.user_event, user_event);
                prop_assert_eq!(frame.messages, messages);
            }
            None => {
                let error = parse_frame(&text).expect_err("the model rejects this frame");
                prop_assert_eq!(error.code, ErrorCode::BadMessage);
            }
        }
    }

    #[test]
    fn parse_message_never_panics_on_arbitrary_json(message in json_value()) {
        check_message(&message)?;
    }

    #[test]
    fn parse_message_never_panics_on_message_like_json(
        kind in word_or_any(),
        data in proptest::collection::vec((word_or_any(), json_value()), 0..6),
    ) {
        let data: Map<String, Value> = data.into_iter().collect();
        check_message(&serde_json::json!({"type": kind, "data": data}))?;
    }

    #[test]
    fn valid_messages_round_trip(message in valid_message(), batched in any::<bool>()) {
        let single = to_json(&message);
        let text = if batched {
            serde_json::json!({"userEvent": true, "messages": [single]}).to_string()
        } else {
            single.to_string()
        };
        let frame = parse_frame(&text).expect("a valid frame");
        prop_assert_eq!(frame.user_event, batched);
        prop_assert_eq!(frame.messages.len(), 1);
        prop_assert_eq!(parse_message(&frame.messages[0]), Ok(message));
    }

    #[test]
    fn ids_written_as_integral_floats_read_as_integers(var_id in -(1_i64 << 53)..=(1_i64 << 53)) {
        let text = format!(r#"{{"type":"watch","data":{{"varId":{var_id}.0}}}}"#);
        let frame = parse_frame(&text).expect("valid JSON");
        prop_assert_eq!(parse_message(&frame.messages[0]), Ok(Message::Watch { var_id }));
    }

    #[test]
    fn encoded_frames_parse_back_to_the_same_structure(
        messages in proptest::collection::vec(outbound(), 0..5)
    ) {
        let frame = encode_frame(&messages);
        match messages.as_slice() {
            [] => prop_assert_eq!(frame, None),
            [message] => {
                let text = frame.expect("one message, one frame");
                let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
                prop_assert_eq!(parsed, expected_json(message));
                prop_assert!(text.starts_with(r#"{"type":""#), "{}", text);
            }
            several => {
                let text = frame.expect("several messages, one frame");
                let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
                let expected: Vec<Value> = several.iter().map(expected_json).collect();
                prop_assert_eq!(parsed, Value::Array(expected));
            }
        }
    }

    #[test]
    fn viewdefs_property_is_a_string_holding_the_viewdefs_object(
        viewdefs in proptest::collection::vec((any::<String>(), any::<String>()), 0..6)
    ) {
        let message = viewdefs_message(&viewdefs);
        let text = encode_frame(std::slice::from_ref(&message)).expect("a frame");
        let parsed: Value = serde_json::from_str(&text).expect("valid JSON");
        prop_assert_eq!(&parsed["data"]["varId"], &Value::from(1));
        prop_assert!(parsed["data"].get("value").is_none());
        let properties = parsed["data"]["properties"].as_object().expect("properties");
        prop_assert_eq!(properties.len(), 1);
        let inner = properties["viewdefs"].as_str().expect("a JSON string");
        let inner: Value = serde_json::from_str(inner).expect("the string holds JSON");
        let expected: Map<String, Value> = viewdefs
            .iter()
            .map(|(key, template)| (key.clone(), Value::String(template.clone())))
            .collect();
        prop_assert_eq!(inner, Value::Object(expected));
    }
}
