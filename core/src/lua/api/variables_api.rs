//! `session:createVariable` and `session:destroyVariable` (docs/protocol.md §7.2): server
//! variables, ids −1, −2, … per session.

use mlua::{Function, Lua, Table, Value};

use crate::lua::Tracker;
use crate::lua::api::session_api::{script_error, string_properties, with_host};
use crate::tracker::access::Access;
use crate::tracker::declared::{allowed, declare};
use crate::tracker::{APP_VAR, VarId};

/// The primitive `name` of this file, made when the environment first needs it (see
/// `environment.rs`); `None` if it is not one of them.
pub(crate) fn function(lua: &Lua, name: &str) -> Option<mlua::Result<Function>> {
    Some(match name {
        "create_variable" => lua.create_function(create_variable),
        "destroy_variable" => lua.create_function(destroy_variable),
        _ => return None,
    })
}

/// A variable a script may name: by id (1 or a server variable) or by the table it holds.
fn named(tracker: &Tracker, target: &Value) -> Result<Option<VarId>, String> {
    match target {
        Value::Table(_) => Ok(tracker.holder_of(target)),
        Value::Integer(id) => Ok(tracker.get(*id).filter(|v| v.owner.is_none()).map(|v| v.id)),
        Value::Number(n) if n.fract() == 0.0 => named(tracker, &Value::Integer(*n as i64)),
        other => Err(format!(
            "expected a variable id or a table, got {}",
            other.type_name()
        )),
    }
}

fn create_variable(
    lua: &Lua,
    (_session, parent, object, props): (Value, Value, Value, Option<Table>),
) -> mlua::Result<VarId> {
    let properties = string_properties(lua, props, "createVariable")?;
    let declared = declare(properties)
        .map_err(|refusal| script_error(lua, format!("createVariable: {}", refusal.description)))?;
    let outcome = with_host(lua, |h| {
        let parent =
            match parent {
                Value::Integer(0) => None,
                ref other => match named(&h.tracker, other)? {
                    Some(id) => Some(id),
                    None => return Err(
                        "the parent is neither variable 1, a server variable nor a table they hold"
                            .to_owned(),
                    ),
                },
            };
        if parent.is_none() && object.is_nil() {
            return Err("a root variable needs a value".to_owned());
        }
        let path = if object.is_nil() {
            let Some(path) = declared.path.clone() else {
                return Err("a variable without a value needs a path".to_owned());
            };
            let access = declared.access.unwrap_or(Access::ReadWrite);
            allowed(&path, access).map_err(|refusal| refusal.description)?;
            Some(path)
        } else {
            None
        };
        let depth = parent.map_or(Some(0), |parent| h.tracker.depth(parent).map(|d| d + 1));
        if depth.is_some_and(|depth| depth > h.max_depth) {
            return Err(format!(
                "the variable would lie deeper than {} levels (--max-depth)",
                h.max_depth
            ));
        }
        if h.tracker.len() >= h.max_variables {
            return Err(format!(
                "this session already has {} variables (--max-variables)",
                h.max_variables
            ));
        }
        let id = h.tracker.add_server(parent);
        if let Some(variable) = h.tracker.get_mut(id) {
            variable.path = path.map(std::rc::Rc::new);
            variable.access = declared.access.unwrap_or(Access::ReadWrite);
            variable.value = object.clone();
            for (name, text, priority) in &declared.properties {
                variable.set_property(name, text, *priority);
            }
        }
        Ok(id)
    })?;
    outcome.map_err(|why| script_error(lua, format!("createVariable: {why}")))
}

fn destroy_variable(lua: &Lua, (_session, target): (Value, Value)) -> mlua::Result<bool> {
    let outcome = with_host(lua, |h| match named(&h.tracker, &target)? {
        Some(APP_VAR) => Err("variable 1 cannot be destroyed".to_owned()),
        Some(id) => {
            h.tracker.remove(id);
            Ok(true)
        }
        None => Ok(false),
    })?;
    outcome.map_err(|why| script_error(lua, format!("destroyVariable: {why}")))
}
