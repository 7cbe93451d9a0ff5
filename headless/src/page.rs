//! The headless tab's document: an HTML tree (html5ever parsing, `selectors` matching, through
//! `dom_query`) plus the state a browser keeps outside the markup: what inputs hold, which
//! boxes are checked, which option a select shows, which element has focus.

use std::collections::BTreeMap;

use dom_query::{Document, Matcher, NodeData, NodeId, NodeRef, Selection};

/// Past this many nodes the page is refused: a viewdef that nests or repeats without end.
pub const MAX_NODES: usize = 2_000_000;

pub struct Page {
    pub doc: Document,
    /// `.value` of inputs and textareas once set (else their markup's default).
    values: BTreeMap<NodeId, String>,
    /// `.checked` of checkboxes and radios once set (else their `checked` attribute).
    checked: BTreeMap<NodeId, bool>,
    /// The option a select shows once chosen or set; `None`: none (a value no option has).
    selected: BTreeMap<NodeId, Option<NodeId>>,
    pub focused: Option<NodeId>,
}

impl Page {
    pub fn parse(html: &str) -> Page {
        Page {
            doc: Document::from(html),
            values: BTreeMap::new(),
            checked: BTreeMap::new(),
            selected: BTreeMap::new(),
            focused: None,
        }
    }

    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        self.doc.tree.get_unchecked(&id)
    }

    pub fn node_count(&self) -> usize {
        self.doc.tree.len()
    }

    /// The element's local name, `""` for other nodes.
    pub fn tag(&self, id: NodeId) -> String {
        self.node(id)
            .node_name()
            .map(|name| name.to_string())
            .unwrap_or_default()
    }

    pub fn is_element(&self, id: NodeId) -> bool {
        self.node(id).is_element()
    }

    pub fn attr(&self, id: NodeId, name: &str) -> Option<String> {
        self.node(id).attr(name).map(|value| value.to_string())
    }

    pub fn has_attr(&self, id: NodeId, name: &str) -> bool {
        self.node(id).has_attr(name)
    }

    pub fn set_attr(&self, id: NodeId, name: &str, value: &str) {
        self.node(id).set_attr(name, value);
    }

    pub fn remove_attr(&self, id: NodeId, name: &str) {
        self.node(id).remove_attr(name);
    }

    /// Attribute names in document order.
    pub fn attr_names(&self, id: NodeId) -> Vec<String> {
        self.node(id)
            .attrs()
            .iter()
            .map(|attr| attr.name.local.to_string())
            .collect()
    }

    pub fn classes(&self, id: NodeId) -> Vec<String> {
        self.attr(id, "class")
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect()
    }

    pub fn has_class(&self, id: NodeId, class: &str) -> bool {
        self.classes(id).iter().any(|c| c == class)
    }

    /// `classList.toggle(class, on)`.
    pub fn toggle_class(&self, id: NodeId, class: &str, on: bool) {
        let mut classes = self.classes(id);
        let has = classes.iter().any(|c| c == class);
        if has == on {
            return;
        }
        if on {
            classes.push(class.to_owned());
        } else {
            classes.retain(|c| c != class);
        }
        self.set_attr(id, "class", &classes.join(" "));
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).parent().map(|parent| parent.id)
    }

    pub fn children(&self, id: NodeId) -> Vec<NodeId> {
        self.node(id)
            .children()
            .iter()
            .map(|child| child.id)
            .collect()
    }

    pub fn element_children(&self, id: NodeId) -> Vec<NodeId> {
        self.node(id)
            .element_children()
            .iter()
            .map(|child| child.id)
            .collect()
    }

    pub fn next_sibling(&self, id: NodeId) -> Option<NodeId> {
        self.node(id).next_sibling().map(|node| node.id)
    }

    /// The element and its ancestors, nearest first.
    pub fn ancestors_inclusive(&self, id: NodeId) -> Vec<NodeId> {
        let mut chain = vec![id];
        let mut at = id;
        while let Some(parent) = self.parent(at) {
            chain.push(parent);
            at = parent;
        }
        chain
    }

    pub fn contains(&self, ancestor: NodeId, id: NodeId) -> bool {
        self.ancestors_inclusive(id).contains(&ancestor)
    }

    /// Whether the node hangs from the document (not removed, not a detached copy).
    pub fn is_connected(&self, id: NodeId) -> bool {
        self.ancestors_inclusive(id)
            .last()
            .is_some_and(|top| *top == self.doc.root().id)
    }

    /// Descendant elements in document order.
    pub fn descendant_elements(&self, id: NodeId) -> Vec<NodeId> {
        self.node(id)
            .descendants_it()
            .filter(|node| node.is_element())
            .map(|node| node.id)
            .collect()
    }

    /// A detached copy of the children of `parent` in `source` (a parsed viewdef), in order.
    pub fn copy_children(&self, source: &Document, parent: NodeId) -> Vec<NodeId> {
        let tree = &self.doc.tree;
        let source_parent = source.tree.get_unchecked(&parent);
        let tops: Vec<(NodeId, NodeId)> = source_parent
            .children()
            .iter()
            .map(|child| (child.id, tree.create_node(copy_data(child))))
            .collect();
        let mut pending: Vec<(NodeId, NodeId)> = tops.clone();
        // An explicit stack: a deep viewdef must not overflow ours.
        while let Some((from, to)) = pending.pop() {
            for child in source.tree.get_unchecked(&from).children() {
                let copy = tree.create_node(copy_data(&child));
                tree.append_child_of(&to, &copy);
                pending.push((child.id, copy));
            }
        }
        tops.into_iter().map(|(_, copy)| copy).collect()
    }

    /// Parses `html` as a fragment and returns detached copies of its top-level nodes.
    pub fn parse_fragment(&self, html: &str) -> Vec<NodeId> {
        let fragment = Document::fragment(html);
        let holder = fragment.html_root().id;
        self.copy_children(&fragment, holder)
    }

    pub fn new_text(&self, text: &str) -> NodeId {
        self.doc.tree.new_text(text).id
    }

    pub fn append(&self, parent: NodeId, child: NodeId) {
        self.doc.tree.append_child_of(&parent, &child);
    }

    pub fn insert_before(&self, reference: NodeId, node: NodeId) {
        self.doc.tree.insert_before_of(&reference, &node);
    }

    pub fn remove(&mut self, id: NodeId) {
        self.doc.tree.remove_from_parent(&id);
        if self
            .focused
            .is_some_and(|focused| self.contains(id, focused))
        {
            self.focused = None;
        }
    }

    /// `replaceChildren(...nodes)`.
    pub fn replace_children(&mut self, parent: NodeId, nodes: &[NodeId]) {
        for child in self.children(parent) {
            self.remove(child);
        }
        for node in nodes {
            self.append(parent, *node);
        }
    }

    /// `textContent = text`: one text node, or none for `""`.
    pub fn set_text_content(&mut self, id: NodeId, text: &str) {
        self.replace_children(id, &[]);
        if !text.is_empty() {
            let node = self.new_text(text);
            self.append(id, node);
        }
    }

    /// `textContent`.
    pub fn text(&self, id: NodeId) -> String {
        self.node(id).text().to_string()
    }

    /// The text a reader sees: `textContent` without what is hidden (the `hidden`
    /// attribute, an inline `display: none`) and without scripts, styles and templates.
    pub fn visible_text(&self, id: NodeId) -> String {
        let mut text = String::new();
        let mut pending = vec![id];
        while let Some(node) = pending.pop() {
            let item = self.node(node);
            if item.is_text() {
                text.push_str(&item.text());
                continue;
            }
            if !item.is_element() {
                continue;
            }
            let tag = self.tag(node);
            if self.is_hidden(node) || matches!(tag.as_str(), "script" | "style" | "template") {
                continue;
            }
            pending.extend(self.children(node).into_iter().rev());
        }
        text
    }

    /// Hidden by its own `hidden` attribute or an inline `display: none` (the tab applies no
    /// stylesheet).
    pub fn is_hidden(&self, id: NodeId) -> bool {
        self.has_attr(id, "hidden")
            || self
                .attr(id, "style")
                .is_some_and(|style| style.replace(' ', "").contains("display:none"))
    }

    /// Hidden itself or by an ancestor.
    pub fn is_hidden_within(&self, id: NodeId) -> bool {
        self.ancestors_inclusive(id)
            .into_iter()
            .any(|node| self.is_element(node) && self.is_hidden(node))
    }

    pub fn outer_html(&self, id: NodeId) -> String {
        self.node(id).html().to_string()
    }

    /// Every element under the document matching `css`, in document order.
    pub fn select(&self, css: &str) -> Result<Vec<NodeId>, String> {
        let matcher = Matcher::new(css).map_err(|_| format!("{css:?} is not a CSS selector"))?;
        Ok(Selection::from(self.doc.root())
            .select_matcher(&matcher)
            .nodes()
            .iter()
            .map(|node| node.id)
            .collect())
    }

    /// The `type` of an input, lower case, `text` when absent.
    pub fn input_type(&self, id: NodeId) -> String {
        self.attr(id, "type")
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "text".to_owned())
    }

    pub fn is_checkable(&self, id: NodeId) -> bool {
        self.tag(id) == "input" && matches!(self.input_type(id).as_str(), "checkbox" | "radio")
    }

    pub fn checked(&self, id: NodeId) -> bool {
        self.checked
            .get(&id)
            .copied()
            .unwrap_or_else(|| self.has_attr(id, "checked"))
    }

    pub fn set_checked(&mut self, id: NodeId, on: bool) {
        self.checked.insert(id, on);
    }

    /// `.value` of an input-like element (and of buttons and options).
    pub fn value(&self, id: NodeId) -> String {
        match self.tag(id).as_str() {
            "input" => self.values.get(&id).cloned().unwrap_or_else(|| {
                let default = if self.is_checkable(id) { "on" } else { "" };
                self.attr(id, "value").unwrap_or_else(|| default.to_owned())
            }),
            "textarea" => self
                .values
                .get(&id)
                .cloned()
                .unwrap_or_else(|| self.text(id)),
            "select" => self
                .selected_option(id)
                .map(|option| self.option_value(option))
                .unwrap_or_default(),
            "option" => self.option_value(id),
            _ => self.attr(id, "value").unwrap_or_default(),
        }
    }

    /// Sets `.value`; a select then shows the first option with that value, or none.
    pub fn set_value(&mut self, id: NodeId, value: &str) {
        if self.tag(id) == "select" {
            let option = self
                .options(id)
                .into_iter()
                .find(|option| self.option_value(*option) == value);
            self.selected.insert(id, option);
        } else {
            self.values.insert(id, value.to_owned());
        }
    }

    /// The options of a select, in document order.
    pub fn options(&self, select: NodeId) -> Vec<NodeId> {
        self.descendant_elements(select)
            .into_iter()
            .filter(|id| self.tag(*id) == "option")
            .collect()
    }

    /// An option's value: its `value` attribute, else its text with spaces collapsed.
    pub fn option_value(&self, option: NodeId) -> String {
        self.attr(option, "value")
            .unwrap_or_else(|| collapse_whitespace(&self.text(option)))
    }

    /// The option a select shows: the one set or chosen while it is still there, else (a
    /// browser's selectedness algorithm) the first with `selected`, else the first.
    pub fn selected_option(&self, select: NodeId) -> Option<NodeId> {
        let options = self.options(select);
        match self.selected.get(&select) {
            Some(Some(option)) if options.contains(option) => Some(*option),
            Some(None) => None,
            _ => options
                .iter()
                .find(|option| self.has_attr(**option, "selected"))
                .or(options.first())
                .copied(),
        }
    }

    /// The select's options changed: a select showing none, or an option now gone, falls back
    /// to the default (the selectedness algorithm runs on insertion and removal).
    pub fn reset_selection(&mut self, select: NodeId) {
        let options = self.options(select);
        if let Some(chosen) = self.selected.get(&select)
            && !chosen.is_some_and(|option| options.contains(&option))
        {
            self.selected.remove(&select);
        }
    }

    pub fn choose_option(&mut self, select: NodeId, option: NodeId) {
        self.selected.insert(select, Some(option));
    }
}

fn copy_data(node: &NodeRef<'_>) -> NodeData {
    let data = node.query(|tree_node| tree_node.data.clone());
    match data {
        // A nested template's contents stay behind: they are inert in a browser too.
        Some(NodeData::Element(mut element)) => {
            element.template_contents = None;
            NodeData::Element(element)
        }
        Some(other) => other,
        None => NodeData::Text {
            contents: Default::default(),
        },
    }
}

/// Runs of whitespace as one space, trimmed: text as a reader sees it.
pub fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
