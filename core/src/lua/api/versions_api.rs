//! The deprecated version counter of the `session` object (docs/protocol.md §7.2): `newVersion`,
//! `getVersion` and `needsMutation`, kept for apps written against it. Prototype mutation
//! (§7.5) is what replaces it.

use mlua::{Function, Lua, Table, Value};

use crate::lua::api::session_api::with_host;

/// The primitive `name` of this file, made when the environment first needs it (see
/// `environment.rs`); `None` if it is not one of them.
pub(crate) fn function(lua: &Lua, name: &str) -> Option<mlua::Result<Function>> {
    Some(match name {
        "new_version" => lua.create_function(|lua, _session: Value| {
            with_host(lua, |h| {
                h.version += 1;
                h.version
            })
        }),
        "get_version" => lua.create_function(|lua, _session: Value| with_host(lua, |h| h.version)),
        "needs_mutation" => lua.create_function(|lua, (_session, object): (Value, Table)| {
            let seen: Value = object.raw_get("_mutationVersion")?;
            let version = with_host(lua, |h| h.version)?;
            Ok(seen != Value::Integer(version))
        }),
        _ => return None,
    })
}
