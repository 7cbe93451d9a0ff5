//! Evaluating and writing tracked variables against the session's Lua objects: detection
//! (§4.5), the value JSON and `type` of each variable (§5.5, §5.6), error state (§5.8) and
//! client writes (§5.3). The tracker is only borrowed between calls into Lua, since Lua code
//! may call back into the session API.

use mlua::Value;

use crate::lua::api::view_list;
use crate::lua::detect::convert::json_to_lua;
use crate::lua::detect::mirror::Mirror;
use crate::lua::detect::read::{Read, read};
use crate::lua::detect::resolve::{self, PathError};
use crate::lua::detect::settle;
use crate::lua::detect::value_json::{JsonError, type_name, value_json};
use crate::lua::{LuaBackend, LuaFailure};
use crate::lua::{Tracker, Variable};
use crate::tracker::property::Priority;
use crate::tracker::{Fault, Node, VarError, VarId};

impl From<PathError> for VarError {
    fn from(error: PathError) -> Self {
        match error {
            PathError::Navigation(description) => VarError {
                fault: Fault::Path,
                description,
            },
            PathError::Lua(error) => match view_list::refused_name(&error) {
                Some(description) => VarError {
                    fault: Fault::Path,
                    description,
                },
                None => lua_error(&error),
            },
            PathError::Denied(description) => VarError {
                fault: Fault::Denied,
                description,
            },
        }
    }
}

fn lua_error(error: &mlua::Error) -> VarError {
    VarError {
        fault: Fault::Lua,
        description: LuaFailure::from_error(error).message,
    }
}

impl From<JsonError> for VarError {
    fn from(error: JsonError) -> Self {
        let (fault, description) = error.fault_and_description();
        VarError { fault, description }
    }
}

/// The variable to evaluate: by position in a detection walk's tree order, or by id.
#[derive(Clone, Copy)]
enum Place<'a> {
    Walk(&'a [Node], usize),
    Id(VarId),
}

impl Place<'_> {
    /// The variable a path with `up` leading `..` starts from (see [`Tracker::start_of`]):
    /// `None` above a root, `Some(None)` if it went away while Lua ran during the walk.
    fn start<'t>(&self, tracker: &'t Tracker, up: usize) -> Option<Option<&'t Variable>> {
        match *self {
            Place::Walk(order, position) => {
                let mut current = order[position].parent?;
                for _ in 0..up {
                    current = order[current].parent?;
                }
                let node = order[current];
                Some(tracker.at(node.slot, node.id))
            }
            Place::Id(id) => tracker.start_of(id, up).map(|start| tracker.get(start)),
        }
    }
}

/// Walks per update cycle at most (§4.5).
const MAX_WALKS: usize = 4;

/// Where a variable's value comes from.
enum Source {
    /// A value holder (variable 1, a server variable made with a value).
    Held(Value),
    /// A path read from this start value.
    Path(Value, std::rc::Rc<crate::tracker::path::Path>),
    /// A path with more `..` than the variable has ancestors.
    AboveRoot,
}

/// What evaluating one variable costs the server outside Lua (reading the tracker, encoding
/// and comparing its JSON), in instructions: about a microsecond.
const EVALUATION_COST: u64 = 200;

impl LuaBackend {
    /// Change detection (§4.5): walks again while a ViewList re-synchronised during the
    /// previous walk, at most [`MAX_WALKS`] walks. Returns whether any value, property or
    /// error state changed.
    pub(crate) fn detect(&mut self) -> bool {
        self.resynced.set(false);
        let mut changed = false;
        for _ in 0..MAX_WALKS {
            changed |= self.walk();
            if !self.resynced.replace(false) {
                break;
            }
        }
        changed
    }

    /// One detection walk over the variables not suspended, in tree order. Returns whether
    /// any value, property or error state changed.
    ///
    /// Variables are first offered to [`settle`], which proves most of them unchanged in one
    /// call into Lua against the mirror left by the previous walk; the rest are evaluated one
    /// by one, and their navigation values recorded in the mirror for the next walk. A mirror
    /// is carried over to a new tree order for the variables still there, an entry is
    /// dropped when its variable is evaluated outside a walk (see [`LuaBackend::evaluate`]),
    /// and the probes are only kept while the tracker's epoch holds.
    fn walk(&mut self) -> bool {
        let order = self.host(|h| h.tracker.tree_order());
        let mirror = match self.mirror.take() {
            Some(mirror) => mirror.for_order(&self.lua, &order),
            None => Mirror::fresh(&self.lua, &order),
        };
        let Some(mut mirror) = mirror else {
            // A small tree: every variable evaluated the ordinary way, nothing kept.
            let visit = self.host(|h| h.tracker.detection_order(&order));
            return visit.into_iter().fold(false, |changed, position| {
                self.evaluate_at(Place::Walk(&order, position)) | changed
            });
        };
        let epoch = self.host(|h| h.tracker.epoch());
        let mut probes = match mirror.probes.take() {
            Some(probes) if probes.epoch == epoch => probes,
            _ => self.host(|h| settle::Probes::new(&h.tracker, &order, &mirror.known)),
        };
        let mut changed = false;
        let mut index = 0;
        while index < probes.visit.len() {
            index = settle::settle(&self.lua, &mirror.values, &probes, index);
            let Some(&position) = probes.visit.get(index) else {
                break;
            };
            changed |= self.evaluate_at(Place::Walk(&order, position));
            let node = order[position];
            let navigation =
                self.host(|h| h.tracker.at(node.slot, node.id).map(|v| v.navigation()));
            if mirror
                .values
                .raw_set(position + 1, navigation.unwrap_or(Value::Nil))
                .is_err()
            {
                // No memory left for the mirror: finish this walk the ordinary way; the next
                // one starts a new mirror.
                for &position in &probes.visit[index + 1..] {
                    changed |= self.evaluate_at(Place::Walk(&order, position));
                }
                return changed;
            }
            mirror.known[position] = true;
            self.host(|h| probes.refresh(&h.tracker, &order, &mirror.known, index));
            index += 1;
        }
        mirror.probes = Some(probes);
        self.mirror = Some(mirror);
        changed
    }

    /// Re-evaluates one variable: a readable path variable reads its path from its start
    /// value, a value holder re-encodes what it holds; `w` and `action` variables are not
    /// read. Returns whether its value JSON, `type` or error state changed.
    pub(crate) fn evaluate(&mut self, id: VarId) -> bool {
        // The value may change outside a walk: the mirror would no longer hold it.
        let slot = self.host(|h| h.tracker.slot(id));
        if let (Some(mirror), Some(slot)) = (&mut self.mirror, slot) {
            mirror.forget(slot, id);
        }
        self.evaluate_at(Place::Id(id))
    }

    fn evaluate_at(&mut self, place: Place<'_>) -> bool {
        let changed = self.evaluate_place(place);
        self.budget.idle();
        // A client that binds thousands of variables makes detection long even when each
        // getter is short: the server's own work counts toward the step's slice as well.
        self.budget.spend_slice(EVALUATION_COST);
        self.budget.yield_point();
        changed
    }

    fn evaluate_place(&mut self, place: Place<'_>) -> bool {
        let Some((source, settled, slot, id)) = self.host(|h| {
            let (slot, id) = match place {
                Place::Walk(order, position) => (order[position].slot, order[position].id),
                Place::Id(id) => (h.tracker.slot(id)?, id),
            };
            let variable = h.tracker.at(slot, id)?;
            if !variable.access.is_readable() {
                return None;
            }
            let source = match &variable.path {
                None => Source::Held(variable.value.clone()),
                Some(path) => match place.start(&h.tracker, path.up) {
                    Some(start) => Source::Path(
                        start.map(|s| s.navigation()).unwrap_or(Value::Nil),
                        path.clone(),
                    ),
                    None => Source::AboveRoot,
                },
            };
            let settled = variable.settled().then(|| variable.value.clone());
            Some((source, settled, slot, id))
        }) else {
            return false;
        };
        self.budget.reset();
        let read = match source {
            // A value holder's scalar never changes: only its table's contents can.
            Source::Held(_) if settled.is_some() => return false,
            Source::Held(held) => Ok(held),
            Source::Path(start, path) => match read(&self.lua, &start, &path, settled.as_ref()) {
                Ok(Read::Same) => return false,
                Ok(Read::Value(value)) => Ok(value),
                Err(error) => Err(VarError::from(error)),
            },
            Source::AboveRoot => Err(VarError {
                fault: Fault::Path,
                description: "the path goes above the root of the variable tree".into(),
            }),
        };
        let outcome = read.and_then(|value| {
            let json = value_json(&value, &mut self.objects)?;
            let wrapper = self.refresh_wrapper(id, &value, &json);
            let (json, type_name) = match &wrapper {
                Some(wrapper) => {
                    let shown = Value::Table(wrapper.table.clone());
                    let own = type_name(&wrapper.table).map_err(|e| lua_error(&e))?;
                    (
                        value_json(&shown, &mut self.objects)?,
                        own.or(Some(wrapper.name.clone())),
                    )
                }
                None => match &value {
                    Value::Table(table) => (json, type_name(table).map_err(|e| lua_error(&e))?),
                    _ => (json, None),
                },
            };
            Ok((value, json, type_name, wrapper))
        });
        let budget = &self.budget;
        self.host(|h| {
            let Some(variable) = h.tracker.at_mut(slot, id) else {
                return false;
            };
            match outcome {
                Ok((value, json, type_name, wrapper)) => {
                    variable.wrapper = wrapper;
                    let mut changed = variable.error.take().is_some();
                    if changed {
                        variable.version += 1;
                    }
                    if variable.json.as_deref() != Some(json.as_str()) {
                        variable.json = Some(json);
                        variable.version += 1;
                        changed = true;
                    }
                    variable.value = value;
                    if let Some(name) = type_name.filter(|name| !name.is_empty()) {
                        changed |= variable.set_property("type", &name, Priority::Medium);
                    }
                    changed
                }
                Err(error) => {
                    let changed = variable.error.as_ref() != Some(&error);
                    if changed {
                        variable.version += 1;
                        if error.fault == Fault::Lua {
                            budget.note_lua_error();
                        }
                    }
                    variable.error = Some(error);
                    changed
                }
            }
        })
    }

    /// A client's `update` value written through the variable's path (§5.3). Returns the
    /// written value's JSON: what the writer counts as having received.
    pub(crate) fn write(
        &mut self,
        id: VarId,
        json: &serde_json::Value,
    ) -> Result<Option<String>, VarError> {
        let written = self.write_through(id, json);
        self.budget.idle();
        if written
            .as_ref()
            .is_err_and(|error| error.fault == Fault::Lua)
        {
            self.budget.note_lua_error();
        }
        written
    }

    fn write_through(
        &mut self,
        id: VarId,
        json: &serde_json::Value,
    ) -> Result<Option<String>, VarError> {
        let target = self.host(|h| {
            let variable = h.tracker.get(id)?;
            let path = variable.path.clone()?;
            let start = h.tracker.start_of(id, path.up);
            let start = start.and_then(|s| h.tracker.get(s)).map(|s| s.navigation());
            Some((path, variable.access, start))
        });
        let Some((path, access, start)) = target else {
            return Err(VarError {
                fault: Fault::Denied,
                description: "this variable has no path to write through".into(),
            });
        };
        let Some(start) = start else {
            return Err(VarError {
                fault: Fault::Path,
                description: "the path goes above the root of the variable tree".into(),
            });
        };
        self.budget.reset();
        let value = json_to_lua(&self.lua, json).map_err(|e| lua_error(&e))?;
        let written = value_json(&value, &mut self.objects).ok();
        resolve::write(&start, &path, access, value)?;
        Ok(written)
    }
}
