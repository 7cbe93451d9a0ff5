//! Views (docs/protocol.md §10.2) and view lists, as `client/views.js` renders them: an object-valued
//! variable shown with the viewdef of its type; a `ui-viewlist` with one item view per element.

use std::collections::BTreeSet;

use dom_query::NodeId;

use crate::client::{Binding, Client, Slot, ViewState};

impl Client {
    /// Renders what the view's variable calls for now; `resent` are viewdef keys just
    /// delivered again.
    pub(crate) fn refresh_view(&mut self, id: i64, resent: Option<&BTreeSet<String>>) {
        let Some(variable) = self.vars.get(&id) else {
            return;
        };
        let Binding::View(view) = &variable.binding else {
            return;
        };
        let type_name = variable.properties.get("type").cloned().unwrap_or_default();
        let shows_nothing = matches!(variable.value, None | Some(serde_json::Value::Null));
        let key = if shows_nothing || type_name.is_empty() {
            None
        } else {
            let namespace = match &view.fixed_namespace {
                Some(namespace) => namespace.clone(),
                None => variable
                    .properties
                    .get("namespace")
                    .cloned()
                    .unwrap_or_default(),
            };
            let fallback = variable
                .properties
                .get("fallbackNamespace")
                .cloned()
                .unwrap_or_default();
            self.viewdefs.choose(&type_name, &namespace, &fallback)
        };
        let again = key
            .as_ref()
            .is_some_and(|key| resent.is_some_and(|resent| resent.contains(key)));
        if key == view.key && !again {
            return;
        }
        self.unrender(id);
        if let Some(key) = &key {
            self.render(id, key);
        }
        self.report(id, key.as_deref().unwrap_or(""));
    }

    fn view_mut(&mut self, id: i64) -> Option<&mut ViewState> {
        match self.vars.get_mut(&id).map(|v| &mut v.binding) {
            Some(Binding::View(view)) => Some(view),
            _ => None,
        }
    }

    fn render(&mut self, id: i64, key: &str) {
        let Some(template) = self.viewdefs.template(key) else {
            return;
        };
        let nodes = self.page.copy_children(&template.doc, template.contents);
        // Scripts stay where the template has them; the headless tab does not run them.
        self.bind_template(&nodes, id);
        let Some(view) = self.view_mut(id) else {
            return;
        };
        let slot = view.slot;
        view.key = Some(key.to_owned());
        self.fill(slot, &nodes, key);
    }

    fn unrender(&mut self, id: i64) {
        let children = self.vars[&id].children.clone();
        if !children.is_empty() {
            self.drop_variables(&children);
        }
        let Some(view) = self.view_mut(id) else {
            return;
        };
        let slot = view.slot;
        if view.key.take().is_some() {
            self.clear(slot);
        }
    }

    fn report(&mut self, id: i64, key: &str) {
        let Some(view) = self.view_mut(id) else {
            return;
        };
        if id == 1 || view.reported == key {
            return;
        }
        view.reported = key.to_owned();
        self.send_properties(id, &[("viewdef", key)]);
    }

    fn fill(&mut self, slot: Slot, nodes: &[NodeId], key: &str) {
        match slot {
            Slot::Element(element) => {
                self.page.replace_children(element, nodes);
                self.page.set_attr(element, "ui-viewdef", key);
            }
            Slot::Range { end, .. } => {
                for node in nodes {
                    self.page.insert_before(end, *node);
                }
                // There is no view element: the item's top-level elements say which viewdef
                // they came from.
                for node in nodes {
                    if self.page.is_element(*node) {
                        self.page.set_attr(*node, "ui-viewdef", key);
                    }
                }
            }
        }
    }

    fn clear(&mut self, slot: Slot) {
        match slot {
            Slot::Element(element) => {
                self.page.replace_children(element, &[]);
                self.page.remove_attr(element, "ui-viewdef");
            }
            Slot::Range { start, end } => {
                while let Some(next) = self.page.next_sibling(start).filter(|n| *n != end) {
                    self.page.remove(next);
                }
            }
        }
    }

    /// `ui-viewlist`: follows the array's length only; an item's own variable tracks what is
    /// at its index.
    pub(crate) fn show_list(&mut self, id: i64, has_value: bool) {
        if !has_value {
            return;
        }
        let length = match &self.vars[&id].value {
            Some(serde_json::Value::Array(items)) => items.len(),
            _ => 0,
        };
        loop {
            let count = match &self.vars[&id].binding {
                Binding::List(items) => items.len(),
                _ => return,
            };
            if count >= length {
                break;
            }
            self.add_item(id, count);
        }
        let removed = match self.vars.get_mut(&id).map(|v| &mut v.binding) {
            Some(Binding::List(items)) if items.len() > length => items.split_off(length),
            _ => return,
        };
        let slots: Vec<Slot> = removed
            .iter()
            .filter_map(|item| match self.vars.get(item).map(|v| &v.binding) {
                Some(Binding::View(view)) => Some(view.slot),
                _ => None,
            })
            .collect();
        self.drop_variables(&removed);
        for slot in slots {
            self.clear(slot);
            if let Slot::Range { start, end } = slot {
                self.page.remove(start);
                self.page.remove(end);
            }
        }
    }

    fn add_item(&mut self, list: i64, index: usize) {
        let variable = &self.vars[&list];
        let element = variable.element;
        let mut properties = vec![
            ("path".to_owned(), index.to_string()),
            ("access".to_owned(), "r".to_owned()),
            (
                "elementId".to_owned(),
                self.page.attr(element, "id").unwrap_or_default(),
            ),
        ];
        for name in ["namespace", "fallbackNamespace"] {
            if let Some(value) = variable.properties.get(name) {
                properties.push((name.to_owned(), value.clone()));
            }
        }
        let item = self.create(list, properties, element, |client, id| {
            let start = client.page.new_text("");
            let end = client.page.new_text("");
            client.page.append(element, start);
            client.page.append(element, end);
            client.views.push(id);
            Binding::View(ViewState {
                slot: Slot::Range { start, end },
                key: None,
                reported: String::new(),
                fixed_namespace: None,
            })
        });
        if let Some(Binding::List(items)) = self.vars.get_mut(&list).map(|v| &mut v.binding) {
            items.push(item);
        }
    }
}
