//! What a user does to a tab, as a browser turns it into DOM events (focus and blur, `change`
//! when leaving an edited field, `input` per key, click activation of checkboxes, labels and
//! submit buttons) and the client's listeners answer them. Each event handler that a browser
//! runs as its own task ends like one: what it queued leaves as one batch.

use dom_query::NodeId;
use serde_json::Value;

use crate::client::{Client, ListenerKind, Shown};
use crate::paths::{KeyPress, is_call, is_setter};

/// Events that go up to the ancestors of their target.
const NON_BUBBLING: [&str; 4] = ["focus", "blur", "mouseenter", "mouseleave"];

impl Client {
    /// Fires `event` at `target` and up through its ancestors, running the client's listeners
    /// in the order they were added; whether one prevented the default.
    pub(crate) fn dispatch(&mut self, target: NodeId, event: &str, key: Option<&KeyPress>) -> bool {
        let path = if NON_BUBBLING.contains(&event) {
            vec![target]
        } else {
            self.page.ancestors_inclusive(target)
        };
        let mut prevented = false;
        for node in path {
            let here: Vec<(i64, ListenerKind)> = self
                .listeners
                .iter()
                .filter(|l| l.element == node && l.event == event)
                .map(|l| (l.var, l.kind.clone()))
                .collect();
            for (var, kind) in here {
                // A listener removed by an earlier one does not run.
                if !self
                    .listeners
                    .iter()
                    .any(|l| l.var == var && l.element == node)
                {
                    continue;
                }
                prevented |= self.run_listener(node, var, &kind, event, key);
            }
        }
        prevented
    }

    fn run_listener(
        &mut self,
        element: NodeId,
        var: i64,
        kind: &ListenerKind,
        event: &str,
        key: Option<&KeyPress>,
    ) -> bool {
        match kind {
            ListenerKind::SendValue => {
                self.send_element_value(var);
                false
            }
            ListenerKind::Action => {
                self.send_edit(element);
                let value = self.action_value(element, var);
                self.send_value(var, value, true);
                // A bound click or submit is the app's to handle (no navigation, no form
                // post); other events keep their default so that typing still works.
                event == "click" || event == "submit"
            }
            ListenerKind::Key(combination) => {
                if !key.is_some_and(|key| key.matches(combination)) {
                    return false;
                }
                self.send_edit(element);
                let path = self.vars[&var]
                    .properties
                    .get("path")
                    .cloned()
                    .unwrap_or_default();
                let value = if is_call(&path) {
                    Value::Null
                } else {
                    Value::String(combination.key.clone())
                };
                self.send_value(var, value, true);
                true
            }
        }
    }

    /// What a `m(_)` action sends: the element's value, if it has one.
    fn action_value(&self, element: NodeId, var: i64) -> Value {
        let path = self.vars[&var]
            .properties
            .get("path")
            .cloned()
            .unwrap_or_default();
        if !is_setter(&path) {
            return Value::Null;
        }
        if self.page.is_checkable(element) {
            return Value::Bool(self.page.checked(element));
        }
        match self.page.tag(element).as_str() {
            "input" | "textarea" | "select" | "button" | "option" | "data" | "output" => {
                Value::String(self.page.value(element))
            }
            _ => Value::Null,
        }
    }

    /// Moves focus (`None`: to the page's body). Leaving a field whose content changed since
    /// it got focus fires `change`, then `blur`.
    pub(crate) fn focus(&mut self, next: Option<NodeId>) {
        let previous = self.page.focused;
        if previous == next {
            return;
        }
        if let Some(previous) = previous {
            let changed = self.is_text_field(previous)
                && self.focus_value.as_ref() != Some(&Shown::Text(self.page.value(previous)));
            self.page.focused = None;
            if changed {
                self.dispatch(previous, "change", None);
            }
            self.dispatch(previous, "blur", None);
        }
        self.page.focused = next;
        self.focus_value = next.map(|element| Shown::Text(self.page.value(element)));
        if let Some(next) = next {
            self.dispatch(next, "focus", None);
        }
        self.end_task();
    }

    fn is_text_field(&self, element: NodeId) -> bool {
        match self.page.tag(element).as_str() {
            "textarea" => true,
            "input" => !matches!(
                self.page.input_type(element).as_str(),
                "checkbox" | "radio" | "submit" | "button" | "reset" | "image" | "file"
            ),
            _ => false,
        }
    }

    /// The nearest element at or above `target` that takes focus when clicked.
    fn focusable(&self, target: NodeId) -> Option<NodeId> {
        self.page
            .ancestors_inclusive(target)
            .into_iter()
            .find(|node| {
                let page = &self.page;
                match page.tag(*node).as_str() {
                    "input" | "select" | "textarea" | "button" => !page.has_attr(*node, "disabled"),
                    "a" => page.has_attr(*node, "href"),
                    "" => false,
                    _ => page.has_attr(*node, "tabindex"),
                }
            })
    }

    /// Whether a form control is disabled (itself or by a disabled fieldset).
    pub(crate) fn is_disabled(&self, element: NodeId) -> bool {
        let page = &self.page;
        let control = matches!(
            page.tag(element).as_str(),
            "input" | "select" | "textarea" | "button" | "option"
        );
        control
            && page
                .ancestors_inclusive(element)
                .into_iter()
                .any(|node| page.has_attr(node, "disabled"))
    }

    /// A mouse click, as WebDriver's element click makes it: focus moves on mouse down, then
    /// `click`, then what the click activates (a checkbox toggles, a label clicks its
    /// control, a submit button submits its form). A disabled control gets no click.
    pub fn click(&mut self, target: NodeId) -> Result<(), String> {
        let focus = self.focusable(target);
        self.focus(focus);
        self.activate(target)
    }

    fn activate(&mut self, target: NodeId) -> Result<(), String> {
        if self.is_disabled(target) {
            return Ok(());
        }
        let page = &self.page;
        let activator = page
            .ancestors_inclusive(target)
            .into_iter()
            .find(|node| matches!(page.tag(*node).as_str(), "input" | "button" | "label" | "a"));
        let checkable = activator.filter(|a| self.page.is_checkable(*a));
        // A checkbox toggles before the click runs and back if a listener prevents it.
        let before = checkable.map(|input| self.toggle(input));
        let prevented = self.dispatch(target, "click", None);
        if let (Some(input), Some(before)) = (checkable, before) {
            if prevented {
                for (node, checked) in before {
                    self.page.set_checked(node, checked);
                }
            } else {
                self.dispatch(input, "input", None);
                self.dispatch(input, "change", None);
            }
        }
        self.end_task();
        if prevented || checkable.is_some() {
            return Ok(());
        }
        let Some(activator) = activator else {
            return Ok(());
        };
        match self.page.tag(activator).as_str() {
            "label" => match self.labeled_control(activator) {
                Some(control) if !self.page.contains(control, target) => {
                    let focus = self.focusable(control);
                    if focus.is_some() {
                        self.focus(focus);
                    }
                    self.activate(control)
                }
                _ => Ok(()),
            },
            "button" | "input" if self.is_submit_button(activator) => self.submit(activator),
            _ => Ok(()),
        }
    }

    /// Checks a checkbox (or a radio, unchecking its group); the states before, to undo.
    fn toggle(&mut self, input: NodeId) -> Vec<(NodeId, bool)> {
        let mut before = vec![(input, self.page.checked(input))];
        if self.page.input_type(input) == "radio" {
            let name = self.page.attr(input, "name").unwrap_or_default();
            if !name.is_empty() {
                let group = self.page.select("input[type=radio]").unwrap_or_default();
                for other in group {
                    if other != input && self.page.attr(other, "name").as_deref() == Some(&name) {
                        before.push((other, self.page.checked(other)));
                        self.page.set_checked(other, false);
                    }
                }
            }
            self.page.set_checked(input, true);
        } else {
            let on = self.page.checked(input);
            self.page.set_checked(input, !on);
        }
        before
    }

    fn labeled_control(&self, label: NodeId) -> Option<NodeId> {
        if let Some(id) = self.page.attr(label, "for") {
            let escaped = id.replace('\\', "\\\\").replace('"', "\\\"");
            return self
                .page
                .select(&format!("[id=\"{escaped}\"]"))
                .ok()?
                .into_iter()
                .next();
        }
        self.page
            .descendant_elements(label)
            .into_iter()
            .find(|node| match self.page.tag(*node).as_str() {
                "input" => self.page.input_type(*node) != "hidden",
                "select" | "textarea" | "button" => true,
                _ => false,
            })
    }

    fn is_submit_button(&self, element: NodeId) -> bool {
        let kind = self
            .page
            .attr(element, "type")
            .map(|t| t.to_ascii_lowercase());
        match self.page.tag(element).as_str() {
            "button" => matches!(kind.as_deref(), None | Some("submit") | Some("")),
            "input" => matches!(kind.as_deref(), Some("submit") | Some("image")),
            _ => false,
        }
    }

    fn form_of(&self, element: NodeId) -> Option<NodeId> {
        self.page
            .ancestors_inclusive(element)
            .into_iter()
            .find(|node| self.page.tag(*node) == "form")
    }

    /// A form submitted by a button or by Enter: `submit` fires at the form; if nothing
    /// prevents it, a browser would leave the page, which a test must hear about.
    fn submit(&mut self, submitter: NodeId) -> Result<(), String> {
        let Some(form) = self.form_of(submitter) else {
            return Ok(());
        };
        let prevented = self.dispatch(form, "submit", None);
        self.end_task();
        if prevented {
            return Ok(());
        }
        Err(format!(
            "the form was submitted and nothing handled it (no ui-action on the button, no \
             ui-event-submit on the form): a browser would leave the page\n{}",
            crate::report::excerpt(&self.page, form)
        ))
    }

    /// Types `text` the way the browser tests do: click the field, select what it holds
    /// (Ctrl+A), type each character (a `keydown`, the new value, `input`), then, with
    /// `leave`, Tab out (`change` if the content changed).
    pub fn type_text(&mut self, field: NodeId, text: &str, leave: bool) -> Result<(), String> {
        self.click(field)?;
        if self.page.focused != Some(field) {
            return Err("it did not take focus".to_owned());
        }
        let select_all = KeyPress::parse("ctrl-a")?;
        let mut replace = !self.dispatch(field, "keydown", Some(&select_all));
        self.end_task();
        for ch in text.chars() {
            if ch == '\n' {
                replace = false;
                self.press(field, &KeyPress::parse("Enter")?)?;
                continue;
            }
            let key = KeyPress {
                key: ch.to_string(),
                modifiers: Default::default(),
            };
            if !self.dispatch(field, "keydown", Some(&key)) {
                let mut value = if replace {
                    String::new()
                } else {
                    self.page.value(field)
                };
                value.push(ch);
                replace = false;
                self.page.set_value(field, &value);
                self.dispatch(field, "input", None);
            }
            self.end_task();
        }
        if leave {
            let tab = KeyPress::parse("Tab")?;
            if !self.dispatch(field, "keydown", Some(&tab)) {
                self.focus(None);
            }
            self.end_task();
        }
        Ok(())
    }

    /// A key pressed on `target` (focused first): `keydown` to the client's listeners, then
    /// what the key does by default: Enter submits a field's form (clicking its first submit
    /// button) or adds a line to a textarea, Space clicks a button or checkbox, a character
    /// goes into a field.
    pub fn press(&mut self, target: NodeId, key: &KeyPress) -> Result<(), String> {
        if self.page.focused != Some(target) {
            let focus = self.focusable(target);
            self.focus(focus);
        }
        let prevented = self.dispatch(target, "keydown", Some(key));
        self.end_task();
        if prevented || !key.modifiers.is_empty() {
            return Ok(());
        }
        let tag = self.page.tag(target);
        match key.key.as_str() {
            "Enter" if tag == "textarea" => self.insert_text(target, "\n"),
            "Enter" if tag == "input" && self.is_text_field(target) => {
                self.implicit_submission(target)
            }
            "Enter" if tag == "button" || tag == "a" => self.activate(target),
            " " if tag == "button" || self.page.is_checkable(target) => self.activate(target),
            "Tab" => {
                self.focus(None);
                Ok(())
            }
            text if text.chars().count() == 1 && self.is_text_field(target) => {
                self.insert_text(target, text)
            }
            _ => Ok(()),
        }
    }

    fn insert_text(&mut self, field: NodeId, text: &str) -> Result<(), String> {
        let value = self.page.value(field) + text;
        self.page.set_value(field, &value);
        self.dispatch(field, "input", None);
        self.end_task();
        Ok(())
    }

    /// Enter in a field: the form's first submit button is clicked; a form without one is
    /// submitted if this is its only field.
    fn implicit_submission(&mut self, field: NodeId) -> Result<(), String> {
        let Some(form) = self.form_of(field) else {
            return Ok(());
        };
        let elements = self.page.descendant_elements(form);
        if let Some(button) = elements.iter().find(|e| self.is_submit_button(**e)) {
            return if self.is_disabled(*button) {
                Ok(())
            } else {
                self.activate(*button)
            };
        }
        let fields = elements.iter().filter(|e| self.is_text_field(**e)).count();
        if fields == 1 {
            self.submit(field)
        } else {
            Ok(())
        }
    }

    /// Picks the option with `value` in a select, as a person does: focus, then `input` and
    /// `change` if the choice changed.
    pub fn choose(&mut self, select: NodeId, value: &str) -> Result<(), String> {
        let options = self.page.options(select);
        let Some(option) = options
            .iter()
            .find(|option| self.page.option_value(**option) == value)
            .copied()
        else {
            let values: Vec<String> = options
                .iter()
                .map(|option| format!("{:?}", self.page.option_value(*option)))
                .collect();
            return Err(format!(
                "no option has the value {value:?}; the options are [{}]",
                values.join(", ")
            ));
        };
        if self.is_disabled(option) {
            return Err(format!("the option {value:?} is disabled"));
        }
        self.focus(Some(select));
        if self.page.selected_option(select) != Some(option) {
            self.page.choose_option(select, option);
            self.dispatch(select, "input", None);
            self.dispatch(select, "change", None);
        }
        self.end_task();
        Ok(())
    }

    /// A double click: two clicks, then `dblclick`.
    pub fn double_click(&mut self, target: NodeId) -> Result<(), String> {
        self.click(target)?;
        self.activate(target)?;
        self.dispatch(target, "dblclick", None);
        self.end_task();
        Ok(())
    }

    /// Any other event, bubbling, for `ui-event-E` bindings a test cannot reach otherwise.
    pub fn fire(&mut self, target: NodeId, event: &str) {
        self.dispatch(target, event, None);
        self.end_task();
    }
}
