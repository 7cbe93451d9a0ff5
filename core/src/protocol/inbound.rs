//! Inbound frames and messages (docs/protocol.md §3.2) with the shape rules of §4.2–§4.4.
//!
//! Parsing knows no state: whether an id names a visible variable, is already in use, or whether
//! `access` and `path` are acceptable together is for the session to decide. What is checked here
//! is what a message must look like before anything of it runs.

use serde_json::{Map, Value};

use super::error::{ErrorCode, WireError};

/// The longest excerpt of peer text (a `type`, a property name) quoted back in a description.
const EXCERPT_CHARS: usize = 40;

/// One inbound frame: its messages in order, not yet parsed one by one, so that a malformed
/// message fails alone (§3.2: "a failing message yields one error and the next one runs").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    pub(crate) user_event: bool,
    pub(crate) messages: Vec<Value>,
}

/// Splits a text frame into its messages by its top-level value (§3.2): an object with a
/// `messages` member is a batch (`userEvent` optional boolean, `messages` an array); any other
/// object is one message; an array is a list of messages. The last two never carry a user event.
///
/// Invalid JSON (including nesting deeper than `serde_json`'s limit of 128) gives one `bad-json`
/// error, any other top-level value, a non-boolean `userEvent` or a non-array `messages` one
/// `bad-message` error; such errors have no `var_id` and nothing of the frame runs.
pub(crate) fn parse_frame(text: &str) -> Result<Frame, WireError> {
    let top: Value = serde_json::from_str(text).map_err(|error| {
        WireError::new(
            ErrorCode::BadJson,
            None,
            format!("the frame is not valid JSON: {error}"),
        )
    })?;
    match top {
        Value::Array(messages) => Ok(Frame {
            user_event: false,
            messages,
        }),
        Value::Object(mut object) => match object.remove("messages") {
            None => Ok(Frame {
                user_event: false,
                messages: vec![Value::Object(object)],
            }),
            Some(Value::Array(messages)) => {
                let user_event = match object.get("userEvent") {
                    None => false,
                    Some(Value::Bool(flag)) => *flag,
                    Some(other) => {
                        return Err(frame_error(format!(
                            "`userEvent` must be a boolean, not {}",
                            describe(other)
                        )));
                    }
                };
                Ok(Frame {
                    user_event,
                    messages,
                })
            }
            Some(other) => Err(frame_error(format!(
                "`messages` must be an array, not {}",
                describe(&other)
            ))),
        },
        other => Err(frame_error(format!(
            "a frame must be an object or an array, not {}",
            describe(&other)
        ))),
    }
}

fn frame_error(description: String) -> WireError {
    WireError::new(ErrorCode::BadMessage, None, description)
}

/// One inbound message, its shape checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Message {
    /// `create` (§4.2). `id` ≥ 1 (1 is for the session to reject as `duplicate-id`).
    /// `properties` holds the names as sent, priority suffix (`:high`, …) included, sorted by
    /// name in byte order — the order to apply them in; a name appears once. `properties`
    /// has an entry named `path` (with or without suffix), and the last such entry is
    /// non-empty. `nowatch` is true only for a JSON `true`.
    Create {
        id: i64,
        parent_id: i64,
        properties: Vec<(String, String)>,
        nowatch: bool,
    },
    /// `update` (§4.3). `value`: `None` if absent, `Some(Value::Null)` for a real `null`.
    /// `properties`, when present, as in `Create` (names as sent, sorted, values strings).
    Update {
        var_id: i64,
        value: Option<Value>,
        properties: Option<Vec<(String, String)>>,
    },
    /// `destroy` (§4.4).
    Destroy { var_id: i64 },
    /// `watch` (§4.4).
    Watch { var_id: i64 },
    /// `unwatch` (§4.4).
    Unwatch { var_id: i64 },
}

#[cfg(test)]
impl Message {
    /// The wire id the message is about: the new id of a `create`, else `varId`.
    pub(crate) fn var_id(&self) -> i64 {
        match self {
            Message::Create { id, .. } => *id,
            Message::Update { var_id, .. }
            | Message::Destroy { var_id }
            | Message::Watch { var_id }
            | Message::Unwatch { var_id } => *var_id,
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Create,
    Update,
    Destroy,
    Watch,
    Unwatch,
}

/// Checks one message's shape (§3.2, §4.2–§4.4) and reads it.
///
/// In this order: the message is an object (else `bad-message`); `type` is a string
/// (`bad-message`) naming a known type (`unknown-type`); `data` is an object (`bad-message`);
/// then the fields of that type, `id`/`varId` first. Ids are JSON integers in `i64` range; an
/// integral float such as `7.0` counts as 7 (up to 2⁵³). Unknown members are ignored.
///
/// An error carries the message's `varId` — or for `create` its `id`, when that is ≥ 1 — once
/// it has been read; errors found before (or about) it carry none.
pub(crate) fn parse_message(message: &Value) -> Result<Message, WireError> {
    let Value::Object(message) = message else {
        return Err(bad(
            None,
            format!("a message must be an object, not {}", describe(message)),
        ));
    };
    let kind = match message.get("type") {
        Some(Value::String(name)) => match name.as_str() {
            "create" => Kind::Create,
            "update" => Kind::Update,
            "destroy" => Kind::Destroy,
            "watch" => Kind::Watch,
            "unwatch" => Kind::Unwatch,
            _ => {
                return Err(WireError::new(
                    ErrorCode::UnknownType,
                    None,
                    format!("unknown message type {}", quote(name)),
                ));
            }
        },
        Some(other) => {
            return Err(bad(
                None,
                format!("`type` must be a string, not {}", describe(other)),
            ));
        }
        None => return Err(bad(None, "a message needs a `type`")),
    };
    let data = match message.get("data") {
        Some(Value::Object(data)) => data,
        Some(other) => {
            return Err(bad(
                None,
                format!("`data` must be an object, not {}", describe(other)),
            ));
        }
        None => return Err(bad(None, "a message needs a `data` object")),
    };
    match kind {
        Kind::Create => parse_create(data),
        Kind::Update => parse_update(data),
        Kind::Destroy => Ok(Message::Destroy {
            var_id: integer(data, "varId", None)?,
        }),
        Kind::Watch => Ok(Message::Watch {
            var_id: integer(data, "varId", None)?,
        }),
        Kind::Unwatch => Ok(Message::Unwatch {
            var_id: integer(data, "varId", None)?,
        }),
    }
}

fn parse_create(data: &Map<String, Value>) -> Result<Message, WireError> {
    let id = integer(data, "id", None)?;
    if id < 1 {
        return Err(bad(None, format!("`id` must be at least 1, not {id}")));
    }
    let var_id = Some(id);
    let parent_id = integer(data, "parentId", var_id)?;
    let properties = match data.get("properties") {
        Some(value) => properties(value, var_id)?,
        None => Vec::new(),
    };
    let path = properties
        .iter()
        .rev()
        .find(|(name, _)| bare_name(name) == "path")
        .map(|(_, path)| path.as_str());
    if path.is_none_or(str::is_empty) {
        return Err(bad(var_id, "`create` needs a non-empty `path` property"));
    }
    Ok(Message::Create {
        id,
        parent_id,
        properties,
        nowatch: matches!(data.get("nowatch"), Some(Value::Bool(true))),
    })
}

fn parse_update(data: &Map<String, Value>) -> Result<Message, WireError> {
    let var_id = integer(data, "varId", None)?;
    let properties = match data.get("properties") {
        Some(value) => Some(properties(value, Some(var_id))?),
        None => None,
    };
    Ok(Message::Update {
        var_id,
        value: data.get("value").cloned(),
        properties,
    })
}

/// A required integer field.
fn integer(data: &Map<String, Value>, field: &str, var_id: Option<i64>) -> Result<i64, WireError> {
    match data.get(field) {
        Some(value) => as_integer(value).ok_or_else(|| {
            bad(
                var_id,
                format!("`{field}` must be an integer, not {}", describe(value)),
            )
        }),
        None => Err(bad(var_id, format!("`{field}` is missing"))),
    }
}

/// A JSON integer in `i64` range, or a number written with a fraction or exponent whose value
/// is an integer a float holds exactly (|n| ≤ 2⁵³): `7.0` and `7e0` are 7. Larger floats are
/// refused because their digits were already rounded away (`-9223372036854775809` would
/// otherwise come out as `i64::MIN`).
fn as_integer(value: &Value) -> Option<i64> {
    /// 2⁵³: up to it a float holds every integer exactly; beyond, one float stands for several.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let Value::Number(number) = value else {
        return None;
    };
    if let Some(integer) = number.as_i64() {
        return Some(integer);
    }
    let float = number.as_f64()?;
    (float.fract() == 0.0 && float.abs() <= EXACT).then_some(float as i64)
}

/// A `properties` object: string values, names non-empty (also once a priority suffix is
/// stripped, since `":high"` names nothing). Sorted by name so the result does not depend on
/// how `serde_json` orders its maps.
fn properties(value: &Value, var_id: Option<i64>) -> Result<Vec<(String, String)>, WireError> {
    let Value::Object(object) = value else {
        return Err(bad(
            var_id,
            format!("`properties` must be an object, not {}", describe(value)),
        ));
    };
    let mut properties = Vec::with_capacity(object.len());
    for (name, value) in object {
        if bare_name(name).is_empty() {
            return Err(bad(var_id, format!("empty property name {}", quote(name))));
        }
        let Value::String(text) = value else {
            return Err(bad(
                var_id,
                format!(
                    "property {} must be a string, not {}",
                    quote(name),
                    describe(value)
                ),
            ));
        };
        properties.push((name.clone(), text.clone()));
    }
    properties.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    Ok(properties)
}

/// A property name without its priority suffix (§5.4: `:high`, `:medium`, `:med`, `:low`
/// after the last `:`, any case).
fn bare_name(name: &str) -> &str {
    match name.rsplit_once(':') {
        Some((bare, suffix))
            if ["high", "medium", "med", "low"]
                .iter()
                .any(|priority| suffix.eq_ignore_ascii_case(priority)) =>
        {
            bare
        }
        _ => name,
    }
}

fn bad(var_id: Option<i64>, description: impl Into<String>) -> WireError {
    WireError::new(ErrorCode::BadMessage, var_id, description)
}

/// What a value is, for a description: its text for a number, else its kind.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(number) => number.to_string(),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Peer text quoted for a description, cut short so an error never echoes a large frame.
fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let excerpt: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    let more = if chars.next().is_some() { "…" } else { "" };
    format!("\"{excerpt}{more}\"")
}
