//! Outbound messages and their encoding (docs/protocol.md §3.3), byte for byte.
//!
//! Written by hand rather than through `serde_json` because the bytes are part of the contract:
//! member order (`type`, `data`; `varId` first), property keys sorted by byte order, and strings
//! escaping only `"`, `\` and control characters.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::error::{ErrorCode, WireError};
use crate::tracker::APP_VAR;

/// One message for a connection, its ids already the receiver's wire ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outbound {
    /// `value` is the value JSON, already encoded (§5.5), written as is; `None` sends no
    /// `value` member. `properties`: changed properties only, a removed one as `""`; none sends
    /// no `properties` member. Order does not matter (keys are sorted when written); of two
    /// entries with the same name the later wins.
    Update {
        var_id: i64,
        value: Option<String>,
        properties: Vec<(String, String)>,
    },
    Destroy {
        var_id: i64,
    },
    Error {
        var_id: Option<i64>,
        code: ErrorCode,
        description: String,
    },
}

impl From<WireError> for Outbound {
    fn from(error: WireError) -> Self {
        Outbound::Error {
            var_id: error.var_id,
            code: error.code,
            description: error.description,
        }
    }
}

/// The one text frame of a flush (§3.3): the message itself when there is one, a JSON array
/// when there are several, `None` (send no frame, never `[]`) when there are none.
pub(crate) fn encode_frame(messages: &[Outbound]) -> Option<String> {
    let mut out = String::new();
    match messages {
        [] => return None,
        [message] => write_message(&mut out, message),
        several => {
            out.push('[');
            for (index, message) in several.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_message(&mut out, message);
            }
            out.push(']');
        }
    }
    Some(out)
}

/// The viewdefs message (§8): an update of variable 1 whose only property, `viewdefs`, is a
/// JSON *string* holding the object `{key: template, …}` with sorted keys (the later of two
/// equal keys wins). It carries no `value` (exempt from the no-clearing rule of §4.6).
pub(crate) fn viewdefs_message(viewdefs: &[(String, String)]) -> Outbound {
    let mut object = String::new();
    write_string_object(&mut object, viewdefs);
    Outbound::Update {
        var_id: APP_VAR,
        value: None,
        properties: vec![("viewdefs".to_owned(), object)],
    }
}

fn write_message(out: &mut String, message: &Outbound) {
    match message {
        Outbound::Update {
            var_id,
            value,
            properties,
        } => {
            let _ = write!(out, r#"{{"type":"update","data":{{"varId":{var_id}"#);
            if let Some(value) = value {
                out.push_str(r#","value":"#);
                out.push_str(value);
            }
            if !properties.is_empty() {
                out.push_str(r#","properties":"#);
                write_string_object(out, properties);
            }
            out.push_str("}}");
        }
        Outbound::Destroy { var_id } => {
            let _ = write!(out, r#"{{"type":"destroy","data":{{"varId":{var_id}}}}}"#);
        }
        Outbound::Error {
            var_id,
            code,
            description,
        } => {
            out.push_str(r#"{"type":"error","data":{"#);
            if let Some(var_id) = var_id {
                let _ = write!(out, r#""varId":{var_id},"#);
            }
            let _ = write!(out, r#""code":"{code}","description":"#);
            write_string(out, description);
            out.push_str("}}");
        }
    }
}

/// `{"k":"v",…}` with keys in byte order; of two equal keys the later wins.
fn write_string_object(out: &mut String, pairs: &[(String, String)]) {
    let sorted: BTreeMap<&str, &str> = pairs
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    out.push('{');
    for (index, (key, value)) in sorted.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(out, key);
        out.push(':');
        write_string(out, value);
    }
    out.push('}');
}

/// Writes a JSON string escaping only `"`, `\` and control characters (docs/protocol.md §3.3).
pub(crate) fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(var_id: i64, value: Option<&str>, properties: &[(&str, &str)]) -> Outbound {
        Outbound::Update {
            var_id,
            value: value.map(str::to_owned),
            properties: properties
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    fn encode(messages: &[Outbound]) -> String {
        encode_frame(messages).expect("a frame")
    }

    const ADDER_TEMPLATE: &str = r#"<template><div><input ui-value="value1"> + <input ui-value="value2"> = <span ui-value="compute()"></span></div></template>"#;

    #[test]
    fn golden_section_3_3_lines() {
        let viewdefs = viewdefs_message(&[(
            "Adder.DEFAULT".to_owned(),
            "<template>…</template>".to_owned(),
        )]);
        assert_eq!(
            encode(&[viewdefs]),
            r#"{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"Adder.DEFAULT\":\"<template>…</template>\"}"}}}"#
        );
        assert_eq!(
            encode(&[update(1, Some(r#"{"obj":2}"#), &[("type", "Adder")])]),
            r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"Adder"}}}"#
        );
        assert_eq!(
            encode(&[update(14, Some(r#"{"obj":9}"#), &[("type", "Contact")])]),
            r#"{"type":"update","data":{"varId":14,"value":{"obj":9},"properties":{"type":"Contact"}}}"#
        );
        assert_eq!(
            encode(&[Outbound::Destroy { var_id: 12 }]),
            r#"{"type":"destroy","data":{"varId":12}}"#
        );
        assert_eq!(
            encode(&[Outbound::Error {
                var_id: Some(7),
                code: ErrorCode::LuaError,
                description: "lua/main.lua:12: attempt to index a nil value".to_owned(),
            }]),
            r#"{"type":"error","data":{"varId":7,"code":"lua-error","description":"lua/main.lua:12: attempt to index a nil value"}}"#
        );
    }

    #[test]
    fn golden_section_12_step_5() {
        let frame = encode(&[
            viewdefs_message(&[("Adder.DEFAULT".to_owned(), ADDER_TEMPLATE.to_owned())]),
            update(1, Some(r#"{"obj":2}"#), &[("type", "Adder")]),
        ]);
        assert_eq!(
            frame,
            r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"Adder.DEFAULT\":\"<template><div><input ui-value=\\\"value1\\\"> + <input ui-value=\\\"value2\\\"> = <span ui-value=\\\"compute()\\\"></span></div></template>\"}"}}},{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"Adder"}}}]"#
        );
    }

    #[test]
    fn golden_section_12_step_7() {
        let frame = encode(&[
            update(2, Some(r#""""#), &[]),
            update(3, Some(r#""""#), &[]),
            update(4, Some(r#""""#), &[]),
        ]);
        assert_eq!(
            frame,
            r#"[{"type":"update","data":{"varId":2,"value":""}},{"type":"update","data":{"varId":3,"value":""}},{"type":"update","data":{"varId":4,"value":""}}]"#
        );
    }

    #[test]
    fn golden_section_12_step_9() {
        assert_eq!(
            encode(&[update(4, Some(r#""5""#), &[])]),
            r#"{"type":"update","data":{"varId":4,"value":"5"}}"#
        );
    }

    #[test]
    fn one_message_is_an_object_several_an_array_none_no_frame() {
        assert_eq!(encode_frame(&[]), None);
        let one = encode(&[Outbound::Destroy { var_id: 3 }]);
        assert!(one.starts_with('{'), "{one}");
        let two = encode(&[
            Outbound::Destroy { var_id: 3 },
            Outbound::Destroy { var_id: 2 },
        ]);
        assert_eq!(
            two,
            r#"[{"type":"destroy","data":{"varId":3}},{"type":"destroy","data":{"varId":2}}]"#
        );
    }

    #[test]
    fn update_members_are_var_id_value_properties_each_optional() {
        assert_eq!(
            encode(&[update(-3, Some("null"), &[])]),
            r#"{"type":"update","data":{"varId":-3,"value":null}}"#
        );
        assert_eq!(
            encode(&[update(5, None, &[("inactive", "")])]),
            r#"{"type":"update","data":{"varId":5,"properties":{"inactive":""}}}"#
        );
        assert_eq!(
            encode(&[update(5, Some("[1,2.5]"), &[("b", "2"), ("a", "1")])]),
            r#"{"type":"update","data":{"varId":5,"value":[1,2.5],"properties":{"a":"1","b":"2"}}}"#
        );
        assert_eq!(
            encode(&[update(5, None, &[])]),
            r#"{"type":"update","data":{"varId":5}}"#
        );
    }

    #[test]
    fn error_without_a_variable_has_no_var_id() {
        assert_eq!(
            encode(&[Outbound::Error {
                var_id: None,
                code: ErrorCode::BadJson,
                description: "the frame is not valid JSON".to_owned(),
            }]),
            r#"{"type":"error","data":{"code":"bad-json","description":"the frame is not valid JSON"}}"#
        );
        let from_wire: Outbound = WireError::new(ErrorCode::NotFound, Some(-4), "gone").into();
        assert_eq!(
            encode(&[from_wire]),
            r#"{"type":"error","data":{"varId":-4,"code":"not-found","description":"gone"}}"#
        );
    }

    #[test]
    fn property_keys_are_sorted_by_byte_order_and_the_later_duplicate_wins() {
        let frame = encode(&[update(
            2,
            None,
            &[
                ("type", "T"),
                ("é", "e"),
                ("Z", "z"),
                ("fallbackNamespace", "list-item"),
                ("a:b", "x"),
                ("a", "y"),
                ("type", "U"),
                ("", "empty"),
            ],
        )]);
        assert_eq!(
            frame,
            r#"{"type":"update","data":{"varId":2,"properties":{"":"empty","Z":"z","a":"y","a:b":"x","fallbackNamespace":"list-item","type":"U","é":"e"}}}"#
        );
    }

    #[test]
    fn viewdefs_keys_are_sorted_and_the_later_duplicate_wins() {
        let message = viewdefs_message(&[
            ("b.DEFAULT".to_owned(), "<template>b</template>".to_owned()),
            ("B.DEFAULT".to_owned(), "<template>B</template>".to_owned()),
            (
                "a.list-item".to_owned(),
                "<template>old</template>".to_owned(),
            ),
            (
                "a.list-item".to_owned(),
                "<template>new</template>".to_owned(),
            ),
        ]);
        assert_eq!(
            encode(&[message]),
            r#"{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"B.DEFAULT\":\"<template>B</template>\",\"a.list-item\":\"<template>new</template>\",\"b.DEFAULT\":\"<template>b</template>\"}"}}}"#
        );
        assert_eq!(
            encode(&[viewdefs_message(&[])]),
            r#"{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{}"}}}"#
        );
    }

    #[test]
    fn strings_escape_only_quotes_backslashes_and_control_characters() {
        let frame = encode(&[Outbound::Error {
            var_id: Some(2),
            code: ErrorCode::PathFailure,
            description: "a\"b\\c/d<e>f&g é ☃ 𝄞\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}\u{2028}"
                .to_owned(),
        }]);
        assert_eq!(
            frame,
            "{\"type\":\"error\",\"data\":{\"varId\":2,\"code\":\"path-failure\",\"description\":\
             \"a\\\"b\\\\c/d<e>f&g é ☃ 𝄞\\n\\r\\t\\b\\f\\u0000\\u001f\u{7f}\u{2028}\"}}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&frame).expect("valid JSON");
        assert_eq!(
            parsed["data"]["description"],
            "a\"b\\c/d<e>f&g é ☃ 𝄞\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}\u{2028}"
        );
    }

    #[test]
    fn property_names_and_values_are_escaped_too() {
        assert_eq!(
            encode(&[update(3, None, &[("a\"b", "</script>\n")])]),
            r#"{"type":"update","data":{"varId":3,"properties":{"a\"b":"</script>\n"}}}"#
        );
    }
}
