//! The debug view of a session's variables (PROTOCOL §11).

use std::fmt::Write;

use crate::lua::VariableView;
use crate::tracker::value_json::write_string;

/// `/<sid>/variables`: a page that polls `variables.json` beside it and shows it as a sortable
/// table or a tree. Its script is the built-in asset `/lunette/variables-page.js`, so that its
/// policy needs no inline script.
pub(crate) const VARIABLES_PAGE: &str = include_str!("variables_page.html");

/// `/<sid>/variables.json`: every variable in tree order with the §11 fields. `connection`
/// gives a connection's number for the client variables' owners.
pub(crate) fn variables_json(
    variables: &[VariableView],
    connection: impl Fn(crate::ids::ConnId) -> Option<u32>,
) -> String {
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
        write_optional(&mut out, v.path.as_deref());
        out.push_str(",\"type\":");
        write_optional(&mut out, v.properties.get("type").map(String::as_str));
        out.push_str(",\"value\":");
        out.push_str(v.json.as_deref().unwrap_or("null"));
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
        let _ = write!(
            out,
            "],\"active\":{},\"access\":\"{}\",\"error\":",
            v.active, v.access
        );
        match &v.error {
            None => out.push_str("null"),
            Some(error) => {
                let _ = write!(
                    out,
                    "{{\"code\":\"{}\",\"description\":",
                    error.code.as_str()
                );
                write_string(&mut out, &error.description);
                out.push('}');
            }
        }
        let _ = write!(out, ",\"depth\":{}", v.depth);
        if let Some((conn, wire)) = v.owner {
            let number = connection(conn).unwrap_or(0);
            let _ = write!(out, ",\"connection\":{number},\"clientId\":{wire}");
        }
        out.push('}');
    }
    out.push(']');
    out
}

fn write_optional(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => write_string(out, text),
        None => out.push_str("null"),
    }
}
