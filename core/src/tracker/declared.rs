//! Properties as a client message or a script declares them (docs/protocol.md §4.2 steps 1–3,
//! §5.2, §5.4): priority suffixes stripped, `path` split from its query, `path` and `access`
//! parsed, and the path/access combination checked.

use std::collections::BTreeMap;

use crate::tracker::Fault;
use crate::tracker::access::Access;
use crate::tracker::path::{self, Path};
use crate::tracker::property::{self, Priority, split_priority, split_query};

/// Why declared properties are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) fault: Fault,
    pub(crate) description: String,
}

fn refusal(fault: Fault, description: impl Into<String>) -> Refusal {
    Refusal {
        fault,
        description: description.into(),
    }
}

/// Declared properties, checked.
pub(crate) struct Declared {
    /// Names without suffix, each once, with their priority; `""` removes.
    pub(crate) properties: Vec<(String, String, Priority)>,
    pub(crate) path: Option<Path>,
    pub(crate) access: Option<Access>,
}

/// A path/access combination §5.2 forbids is `access-denied`.
pub(crate) fn allowed(path: &Path, access: Access) -> Result<(), Refusal> {
    if access.allows(path) {
        return Ok(());
    }
    Err(refusal(
        Fault::Denied,
        format!(
            "access '{}' cannot be used with path '{path}'",
            access.as_str()
        ),
    ))
}

/// Strips suffixes, splits `path` from its query (query pairs override), parses `path` and
/// `access`.
pub(crate) fn declare(properties: Vec<(String, String)>) -> Result<Declared, Refusal> {
    let mut stripped = Stripped::default();
    let mut query = Vec::new();
    for (name, text) in properties {
        let Some((name, priority)) = split_priority(&name) else {
            return Err(refusal(Fault::Malformed, "a property name is empty"));
        };
        let text = if name == "path" {
            let (path, pairs) = split_query(&text);
            query = pairs;
            path.to_owned()
        } else {
            text
        };
        stripped.set(name, text, priority);
    }
    for (name, text) in query {
        let Some((name, priority)) = split_priority(&name) else {
            return Err(refusal(Fault::Malformed, "a query property name is empty"));
        };
        stripped.set(name, text, priority);
    }
    let find = |name: &str| stripped.find(name);
    let access =
        match find("access") {
            Some(text) => Some(Access::parse(Some(text)).ok_or_else(|| {
                refusal(Fault::Malformed, format!("'{text}' is not an access mode"))
            })?),
            None => None,
        };
    let path = match find("path") {
        Some("") => return Err(refusal(Fault::Malformed, "the path is empty")),
        Some(text) => Some(path::parse(text).map_err(|e| refusal(Fault::Path, e.to_string()))?),
        None => None,
    };
    let properties = stripped.into_list();
    let sizes = properties
        .iter()
        .map(|(name, text, _)| (name.as_str(), text.as_str()));
    property::check_sizes(std::iter::empty(), sizes)
        .map_err(|why| refusal(Fault::Limit, why.to_string()))?;
    Ok(Declared {
        properties,
        path,
        access,
    })
}

/// Declared properties in order of their last declaration, each name once: a later one wins.
/// Indexed by name, so that a message declaring many properties costs linear time.
#[derive(Default)]
struct Stripped {
    list: Vec<Option<(String, String, Priority)>>,
    index: BTreeMap<String, usize>,
}

impl Stripped {
    fn set(&mut self, name: &str, text: String, priority: Priority) {
        if let Some(earlier) = self.index.insert(name.to_owned(), self.list.len()) {
            self.list[earlier] = None;
        }
        self.list.push(Some((name.to_owned(), text, priority)));
    }

    fn find(&self, name: &str) -> Option<&str> {
        let position = *self.index.get(name)?;
        self.list[position]
            .as_ref()
            .map(|(_, text, _)| text.as_str())
    }

    fn into_list(self) -> Vec<(String, String, Priority)> {
        self.list.into_iter().flatten().collect()
    }
}
