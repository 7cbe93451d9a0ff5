//! The floor's whole "app": one connection's view of the Adder (docs/protocol.md §12), kept in
//! plain fields. Frames are parsed and replies encoded with serde_json, as any server on this stack
//! would; what a real server adds (Lua, a tracker, sessions shared by tabs) is left out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The viewdef that §12's first reply carries, as the property value (a JSON object as text).
const VIEWDEFS: &str = r#"{"Adder.DEFAULT":"<template><div><input ui-value=\"value1\"> + <input ui-value=\"value2\"> = <span ui-value=\"compute()\"></span></div></template>"}"#;

#[derive(Deserialize)]
struct Batch {
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(rename = "type")]
    kind: String,
    data: Data,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    id: Option<u64>,
    var_id: Option<u64>,
    value: Option<Value>,
    properties: Option<Properties>,
}

#[derive(Deserialize)]
struct Properties {
    path: Option<String>,
}

/// An outbound message (§3.3): members in wire order, properties sorted by key.
#[derive(Serialize)]
struct Out {
    #[serde(rename = "type")]
    kind: &'static str,
    data: OutData,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutData {
    #[serde(skip_serializing_if = "Option::is_none")]
    var_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<OutValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<BTreeMap<&'static str, &'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum OutValue {
    Text(String),
    Object { obj: u64 },
}

impl Out {
    fn update(
        var_id: u64,
        value: Option<OutValue>,
        properties: &[(&'static str, &'static str)],
    ) -> Self {
        let properties = (!properties.is_empty()).then(|| properties.iter().copied().collect());
        Self {
            kind: "update",
            data: OutData {
                var_id: Some(var_id),
                value,
                properties,
                code: None,
                description: None,
            },
        }
    }
}

/// What a bound variable shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Value1,
    Value2,
    Compute,
}

/// One connection: the Adder's two fields, the client's bindings (wire id → field) and the
/// value each binding last got, so that only changes are sent (§4.5).
#[derive(Debug, Default)]
pub struct Adder {
    value1: String,
    value2: String,
    bindings: Vec<(u64, Field, String)>,
}

impl Adder {
    /// Runs one inbound frame; the text frame to send back, if any (§3.3: one message as an
    /// object, several as an array, none as no frame).
    pub fn frame(&mut self, text: &str) -> Option<String> {
        let batch: Batch = match serde_json::from_str(text) {
            Ok(batch) => batch,
            Err(error) => return Some(error_frame("bad-json", &error.to_string())),
        };
        let mut out = Vec::new();
        for message in batch.messages {
            let data = message.data;
            match message.kind.as_str() {
                "watch" if data.var_id == Some(1) => {
                    out.push(Out::update(1, None, &[("viewdefs", VIEWDEFS)]));
                    let instance = Some(OutValue::Object { obj: 2 });
                    out.push(Out::update(1, instance, &[("type", "Adder")]));
                }
                "create" => {
                    let path = data.properties.and_then(|p| p.path);
                    let field = match path.as_deref() {
                        Some("value1") => Field::Value1,
                        Some("value2") => Field::Value2,
                        Some("compute()") => Field::Compute,
                        _ => return Some(error_frame("path-failure", "the floor knows the Adder")),
                    };
                    let id = data.id.unwrap_or_default();
                    let value = self.read(field);
                    out.push(Out::update(id, Some(OutValue::Text(value.clone())), &[]));
                    self.bindings.push((id, field, value));
                }
                "update" => {
                    let binding = self.bindings.iter_mut().find(|b| Some(b.0) == data.var_id);
                    let (Some((_, field, sent)), Some(Value::String(value))) =
                        (binding, data.value)
                    else {
                        return Some(error_frame("not-found", "no such variable"));
                    };
                    match field {
                        Field::Value1 => self.value1.clone_from(&value),
                        Field::Value2 => self.value2.clone_from(&value),
                        Field::Compute => return Some(error_frame("access-denied", "read-only")),
                    }
                    // The sender has the value it wrote.
                    *sent = value;
                }
                _ => return Some(error_frame("unknown-type", "the floor knows the Adder")),
            }
        }
        self.cycle(&mut out);
        match out.len() {
            0 => None,
            1 => serde_json::to_string(&out[0]).ok(),
            _ => serde_json::to_string(&out).ok(),
        }
    }

    /// The update cycle: every binding whose field now reads differently is sent again.
    fn cycle(&mut self, out: &mut Vec<Out>) {
        let values: Vec<String> = self.bindings.iter().map(|b| self.read(b.1)).collect();
        for ((id, _, sent), value) in self.bindings.iter_mut().zip(values) {
            if *sent != value {
                out.push(Out::update(*id, Some(OutValue::Text(value.clone())), &[]));
                *sent = value;
            }
        }
    }

    fn read(&self, field: Field) -> String {
        match field {
            Field::Value1 => self.value1.clone(),
            Field::Value2 => self.value2.clone(),
            Field::Compute => compute(&self.value1, &self.value2),
        }
    }
}

/// `Adder:compute()`: the sum when both fields are numbers, else "". Integers add as Lua
/// integers; anything else as floats (Lua's `%.14g` is approximated by Rust's shortest form).
fn compute(a: &str, b: &str) -> String {
    let (a, b) = (a.trim(), b.trim());
    if let (Ok(a), Ok(b)) = (a.parse::<i64>(), b.parse::<i64>()) {
        return a.wrapping_add(b).to_string();
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(a), Ok(b)) if (a + b).is_finite() && (a + b).fract() == 0.0 => format!("{:.1}", a + b),
        (Ok(a), Ok(b)) => (a + b).to_string(),
        _ => String::new(),
    }
}

fn error_frame(code: &'static str, description: &str) -> String {
    let error = Out {
        kind: "error",
        data: OutData {
            var_id: None,
            value: None,
            properties: None,
            code: Some(code),
            description: Some(description.to_owned()),
        },
    };
    serde_json::to_string(&error).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/protocol.md §12, steps 4 to 9, byte for byte.
    #[test]
    fn answers_the_worked_example() {
        let mut adder = Adder::default();
        let watch = r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#;
        assert_eq!(
            adder.frame(watch).as_deref(),
            Some(
                r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"Adder.DEFAULT\":\"<template><div><input ui-value=\\\"value1\\\"> + <input ui-value=\\\"value2\\\"> = <span ui-value=\\\"compute()\\\"></span></div></template>\"}"}}},{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"Adder"}}}]"#
            )
        );
        let creates = r#"{"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"value1","access":"rw","elementId":"ui-1"}}},{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"value2","access":"rw","elementId":"ui-2"}}},{"type":"create","data":{"id":4,"parentId":1,"properties":{"path":"compute()","access":"r","elementId":"ui-3"}}}]}"#;
        assert_eq!(
            adder.frame(creates).as_deref(),
            Some(
                r#"[{"type":"update","data":{"varId":2,"value":""}},{"type":"update","data":{"varId":3,"value":""}},{"type":"update","data":{"varId":4,"value":""}}]"#
            )
        );
        let two =
            r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":2,"value":"2"}}]}"#;
        assert_eq!(adder.frame(two), None);
        let three =
            r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":3,"value":"3"}}]}"#;
        assert_eq!(
            adder.frame(three).as_deref(),
            Some(r#"{"type":"update","data":{"varId":4,"value":"5"}}"#)
        );
    }

    #[test]
    fn sums_as_lua_would() {
        assert_eq!(compute("2", "3"), "5");
        assert_eq!(compute("1.5", "1"), "2.5");
        assert_eq!(compute("1.5", "1.5"), "3.0");
        assert_eq!(compute("", "1"), "");
        assert_eq!(compute("x", "1"), "");
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        let mut adder = Adder::default();
        let reply = adder.frame("{").unwrap_or_default();
        assert!(reply.contains(r#""code":"bad-json""#), "{reply}");
        let reply = adder
            .frame(r#"{"messages":[{"type":"update","data":{"varId":9,"value":"1"}}]}"#)
            .unwrap_or_default();
        assert!(reply.contains(r#""code":"not-found""#), "{reply}");
    }
}
