//! One open WebSocket of a session (a browser tab): its wire ids, and what it has been sent.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::lua::LuaBackend;
use crate::protocol::Outbound;
use crate::tracker::{APP_VAR, VarError, VarId};
use crate::viewdefs::Viewdefs;

/// What a connection last received for one variable it watches (§4.6).
#[derive(Debug, Default, Clone)]
pub(crate) struct Sent {
    /// The value JSON, `None` if no value was ever sent.
    pub(crate) value: Option<String>,
    pub(crate) properties: BTreeMap<String, String>,
    /// The error it was told about and that still stands.
    pub(crate) error: Option<VarError>,
    /// The variable's version this record matches; 0 for none.
    pub(crate) version: u64,
}

pub(crate) struct Connection {
    /// 1, 2, … in opening order within the session (logs, debug).
    pub(crate) number: u32,
    /// This connection's client variables by the wire id it gave them.
    pub(crate) client_ids: BTreeMap<i64, VarId>,
    /// Per watched variable, what was last sent.
    pub(crate) sent: BTreeMap<VarId, Sent>,
    /// The core's viewdefs as this connection was last sent them (§8); `None` before the
    /// first. Shared, not copied: most connections have the current set.
    pub(crate) viewdefs: Option<Rc<Viewdefs>>,
    /// `destroy` and message `error`s, in the order they arose.
    pub(crate) queue: Vec<Outbound>,
}

impl Connection {
    pub(crate) fn new(number: u32) -> Self {
        Self {
            number,
            client_ids: BTreeMap::new(),
            sent: BTreeMap::new(),
            viewdefs: None,
            queue: Vec::new(),
        }
    }

    /// The variable a wire id names for this connection, if it can see it (§4.1): variable
    /// 1, a server variable, or one of its own client variables.
    pub(crate) fn resolve(&self, backend: &LuaBackend, wire: i64) -> Option<VarId> {
        let id = match wire {
            APP_VAR => APP_VAR,
            w if w < 0 => w,
            w => *self.client_ids.get(&w)?,
        };
        let owner = backend.owner_of(id)?;
        (wire >= APP_VAR || owner.is_none()).then_some(id)
    }
}
