//! A tab's client: the variables its bindings created, what it does with each inbound message
//! and how it batches what it sends (`client/variables.js`, `client/outbox.js`,
//! `client/errors.js`). The bindings and views are in `bindings.rs` and `views.rs`, the user's
//! actions in `events.rs`.

use std::collections::{BTreeMap, BTreeSet};

use dom_query::NodeId;
use serde_json::{Map, Value, json};

use crate::page::Page;
use crate::paths::KeyCombination;
use crate::viewdefs::Viewdefs;

/// What one variable's binding shows, if anything (`null` for actions).
pub enum Binding {
    None,
    Value(ValueBinding),
    Attr(String),
    Class(String),
    Style(String),
    Html(HtmlBinding),
    View(ViewState),
    /// `ui-viewlist`: the item variables, by index.
    List(Vec<i64>),
}

/// What an input holds, as `ValueBinding` compares it: text, or a checkbox's state.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Text(String),
    Checked(bool),
}

pub struct ValueBinding {
    pub input: bool,
    pub checkable: bool,
    /// The value last sent or received, as the element shows it (`undefined` for plain
    /// elements).
    pub last: Option<Shown>,
}

pub struct HtmlBinding {
    pub replace: bool,
    /// With `replace`: the nodes standing where the element was.
    pub nodes: Vec<NodeId>,
}

pub struct ViewState {
    pub slot: Slot,
    /// The viewdef key rendered now.
    pub key: Option<String>,
    /// The `viewdef` property as last sent.
    pub reported: String,
    /// Variable 1's namespace: the `ui-app` element's `ui-namespace`.
    pub fixed_namespace: Option<String>,
}

/// Where a view's nodes go: all children of an element, or (a list item) between two empty
/// text nodes inside the list element.
#[derive(Clone, Copy)]
pub enum Slot {
    Element(NodeId),
    Range { start: NodeId, end: NodeId },
}

pub struct Variable {
    pub id: i64,
    pub parent: Option<i64>,
    /// Properties as last sent or received; `""` means absent.
    pub properties: BTreeMap<String, String>,
    /// `None` until a value arrives.
    pub value: Option<Value>,
    pub children: Vec<i64>,
    /// The bound element: where errors are marked.
    pub element: NodeId,
    pub binding: Binding,
}

#[derive(Clone)]
pub enum ListenerKind {
    /// `ui-value`'s `change` (and `input` with `?keypress`): send the element's value.
    SendValue,
    /// `ui-action`, `ui-event-E`.
    Action,
    /// `ui-event-keypress-*`.
    Key(KeyCombination),
}

pub struct Listener {
    pub element: NodeId,
    pub event: String,
    pub var: i64,
    pub kind: ListenerKind,
}

/// An `error` message the server sent this tab.
#[derive(Debug, Clone)]
pub struct ServerError {
    pub code: String,
    pub description: String,
    /// The bound element's `id`, when the error names a variable this tab knows.
    pub element: Option<String>,
}

/// The error marks of one element: variable → (code, description), newest last.
struct Marks {
    errors: Vec<(i64, String, String)>,
    title: Option<String>,
}

pub struct Client {
    pub page: Page,
    pub app_element: NodeId,
    pub(crate) vars: BTreeMap<i64, Variable>,
    next_id: i64,
    /// Live views in creation order, so that parents re-render before their children.
    pub(crate) views: Vec<i64>,
    pub(crate) viewdefs: Viewdefs,
    queue: Vec<Value>,
    /// Batches ready for the socket, oldest first.
    pub outgoing: Vec<String>,
    pub(crate) listeners: Vec<Listener>,
    /// Element → its `ui-value` variable, for events that first send the element's edit.
    pub(crate) value_bindings: BTreeMap<NodeId, i64>,
    marks: BTreeMap<NodeId, Marks>,
    /// Numbers the `ui-N` ids of bound elements for the page's whole life.
    pub(crate) element_counter: u64,
    /// Every `error` message received, oldest first.
    pub errors: Vec<ServerError>,
    /// What a browser's console would show: unreadable frames and viewdefs.
    pub console: Vec<String>,
    /// The options of each bound select as last seen (a `MutationObserver`'s view).
    pub(crate) option_signatures: BTreeMap<i64, Vec<(NodeId, String)>>,
    /// The value an element held when it got focus, to know whether leaving it is a change.
    pub(crate) focus_value: Option<Shown>,
}

impl Client {
    /// A client on `page` that renders variable 1 into `app_element`: it queues the `watch`
    /// of variable 1 and sends it at once.
    pub fn new(page: Page, app_element: NodeId) -> Client {
        let namespace = page.attr(app_element, "ui-namespace").unwrap_or_default();
        let mut client = Client {
            page,
            app_element,
            vars: BTreeMap::new(),
            next_id: 2,
            views: Vec::new(),
            viewdefs: Viewdefs::default(),
            queue: Vec::new(),
            outgoing: Vec::new(),
            listeners: Vec::new(),
            value_bindings: BTreeMap::new(),
            marks: BTreeMap::new(),
            element_counter: 0,
            errors: Vec::new(),
            console: Vec::new(),
            option_signatures: BTreeMap::new(),
            focus_value: None,
        };
        client.vars.insert(
            1,
            Variable {
                id: 1,
                parent: None,
                properties: BTreeMap::new(),
                value: None,
                children: Vec::new(),
                element: app_element,
                binding: Binding::View(ViewState {
                    slot: Slot::Element(app_element),
                    key: None,
                    reported: String::new(),
                    fixed_namespace: Some(namespace),
                }),
            },
        );
        client.views.push(1);
        client.push(json!({"type": "watch", "data": {"varId": 1}}));
        client.flush(false);
        client
    }

    pub fn variable(&self, id: i64) -> Option<&Variable> {
        self.vars.get(&id)
    }

    /// Creates a child of `parent` on the server (watched) and binds it with `make`.
    pub(crate) fn create(
        &mut self,
        parent: i64,
        properties: Vec<(String, String)>,
        element: NodeId,
        make: impl FnOnce(&mut Client, i64) -> Binding,
    ) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut stored = BTreeMap::new();
        let mut sent = Map::new();
        for (name, value) in properties {
            stored.insert(name.clone(), value.clone());
            sent.insert(name, Value::String(value));
        }
        self.vars.insert(
            id,
            Variable {
                id,
                parent: Some(parent),
                properties: stored,
                value: None,
                children: Vec::new(),
                element,
                binding: Binding::None,
            },
        );
        if let Some(parent) = self.vars.get_mut(&parent) {
            parent.children.push(id);
        }
        self.push(json!({
            "type": "create",
            "data": {"id": id, "parentId": parent, "properties": sent},
        }));
        let binding = make(self, id);
        if let Some(variable) = self.vars.get_mut(&id) {
            variable.binding = binding;
        }
        id
    }

    /// Sends a value; a user event leaves at once with everything queued before it.
    pub(crate) fn send_value(&mut self, id: i64, value: Value, user_event: bool) {
        if let Some(element) = self.vars.get(&id).map(|v| v.element) {
            self.clear_error(element, id);
        }
        let message = json!({"type": "update", "data": {"varId": id, "value": value}});
        self.push(message);
        if user_event {
            self.flush(true);
        }
    }

    pub(crate) fn send_properties(&mut self, id: i64, properties: &[(&str, &str)]) {
        let Some(variable) = self.vars.get_mut(&id) else {
            return;
        };
        let element = variable.element;
        let mut sent = Map::new();
        for (name, value) in properties {
            store_property(&mut variable.properties, name, value);
            sent.insert((*name).to_owned(), Value::String((*value).to_owned()));
        }
        self.clear_error(element, id);
        self.push(json!({"type": "update", "data": {"varId": id, "properties": sent}}));
    }

    /// Unbinds these sibling variables and everything below them: `unwatch` for every one,
    /// then `destroy` for these topmost ones (the server removes their subtrees).
    pub(crate) fn drop_variables(&mut self, ids: &[i64]) {
        let mut dropped = Vec::new();
        let mut stack: Vec<i64> = ids.iter().rev().copied().collect();
        while let Some(id) = stack.pop() {
            dropped.push(id);
            if let Some(variable) = self.vars.get(&id) {
                stack.extend(variable.children.iter().rev());
            }
        }
        for id in dropped {
            self.push(json!({"type": "unwatch", "data": {"varId": id}}));
        }
        for id in ids {
            self.push(json!({"type": "destroy", "data": {"varId": id}}));
            self.forget(*id);
        }
    }

    /// Forgets a variable and its subtree locally: listeners, bindings, ids.
    fn forget(&mut self, id: i64) {
        if let Some(parent) = self.vars.get(&id).and_then(|v| v.parent)
            && let Some(parent) = self.vars.get_mut(&parent)
        {
            parent.children.retain(|child| *child != id);
        }
        let mut stack = vec![id];
        let mut gone = BTreeSet::new();
        while let Some(id) = stack.pop() {
            let Some(variable) = self.vars.remove(&id) else {
                continue;
            };
            stack.extend(variable.children.iter().copied());
            match variable.binding {
                Binding::View(_) => self.views.retain(|view| *view != id),
                Binding::Value(_) => {
                    if self.value_bindings.get(&variable.element) == Some(&id) {
                        self.value_bindings.remove(&variable.element);
                    }
                    self.option_signatures.remove(&id);
                }
                _ => {}
            }
            gone.insert(id);
        }
        self.listeners
            .retain(|listener| !gone.contains(&listener.var));
    }

    /// One inbound frame: a message object or an array of them, applied in order, as one
    /// task (what it queues leaves together right after it).
    pub fn receive_frame(&mut self, text: &str) {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(messages)) => messages.iter().for_each(|m| self.receive(m)),
            Ok(message) => self.receive(&message),
            Err(error) => self
                .console
                .push(format!("unreadable frame from the server: {error}")),
        }
        self.end_task();
    }

    fn receive(&mut self, message: &Value) {
        let data = &message["data"];
        let id = data["varId"].as_i64();
        let known = id.filter(|id| self.vars.contains_key(id));
        match message["type"].as_str() {
            Some("update") => {
                if let Some(id) = known {
                    self.update(id, data);
                }
            }
            Some("destroy") => {
                if let Some(id) = known {
                    self.forget(id);
                }
            }
            Some("error") => {
                let code = data["code"].as_str().unwrap_or_default().to_owned();
                let description = data["description"].as_str().unwrap_or_default().to_owned();
                // An error about a variable this tab already dropped (a view re-rendered
                // in the same frame) marks nothing, here as in a browser.
                if id.is_some() && known.is_none() {
                    return;
                }
                let element = known.map(|id| self.vars[&id].element);
                if let (Some(id), Some(element)) = (known, element) {
                    self.mark_error(element, id, &code, &description);
                }
                self.errors.push(ServerError {
                    code,
                    description,
                    element: element.and_then(|e| self.page.attr(e, "id")),
                });
            }
            other => self.console.push(format!(
                "unknown message from the server: {}",
                other.unwrap_or("(no type)")
            )),
        }
    }

    fn update(&mut self, id: i64, data: &Value) {
        // An update without `value` leaves the value alone; `"value": null` is a real null.
        let has_value = data.get("value").is_some();
        let element = self.vars[&id].element;
        self.clear_error(element, id);
        let mut others: Vec<(String, String)> = Vec::new();
        let mut viewdefs = None;
        if let Some(Value::Object(properties)) = data.get("properties") {
            for (name, value) in properties {
                let text = value.as_str().unwrap_or_default().to_owned();
                if name == "viewdefs" {
                    if id == 1 {
                        viewdefs = Some(text);
                    }
                } else {
                    others.push((name.clone(), text));
                }
            }
        }
        if let Some(json) = viewdefs {
            let delivered = self.viewdefs.store(&json, &mut self.console);
            // Pending views may render now, and views showing a re-sent key render again.
            for view in self.views.clone() {
                self.refresh_view(view, Some(&delivered));
            }
        }
        let Some(variable) = self.vars.get_mut(&id) else {
            return;
        };
        for (name, text) in &others {
            store_property(&mut variable.properties, name, text);
        }
        if has_value {
            variable.value = Some(data["value"].clone());
        }
        if has_value || !others.is_empty() {
            self.show(id, has_value);
        }
    }

    fn push(&mut self, message: Value) {
        self.queue.push(message);
    }

    /// Everything queued leaves as one batch.
    pub(crate) fn flush(&mut self, user_event: bool) {
        if self.queue.is_empty() {
            return;
        }
        let messages = std::mem::take(&mut self.queue);
        let batch = json!({"userEvent": user_event, "messages": messages});
        self.outgoing.push(batch.to_string());
    }

    /// The end of a task: the microtasks run (queued messages leave; selects whose options
    /// changed apply their value again, as the client's `MutationObserver` does).
    pub(crate) fn end_task(&mut self) {
        self.follow_options();
        self.flush(false);
    }

    pub(crate) fn mark_error(&mut self, element: NodeId, id: i64, code: &str, description: &str) {
        let title = self.page.attr(element, "title");
        let marks = self.marks.entry(element).or_insert(Marks {
            errors: Vec::new(),
            title,
        });
        marks.errors.retain(|(var, _, _)| *var != id);
        marks
            .errors
            .push((id, code.to_owned(), description.to_owned()));
        self.render_marks(element);
    }

    pub(crate) fn clear_error(&mut self, element: NodeId, id: i64) {
        let Some(marks) = self.marks.get_mut(&element) else {
            return;
        };
        let before = marks.errors.len();
        marks.errors.retain(|(var, _, _)| *var != id);
        if marks.errors.len() != before {
            self.render_marks(element);
        }
    }

    // Several bindings may share one element: it shows the newest error still standing.
    fn render_marks(&mut self, element: NodeId) {
        let Some(marks) = self.marks.get(&element) else {
            return;
        };
        let page = &self.page;
        if let Some((_, code, description)) = marks.errors.last() {
            page.toggle_class(element, "ui-error", true);
            page.set_attr(element, "ui-error-code", code);
            page.set_attr(element, "ui-error-description", description);
            page.set_attr(element, "title", &format!("{code}: {description}"));
            return;
        }
        page.toggle_class(element, "ui-error", false);
        page.remove_attr(element, "ui-error-code");
        page.remove_attr(element, "ui-error-description");
        match &marks.title {
            Some(title) => page.set_attr(element, "title", title),
            None => page.remove_attr(element, "title"),
        }
        self.marks.remove(&element);
    }
}

fn store_property(properties: &mut BTreeMap<String, String>, name: &str, text: &str) {
    if text.is_empty() {
        properties.remove(name);
    } else {
        properties.insert(name.to_owned(), text.to_owned());
    }
}
