//! What detection remembers between walks (see `settle.rs`): every visited variable's
//! navigation value by its position in tree order, in a Lua table, and which positions hold
//! one. A new tree order (a variable created or destroyed) keeps the entries of the variables
//! that are still there, so that one new binding does not cost a walk that evaluates all.

use std::rc::Rc;

use mlua::Lua;

use crate::lua::detect::settle::{self, Probes};
use crate::tracker::store::Slot;
use crate::tracker::{Node, VarId};

/// How many variables a tree needs before detection keeps a mirror: a small tree is walked in
/// microseconds, and a mirror would only cost heap in every session, idle ones included.
const MIRROR_FROM: usize = 32;

pub(crate) struct Mirror {
    pub(crate) order: Rc<[Node]>,
    /// Position `p`'s value at index `p + 1`.
    pub(crate) values: mlua::Table,
    /// Which positions hold a value: a variable skipped by every walk since the mirror was
    /// made has none, and an absent entry reads as nil, which must not pass for its value.
    pub(crate) known: Vec<bool>,
    /// What the last walk worked out about each variable, while the tracker's epoch holds.
    pub(crate) probes: Option<Probes>,
    /// Variables evaluated outside a walk since: their entries no longer hold their value.
    stale: Vec<(Slot, VarId)>,
}

impl Mirror {
    /// An empty mirror for `order`, if the tree is large enough to keep one.
    pub(crate) fn fresh(lua: &Lua, order: &Rc<[Node]>) -> Option<Self> {
        if order.len() < MIRROR_FROM {
            return None;
        }
        Some(Self {
            order: Rc::clone(order),
            values: lua.create_table_with_capacity(order.len(), 0).ok()?,
            known: vec![false; order.len()],
            probes: None,
            stale: Vec::new(),
        })
    }

    /// Variable `id` in `slot` was evaluated outside a walk.
    pub(crate) fn forget(&mut self, slot: Slot, id: VarId) {
        self.stale.push((slot, id));
    }

    /// This mirror for a walk over `order`: as it is if the order is the same, else a new one
    /// holding the entries of the variables still in the tree. Stale entries are dropped.
    pub(crate) fn for_order(mut self, lua: &Lua, order: &Rc<[Node]>) -> Option<Self> {
        if Rc::ptr_eq(&self.order, order) {
            if !self.stale.is_empty() {
                for (position, node) in self.order.iter().enumerate() {
                    if self.stale.contains(&(node.slot, node.id)) {
                        self.known[position] = false;
                    }
                }
                self.stale.clear();
            }
            return Some(self);
        }
        let mut next = Self::fresh(lua, order)?;
        // Old positions by slot, for the entries that still hold their variable's value.
        let slots = self.order.iter().map(|node| node.slot as usize + 1).max();
        let mut old: Vec<Option<(VarId, usize)>> = vec![None; slots.unwrap_or(0)];
        for (position, node) in self.order.iter().enumerate() {
            if self.known[position] && !self.stale.contains(&(node.slot, node.id)) {
                old[node.slot as usize] = Some((node.id, position));
            }
        }
        let moves: Vec<(usize, usize)> = order
            .iter()
            .enumerate()
            .filter_map(|(position, node)| match old.get(node.slot as usize) {
                Some(Some((id, from))) if *id == node.id => Some((*from, position)),
                _ => None,
            })
            .collect();
        settle::carry(lua, &self.values, &next.values, &moves).ok()?;
        for (_, to) in &moves {
            next.known[*to] = true;
        }
        Some(next)
    }
}
