//! Binding attributes (docs/protocol.md §10.3), as `client/bindings.js` applies them: each `ui-*`
//! binding of a rendered viewdef becomes a child variable of the view, created in document
//! order, and keeps its element and the variable in step.

use dom_query::NodeId;
use serde_json::Value;

use crate::client::{Binding, Client, HtmlBinding, Listener, ListenerKind, Shown, ValueBinding};
use crate::js;
use crate::paths::{is_call, is_setter, parse_key_combination, split_path};

const OWNS_CONTENT: [&str; 3] = ["ui-view", "ui-viewlist", "ui-html"];
const PREFIXES: [&str; 4] = ["ui-attr-", "ui-class-", "ui-style-", "ui-event-"];

/// Past this depth of nested elements a viewdef is not bound further.
const MAX_DEPTH: usize = 512;

pub fn is_binding_attribute(name: &str) -> bool {
    name == "ui-value"
        || name == "ui-action"
        || OWNS_CONTENT.contains(&name)
        || PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix) && name.len() > prefix.len())
}

/// How a binding's access defaults, given its path.
enum Access {
    Read,
    Action,
    Value { input: bool },
    Key,
}

impl Access {
    fn default_for(&self, path: &str) -> &'static str {
        match self {
            Access::Read => "r",
            Access::Action => "action",
            Access::Value { input } => {
                if is_setter(path) {
                    "w"
                } else if is_call(path) || !input {
                    "r"
                } else {
                    "rw"
                }
            }
            Access::Key => {
                if is_call(path) || is_setter(path) {
                    "action"
                } else {
                    "w"
                }
            }
        }
    }
}

impl Client {
    /// Binds every element of a freshly copied viewdef to the view's variable.
    pub(crate) fn bind_template(&mut self, nodes: &[NodeId], view: i64) {
        let mut stack: Vec<(NodeId, usize)> = nodes
            .iter()
            .rev()
            .filter(|node| self.page.is_element(**node))
            .map(|node| (*node, 0))
            .collect();
        while let Some((element, depth)) = stack.pop() {
            let owns_content = self.bind_element(element, view);
            // What a view, a list or `ui-html` puts inside its element is not this viewdef's.
            if owns_content || depth >= MAX_DEPTH {
                continue;
            }
            let children = self.page.element_children(element);
            stack.extend(children.into_iter().rev().map(|child| (child, depth + 1)));
        }
    }

    /// Binds the `ui-*` attributes of one element; whether one of them owns its content.
    fn bind_element(&mut self, element: NodeId, view: i64) -> bool {
        let names: Vec<String> = self
            .page
            .attr_names(element)
            .into_iter()
            .filter(|name| is_binding_attribute(name))
            .collect();
        if names.is_empty() {
            return false;
        }
        if self.page.attr(element, "id").is_none_or(|id| id.is_empty()) {
            self.element_counter += 1;
            let id = format!("ui-{}", self.element_counter);
            self.page.set_attr(element, "id", &id);
        }
        for name in &names {
            let text = self.page.attr(element, name).unwrap_or_default();
            self.bind_attribute(element, name, &text, view);
        }
        names
            .iter()
            .any(|name| OWNS_CONTENT.contains(&name.as_str()))
    }

    fn bind_attribute(&mut self, element: NodeId, name: &str, text: &str, view: i64) {
        if name == "ui-value" {
            let input = self.is_input_like(element);
            self.bind(
                view,
                element,
                text,
                Access::Value { input },
                &[],
                &[],
                |c, id, flags| c.value_binding(id, element, flags),
            );
        } else if name == "ui-view" || name == "ui-viewlist" {
            self.bind_view(view, element, name, text);
        } else if name == "ui-html" {
            self.bind(
                view,
                element,
                text,
                Access::Read,
                &[],
                &[],
                |_, _, flags| {
                    Binding::Html(HtmlBinding {
                        replace: flags.contains(&"replace".to_owned()),
                        nodes: vec![element],
                    })
                },
            );
        } else if name == "ui-action" {
            self.bind_event(view, element, text, "click");
        } else if let Some(combination) = name.strip_prefix("ui-event-keypress-") {
            let combination = parse_key_combination(combination);
            self.bind(view, element, text, Access::Key, &[], &[], |c, id, _| {
                c.listen(element, "keydown", id, ListenerKind::Key(combination));
                Binding::None
            });
        } else if let Some(event) = name.strip_prefix("ui-event-") {
            self.bind_event(view, element, text, event);
        } else {
            let rest = &name["ui-".len()..];
            let (kind, target) = rest.split_once('-').unwrap_or((rest, ""));
            let target = target.to_owned();
            let make = match kind {
                "attr" => Binding::Attr,
                "class" => Binding::Class,
                _ => Binding::Style,
            };
            self.bind(
                view,
                element,
                text,
                Access::Read,
                &[],
                &[],
                move |_, _, _| make(target),
            );
        }
    }

    /// `ui-action` (a click) and `ui-event-E`.
    fn bind_event(&mut self, view: i64, element: NodeId, text: &str, event: &str) {
        let event = event.to_owned();
        self.bind(view, element, text, Access::Action, &[], &[], |c, id, _| {
            c.listen(element, &event, id, ListenerKind::Action);
            Binding::None
        });
    }

    /// `ui-view`, `ui-viewlist`: namespaces come from the element, else the enclosing view.
    fn bind_view(&mut self, view: i64, element: NodeId, name: &str, text: &str) {
        let mut extra = Vec::new();
        let own = self
            .page
            .attr(element, "ui-namespace")
            .filter(|ns| !ns.is_empty());
        let namespace = own.unwrap_or_else(|| self.view_namespace(view));
        let fallback = self.vars[&view]
            .properties
            .get("fallbackNamespace")
            .cloned()
            .unwrap_or_default();
        if !namespace.is_empty() {
            extra.push(("namespace".to_owned(), namespace));
        }
        if !fallback.is_empty() {
            extra.push(("fallbackNamespace".to_owned(), fallback));
        }
        if name == "ui-view" {
            self.bind(
                view,
                element,
                text,
                Access::Read,
                &extra,
                &[],
                |c, id, _| {
                    c.views.push(id);
                    Binding::View(crate::client::ViewState {
                        slot: crate::client::Slot::Element(element),
                        key: None,
                        reported: String::new(),
                        fixed_namespace: None,
                    })
                },
            );
        } else {
            // The list itself is neither wrapped nor created: its items are views.
            let omit = ["wrapper", "create"];
            self.bind(
                view,
                element,
                text,
                Access::Read,
                &extra,
                &omit,
                |c, _, _| {
                    c.page.replace_children(element, &[]);
                    Binding::List(Vec::new())
                },
            );
        }
    }

    /// A view's namespace: variable 1's is the `ui-app` element's, others their property.
    pub(crate) fn view_namespace(&self, view: i64) -> String {
        let variable = &self.vars[&view];
        if let Binding::View(state) = &variable.binding
            && let Some(namespace) = &state.fixed_namespace
        {
            return namespace.clone();
        }
        variable
            .properties
            .get("namespace")
            .cloned()
            .unwrap_or_default()
    }

    /// Creates the variable of one binding: `path`, `access` (the query's, else the default
    /// for the path), `elementId`, `extra`, then the query's other properties but `omit`.
    #[allow(clippy::too_many_arguments)]
    fn bind(
        &mut self,
        view: i64,
        element: NodeId,
        text: &str,
        access: Access,
        extra: &[(String, String)],
        omit: &[&str],
        make: impl FnOnce(&mut Client, i64, &[String]) -> Binding,
    ) {
        let split = split_path(text);
        let mut others = split.properties;
        let chosen_access = match others.iter().position(|(k, _)| k == "access") {
            Some(at) => others.remove(at).1,
            None => access.default_for(&split.path).to_owned(),
        };
        others.retain(|(k, _)| !omit.contains(&k.as_str()));
        let mut properties: Vec<(String, String)> = Vec::new();
        let mut set =
            |name: &str, value: String| match properties.iter_mut().find(|(k, _)| k == name) {
                Some(entry) => entry.1 = value,
                None => properties.push((name.to_owned(), value)),
            };
        set("path", split.path.clone());
        set("access", chosen_access);
        set(
            "elementId",
            self.page.attr(element, "id").unwrap_or_default(),
        );
        for (name, value) in extra.iter().chain(others.iter()) {
            set(name, value.clone());
        }
        let flags: Vec<String> = split.flags.into_iter().collect();
        self.create(view, properties, element, |client, id| {
            make(client, id, &flags)
        });
    }

    pub(crate) fn listen(&mut self, element: NodeId, event: &str, var: i64, kind: ListenerKind) {
        self.listeners.push(Listener {
            element,
            event: event.to_owned(),
            var,
            kind,
        });
    }

    /// `input`, `textarea`, `select`. Custom elements never count: the headless tab runs no
    /// script that could define one.
    pub(crate) fn is_input_like(&self, element: NodeId) -> bool {
        matches!(
            self.page.tag(element).as_str(),
            "input" | "textarea" | "select"
        )
    }

    fn value_binding(&mut self, id: i64, element: NodeId, flags: &[String]) -> Binding {
        let input = self.is_input_like(element);
        let checkable = input && self.page.is_checkable(element);
        let last = input.then(|| self.current(element, checkable));
        if self.page.tag(element) == "select" {
            let signature = self.option_signature(element);
            self.option_signatures.insert(id, signature);
        }
        let access = self.vars[&id].properties.get("access").cloned();
        if input && access.as_deref() != Some("r") {
            self.value_bindings.insert(element, id);
            self.listen(element, "change", id, ListenerKind::SendValue);
            if flags.iter().any(|flag| flag == "keypress") {
                self.listen(element, "input", id, ListenerKind::SendValue);
            }
        }
        Binding::Value(ValueBinding {
            input,
            checkable,
            last,
        })
    }

    pub(crate) fn current(&self, element: NodeId, checkable: bool) -> Shown {
        if checkable {
            Shown::Checked(self.page.checked(element))
        } else {
            Shown::Text(self.page.value(element))
        }
    }

    /// Shows a value (or properties) that just arrived.
    pub(crate) fn show(&mut self, id: i64, has_value: bool) {
        let Some(variable) = self.vars.get(&id) else {
            return;
        };
        let element = variable.element;
        let value = variable.value.clone().unwrap_or(Value::Null);
        match &variable.binding {
            Binding::None => {}
            Binding::View(_) => self.refresh_view(id, None),
            Binding::List(_) => self.show_list(id, has_value),
            _ if !has_value => {}
            Binding::Value(_) => self.show_value(id, element, &value),
            Binding::Attr(name) => match value {
                Value::Null | Value::Bool(false) => self.page.remove_attr(element, name),
                other => self.page.set_attr(element, name, &js::string(&other)),
            },
            Binding::Class(name) => self.page.toggle_class(element, name, js::truthy(&value)),
            Binding::Style(name) => {
                let name = name.clone();
                let shown = (!value.is_null()).then(|| js::string(&value));
                self.set_style(element, &name, shown.as_deref());
            }
            Binding::Html(_) => self.show_html(id, &value),
        }
    }

    fn show_value(&mut self, id: i64, element: NodeId, value: &Value) {
        let Some(Binding::Value(binding)) = self.vars.get(&id).map(|v| &v.binding) else {
            return;
        };
        let (input, checkable) = (binding.input, binding.checkable);
        let shown = if checkable {
            Shown::Checked(js::truthy(value) && value != &Value::String("false".into()))
        } else {
            Shown::Text(js::display_text(value))
        };
        // A focused field whose content differs from the last value sent or received holds an
        // edit the user has not sent yet: the server's value must not wipe it out.
        let editing = input
            && self.page.focused == Some(element)
            && Some(self.current(element, checkable)) != binding.last;
        if let Some(Binding::Value(binding)) = self.vars.get_mut(&id).map(|v| &mut v.binding) {
            binding.last = Some(shown.clone());
        }
        if editing {
            return;
        }
        match shown {
            Shown::Text(text) if !input => self.page.set_text_content(element, &text),
            Shown::Checked(on) => self.page.set_checked(element, on),
            Shown::Text(text) => {
                if self.page.value(element) != text {
                    self.page.set_value(element, &text);
                }
            }
        }
        if self.page.focused == Some(element) {
            // A value the page sets is no edit: leaving the field now is no change.
            self.focus_value = Some(self.current(element, checkable));
        }
    }

    /// `ui-html`: the element's content, or with `?replace` the element itself.
    fn show_html(&mut self, id: i64, value: &Value) {
        let html = if value.is_null() {
            String::new()
        } else {
            js::string(value)
        };
        let Some(Binding::Html(binding)) = self.vars.get(&id).map(|v| &v.binding) else {
            return;
        };
        if !binding.replace {
            let element = self.vars[&id].element;
            let nodes = self.page.parse_fragment(&html);
            self.page.replace_children(element, &nodes);
            return;
        }
        let old = binding.nodes.clone();
        let mut nodes = self.page.parse_fragment(&html);
        // An empty text node keeps the place when the HTML is empty.
        if nodes.is_empty() {
            nodes.push(self.page.new_text(""));
        }
        if let Some(first) = old.first() {
            for node in &nodes {
                self.page.insert_before(*first, *node);
            }
        }
        for node in old {
            self.page.remove(node);
        }
        if let Some(Binding::Html(binding)) = self.vars.get_mut(&id).map(|v| &mut v.binding) {
            binding.nodes = nodes;
        }
    }

    /// `style.setProperty(name, value)`, or `removeProperty` for `None`, on the `style`
    /// attribute's declarations. Values are not checked as CSS, unlike in a browser.
    fn set_style(&mut self, element: NodeId, name: &str, value: Option<&str>) {
        let current = self.page.attr(element, "style").unwrap_or_default();
        let mut declarations: Vec<(String, String)> = current
            .split(';')
            .filter_map(|d| d.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        match value {
            Some(value) => match declarations.iter_mut().find(|(k, _)| k == name) {
                Some(entry) => entry.1 = value.to_owned(),
                None => declarations.push((name.to_owned(), value.to_owned())),
            },
            None => declarations.retain(|(k, _)| k != name),
        }
        if declarations.is_empty() && value.is_none() && current.is_empty() {
            return;
        }
        let text: Vec<String> = declarations
            .iter()
            .map(|(k, v)| format!("{k}: {v};"))
            .collect();
        self.page.set_attr(element, "style", &text.join(" "));
    }

    /// The options of a select as a `MutationObserver` would notice their change.
    pub(crate) fn option_signature(&self, select: NodeId) -> Vec<(NodeId, String)> {
        self.page
            .options(select)
            .into_iter()
            .map(|option| (option, self.page.option_value(option)))
            .collect()
    }

    /// The client's select observer: when a bound select's options change, it shows the last
    /// value sent or received again (unless the user is on it).
    pub(crate) fn follow_options(&mut self) {
        let selects: Vec<(i64, NodeId)> = self
            .option_signatures
            .keys()
            .filter_map(|id| self.vars.get(id).map(|v| (*id, v.element)))
            .collect();
        for (id, select) in selects {
            let signature = self.option_signature(select);
            if self.option_signatures.get(&id) == Some(&signature) {
                continue;
            }
            self.option_signatures.insert(id, signature);
            self.page.reset_selection(select);
            let Some(Binding::Value(binding)) = self.vars.get(&id).map(|v| &v.binding) else {
                continue;
            };
            if let Some(Shown::Text(last)) = binding.last.clone()
                && self.page.value(select) != last
                && self.page.focused != Some(select)
            {
                self.page.set_value(select, &last);
            }
        }
    }

    /// `sendEdit`: sends the element's value if the user changed it since the last value sent
    /// or received.
    pub(crate) fn send_edit(&mut self, element: NodeId) {
        let Some(id) = self.value_bindings.get(&element).copied() else {
            return;
        };
        let Some(Binding::Value(binding)) = self.vars.get(&id).map(|v| &v.binding) else {
            return;
        };
        if Some(self.current(element, binding.checkable)) != binding.last {
            self.send_element_value(id);
        }
    }

    /// `#send`: the element's value, unless it is the last sent or received (a write-only
    /// variable may want the same value twice).
    pub(crate) fn send_element_value(&mut self, id: i64) {
        let Some(variable) = self.vars.get(&id) else {
            return;
        };
        let Binding::Value(binding) = &variable.binding else {
            return;
        };
        let current = self.current(variable.element, binding.checkable);
        let write_only = variable.properties.get("access").map(String::as_str) == Some("w");
        if Some(&current) == binding.last.as_ref() && !write_only {
            return;
        }
        let value = match &current {
            Shown::Text(text) => Value::String(text.clone()),
            Shown::Checked(on) => Value::Bool(*on),
        };
        if let Some(Binding::Value(binding)) = self.vars.get_mut(&id).map(|v| &mut v.binding) {
            binding.last = Some(current);
        }
        self.send_value(id, value, false);
    }
}
