//! Properties as a client message or a script declares them (PROTOCOL §4.2 steps 1–3,
//! §5.2, §5.4): priority suffixes stripped, `path` split from its query, `path` and `access`
//! parsed, and the path/access combination checked.

use crate::protocol::ErrorCode;
use crate::tracker::access::Access;
use crate::tracker::path::{self, Path};
use crate::tracker::property::{Priority, split_priority, split_query};

/// Why declared properties are refused, with the §3.4 code.
pub(crate) type Refusal = (ErrorCode, String);

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
    Err((
        ErrorCode::AccessDenied,
        format!(
            "access '{}' cannot be used with path '{path}'",
            access.as_str()
        ),
    ))
}

/// Strips suffixes, splits `path` from its query (query pairs override), parses `path` and
/// `access`.
pub(crate) fn declare(properties: Vec<(String, String)>) -> Result<Declared, Refusal> {
    let mut stripped: Vec<(String, String, Priority)> = Vec::new();
    let mut query = Vec::new();
    for (name, text) in properties {
        let Some((name, priority)) = split_priority(&name) else {
            return Err((ErrorCode::BadMessage, "a property name is empty".into()));
        };
        let text = if name == "path" {
            let (path, pairs) = split_query(&text);
            query = pairs;
            path.to_owned()
        } else {
            text
        };
        set(&mut stripped, name, text, priority);
    }
    for (name, text) in query {
        let Some((name, priority)) = split_priority(&name) else {
            return Err((
                ErrorCode::BadMessage,
                "a query property name is empty".into(),
            ));
        };
        set(&mut stripped, name, text, priority);
    }
    let find = |name: &str| {
        stripped
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, t, _)| t.as_str())
    };
    let access = match find("access") {
        Some(text) => Some(Access::parse(Some(text)).ok_or_else(|| {
            (
                ErrorCode::BadMessage,
                format!("'{text}' is not an access mode"),
            )
        })?),
        None => None,
    };
    let path = match find("path") {
        Some("") => return Err((ErrorCode::BadMessage, "the path is empty".into())),
        Some(text) => Some(path::parse(text).map_err(|e| (ErrorCode::PathFailure, e))?),
        None => None,
    };
    Ok(Declared {
        properties: stripped,
        path,
        access,
    })
}

/// Sets a property in a list where each name appears once; a later one wins.
fn set(list: &mut Vec<(String, String, Priority)>, name: &str, text: String, priority: Priority) {
    list.retain(|(n, _, _)| n != name);
    list.push((name.to_owned(), text, priority));
}
