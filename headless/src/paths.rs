//! Binding attribute values (docs/protocol.md §10.3), as `client/paths.js` reads them: a path with an
//! optional query `p?k=v&flag`, and the key combinations of `ui-event-keypress-*`.

use std::collections::BTreeSet;

/// Query keys that tune the client itself; they are never sent as properties.
const CLIENT_FLAGS: [&str; 3] = ["keypress", "replace", "scrollOnOutput"];

/// A binding's path, the properties its query sends, in query order, and the client's flags.
#[derive(Debug, Default, PartialEq)]
pub struct SplitPath {
    pub path: String,
    pub properties: Vec<(String, String)>,
    pub flags: BTreeSet<String>,
}

/// Splits `p?k=v&flag`: a bare key means `"true"`, values are literal.
pub fn split_path(text: &str) -> SplitPath {
    let (path, query) = text.split_once('?').unwrap_or((text, ""));
    let mut split = SplitPath {
        path: path.to_owned(),
        ..SplitPath::default()
    };
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, "true"));
        if CLIENT_FLAGS.contains(&key) {
            if value != "false" {
                split.flags.insert(key.to_owned());
            }
        } else if !key.is_empty() {
            // A repeated key keeps its first place and its last value, as a JS object does.
            match split.properties.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = value.to_owned(),
                None => split.properties.push((key.to_owned(), value.to_owned())),
            }
        }
    }
    split
}

/// `name(_)`: written with the value as argument.
pub fn is_setter(path: &str) -> bool {
    path.ends_with("(_)")
}

/// `name()`: a method call.
pub fn is_call(path: &str) -> bool {
    path.ends_with("()")
}

pub const MODIFIERS: [&str; 4] = ["ctrl", "alt", "shift", "meta"];

/// A `ui-event-keypress-[mods-]key` combination: the key and the exact set of modifiers.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCombination {
    pub key: String,
    pub modifiers: BTreeSet<String>,
}

/// Reads the part after `ui-event-keypress-` (already lower case): `"ctrl-shift-enter"`.
pub fn parse_key_combination(text: &str) -> KeyCombination {
    let mut parts: Vec<&str> = text.split('-').collect();
    let key = parts.pop().unwrap_or_default().to_owned();
    KeyCombination {
        key,
        modifiers: parts.into_iter().map(str::to_owned).collect(),
    }
}

/// A key pressed with modifiers, as a `keydown` event carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPress {
    /// `KeyboardEvent.key`: `"a"`, `"Enter"`, `" "`, `"Escape"`.
    pub key: String,
    pub modifiers: BTreeSet<String>,
}

impl KeyPress {
    /// Reads `"Enter"`, `"ctrl-k"`, `"Ctrl+Shift+Enter"`, `"space"`: modifiers before the key,
    /// joined by `-` or `+`.
    pub fn parse(text: &str) -> Result<KeyPress, String> {
        let parts: Vec<&str> = if text.len() > 1 {
            text.split(['-', '+']).collect()
        } else {
            vec![text]
        };
        let (key, mods) = parts.split_last().ok_or("an empty key")?;
        let mut modifiers = BTreeSet::new();
        for name in mods {
            let lower = name.to_ascii_lowercase();
            let lower = if lower == "control" {
                "ctrl".to_owned()
            } else {
                lower
            };
            if !MODIFIERS.contains(&lower.as_str()) {
                return Err(format!(
                    "{name:?} in {text:?} is not a modifier (ctrl, alt, shift, meta)"
                ));
            }
            modifiers.insert(lower);
        }
        if key.is_empty() {
            return Err(format!("no key in {text:?}"));
        }
        let key = if key.eq_ignore_ascii_case("space") {
            " ".to_owned()
        } else if key.chars().count() == 1 {
            (*key).to_owned()
        } else {
            named_key(key)
        };
        Ok(KeyPress { key, modifiers })
    }

    /// Whether this keydown is exactly `combination` (`client/paths.js` `matchesKey`).
    pub fn matches(&self, combination: &KeyCombination) -> bool {
        let key = if self.key == " " {
            "space".to_owned()
        } else {
            self.key.to_lowercase()
        };
        key == combination.key
            && MODIFIERS
                .iter()
                .all(|m| self.modifiers.contains(*m) == combination.modifiers.contains(*m))
    }
}

/// The `KeyboardEvent.key` spelling of a named key typed in any case: `enter` → `Enter`.
fn named_key(text: &str) -> String {
    const NAMED: [&str; 16] = [
        "Enter",
        "Escape",
        "Tab",
        "Backspace",
        "Delete",
        "ArrowUp",
        "ArrowDown",
        "ArrowLeft",
        "ArrowRight",
        "Home",
        "End",
        "PageUp",
        "PageDown",
        "Insert",
        "F1",
        "F2",
    ];
    NAMED
        .iter()
        .find(|name| name.eq_ignore_ascii_case(text))
        .map(|name| (*name).to_owned())
        .unwrap_or_else(|| {
            if text.eq_ignore_ascii_case("esc") {
                "Escape".to_owned()
            } else {
                text.to_owned()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_split_into_properties_and_flags() {
        let split = split_path("items?wrapper=lua.ViewList&keypress&x=1=2&replace=false");
        assert_eq!(split.path, "items");
        assert_eq!(
            split.properties,
            vec![
                ("wrapper".to_owned(), "lua.ViewList".to_owned()),
                ("x".to_owned(), "1=2".to_owned())
            ]
        );
        assert!(split.flags.contains("keypress") && !split.flags.contains("replace"));
    }

    #[test]
    fn key_presses_match_exact_combinations() {
        let ctrl_k = parse_key_combination("ctrl-k");
        assert!(KeyPress::parse("ctrl-k").expect("a key").matches(&ctrl_k));
        assert!(KeyPress::parse("Ctrl+K").expect("a key").matches(&ctrl_k));
        assert!(!KeyPress::parse("k").expect("a key").matches(&ctrl_k));
        assert!(
            !KeyPress::parse("ctrl-shift-k")
                .expect("a key")
                .matches(&ctrl_k)
        );
        let enter = parse_key_combination("enter");
        assert!(KeyPress::parse("enter").expect("a key").matches(&enter));
        let space = parse_key_combination("space");
        assert!(KeyPress::parse("space").expect("a key").matches(&space));
        assert!(KeyPress::parse("ctrl-x-k").is_err());
    }
}
