//! The viewdefs a tab has received (docs/protocol.md §8, §10.2), as `client/viewdefs.js` keeps them.

use std::collections::{BTreeMap, BTreeSet};

use dom_query::{Document, NodeId};

/// One parsed viewdef: its `<template>`'s contents live in `doc` under `contents`.
pub struct Template {
    pub doc: Document,
    pub contents: NodeId,
}

#[derive(Default)]
pub struct Viewdefs {
    templates: BTreeMap<String, Template>,
}

impl Viewdefs {
    pub fn template(&self, key: &str) -> Option<&Template> {
        self.templates.get(key)
    }

    /// The key to render `type` with: the first known of `T.<namespace>`,
    /// `T.<fallbackNamespace>`, `T.DEFAULT`.
    pub fn choose(&self, type_name: &str, namespace: &str, fallback: &str) -> Option<String> {
        let mut candidates = Vec::new();
        if !namespace.is_empty() {
            candidates.push(format!("{type_name}.{namespace}"));
        }
        if !fallback.is_empty() {
            candidates.push(format!("{type_name}.{fallback}"));
        }
        candidates.push(format!("{type_name}.DEFAULT"));
        candidates
            .into_iter()
            .find(|key| self.templates.contains_key(key))
    }

    /// Stores the `viewdefs` property (a JSON string); returns the keys it carried. What does
    /// not parse is reported in `problems`, as the client logs it to the console.
    pub fn store(&mut self, json: &str, problems: &mut Vec<String>) -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        let delivered: BTreeMap<String, String> = match serde_json::from_str(json) {
            Ok(delivered) => delivered,
            Err(error) => {
                problems.push(format!("unreadable viewdefs: {error}"));
                return keys;
            }
        };
        for (key, html) in delivered {
            let doc = Document::fragment(html);
            let first = doc
                .html_root()
                .children()
                .into_iter()
                .find(|node| node.is_element());
            let contents = first
                .filter(|node| node.has_name("template"))
                .and_then(|t| {
                    t.query(|tree_node| tree_node.as_element().and_then(|e| e.template_contents))
                        .flatten()
                });
            let Some(contents) = contents else {
                problems.push(format!("viewdef {key} is not a <template>"));
                continue;
            };
            self.templates
                .insert(key.clone(), Template { doc, contents });
            keys.insert(key);
        }
        keys
    }
}
