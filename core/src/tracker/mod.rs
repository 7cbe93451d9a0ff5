//! A session's change tracker: the variable tree, each variable's properties, access mode,
//! cached value and error state, and who watches it. Evaluation (which runs Lua) lives in
//! `lua::LuaBackend`; this module only holds and shapes the state. It knows no script engine:
//! the values it keeps are a [`Script`]'s, and `lua/` supplies Lua 5.4's.

pub(crate) mod access;
pub(crate) mod declared;
pub(crate) mod number;
pub(crate) mod path;
pub(crate) mod property;
pub(crate) mod store;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::ids::ConnId;
use access::Access;
use path::Path;
use property::Priority;
use store::{Slot, Store};

/// A variable id as the server knows it: 1 for the app variable, negative for server
/// variables, 2 and up (a per-session counter) for client variables.
pub(crate) type VarId = i64;

/// The app variable made by `session:createAppVariable`.
pub(crate) const APP_VAR: VarId = 1;

/// What the tracker keeps of a script engine's values without knowing the engine (`lua/` is
/// the one there is): the value a variable's children navigate from, and the table its wrapper
/// presents. The tracker only stores, clones and compares them.
pub(crate) trait Script {
    type Value: Clone;
    type Table: Clone;
    /// What a variable holds before its first evaluation.
    fn nothing() -> Self::Value;
    /// A table as a value.
    fn of_table(table: &Self::Table) -> Self::Value;
    fn is_table(value: &Self::Value) -> bool;
    /// Whether two values are the same object (for tables), or equal scalars.
    fn same(a: &Self::Value, b: &Self::Value) -> bool;
}

/// A property's text and the priority it is sent at (§5.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    pub(crate) text: String,
    pub(crate) priority: Priority,
}

/// A variable's wrapper (§5.7): the table it presents its value through.
pub(crate) struct Wrapper<S: Script> {
    /// The `wrapper` property it was made for.
    pub(crate) name: String,
    pub(crate) table: S::Table,
    /// The JSON of the value it last saw, to refresh it only when that changes.
    pub(crate) value_json: String,
    pub(crate) kind: WrapperKind,
}

// By hand: a derive would ask `S` itself to be `Clone`.
impl<S: Script> Clone for Wrapper<S> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            table: self.table.clone(),
            value_json: self.value_json.clone(),
            kind: self.kind.clone(),
        }
    }
}

/// Where a wrapper comes from, which decides how it follows its variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WrapperKind {
    /// `wrapper=T`, a Lua global: given each new value, then `sync()`ed (§5.7).
    Lua,
    /// `wrapper=lua.ViewList` (§9), with the `itemWrapper` it read at creation.
    ViewList { item_wrapper: Option<String> },
    /// `create=T` (§5.7): stands for the value until a value read differs from the first.
    Created,
}

/// What kind of failure something the tracker holds or checks ran into. `protocol/` maps each
/// to its §3.4 code; the tracker itself knows nothing of the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// A property, path or value of the wrong shape.
    Malformed,
    /// A path that does not parse or navigate, or a value JSON cannot carry.
    Path,
    /// What the variable's access mode or owner forbids.
    Denied,
    /// Lua raised an error or ran out of memory or budget.
    Lua,
    /// Past a size or count limit.
    Limit,
}

/// Why a variable's last evaluation failed (§5.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarError {
    pub(crate) fault: Fault,
    pub(crate) description: String,
}

pub(crate) struct Variable<S: Script> {
    pub(crate) id: VarId,
    pub(crate) parent: Option<VarId>,
    /// How many ancestors it has: 0 for a root. Variables never move, so it is set once.
    depth: usize,
    /// Children by creation order ([`Variable::seq`]), so that removing one of many costs
    /// no scan of its siblings.
    children: BTreeMap<u64, VarId>,
    /// Place in creation order among all variables of the tracker: 0 for variable 1.
    seq: u64,
    /// `None` for variables that hold a value instead (variable 1, Lua-made holders).
    /// Shared, so that evaluation can hold it while Lua runs without copying it.
    pub(crate) path: Option<Rc<Path>>,
    pub(crate) access: Access,
    /// Non-empty properties; setting one to `""` removes it.
    pub(crate) properties: BTreeMap<String, Property>,
    /// The last good value: children navigate from it.
    pub(crate) value: S::Value,
    /// The JSON of `value` (§5.5), `None` until first evaluated.
    pub(crate) json: Option<String>,
    pub(crate) error: Option<VarError>,
    pub(crate) wrapper: Option<Wrapper<S>>,
    /// For a client variable: the connection that made it and its wire id there.
    pub(crate) owner: Option<(ConnId, i64)>,
    /// Watch counts per connection (§4.4).
    pub(crate) watched_by: BTreeMap<ConnId, u32>,
    /// Unwatched down to zero: skipped with its subtree until watched again.
    pub(crate) dormant: bool,
    /// Has a non-empty `inactive` property: kept beside `properties` because detection asks
    /// for every variable in every cycle.
    inactive: bool,
    /// Has a non-empty `wrapper` property, for the same reason.
    wrapper_named: bool,
    /// What its properties hold, names and texts with [`PROPERTY_OVERHEAD`] each, kept as
    /// they change so that measuring a session's memory need not walk every property.
    property_bytes: usize,
    /// Bumped whenever what a watcher is sent may change (value JSON, a property, the error
    /// state), so that a flush can skip the variables a connection is up to date with.
    pub(crate) version: u64,
    /// The version the last flush looked at; 0 when a connection is owed a fresh look (a
    /// new watch, a write whose echo must be compared). Lets a flush skip what did not change.
    pub(crate) flushed: u64,
}

impl<S: Script> Variable<S> {
    fn new(id: VarId, parent: Option<VarId>, depth: usize, seq: u64) -> Self {
        Self {
            id,
            parent,
            depth,
            children: BTreeMap::new(),
            seq,
            path: None,
            access: Access::ReadWrite,
            properties: BTreeMap::new(),
            value: S::nothing(),
            json: None,
            error: None,
            wrapper: None,
            owner: None,
            watched_by: BTreeMap::new(),
            dormant: false,
            inactive: false,
            wrapper_named: false,
            property_bytes: 0,
            version: 1,
            flushed: 0,
        }
    }

    /// Its children in creation order.
    pub(crate) fn children(&self) -> impl DoubleEndedIterator<Item = VarId> + '_ {
        self.children.values().copied()
    }

    /// What children navigate from: the wrapper if there is one, else the value.
    pub(crate) fn navigation(&self) -> S::Value {
        match &self.wrapper {
            Some(wrapper) => S::of_table(&wrapper.table),
            None => self.value.clone(),
        }
    }

    pub(crate) fn property(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(|p| p.text.as_str())
    }

    /// Sets (or with `""` removes) a property; returns whether it changed.
    pub(crate) fn set_property(&mut self, name: &str, text: &str, priority: Priority) -> bool {
        let size = |text: &str| name.len() + text.len() + PROPERTY_OVERHEAD;
        let changed = if text.is_empty() {
            match self.properties.remove(name) {
                Some(old) => {
                    self.property_bytes -= size(&old.text);
                    true
                }
                None => false,
            }
        } else {
            let property = Property {
                text: text.to_owned(),
                priority,
            };
            self.property_bytes += size(text);
            match self.properties.insert(name.to_owned(), property) {
                Some(old) => {
                    self.property_bytes -= size(&old.text);
                    old.text != text || old.priority != priority
                }
                None => true,
            }
        };
        if changed {
            self.version += 1;
            match name {
                "inactive" => self.inactive = !text.is_empty(),
                "wrapper" => self.wrapper_named = !text.is_empty(),
                _ => {}
            }
        }
        changed
    }

    /// Whether setting `new` (name, text; `""` removes) keeps within the property limits.
    pub(crate) fn check_property_sizes<'a>(
        &'a self,
        new: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Result<(), property::TooLarge> {
        let current = self
            .properties
            .iter()
            .map(|(name, p)| (name.as_str(), p.text.as_str()));
        property::check_sizes(current, new)
    }

    /// The id `conn` knows this variable by.
    pub(crate) fn wire_id(&self) -> i64 {
        self.owner.map_or(self.id, |(_, wire)| wire)
    }

    /// Its last good value is a scalar with no error or wrapper to refresh: reading that same
    /// value again changes nothing, so its JSON need not be made again.
    pub(crate) fn settled(&self) -> bool {
        self.error.is_none()
            && self.json.is_some()
            && self.wrapper.is_none()
            && !self.wrapper_named
            && !S::is_table(&self.value)
    }

    /// Has a `wrapper` property: its value is presented through a wrapper (§5.7).
    pub(crate) fn wants_wrapper(&self) -> bool {
        self.wrapper_named
    }

    /// Skipped by detection with its subtree (§4.5).
    pub(crate) fn suspended(&self) -> bool {
        self.dormant || self.inactive
    }
}

/// What a property costs beside its name and text: its map entry and priority.
const PROPERTY_OVERHEAD: usize = 48;

/// A variable's place in tree order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Node {
    pub(crate) id: VarId,
    pub(crate) slot: Slot,
    /// 0 for roots.
    pub(crate) depth: usize,
    /// The parent's position in the same order.
    pub(crate) parent: Option<usize>,
}

/// A variable removed from the tree, and whom to tell (§4.4): its owner and every connection
/// that watched it, with the id each knows it by.
pub(crate) struct Removed {
    pub(crate) id: VarId,
    pub(crate) notify: Vec<(ConnId, i64)>,
}

pub(crate) struct Tracker<S: Script> {
    variables: Store<S>,
    /// Roots in creation order (variable 1 is always listed first once it exists).
    /// Keyed by creation order ([`Variable::seq`]); variable 1's is 0.
    roots: BTreeMap<u64, VarId>,
    /// The last [`Variable::seq`] handed out.
    last_seq: u64,
    last_client_id: VarId,
    last_server_id: VarId,
    /// Removed variables whose watchers have not been told yet.
    removals: Vec<Removed>,
    /// Every variable in tree order with its depth, rebuilt after the tree's shape changes:
    /// each cycle walks it, and the shape rarely changes between cycles.
    order: RefCell<Option<Rc<[Node]>>>,
    /// Bumped by every change made from outside detection (see [`Tracker::epoch`]).
    epoch: u64,
    /// [`Tracker::approximate_bytes`] as last counted, with the epoch and size it was counted
    /// at: every step asks, and a count walks every variable.
    counted: Cell<Option<(u64, usize, usize)>>,
}

impl<S: Script> Default for Tracker<S> {
    fn default() -> Self {
        Self {
            variables: Store::default(),
            roots: BTreeMap::new(),
            last_seq: 0,
            last_client_id: APP_VAR,
            last_server_id: 0,
            removals: Vec::new(),
            order: RefCell::new(None),
            epoch: 0,
            counted: Cell::new(None),
        }
    }
}

impl<S: Script> Tracker<S> {
    pub(crate) fn get(&self, id: VarId) -> Option<&Variable<S>> {
        self.variables.get(id)
    }

    /// A variable to change. Counts as a change to what detection relies on (see
    /// [`Tracker::epoch`]); detection itself writes through [`Tracker::at_mut`].
    pub(crate) fn get_mut(&mut self, id: VarId) -> Option<&mut Variable<S>> {
        self.epoch += 1;
        self.variables.get_mut(id)
    }

    /// Changes whenever a variable may have changed other than by being evaluated: its
    /// properties, path, access, watchers, or the tree. Detection keeps what it worked out
    /// about every variable while this stays the same.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Makes the next flush look at `id` again though it did not change: a connection is
    /// owed a fresh comparison (its record was altered, e.g. by a write).
    pub(crate) fn owe_fresh_look(&mut self, id: VarId) {
        if let Some(variable) = self.variables.get_mut(id) {
            variable.flushed = 0;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.variables.len()
    }

    /// About how many bytes the variables hold outside the Lua heap: each variable's own
    /// size, its properties, its value's JSON, its links and watchers. Counted again only
    /// once the epoch or the number of variables changed: between such changes only values
    /// change, and a value's JSON is mostly a copy of what the Lua heap already counts.
    pub(crate) fn approximate_bytes(&self) -> usize {
        let key = (self.epoch, self.len());
        if let Some((epoch, len, bytes)) = self.counted.get()
            && (epoch, len) == key
        {
            return bytes;
        }
        let bytes = self.count_bytes();
        self.counted.set(Some((key.0, key.1, bytes)));
        bytes
    }

    fn count_bytes(&self) -> usize {
        self.variables
            .values()
            .map(|v| {
                std::mem::size_of::<Variable<S>>()
                    + v.property_bytes
                    + v.json.as_ref().map_or(0, String::len)
                    + v.error.as_ref().map_or(0, |e| e.description.len())
                    + (v.children.len() + v.watched_by.len()) * 16
            })
            .sum()
    }

    /// The variable in `slot`, if it still holds the variable `id` (a slot is reused once its
    /// variable is removed).
    pub(crate) fn at(&self, slot: Slot, id: VarId) -> Option<&Variable<S>> {
        self.variables.at(slot).filter(|v| v.id == id)
    }

    pub(crate) fn at_mut(&mut self, slot: Slot, id: VarId) -> Option<&mut Variable<S>> {
        self.variables.at_mut(slot).filter(|v| v.id == id)
    }

    pub(crate) fn slot(&self, id: VarId) -> Option<Slot> {
        self.variables.slot(id)
    }

    /// Creates variable 1 holding `value`, or replaces its value; `properties` are applied on
    /// top of what it had (an empty string removes one).
    pub(crate) fn set_app(&mut self, value: S::Value, properties: Vec<(String, String)>) {
        if self.variables.get(APP_VAR).is_none() {
            self.variables.insert(Variable::new(APP_VAR, None, 0, 0));
        }
        self.epoch += 1;
        let app = self.variables.get_mut(APP_VAR).expect("just inserted");
        app.value = value;
        self.order.take();
        for (name, text) in properties {
            app.set_property(&name, &text, Priority::Medium);
        }
        self.roots.insert(0, APP_VAR);
    }

    /// Adds a client variable under `parent` (which must exist) and returns its id.
    pub(crate) fn add_client(&mut self, parent: VarId, owner: (ConnId, i64)) -> VarId {
        self.last_client_id += 1;
        let id = self.last_client_id;
        let depth = self.depth(parent).map_or(0, |d| d + 1);
        self.last_seq += 1;
        let seq = self.last_seq;
        let mut variable = Variable::new(id, Some(parent), depth, seq);
        variable.owner = Some(owner);
        self.variables.insert(variable);
        self.order.take();
        if let Some(parent) = self.variables.get_mut(parent) {
            parent.children.insert(seq, id);
        }
        id
    }

    /// Adds a server variable (ids −1, −2, …): a new root, or a child of `parent`.
    pub(crate) fn add_server(&mut self, parent: Option<VarId>) -> VarId {
        self.last_server_id -= 1;
        let id = self.last_server_id;
        let depth = parent.and_then(|p| self.depth(p)).map_or(0, |d| d + 1);
        self.last_seq += 1;
        let seq = self.last_seq;
        self.variables.insert(Variable::new(id, parent, depth, seq));
        self.order.take();
        match parent.and_then(|parent| self.variables.get_mut(parent)) {
            Some(parent) => {
                parent.children.insert(seq, id);
            }
            None => {
                self.roots.insert(seq, id);
            }
        }
        id
    }

    /// Variable 1 or the first server variable in tree order holding exactly this table.
    pub(crate) fn holder_of(&self, value: &S::Value) -> Option<VarId> {
        self.in_tree_order()
            .into_iter()
            .map(|(v, _)| v)
            .find(|v| (v.id == APP_VAR || v.id < 0) && v.path.is_none() && S::same(&v.value, value))
            .map(|v| v.id)
    }

    /// Removes `id` and its subtree, children before parents (post-order, children in creation
    /// order); whom to tell about each waits in [`Tracker::take_removals`].
    pub(crate) fn remove(&mut self, id: VarId) {
        self.remove_paced(id, &|| {});
    }

    /// [`Tracker::remove`], calling `pace` once per variable removed: a step may be suspended
    /// there, as removing thousands takes milliseconds.
    pub(crate) fn remove_paced(&mut self, id: VarId, pace: &dyn Fn()) {
        let Some((parent, seq)) = self.variables.get(id).map(|v| (v.parent, v.seq)) else {
            return;
        };
        let mut removed = Vec::new();
        self.remove_into(id, &mut removed, pace);
        if let Some(parent) = parent.and_then(|parent| self.variables.get_mut(parent)) {
            parent.children.remove(&seq);
        }
        // A server variable whose parent was missing when it was made is a root.
        self.roots.remove(&seq);
        self.removals.append(&mut removed);
        self.order.take();
    }

    /// Removed variables not yet reported to their watchers, in removal order.
    pub(crate) fn take_removals(&mut self) -> Vec<Removed> {
        std::mem::take(&mut self.removals)
    }

    /// Removes `id`'s subtree in post-order. Iterative: a peer decides how deep the tree is,
    /// and a recursion as deep as the tree overflows the stack, which aborts the process.
    fn remove_into(&mut self, id: VarId, removed: &mut Vec<Removed>, pace: &dyn Fn()) {
        // A pre-order that visits children last to first is the post-order reversed.
        let mut reversed = Vec::new();
        let mut stack = vec![id];
        while let Some(id) = stack.pop() {
            let Some(variable) = self.variables.get(id) else {
                continue;
            };
            reversed.push(id);
            stack.extend(variable.children());
        }
        for id in reversed.into_iter().rev() {
            pace();
            let Some(variable) = self.variables.remove(id) else {
                continue;
            };
            let wire = variable.wire_id();
            let mut notify: Vec<(ConnId, i64)> = variable
                .watched_by
                .keys()
                .map(|conn| (*conn, wire))
                .collect();
            if let Some((owner, _)) = variable.owner
                && !variable.watched_by.contains_key(&owner)
            {
                notify.push((owner, wire));
            }
            removed.push(Removed { id, notify });
        }
    }

    /// Every variable in tree order: variable 1, then the other roots in creation order, each
    /// parent before its children, children in creation order.
    pub(crate) fn tree_order(&self) -> Rc<[Node]> {
        if let Some(order) = &*self.order.borrow() {
            return Rc::clone(order);
        }
        let mut ordered: Vec<Node> = Vec::with_capacity(self.variables.len());
        let mut stack: Vec<(VarId, usize, Option<usize>)> =
            self.roots.values().rev().map(|id| (*id, 0, None)).collect();
        while let Some((id, depth, parent)) = stack.pop() {
            let Some(slot) = self.variables.slot(id) else {
                continue;
            };
            let position = ordered.len();
            ordered.push(Node {
                id,
                slot,
                depth,
                parent,
            });
            if let Some(variable) = self.variables.at(slot) {
                stack.extend(
                    variable
                        .children()
                        .rev()
                        .map(|child| (child, depth + 1, Some(position))),
                );
            }
        }
        let order: Rc<[Node]> = ordered.into();
        *self.order.borrow_mut() = Some(Rc::clone(&order));
        order
    }

    /// Every variable in tree order with its depth (see [`Tracker::tree_order`]).
    pub(crate) fn in_tree_order(&self) -> Vec<(&Variable<S>, usize)> {
        self.tree_order()
            .iter()
            .filter_map(|node| Some((self.at(node.slot, node.id)?, node.depth)))
            .collect()
    }

    /// Positions in `order` of the variables detection visits: suspended variables (dormant,
    /// or with `inactive` set) are skipped with their subtrees (§4.5).
    pub(crate) fn detection_order(&self, order: &[Node]) -> Vec<usize> {
        let mut visit = Vec::with_capacity(order.len());
        let mut skip_below = usize::MAX;
        for (position, node) in order.iter().enumerate() {
            if node.depth > skip_below {
                continue;
            }
            skip_below = usize::MAX;
            match self.at(node.slot, node.id) {
                Some(variable) if !variable.suspended() => visit.push(position),
                _ => skip_below = node.depth,
            }
        }
        visit
    }

    /// Variables a flush must look at, in tree order: changed since the last flush, or owed a
    /// fresh look by some connection. Usually few, so they are found in slab order first.
    pub(crate) fn unflushed(&self) -> Vec<VarId> {
        let stale: std::collections::BTreeSet<VarId> = self
            .variables
            .values()
            .filter(|v| v.flushed != v.version)
            .map(|v| v.id)
            .collect();
        if stale.is_empty() {
            return Vec::new();
        }
        self.tree_order()
            .iter()
            .map(|node| node.id)
            .filter(|id| stale.contains(id))
            .collect()
    }

    /// Records that a flush looked at `ids`.
    pub(crate) fn mark_flushed(&mut self, ids: &[VarId]) {
        for id in ids {
            if let Some(variable) = self.variables.get_mut(*id) {
                variable.flushed = variable.version;
            }
        }
    }

    /// The variable whose navigation value a path with `up` leading `..` starts from:
    /// the parent for 0, one more ancestor for each `..`. `None` above a root.
    pub(crate) fn start_of(&self, id: VarId, up: usize) -> Option<VarId> {
        let mut current = self.variables.get(id)?.parent?;
        for _ in 0..up {
            current = self.variables.get(current)?.parent?;
        }
        Some(current)
    }

    /// How many ancestors `id` has (0 for a root).
    pub(crate) fn depth(&self, id: VarId) -> Option<usize> {
        self.variables.get(id).map(|v| v.depth)
    }

    /// Whether `id` or an ancestor has a non-empty `inactive` property: writes into it are
    /// ignored (§4.3).
    pub(crate) fn inactive(&self, id: VarId) -> bool {
        let mut current = Some(id);
        while let Some(variable) = current.and_then(|id| self.variables.get(id)) {
            if variable.property("inactive").is_some() {
                return true;
            }
            current = variable.parent;
        }
        false
    }

    /// Removes every watch of `conn` (a disconnect); variables left unwatched become dormant.
    pub(crate) fn forget_watcher(&mut self, conn: ConnId) {
        self.epoch += 1;
        for variable in self.variables.values_mut() {
            if variable.watched_by.remove(&conn).is_some() && variable.watched_by.is_empty() {
                variable.dormant = true;
            }
        }
    }

    /// Client variables owned by `conn` whose parent is not: the tops of its subtrees, in
    /// creation order.
    pub(crate) fn client_roots_of(&self, conn: ConnId) -> Vec<VarId> {
        let owned = |id: &VarId| {
            self.variables
                .get(*id)
                .is_some_and(|v| v.owner.is_some_and(|(c, _)| c == conn))
        };
        // Not in tree order: building it for a tree about to lose these costs more than
        // the rest of a close.
        let mut roots: Vec<(u64, VarId)> = self
            .variables
            .values()
            .filter(|v| owned(&v.id) && !v.parent.is_some_and(|p| owned(&p)))
            .map(|v| (v.seq, v.id))
            .collect();
        roots.sort_unstable();
        roots.into_iter().map(|(_, id)| id).collect()
    }
}
