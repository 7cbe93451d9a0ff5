//! The debug view of a session's variables (docs/protocol.md §11).
//!
//! Debug requests run as steps of the session and hold its shard, and a peer decides how many
//! variables there are and how deep they nest. So the listing is linear in what it shows and
//! bounded: at most [`MAX_LISTED`] variables and [`MAX_BYTES`] of JSON, long texts clipped.
//! When it is cut short its last element is a marker, `{"truncated":true,"listed":N,"total":M}`,
//! which the page shows.

use std::fmt::Write;

use crate::ids::ConnId;
use crate::lua::{Tracker, Variable};
use crate::protocol::write_string;

/// `/<sid>/variables`: a page that polls `variables.json` beside it and shows it as a sortable
/// table or a tree. Its script is the built-in asset `/lunette/variables-page.js`, so that its
/// policy needs no inline script.
pub(crate) const VARIABLES_PAGE: &str = include_str!("variables_page.html");

/// The most variables `variables.json` lists.
pub(crate) const MAX_LISTED: usize = 10_000;

/// The most bytes of variables `variables.json` holds (the marker comes on top).
pub(crate) const MAX_BYTES: usize = 4 * 1024 * 1024;

/// A value JSON, property or error text longer than this is clipped.
pub(crate) const MAX_TEXT: usize = 64 * 1024;

/// `/<sid>/variables.json`: the variables in tree order with the §11 fields, as many as the
/// bounds allow. `connection` gives a connection's number for the client variables' owners.
pub(crate) fn variables_json(
    tracker: &Tracker,
    connection: impl Fn(ConnId) -> Option<u32>,
) -> String {
    let order = tracker.tree_order();
    // Whether each variable in tree order is active: neither it nor an ancestor suspended.
    // Parents come before their children, so one pass over the listed prefix does.
    let mut active: Vec<bool> = Vec::with_capacity(order.len().min(MAX_LISTED));
    let mut listed = 0;
    let mut out = String::from("[");
    let mut entry = String::new();
    for node in order.iter() {
        if listed == MAX_LISTED {
            break;
        }
        let under_active = node
            .parent
            .is_none_or(|p| active.get(p).copied().unwrap_or(false));
        let Some(variable) = tracker.at(node.slot, node.id) else {
            active.push(false);
            continue;
        };
        let is_active = under_active && !variable.suspended();
        active.push(is_active);
        entry.clear();
        write_variable(&mut entry, variable, node.depth, is_active, &connection);
        if out.len() + 1 + entry.len() > MAX_BYTES {
            break;
        }
        if listed > 0 {
            out.push(',');
        }
        out.push_str(&entry);
        listed += 1;
    }
    let total = tracker.len();
    if listed < total {
        if listed > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "{{\"truncated\":true,\"listed\":{listed},\"total\":{total}}}"
        );
    }
    out.push(']');
    out
}

fn write_variable(
    out: &mut String,
    v: &Variable,
    depth: usize,
    active: bool,
    connection: &impl Fn(ConnId) -> Option<u32>,
) {
    let _ = write!(
        out,
        "{{\"id\":{},\"parentId\":{},\"path\":",
        v.id,
        v.parent.unwrap_or(0)
    );
    write_optional(out, v.property("path"));
    out.push_str(",\"type\":");
    write_optional(out, v.property("type"));
    out.push_str(",\"value\":");
    let json = v.json.as_deref().unwrap_or("null");
    let value_clipped = json.len() > MAX_TEXT;
    out.push_str(if value_clipped { "null" } else { json });
    out.push_str(",\"properties\":{");
    for (j, (name, property)) in v.properties.iter().enumerate() {
        if j > 0 {
            out.push(',');
        }
        write_clipped(out, name);
        out.push(':');
        write_clipped(out, &property.text);
    }
    out.push_str("},\"childIds\":[");
    for (j, child) in v.children().enumerate() {
        if j > 0 {
            out.push(',');
        }
        let _ = write!(out, "{child}");
    }
    let _ = write!(
        out,
        "],\"active\":{active},\"access\":\"{}\",\"error\":",
        v.access.as_str()
    );
    match &v.error {
        None => out.push_str("null"),
        Some(error) => {
            let _ = write!(
                out,
                "{{\"code\":\"{}\",\"description\":",
                crate::protocol::ErrorCode::from(error.fault).as_str()
            );
            write_clipped(out, &error.description);
            out.push('}');
        }
    }
    let _ = write!(out, ",\"depth\":{depth}");
    if let Some((conn, wire)) = v.owner {
        let number = connection(conn).unwrap_or(0);
        let _ = write!(out, ",\"connection\":{number},\"clientId\":{wire}");
    }
    if value_clipped {
        // The value is too long to list: say how long instead.
        let _ = write!(out, ",\"valueBytes\":{}", json.len());
    }
    out.push('}');
}

fn write_optional(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => write_clipped(out, text),
        None => out.push_str("null"),
    }
}

/// Writes `text` as a JSON string, its first [`MAX_TEXT`] bytes and a note of the full length
/// when it is longer.
fn write_clipped(out: &mut String, text: &str) {
    if text.len() <= MAX_TEXT {
        write_string(out, text);
        return;
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    write_string(out, &format!("{}… ({} bytes)", &text[..end], text.len()));
}
