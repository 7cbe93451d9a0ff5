//! Generated frames as the text a tab sends.

use serde_json::{Value, json};

use crate::inputs::*;

pub fn encode(message: &Msg) -> Value {
    match message {
        Msg::Create {
            id,
            parent,
            path,
            access,
            nowatch,
            extra,
        } => {
            let mut properties: serde_json::Map<String, Value> = extra
                .iter()
                .map(|(name, text)| (name.clone(), json!(text)))
                .collect();
            properties.insert("path".into(), json!(PATHS[*path]));
            if let Some(access) = ACCESS[*access] {
                properties.insert("access".into(), json!(access));
            }
            json!({"type": "create", "data": {"id": id, "parentId": parent, "nowatch": nowatch, "properties": properties}})
        }
        Msg::Update {
            id,
            value,
            properties,
        } => {
            let mut data = json!({"varId": id});
            if let Some(value) = value {
                data["value"] = value.clone();
            }
            if let Some(properties) = properties {
                let map: serde_json::Map<String, Value> = properties
                    .iter()
                    .map(|(name, text)| (name.clone(), json!(text)))
                    .collect();
                data["properties"] = Value::Object(map);
            }
            json!({"type": "update", "data": data})
        }
        Msg::Destroy(id) => json!({"type": "destroy", "data": {"varId": id}}),
        Msg::Watch(id) => json!({"type": "watch", "data": {"varId": id}}),
        Msg::Unwatch(id) => json!({"type": "unwatch", "data": {"varId": id}}),
        Msg::Raw(value) => value.clone(),
    }
}

pub fn batch_of(messages: impl IntoIterator<Item = Value>, user_event: bool) -> String {
    let list: Vec<Value> = messages.into_iter().collect();
    json!({"userEvent": user_event, "messages": list}).to_string()
}

/// `depth` arrays (or single-member objects) around `inner`, as text: serde_json would refuse
/// to build the deeper ones.
pub fn nested(depth: usize, objects: bool, inner: &str) -> String {
    let (open, close) = if objects {
        (r#"{"a":"#, "}")
    } else {
        ("[", "]")
    };
    let mut out = String::with_capacity(depth * (open.len() + 1) + inner.len());
    for _ in 0..depth {
        out.push_str(open);
    }
    out.push_str(inner);
    for _ in 0..depth {
        out.push_str(close);
    }
    out
}

pub fn render(frame: &Frame) -> String {
    match frame {
        Frame::Batch {
            user_event,
            messages,
        } => batch_of(messages.iter().map(encode), *user_event),
        Frame::Bare(messages) => Value::Array(messages.iter().map(encode).collect()).to_string(),
        Frame::Single(message) => encode(message).to_string(),
        Frame::Text(text) => text.clone(),
        Frame::Cut { messages, at } => {
            let text = batch_of(messages.iter().map(encode), true);
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text[..at].to_owned()
        }
        Frame::Deep {
            depth,
            objects,
            place,
            id,
        } => {
            let deep = nested(*depth, *objects, "1");
            match place {
                DeepPlace::Frame => deep,
                DeepPlace::Value => format!(
                    r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{id},"value":{deep}}}}}]}}"#
                ),
                DeepPlace::Property => format!(
                    r#"{{"messages":[{{"type":"update","data":{{"varId":{id},"properties":{{"label":{deep}}}}}}}]}}"#
                ),
                DeepPlace::Data => format!(r#"[{{"type":"watch","data":{deep}}}]"#),
            }
        }
        Frame::Huge {
            bytes,
            unit,
            place,
            id,
        } => {
            let huge = unit.repeat(bytes / unit.len());
            match place {
                HugePlace::Value => format!(
                    r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{id},"value":"{huge}"}}}}]}}"#
                ),
                HugePlace::Property => format!(
                    r#"[{{"type":"update","data":{{"varId":{id},"properties":{{"label":"{huge}"}}}}}}]"#
                ),
                HugePlace::PropertyName => format!(
                    r#"[{{"type":"update","data":{{"varId":{id},"properties":{{"{huge}":"x"}}}}}}]"#
                ),
                HugePlace::Path => format!(
                    r#"[{{"type":"create","data":{{"id":{},"parentId":1,"properties":{{"path":"{huge}"}}}}}}]"#,
                    id + 100
                ),
                HugePlace::Type => format!(r#"{{"type":"{huge}","data":{{}}}}"#),
                HugePlace::Garbage => huge,
            }
        }
        Frame::Chain {
            parent,
            from,
            len,
            access,
        } => batch_of(
            (*from..from + len).map(|id| {
                let parent = if id == *from { *parent } else { id - 1 };
                let mut properties = json!({"path": "v"});
                if let Some(access) = ACCESS[*access] {
                    properties["access"] = json!(access);
                }
                json!({"type": "create", "data": {"id": id, "parentId": parent, "properties": properties}})
            }),
            false,
        ),
        Frame::Fan {
            parent,
            from,
            len,
            path,
        } => batch_of(
            (*from..from + len).map(|id| {
                json!({"type": "create", "data": {"id": id, "parentId": parent, "properties": {"path": PATHS[*path]}}})
            }),
            true,
        ),
        Frame::Repeat { message, times } => {
            let one = encode(message);
            batch_of(std::iter::repeat_n(one, *times), false)
        }
    }
}
