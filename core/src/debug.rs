//! The debug view of a session's variables (PROTOCOL §11).

use std::fmt::Write;

use crate::lua::VariableView;
use crate::tracker::value_json::write_string;

/// `/<sid>/variables.json`: every variable in tree order with the §11 fields.
pub(crate) fn variables_json(variables: &[VariableView]) -> String {
    let mut out = String::from("[");
    for (i, v) in variables.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"id\":{},\"parentId\":{},\"path\":",
            v.id,
            v.parent.unwrap_or(0)
        );
        write_optional(&mut out, v.properties.get("path"));
        out.push_str(",\"type\":");
        write_optional(&mut out, v.properties.get("type"));
        out.push_str(",\"value\":");
        out.push_str(v.value.as_deref().ok().unwrap_or("null"));
        out.push_str(",\"properties\":{");
        for (j, (name, text)) in v.properties.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            write_string(&mut out, name);
            out.push(':');
            write_string(&mut out, text);
        }
        out.push_str("},\"childIds\":[");
        for (j, child) in v.children.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let _ = write!(out, "{child}");
        }
        out.push_str("],\"active\":true,\"access\":");
        write_string(
            &mut out,
            v.properties.get("access").map_or("rw", String::as_str),
        );
        out.push_str(",\"error\":");
        match &v.value {
            Ok(_) => out.push_str("null"),
            Err((code, description)) => {
                let _ = write!(out, "{{\"code\":\"{code}\",\"description\":");
                write_string(&mut out, description);
                out.push('}');
            }
        }
        let _ = write!(out, ",\"depth\":{}}}", v.depth);
    }
    out.push(']');
    out
}

fn write_optional(out: &mut String, text: Option<&String>) {
    match text {
        Some(text) => write_string(out, text),
        None => out.push_str("null"),
    }
}
