//! Prototypes (docs/protocol.md §7.5): `session:prototype`, `session:create` and
//! `session:removePrototype`. The registry lives on the Rust side: a session holds no Lua code
//! for it, and no state until the app registers a prototype. The prototypes themselves, and
//! the weak records of their instances, are Lua tables.

use mlua::{Function, Lua, LuaString, Table, Value};

use crate::lua::api::session_api::{script_error, with_host};

/// Fields of `init` that are not copied, compared or removed: the ones `prototype` sets.
const NOT_FIELDS: [&[u8]; 3] = [b"type", b"__index", b"new"];

pub(crate) struct Prototypes {
    /// `EMPTY`, which marks a field a prototype does not have.
    empty: Table,
    /// In registration order; sessions have few.
    registered: Vec<Registered>,
    /// Instances made so far, which numbers them in creation order.
    created: i64,
    /// The metatable of the instance records, `{ __mode = "k" }`. Made on first use.
    weak_keys: Option<Table>,
    default_new: Option<Function>,
    /// Prototypes changed during a hot reload, oldest first (§7.6).
    mutations: Vec<Mutation>,
}

struct Registered {
    name: Vec<u8>,
    proto: Table,
    /// `init`'s string keys but `type`, `__index` and `new`, with their values.
    snapshot: Snapshot,
    /// The module whose chunk was running when the prototype was registered.
    module: Option<String>,
    /// Its instances, weakly: `{ [instance] = creation number }`. Made on first use.
    instances: Option<Table>,
}

/// Sorted by key.
type Snapshot = Vec<(Vec<u8>, Value)>;

/// A prototype whose fields changed during a hot reload, and the fields it lost.
pub(crate) struct Mutation {
    pub(crate) proto: Table,
    pub(crate) removed: Vec<Vec<u8>>,
}

impl Prototypes {
    pub(crate) fn new(empty: Table) -> Self {
        Self {
            empty,
            registered: Vec::new(),
            created: 0,
            weak_keys: None,
            default_new: None,
            mutations: Vec::new(),
        }
    }

    fn find(&self, name: &[u8]) -> Option<&Registered> {
        self.registered.iter().find(|r| r.name == name)
    }

    fn get(&self, name: &[u8]) -> Option<Table> {
        self.find(name).map(|r| r.proto.clone())
    }

    /// Forgets the prototypes `forgotten` picks: their instances keep their metatable but are
    /// no longer mutated.
    fn forget(&mut self, forgotten: impl Fn(&[u8], Option<&str>) -> bool) {
        self.registered
            .retain(|r| !forgotten(&r.name, r.module.as_deref()));
    }

    /// Forgets every prototype registered while `module` was loading.
    pub(crate) fn forget_module(&mut self, module: &str) {
        self.forget(|_, by| by == Some(module));
    }

    fn registered_as(&mut self, proto: &Table) -> Option<&mut Registered> {
        let proto = proto.to_pointer();
        self.registered
            .iter_mut()
            .find(|r| r.proto.to_pointer() == proto)
    }

    /// The modules that registered a prototype.
    pub(crate) fn modules(&self) -> impl Iterator<Item = &str> {
        self.registered.iter().filter_map(|r| r.module.as_deref())
    }

    pub(crate) fn take_mutations(&mut self) -> Vec<Mutation> {
        std::mem::take(&mut self.mutations)
    }

    /// The live instances of `proto` in creation order, if it is still registered.
    pub(crate) fn instances_of(&mut self, proto: &Table) -> mlua::Result<Vec<Table>> {
        let Some(set) = self.registered_as(proto).and_then(|r| r.instances.clone()) else {
            return Ok(Vec::new());
        };
        let mut live = Vec::new();
        set.for_each(|instance: Table, number: i64| {
            live.push((number, instance));
            Ok(())
        })?;
        live.sort_by_key(|(number, _)| *number);
        Ok(live.into_iter().map(|(_, instance)| instance).collect())
    }
}

/// The primitive `name` of this file, made when the environment first needs it (see
/// `environment.rs`); `None` if it is not one of them.
pub(crate) fn function(lua: &Lua, name: &str) -> Option<mlua::Result<Function>> {
    Some(match name {
        "prototype" => lua.create_function(prototype),
        "create" => lua.create_function(|lua, (_session, proto, inst): (Value, Value, Value)| {
            create(lua, proto, inst)
        }),
        "remove_prototype" => lua.create_function(remove_prototype),
        _ => return None,
    })
}

/// `session:prototype(name [, init [, base]])`. A `base` of `false` means none, not even
/// `Object`.
fn prototype(
    lua: &Lua,
    (_session, name, init, base): (Value, Value, Value, Value),
) -> mlua::Result<Table> {
    let Value::String(name) = name else {
        return Err(script_error(
            lua,
            format!("prototype: name must be a string, got {}", name.type_name()),
        ));
    };
    let init = match init {
        Value::Nil => None,
        Value::Table(init) => Some(init),
        other => {
            return Err(script_error(
                lua,
                format!("prototype: init must be a table, got {}", other.type_name()),
            ));
        }
    };
    let key = name.as_bytes().to_vec();
    let base = match base {
        Value::Nil if key != b"Object" => with_host(lua, |h| h.prototypes.get(b"Object"))?,
        Value::Nil | Value::Boolean(false) => None,
        Value::Table(base) => Some(base),
        other => {
            return Err(script_error(
                lua,
                format!("prototype: base must be a table, got {}", other.type_name()),
            ));
        }
    };
    match (with_host(lua, |h| h.prototypes.get(&key))?, init) {
        (None, init) => register(lua, &name, key, init, base),
        (Some(proto), Some(init)) if init != proto => {
            update(lua, &key, &proto, &init, base)?;
            Ok(proto)
        }
        (Some(proto), _) => Ok(proto),
    }
}

/// A new name: `init` (or a new table) becomes the prototype.
fn register(
    lua: &Lua,
    name: &LuaString,
    key: Vec<u8>,
    init: Option<Table>,
    base: Option<Table>,
) -> mlua::Result<Table> {
    let proto = match init {
        Some(init) => init,
        None => lua.create_table()?,
    };
    proto.raw_set("type", name)?;
    proto.raw_set("__index", &proto)?;
    match base {
        Some(base) => set_metatable(lua, &proto, base, "prototype")?,
        None if proto.raw_get::<Value>("new")?.is_nil() => {
            proto.raw_set("new", default_new(lua)?)?;
        }
        None => {}
    }
    let empty = with_host(lua, |h| Value::Table(h.prototypes.empty.clone()))?;
    let mut snapshot = Snapshot::new();
    let mut marked = Vec::new();
    proto.for_each(|field: Value, value: Value| {
        if value == empty {
            marked.push(field.clone());
        }
        if let Value::String(name) = &field
            && is_field(&field)
        {
            snapshot.push((name.as_bytes().to_vec(), value));
        }
        Ok(())
    })?;
    snapshot.sort_by(|(a, _), (b, _)| a.cmp(b));
    // Both are kept for the session's life, and most apps register a few prototypes: no
    // spare capacity (a first push reserves four).
    snapshot.shrink_to_fit();
    for field in marked {
        proto.raw_set(field, Value::Nil)?;
    }
    with_host(lua, |h| {
        let module = h.modules.running.last().cloned();
        h.prototypes.registered.reserve_exact(1);
        h.prototypes.registered.push(Registered {
            name: key,
            proto: proto.clone(),
            snapshot,
            module,
            instances: None,
        });
    })?;
    Ok(proto)
}

/// A known name with an `init` that differs from the last one: the prototype takes `init`'s
/// fields and loses those `init` no longer has, keeping its identity.
fn update(
    lua: &Lua,
    key: &[u8],
    proto: &Table,
    init: &Table,
    base: Option<Table>,
) -> mlua::Result<()> {
    let new = snapshot(init)?;
    let removed = with_host(lua, |h| {
        let registered = h.prototypes.registered.iter_mut().find(|r| r.name == key)?;
        if registered.snapshot == new {
            return None;
        }
        let removed: Vec<Vec<u8>> = (registered.snapshot.iter())
            .map(|(field, _)| field)
            .filter(|field| new.binary_search_by(|(f, _)| f.cmp(field)).is_err())
            .cloned()
            .collect();
        registered.snapshot = new;
        Some(removed)
    })?;
    let Some(removed) = removed else {
        return Ok(());
    };
    let empty = with_host(lua, |h| Value::Table(h.prototypes.empty.clone()))?;
    init.for_each(|field: Value, value: Value| {
        if is_field(&field) {
            proto.raw_set(field, if value == empty { Value::Nil } else { value })?;
        }
        Ok(())
    })?;
    for field in &removed {
        proto.raw_set(lua.create_string(field)?, Value::Nil)?;
    }
    if proto.metatable() != base {
        match base {
            Some(base) => set_metatable(lua, proto, base, "prototype")?,
            None => proto.set_metatable(None)?,
        }
    }
    with_host(lua, |h| {
        if h.reloading {
            h.prototypes.mutations.push(Mutation {
                proto: proto.clone(),
                removed,
            });
        }
    })
}

/// `session:create(proto [, inst])`. Only the instances of a registered prototype are
/// recorded: no other table is ever mutated.
fn create(lua: &Lua, proto: Value, inst: Value) -> mlua::Result<Table> {
    let Value::Table(proto) = proto else {
        return Err(script_error(
            lua,
            format!(
                "create: prototype must be a table, got {}",
                proto.type_name()
            ),
        ));
    };
    let inst = match inst {
        Value::Nil => lua.create_table()?,
        Value::Table(inst) => inst,
        other => {
            return Err(script_error(
                lua,
                format!(
                    "create: instance must be a table, got {}",
                    other.type_name()
                ),
            ));
        }
    };
    set_metatable(lua, &inst, proto.clone(), "create")?;
    let Some((set, number)) = with_host(lua, |h| {
        let created = h.prototypes.created + 1;
        let registered = h.prototypes.registered_as(&proto)?;
        let set = registered.instances.clone();
        h.prototypes.created = created;
        Some((set, created))
    })?
    else {
        return Ok(inst);
    };
    let set = match set {
        Some(set) => set,
        None => new_instance_record(lua, &proto)?,
    };
    set.raw_set(&inst, number)?;
    Ok(inst)
}

/// An empty record of `proto`'s instances, kept with its registration.
fn new_instance_record(lua: &Lua, proto: &Table) -> mlua::Result<Table> {
    let weak_keys = match with_host(lua, |h| h.prototypes.weak_keys.clone())? {
        Some(weak_keys) => weak_keys,
        None => {
            let weak_keys = lua.create_table()?;
            weak_keys.raw_set("__mode", "k")?;
            with_host(lua, |h| h.prototypes.weak_keys = Some(weak_keys.clone()))?;
            weak_keys
        }
    };
    let set = lua.create_table()?;
    set.set_metatable(Some(weak_keys))?;
    with_host(lua, |h| {
        if let Some(registered) = h.prototypes.registered_as(proto) {
            registered.instances = Some(set.clone());
        }
    })?;
    Ok(set)
}

/// `session:removePrototype(name [, children])`.
fn remove_prototype(
    lua: &Lua,
    (_session, name, children): (Value, Value, Value),
) -> mlua::Result<()> {
    let Value::String(name) = name else {
        return Ok(());
    };
    let name = name.as_bytes().to_vec();
    let prefix = [name.as_slice(), b"."].concat();
    let children = !matches!(children, Value::Nil | Value::Boolean(false));
    with_host(lua, |h| {
        (h.prototypes).forget(|other, _| other == name || (children && other.starts_with(&prefix)));
    })
}

/// The `new` of a prototype without a base: `function(self, inst) return session:create(self,
/// inst) end`, one function per session.
fn default_new(lua: &Lua) -> mlua::Result<Function> {
    if let Some(new) = with_host(lua, |h| h.prototypes.default_new.clone())? {
        return Ok(new);
    }
    let new = lua.create_function(|lua, (proto, inst): (Value, Value)| create(lua, proto, inst))?;
    with_host(lua, |h| h.prototypes.default_new = Some(new.clone()))?;
    Ok(new)
}

/// `setmetatable(table, metatable)` as the sandbox allows it: no `__gc` (finalizers run
/// outside the instruction budget).
fn set_metatable(lua: &Lua, table: &Table, metatable: Table, function: &str) -> mlua::Result<()> {
    if !metatable.raw_get::<Value>("__gc")?.is_nil() {
        return Err(script_error(
            lua,
            format!("{function}: __gc metamethods are not available"),
        ));
    }
    table.set_metatable(Some(metatable))
}

fn is_field(key: &Value) -> bool {
    match key {
        Value::String(key) => !NOT_FIELDS.contains(&&key.as_bytes()[..]),
        _ => true,
    }
}

fn snapshot(init: &Table) -> mlua::Result<Snapshot> {
    let mut fields = Snapshot::new();
    init.for_each(|key: Value, value: Value| {
        if let Value::String(name) = &key
            && is_field(&key)
        {
            fields.push((name.as_bytes().to_vec(), value));
        }
        Ok(())
    })?;
    fields.sort_by(|(a, _), (b, _)| a.cmp(b));
    Ok(fields)
}
