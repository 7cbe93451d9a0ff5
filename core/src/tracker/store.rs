//! Where a tracker keeps its variables: a slab in which a variable keeps its slot for its
//! whole life, with an index from id to slot. Detection reaches variables by slot, so a cycle
//! over thousands of them reads memory in order instead of searching a map for each.

use std::collections::BTreeMap;

use super::{Script, VarId, Variable};

/// A variable's place in the slab: stable while it lives, reused after it is removed.
pub(crate) type Slot = u32;

pub(crate) struct Store<S: Script> {
    slots: BTreeMap<VarId, Slot>,
    entries: Vec<Option<Variable<S>>>,
    free: Vec<Slot>,
}

impl<S: Script> Default for Store<S> {
    fn default() -> Self {
        Self {
            slots: BTreeMap::new(),
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<S: Script> Store<S> {
    pub(crate) fn slot(&self, id: VarId) -> Option<Slot> {
        self.slots.get(&id).copied()
    }

    pub(crate) fn get(&self, id: VarId) -> Option<&Variable<S>> {
        self.at(self.slot(id)?)
    }

    pub(crate) fn get_mut(&mut self, id: VarId) -> Option<&mut Variable<S>> {
        let slot = self.slot(id)?;
        self.at_mut(slot)
    }

    pub(crate) fn at(&self, slot: Slot) -> Option<&Variable<S>> {
        self.entries.get(slot as usize)?.as_ref()
    }

    pub(crate) fn at_mut(&mut self, slot: Slot) -> Option<&mut Variable<S>> {
        self.entries.get_mut(slot as usize)?.as_mut()
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn insert(&mut self, variable: Variable<S>) -> Slot {
        let id = variable.id;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.entries[slot as usize] = Some(variable);
                slot
            }
            None => {
                // Most sessions hold one or two variables until a browser connects: grow
                // from exactly one rather than the default four.
                if self.entries.capacity() == 0 {
                    self.entries.reserve_exact(1);
                }
                self.entries.push(Some(variable));
                Slot::try_from(self.entries.len() - 1).expect("fewer than 2^32 variables")
            }
        };
        self.slots.insert(id, slot);
        slot
    }

    pub(crate) fn remove(&mut self, id: VarId) -> Option<Variable<S>> {
        let slot = self.slots.remove(&id)?;
        self.free.push(slot);
        self.entries[slot as usize].take()
    }

    /// Every variable, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Variable<S>> {
        self.entries.iter().flatten()
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Variable<S>> {
        self.entries.iter_mut().flatten()
    }
}
