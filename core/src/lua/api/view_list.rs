//! The built-in wrappers `lua.ViewList` and `lua.ViewListItem` (docs/protocol.md §9): a list
//! variable's array shown as one item per element, each with its presenter, kept in step with the
//! array from Rust.
//!
//! Both are plain Lua tables, so that paths navigate them like any other object: a list holds
//! `items` (an array of items), an item its `item`, `baseItem`, `index` and `list`. Their
//! metatables say what they are (`__name`, as `luaL_newmetatable` would), carry their type
//! name, and refuse any other name from `__index`; each is made once per VM, on its first
//! ViewList, so that a session without one pays nothing.

use mlua::{Lua, Table, Value};

use crate::lua::LuaBackend;
use crate::lua::Wrapper;
use crate::lua::api::wrapper::ConstructError;
use crate::lua::detect::value_json::array_length;
use crate::tracker::property::Priority;
use crate::tracker::{VarId, WrapperKind};

/// The `wrapper` property value that asks for a ViewList, and its type name.
pub(crate) const VIEW_LIST: &str = "lua.ViewList";
const VIEW_LIST_ITEM: &str = "lua.ViewListItem";
/// `__name` of a list's `items` array. It has no type name: it is sent as a JSON array, `[]`
/// when empty.
const ITEMS: &str = "lua.ViewList.items";

/// A table this module made, told by its metatable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuiltIn {
    List,
    Item,
    Items,
}

impl BuiltIn {
    /// What `table` is, if this module made it.
    pub(crate) fn of(table: &Table) -> Option<BuiltIn> {
        if !table.has_metatable() {
            return None;
        }
        let name = table
            .metatable()?
            .raw_get::<Option<mlua::LuaString>>("__name")
            .ok()??;
        match name.as_bytes().as_ref() {
            b"lua.ViewList" => Some(BuiltIn::List),
            b"lua.ViewListItem" => Some(BuiltIn::Item),
            b"lua.ViewList.items" => Some(BuiltIn::Items),
            _ => None,
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            BuiltIn::List => VIEW_LIST,
            BuiltIn::Item => VIEW_LIST_ITEM,
            BuiltIn::Items => "lua.ViewList's items",
        }
    }
}

/// Whether `value` is a `lua.ViewListItem`: a `wrapper` on such a variable is ignored (§5.7).
pub(crate) fn is_item(value: &Value) -> bool {
    matches!(value, Value::Table(table) if BuiltIn::of(table) == Some(BuiltIn::Item))
}

/// A path asked a list or an item for a name it does not have (§9): a `path-failure`.
#[derive(Debug)]
struct RefusedName(String);

impl std::fmt::Display for RefusedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedName {}

/// The description of a `path-failure` if reading a path failed on a name a list or an item
/// does not have.
pub(crate) fn refused_name(error: &mlua::Error) -> Option<String> {
    error
        .downcast_ref::<RefusedName>()
        .map(|refused| refused.0.clone())
}

/// An item's fields but `type` are its own, raw; the one that is nil holds a hole of the array.
const ITEM_FIELDS: [&str; 4] = ["item", "baseItem", "index", "list"];

/// `__index` of a list or an item: what is not a raw field is `type` or a refused name.
fn index_function(lua: &Lua, built_in: BuiltIn) -> mlua::Result<mlua::Function> {
    lua.create_function(move |_, (_, key): (Value, Value)| {
        let name = match &key {
            Value::String(name) => name.to_string_lossy(),
            _ => String::new(),
        };
        match built_in {
            BuiltIn::Item if name == "type" => return Ok(Some(VIEW_LIST_ITEM)),
            BuiltIn::Item if ITEM_FIELDS.contains(&name.as_str()) => return Ok(None),
            _ => {}
        }
        let what = match key {
            Value::String(_) => format!("'{name}'"),
            Value::Integer(position) => format!("index {}", position.saturating_sub(1)),
            other => format!("a {} key", other.type_name()),
        };
        Err(mlua::Error::external(RefusedName(format!(
            "{} has no {what}",
            built_in.describe()
        ))))
    })
}

/// The VM's metatable named `name`, made and kept in the registry on first use.
fn metatable(lua: &Lua, name: &str) -> mlua::Result<Table> {
    if let Some(existing) = lua.named_registry_value::<Option<Table>>(name)? {
        return Ok(existing);
    }
    let meta = lua.create_table()?;
    meta.raw_set("__name", name)?;
    match name {
        VIEW_LIST => {
            meta.raw_set("type", VIEW_LIST)?;
            meta.raw_set("__index", index_function(lua, BuiltIn::List)?)?;
        }
        VIEW_LIST_ITEM => {
            meta.raw_set("type", VIEW_LIST_ITEM)?;
            meta.raw_set("__index", index_function(lua, BuiltIn::Item)?)?;
        }
        _ => {}
    }
    lua.set_named_registry_value(name, &meta)?;
    Ok(meta)
}

impl LuaBackend {
    /// Variable `id`'s ViewList after reading `value` (§9): made once, kept for the variable's
    /// life (a null value is an empty array), re-synchronised when the value JSON changes. A
    /// change marks the walk for another one.
    pub(crate) fn refresh_view_list(
        &self,
        id: VarId,
        existing: Option<Wrapper>,
        value: &Value,
        json: &str,
    ) -> Option<Wrapper> {
        let mut wrapper = match existing {
            Some(wrapper) if matches!(wrapper.kind, WrapperKind::ViewList { .. }) => {
                if wrapper.value_json == json {
                    return Some(wrapper);
                }
                wrapper
            }
            _ => match self.new_view_list(id) {
                Ok(wrapper) => wrapper,
                Err(error) => {
                    self.debug_log(format!("variable {id}: no {VIEW_LIST}: {error}"));
                    return None;
                }
            },
        };
        wrapper.value_json = json.to_owned();
        match self.sync_view_list(id, &wrapper, value) {
            Ok(true) => self.resynced.set(true),
            Ok(false) => {}
            Err(error) => self.debug_log(format!(
                "variable {id}: {VIEW_LIST} failed to sync: {error}"
            )),
        }
        Some(wrapper)
    }

    /// An empty list for variable `id`, which gets `fallbackNamespace=list-item` (high) and
    /// whose `itemWrapper` is read now.
    fn new_view_list(&self, id: VarId) -> mlua::Result<Wrapper> {
        let list = self.lua.create_table()?;
        list.set_metatable(Some(metatable(&self.lua, VIEW_LIST)?))?;
        let items = self.lua.create_table()?;
        items.set_metatable(Some(metatable(&self.lua, ITEMS)?))?;
        list.raw_set("items", items)?;
        let item_wrapper = self.host(|h| {
            let variable = h.tracker.get_mut(id)?;
            variable.set_property("fallbackNamespace", "list-item", Priority::High);
            variable.property("itemWrapper").map(str::to_owned)
        });
        Ok(Wrapper {
            name: VIEW_LIST.to_owned(),
            table: list,
            value_json: String::new(),
            kind: WrapperKind::ViewList { item_wrapper },
        })
    }

    /// Brings the list's items in step with `value` (anything but an array table counts as
    /// empty): appends or removes items at the end, and re-presents each slot whose
    /// `baseItem` is no longer its element. Returns whether anything changed.
    fn sync_view_list(&self, id: VarId, wrapper: &Wrapper, value: &Value) -> mlua::Result<bool> {
        let WrapperKind::ViewList { item_wrapper } = &wrapper.kind else {
            return Ok(false);
        };
        let list = &wrapper.table;
        let items: Table = list.raw_get("items")?;
        let array = match value {
            Value::Table(table) => match array_length(table) {
                Ok(Some(length)) => Some((table, length)),
                _ => None,
            },
            _ => None,
        };
        let wanted = array.map_or(0, |(_, length)| length);
        let element = |position: i64| match array {
            Some((table, _)) => table.raw_get::<Value>(position),
            None => Ok(Value::Nil),
        };
        let had = i64::try_from(items.raw_len()).unwrap_or(i64::MAX);
        let mut presenter = Presenter::new(self, id, item_wrapper.as_deref());
        let mut changed = false;
        for position in 1..=had.min(wanted) {
            let slot: Table = items.raw_get(position)?;
            let element = element(position)?;
            if slot.raw_get::<Value>("baseItem")? == element {
                continue;
            }
            let previous = slot.raw_get::<Value>("item")?;
            slot.raw_set("item", presenter.present(previous, &element, position - 1)?)?;
            slot.raw_set("baseItem", element)?;
            changed = true;
        }
        let item_meta = (had < wanted)
            .then(|| metatable(&self.lua, VIEW_LIST_ITEM))
            .transpose()?;
        for position in had + 1..=wanted {
            let element = element(position)?;
            let slot = self.lua.create_table()?;
            slot.set_metatable(item_meta.clone())?;
            slot.raw_set("index", position - 1)?;
            slot.raw_set("list", list)?;
            slot.raw_set(
                "item",
                presenter.present(Value::Nil, &element, position - 1)?,
            )?;
            slot.raw_set("baseItem", element)?;
            items.raw_set(position, slot)?;
            changed = true;
        }
        for position in (wanted + 1..=had).rev() {
            items.raw_set(position, Value::Nil)?;
            changed = true;
        }
        presenter.report();
        Ok(changed)
    }
}

/// Makes the presenters of one sync: `T:new({item, baseItem, index})` for the `itemWrapper`
/// `T`, else the element itself, which is also what a failing `T` gives. Failures are
/// reported once per sync, not once per item.
struct Presenter<'a> {
    backend: &'a LuaBackend,
    id: VarId,
    class: Option<&'a str>,
    failed: Option<(usize, ConstructError)>,
}

impl<'a> Presenter<'a> {
    fn new(backend: &'a LuaBackend, id: VarId, class: Option<&'a str>) -> Self {
        Self {
            backend,
            id,
            class,
            failed: None,
        }
    }

    fn present(&mut self, previous: Value, element: &Value, index: i64) -> mlua::Result<Value> {
        let Some(class) = self.class else {
            return Ok(element.clone());
        };
        let argument = self.backend.lua.create_table()?;
        argument.raw_set("item", previous)?;
        argument.raw_set("baseItem", element)?;
        argument.raw_set("index", index)?;
        Ok(match self.backend.construct(class, argument) {
            Ok(presenter) => Value::Table(presenter),
            Err(why) => {
                let (count, _) = self.failed.get_or_insert((0, why));
                *count += 1;
                element.clone()
            }
        })
    }

    fn report(self) {
        if let (Some(class), Some((count, why))) = (self.class, self.failed) {
            self.backend.debug_log(format!(
                "variable {}: {count} item(s) not presented by {class}: {why}",
                self.id
            ));
        }
    }
}
