//! A session's change tracker: the variable tree, each variable's properties and value, and
//! the JSON those values are sent as.

pub(crate) mod access;
mod number;
pub(crate) mod path;
pub(crate) mod property;
pub(crate) mod value_json;

use std::collections::BTreeMap;

use mlua::Value;

pub(crate) use value_json::ObjectIds;

/// A variable id as the server knows it: 1 for the app variable, negative for server
/// variables.
pub(crate) type VarId = i64;

/// The app variable made by `session:createAppVariable`.
pub(crate) const APP_VAR: VarId = 1;

pub(crate) struct Variable {
    pub(crate) id: VarId,
    pub(crate) parent: Option<VarId>,
    pub(crate) children: Vec<VarId>,
    pub(crate) value: Value,
    /// Non-empty string properties; an empty value means absent and is never stored.
    pub(crate) properties: BTreeMap<String, String>,
}

#[derive(Default)]
pub(crate) struct Tracker {
    variables: BTreeMap<VarId, Variable>,
    /// Roots in creation order (variable 1 is always listed first once it exists).
    roots: Vec<VarId>,
}

impl Tracker {
    pub(crate) fn get(&self, id: VarId) -> Option<&Variable> {
        self.variables.get(&id)
    }

    /// Creates variable 1 holding `value`, or replaces its value; `properties` are applied on
    /// top of what it had (an empty string removes one).
    pub(crate) fn set_app(&mut self, value: Value, properties: Vec<(String, String)>) {
        let app = self.variables.entry(APP_VAR).or_insert_with(|| Variable {
            id: APP_VAR,
            parent: None,
            children: Vec::new(),
            value: Value::Nil,
            properties: BTreeMap::new(),
        });
        app.value = value;
        for (name, text) in properties {
            if text.is_empty() {
                app.properties.remove(&name);
            } else {
                app.properties.insert(name, text);
            }
        }
        if !self.roots.contains(&APP_VAR) {
            self.roots.insert(0, APP_VAR);
        }
    }

    /// Every variable in tree order: variable 1, then the other roots in creation order, each
    /// parent before its children, children in creation order.
    pub(crate) fn in_tree_order(&self) -> Vec<(&Variable, usize)> {
        let mut ordered = Vec::with_capacity(self.variables.len());
        let mut stack: Vec<(VarId, usize)> = self.roots.iter().rev().map(|id| (*id, 0)).collect();
        while let Some((id, depth)) = stack.pop() {
            if let Some(variable) = self.variables.get(&id) {
                ordered.push((variable, depth));
                stack.extend(
                    variable
                        .children
                        .iter()
                        .rev()
                        .map(|child| (*child, depth + 1)),
                );
            }
        }
        ordered
    }
}
