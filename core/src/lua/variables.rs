//! A session's one door to its tracker (docs/protocol.md §4.2–§4.6): the protocol's operations on
//! variables, which may run Lua, and the read-only looks a flush and the debug pages take.
//! The session keeps what is its own (each connection's wire ids and what it was sent); every
//! change to the variable tree goes through here.

use std::rc::Rc;

use crate::ids::ConnId;
use crate::lua::{LuaBackend, Tracker};
use crate::tracker::access::Access;
use crate::tracker::declared::{Declared, Refusal, allowed};
use crate::tracker::path::Path;
use crate::tracker::property::Priority;
use crate::tracker::{Fault, Removed, VarError, VarId};

/// How large a session's variable tree may grow (`--max-variables`, `--max-depth`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeLimits {
    pub(crate) variables: usize,
    pub(crate) depth: usize,
}

/// What the flush costs per variable it looks at, in instructions: about a microsecond.
const FLUSH_COST: u64 = 200;

/// What removing one variable counts toward a slice, in VM instructions: about its cost.
const REMOVAL_COST: u64 = 200;

fn limit(description: String) -> Refusal {
    Refusal {
        fault: Fault::Limit,
        description,
    }
}

impl LuaBackend {
    /// Who made variable `id`: `Some(None)` for variable 1 and server variables, `None` if
    /// there is no such variable.
    pub(crate) fn owner_of(&self, id: VarId) -> Option<Option<(ConnId, i64)>> {
        self.host(|h| h.tracker.get(id).map(|v| v.owner))
    }

    /// `create` (§4.2): a client variable `owner` names, under `parent`, reading `path` with
    /// `access` and holding the declared properties; watched by its owner unless `nowatch`.
    /// It is evaluated at once.
    pub(crate) fn create(
        &mut self,
        owner: (ConnId, i64),
        parent: VarId,
        declared: &Declared,
        (path, access): (Path, Access),
        watch: bool,
        limits: TreeLimits,
    ) -> Result<VarId, Refusal> {
        let (count, depth) = self.host(|h| {
            (
                h.tracker.len(),
                h.tracker.depth(parent).map_or(0, |d| d + 1),
            )
        });
        if count >= limits.variables {
            return Err(limit(format!(
                "this session already has {} variables (--max-variables)",
                limits.variables
            )));
        }
        if depth > limits.depth {
            return Err(limit(format!(
                "variable {} would lie deeper than {} levels (--max-depth)",
                owner.1, limits.depth
            )));
        }
        let id = self.host(|h| {
            let tracker = &mut h.tracker;
            let id = tracker.add_client(parent, owner);
            if let Some(variable) = tracker.get_mut(id) {
                variable.path = Some(Rc::new(path));
                variable.access = access;
                for (name, text, priority) in &declared.properties {
                    variable.set_property(name, text, *priority);
                }
                if watch {
                    variable.watched_by.insert(owner.0, 1);
                }
            }
            id
        });
        self.evaluate(id);
        Ok(id)
    }

    /// The properties of an `update` (§4.3): a new `path` or `access` is checked against the
    /// other and the variable evaluated again; properties are checked against the size limits.
    pub(crate) fn redeclare(&mut self, id: VarId, declared: &Declared) -> Result<(), Refusal> {
        let (current_path, current_access) = self
            .host(|h| h.tracker.get(id).map(|v| (v.path.clone(), v.access)))
            .unwrap_or((None, Access::ReadWrite));
        let mode_changes = declared.path.is_some() || declared.access.is_some();
        let access = declared.access.unwrap_or(current_access);
        if mode_changes && let Some(path) = declared.path.as_ref().or(current_path.as_deref()) {
            allowed(path, access)?;
        }
        let sizes = self.host(|h| {
            let new = declared
                .properties
                .iter()
                .map(|(name, text, _)| (name.as_str(), text.as_str()));
            h.tracker
                .get(id)
                .map_or(Ok(()), |v| v.check_property_sizes(new))
        });
        sizes.map_err(|why| limit(why.to_string()))?;
        if mode_changes || !declared.properties.is_empty() {
            self.host(|h| {
                if let Some(variable) = h.tracker.get_mut(id) {
                    for (name, text, priority) in &declared.properties {
                        variable.set_property(name, text, *priority);
                    }
                    if let Some(path) = declared.path.clone() {
                        variable.path = Some(Rc::new(path));
                    }
                    variable.access = access;
                }
            });
        }
        if mode_changes {
            self.evaluate(id);
        }
        Ok(())
    }

    /// The value of an `update` (§5.3), written through the variable's path. `Ok(None)`: the
    /// variable is inactive and the write is ignored; `Ok(Some(json))`: written, `json` being
    /// what the writer counts as having received.
    pub(crate) fn write_from_client(
        &mut self,
        id: VarId,
        value: &serde_json::Value,
    ) -> Result<Option<Option<String>>, VarError> {
        let (writable, inactive) = self.host(|h| {
            let writable = h
                .tracker
                .get(id)
                .is_some_and(|v| v.path.is_some() && v.access.is_writable_by_client());
            (writable, h.tracker.inactive(id))
        });
        if inactive {
            return Ok(None);
        }
        if !writable {
            return Err(VarError {
                fault: Fault::Denied,
                description: "this variable cannot be written".into(),
            });
        }
        self.write(id, value).map(Some)
    }

    /// The next flush compares the variable with what its watchers hold even if it does not
    /// change: after a write, the app may have kept its old value.
    pub(crate) fn owe_fresh_look(&self, id: VarId) {
        self.host(|h| h.tracker.owe_fresh_look(id));
    }

    /// `watch` (§4.4) by `conn`; true if it is the connection's first watch of it.
    pub(crate) fn watch(&self, id: VarId, conn: ConnId) -> bool {
        self.host(|h| {
            let Some(variable) = h.tracker.get_mut(id) else {
                return false;
            };
            variable.dormant = false;
            variable.flushed = 0;
            let count = variable.watched_by.entry(conn).or_insert(0);
            *count += 1;
            *count == 1
        })
    }

    /// `unwatch` (§4.4) by `conn`; true if the connection no longer watches it. A variable
    /// nobody watches goes dormant: detection skips it with its subtree.
    pub(crate) fn unwatch(&self, id: VarId, conn: ConnId) -> bool {
        self.host(|h| {
            let Some(variable) = h.tracker.get_mut(id) else {
                return false;
            };
            let Some(count) = variable.watched_by.get_mut(&conn) else {
                return false;
            };
            *count -= 1;
            if *count > 0 {
                return false;
            }
            variable.watched_by.remove(&conn);
            if variable.watched_by.is_empty() {
                variable.dormant = true;
            }
            true
        })
    }

    /// Removes a variable and its subtree; whom to tell waits in [`LuaBackend::take_removals`].
    pub(crate) fn remove(&self, id: VarId) {
        self.host(|h| h.tracker.remove(id));
    }

    /// Removed variables whose watchers have not been told yet, also those Lua removed.
    pub(crate) fn take_removals(&self) -> Vec<Removed> {
        self.host(|h| h.tracker.take_removals())
    }

    /// A connection closed (§6.2): its watches go, and every client variable it made. Whom
    /// to tell waits in [`LuaBackend::take_removals`]. Paced like the flush: a tab with
    /// thousands of variables takes milliseconds to forget.
    pub(crate) fn forget_connection(&self, conn: ConnId) {
        let budget = &self.budget;
        let pace = || {
            budget.spend_slice(REMOVAL_COST);
            budget.yield_point();
        };
        self.host(|h| {
            h.tracker.forget_watcher(conn);
            for root in h.tracker.client_roots_of(conn) {
                h.tracker.remove_paced(root, &pace);
            }
        });
    }

    /// Sets a property of variable 1, if it exists.
    pub(crate) fn set_app_property(&self, name: &str, text: &str, priority: Priority) {
        self.host(|h| {
            if let Some(app) = h.tracker.get_mut(crate::tracker::APP_VAR) {
                app.set_property(name, text, priority);
            }
        });
    }

    /// An estimate of what the tracker holds, in bytes (see `--max-memory`).
    pub(crate) fn tracker_bytes(&self) -> usize {
        self.host(|h| h.tracker.approximate_bytes())
    }

    /// The flush (§4.6): `diff` looks at the tracker and the variables changed since the last
    /// flush, then they count as flushed. It calls `pace` once per variable it looks at: a
    /// step may be suspended there (`slices.rs`), as a flush of thousands of changes takes
    /// milliseconds. Nothing else touches the session meanwhile.
    pub(crate) fn flush_with(&self, diff: impl FnOnce(&Tracker, &[VarId], &dyn Fn())) {
        let budget = &self.budget;
        let pace = || {
            budget.spend_slice(FLUSH_COST);
            budget.yield_point();
        };
        self.host(|h| {
            let unflushed = h.tracker.unflushed();
            diff(&h.tracker, &unflushed, &pace);
            h.tracker.mark_flushed(&unflushed);
        });
    }

    /// A read-only look at the tracker, for the debug pages. `look` must not call into Lua.
    pub(crate) fn look<R>(&self, look: impl FnOnce(&Tracker) -> R) -> R {
        self.host(|h| look(&h.tracker))
    }
}
