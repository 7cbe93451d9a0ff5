//! The flush (docs/protocol.md §4.6): what each connection is sent, as the difference between the
//! tracker's state and what the connection last received, in one frame.

use crate::ids::ConnId;
use crate::lua::{Tracker, Variable};
use std::rc::Rc;

use crate::protocol::Outbound;
use crate::session::connection::{Connection, Sent};
use crate::tracker::property::{Priority, value_priority};
use crate::tracker::{APP_VAR, VarId};
use crate::viewdefs::Viewdefs;

const LEVELS: [Priority; 3] = [Priority::High, Priority::Medium, Priority::Low];

/// The messages `connection` is owed, in frame order: the viewdefs message, updates by
/// priority then tree order, then `destroy`s and `error`s in the order they arose. Records
/// everything as sent. Only `unflushed` variables ([`Tracker::unflushed`]) can owe anything;
/// `pace` is called for each (see `LuaBackend::flush_with`).
pub(crate) fn outbound(
    conn: ConnId,
    connection: &mut Connection,
    tracker: &Tracker,
    viewdefs: &Rc<Viewdefs>,
    unflushed: &[VarId],
    pace: &dyn Fn(),
) -> Vec<Outbound> {
    let mut out = Vec::new();
    let watches_app = tracker
        .get(APP_VAR)
        .is_some_and(|app| app.watched_by.contains_key(&conn));
    let sent = connection.viewdefs.as_ref();
    if watches_app && !sent.is_some_and(|sent| Rc::ptr_eq(sent, viewdefs)) {
        out.extend(viewdefs.message_for(sent.map(|sent| &**sent)));
        connection.viewdefs = Some(Rc::clone(viewdefs));
    }

    let mut diffs = Vec::new();
    let mut errors = Vec::new();
    for variable in unflushed.iter().filter_map(|id| tracker.get(*id)) {
        pace();
        if !variable.watched_by.contains_key(&conn) {
            continue;
        }
        let sent = connection.sent.entry(variable.id).or_default();
        if sent.version == variable.version {
            continue;
        }
        sent.version = variable.version;
        if let Some(diff) = diff(variable, sent) {
            diff.record(sent);
            diffs.push(diff);
        }
        if variable.error != sent.error {
            if let Some(error) = &variable.error {
                errors.push(Outbound::Error {
                    var_id: Some(variable.wire_id()),
                    code: error.fault.into(),
                    description: error.description.clone(),
                });
            }
            sent.error = variable.error.clone();
        }
    }
    for level in LEVELS {
        for diff in &mut diffs {
            let properties = diff.properties_at(level);
            let value_here = diff.value_level == level && diff.value.is_some();
            if properties.is_empty() && !value_here {
                continue;
            }
            // No clearing (§4.6): once a value was received (earlier, or by an update before
            // this one in the frame), an update with properties carries the current value too.
            let value = if value_here || diff.had_value {
                diff.current.clone()
            } else {
                None
            };
            diff.had_value |= value.is_some();
            out.push(Outbound::Update {
                var_id: diff.wire_id,
                value,
                properties,
            });
        }
    }
    // An error is dropped if its variable's value is re-sent after it arose (§4.6): every
    // queued error arose before this flush.
    let re_sent: Vec<i64> = diffs
        .iter()
        .filter(|diff| diff.value.is_some() && diff.had_value_before)
        .map(|diff| diff.wire_id)
        .collect();
    out.extend(connection.queue.drain(..).filter(|message| match message {
        Outbound::Error {
            var_id: Some(id), ..
        } => !re_sent.contains(id),
        _ => true,
    }));
    out.extend(errors);
    out
}

/// What changed for one variable since the connection's record.
struct Diff {
    wire_id: i64,
    /// The value to send because it changed (or recovered from an error).
    value: Option<String>,
    value_level: Priority,
    /// The current value JSON, for updates that must carry it.
    current: Option<String>,
    /// Whether the connection has a value for it: before this flush, or from an update
    /// already placed in this frame.
    had_value: bool,
    had_value_before: bool,
    properties: Vec<(Priority, String, String)>,
}

impl Diff {
    /// Updates the connection's record with what this difference sends.
    fn record(&self, sent: &mut Sent) {
        if let Some(value) = &self.value {
            sent.value = Some(value.clone());
        }
        for (_, name, text) in &self.properties {
            if text.is_empty() {
                sent.properties.remove(name);
            } else {
                sent.properties.insert(name.clone(), text.clone());
            }
        }
    }

    fn properties_at(&self, level: Priority) -> Vec<(String, String)> {
        self.properties
            .iter()
            .filter(|(p, _, _)| *p == level)
            .map(|(_, name, text)| (name.clone(), text.clone()))
            .collect()
    }
}

fn diff(variable: &Variable, sent: &Sent) -> Option<Diff> {
    let had_value = sent.value.is_some();
    let mut value = None;
    if variable.access.is_readable() && variable.error.is_none() {
        let current = variable.json.as_deref().unwrap_or("null");
        let previous = sent.value.as_deref().unwrap_or("null");
        let recovered = sent.error.is_some() && (had_value || current != "null");
        if current != previous || recovered {
            value = Some(current.to_owned());
        }
    }
    let mut properties = Vec::new();
    for (name, property) in &variable.properties {
        if sent.properties.get(name) != Some(&property.text) {
            properties.push((property.priority, name.clone(), property.text.clone()));
        }
    }
    for name in sent.properties.keys() {
        if !variable.properties.contains_key(name) {
            properties.push((Priority::Medium, name.clone(), String::new()));
        }
    }
    if value.is_none() && properties.is_empty() {
        return None;
    }
    Some(Diff {
        wire_id: variable.wire_id(),
        value,
        value_level: value_priority(variable.property("priority")),
        current: variable.json.clone(),
        had_value,
        had_value_before: had_value,
        properties,
    })
}
