//! The deprecated version counter of the `session` object (docs/protocol.md §7.2): `newVersion`,
//! `getVersion` and `needsMutation`, kept for apps written against it. Prototype mutation
//! (§7.5) is what replaces it.

use mlua::{Lua, Table, Value};

use crate::lua::api::session_api::with_host;

pub(crate) fn add_primitives(lua: &Lua, primitives: &Table) -> mlua::Result<()> {
    primitives.raw_set(
        "new_version",
        lua.create_function(|lua, _session: Value| {
            with_host(lua, |h| {
                h.version += 1;
                h.version
            })
        })?,
    )?;
    primitives.raw_set(
        "get_version",
        lua.create_function(|lua, _session: Value| with_host(lua, |h| h.version))?,
    )?;
    primitives.raw_set(
        "needs_mutation",
        lua.create_function(|lua, (_session, object): (Value, Table)| {
            let seen: Value = object.raw_get("_mutationVersion")?;
            let version = with_host(lua, |h| h.version)?;
            Ok(seen != Value::Integer(version))
        })?,
    )?;
    Ok(())
}
