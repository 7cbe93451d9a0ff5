//! Modules and prototypes (docs/protocol.md §7.3–§7.5): `require`, `session:prototype`, removing
//! prototypes, unloading modules and registering presenters. What Lua computes is observed
//! through the properties of variable 1; hot reload is in `lua_reload.rs`.

use bytes::Bytes;
use lunette_core::{Config, Site};
use lunette_test::{Harness, body_text};

/// One line, so that the test's own code starts at line 2 of `lua/main.lua`. `report(name,
/// value)` sets property `name` of variable 1 to `tostring(value)`, keeping its value.
const PRELUDE: &str = "local app = {type = 'App'}; session:createAppVariable(app); \
    function report(name, value) \
    session:createAppVariable(session:getApp(), {[name] = tostring(value)}) end\n";

/// A site of `PRELUDE` + `main` as `lua/main.lua` and the given other files.
fn site(main: &str, files: &[(&str, &str)]) -> Site {
    let mut site = Site::new();
    site.insert(
        "lua/main.lua",
        Bytes::from(format!("{PRELUDE}{main}").into_bytes()),
    );
    for (path, text) in files {
        assert!(site.insert(path, Bytes::copy_from_slice(text.as_bytes())));
    }
    site
}

fn start(main: &str, files: &[(&str, &str)]) -> (Harness, String) {
    let mut h = Harness::new(site(main, files), Config::default(), 1);
    let sid = h.create_session();
    (h, sid)
}

fn report(h: &mut Harness, sid: &str, name: &str) -> String {
    h.app_property(sid, name)
        .unwrap_or_else(|| panic!("no {name} reported: {:?}", h.variables(sid)))
}

// --- §7.4: require ---

const COUNTING: &str = "runs = (runs or 0) + 1\nreturn { runs = runs }\n";

#[test]
fn require_runs_a_module_once_per_session() {
    let main = "local m1 = require('a.b'); local m2 = require('a.b')\n\
        report('result', tostring(m1 == m2) .. ',' .. runs .. ',' .. m1.runs .. ',' \
        .. tostring(package.loaded['a.b'] == m1))\n";
    let mut h = Harness::new(
        site(main, &[("lua/a/b.lua", COUNTING)]),
        Config::default(),
        1,
    );
    let first = h.create_session();
    let second = h.create_session();
    assert_ne!(first, second);
    for sid in [&first, &second] {
        assert_eq!(report(&mut h, sid, "result"), "true,1,1,true");
    }
}

#[test]
fn a_module_returning_nothing_is_stored_as_true_and_main_counts_as_module_main() {
    let (mut h, sid) = start(
        "report('result', tostring(require('m')) .. ',' .. tostring(package.loaded.main))\n\
         session:setImmediate(function() report('later', package.loaded.main) end)\n",
        &[("lua/m.lua", "x = 1\n")],
    );
    assert_eq!(report(&mut h, &sid, "result"), "true,nil");
    h.advance(std::time::Duration::from_millis(1));
    assert_eq!(report(&mut h, &sid, "later"), "true");
}

#[test]
fn package_holds_only_loaded() {
    let (mut h, sid) = start(
        "local keys = {}; for k in pairs(package) do keys[#keys + 1] = k end\n\
         report('result', table.concat(keys, ','))\n",
        &[],
    );
    assert_eq!(report(&mut h, &sid, "result"), "loaded");
}

#[test]
fn a_missing_module_raises_module_not_found() {
    let (mut h, sid) = start(
        "local ok, err = pcall(require, 'no.such'); report('result', err)\n",
        &[],
    );
    let err = report(&mut h, &sid, "result");
    assert!(err.contains("module 'no.such' not found"), "{err}");
}

#[test]
fn an_invalid_module_name_is_refused() {
    let (mut h, sid) = start(
        "local ok, err = pcall(require, '../main'); report('result', tostring(ok) .. ' ' .. err)\n",
        &[],
    );
    let err = report(&mut h, &sid, "result");
    assert!(
        err.starts_with("false") && err.contains("invalid module name"),
        "{err}"
    );
}

#[test]
fn a_circular_require_raises_an_error() {
    let (mut h, sid) = start(
        "report('result', require('a'))\n",
        &[
            ("lua/a.lua", "return require('b')\n"),
            (
                "lua/b.lua",
                "local ok, err = pcall(require, 'a'); local ok2, err2 = pcall(require, 'main')\n\
                 return err .. ' / ' .. err2\n",
            ),
        ],
    );
    let err = report(&mut h, &sid, "result");
    assert!(err.contains("circular require of 'a'"), "{err}");
    assert!(err.contains("circular require of 'main'"), "{err}");
}

#[test]
fn a_failing_module_is_not_cached_and_its_error_names_file_and_line() {
    let (mut h, sid) = start(
        "local ok1, err1 = pcall(require, 'a.b')\n\
         local ok2, err2 = pcall(require, 'a.b')\n\
         report('result', err1 .. ' | ' .. err2 .. ' | ' .. attempts)\n",
        &[(
            "lua/a/b.lua",
            "attempts = (attempts or 0) + 1\n\nerror('broken module')\n",
        )],
    );
    assert_eq!(
        report(&mut h, &sid, "result"),
        "lua/a/b.lua:3: broken module | lua/a/b.lua:3: broken module | 2"
    );
}

#[test]
fn a_syntax_error_in_a_module_names_file_and_line() {
    let (mut h, sid) = start(
        "local ok, err = pcall(require, 'bad'); report('result', err)\n",
        &[("lua/bad.lua", "local x = 1\nx = = 2\n")],
    );
    let err = report(&mut h, &sid, "result");
    assert!(err.starts_with("lua/bad.lua:2:"), "{err}");
}

#[test]
fn main_requiring_a_failing_module_gives_a_500_naming_the_module() {
    let mut h = Harness::new(
        site(
            "require('a.b')\n",
            &[("lua/a/b.lua", "local t = nil\n\nreturn t.field\n")],
        ),
        Config::default(),
        1,
    );
    let response = h.get("/");
    assert_eq!(response.status(), 500);
    let body = body_text(&response);
    assert!(body.contains("lua/a/b.lua:3:"), "{body}");
}

// --- §7.5: prototypes ---

#[test]
fn prototype_sets_type_index_and_default_new_and_removes_empty_fields() {
    let (mut h, sid) = start(
        "local init = { a = 1, gone = EMPTY }\n\
         local P = session:prototype('Thing', init)\n\
         report('result', table.concat({tostring(P == init), P.type, tostring(P.__index == P), \
           type(P.new), tostring(rawget(P, 'gone')), tostring(getmetatable(P))}, ','))\n",
        &[],
    );
    assert_eq!(
        report(&mut h, &sid, "result"),
        "true,Thing,true,function,nil,nil"
    );
}

#[test]
fn instances_get_the_prototype_defaults_and_methods() {
    let (mut h, sid) = start(
        "local P = session:prototype('Counter', { count = 5 })\n\
         function P:bump() self.count = self.count + 1; return self.count end\n\
         local a, b = P:new(), P:new({ count = 10 })\n\
         local c = session:create(P)\n\
         report('result', table.concat({a.count, a:bump(), b:bump(), P.count, c.type, \
           tostring(rawget(a, 'type')), tostring(getmetatable(c) == P)}, ','))\n",
        &[],
    );
    assert_eq!(report(&mut h, &sid, "result"), "5,6,11,5,Counter,nil,true");
}

#[test]
fn a_prototype_with_its_own_new_keeps_it() {
    let (mut h, sid) = start(
        "local P = session:prototype('Own', { new = function() return 'own' end })\n\
         report('result', P:new())\n",
        &[],
    );
    assert_eq!(report(&mut h, &sid, "result"), "own");
}

#[test]
fn object_is_the_default_base() {
    let (mut h, sid) = start(
        "local O = session:prototype('Object', { describe = function(self) return 'I am ' .. self.type end })\n\
         local P = session:prototype('Animal', { legs = 4 })\n\
         local Q = session:prototype('Free', {}, false)\n\
         local a = P:new()\n\
         report('result', table.concat({tostring(getmetatable(P) == O), tostring(rawget(P, 'new')), \
           a:describe(), tostring(getmetatable(O)), tostring(getmetatable(a) == P), \
           tostring(getmetatable(Q))}, ','))\n",
        &[],
    );
    // An explicit `false` base means none, not even Object.
    assert_eq!(
        report(&mut h, &sid, "result"),
        "true,nil,I am Animal,nil,true,nil"
    );
}

#[test]
fn a_known_name_without_init_returns_the_same_table() {
    let (mut h, sid) = start(
        "local P = session:prototype('Same', { x = 1 })\n\
         report('result', tostring(session:prototype('Same') == P) .. ',' .. \
           tostring(session:prototype('Same', { x = 1 }) == P) .. ',' .. P.x)\n",
        &[],
    );
    assert_eq!(report(&mut h, &sid, "result"), "true,true,1");
}

#[test]
fn a_changed_init_keeps_identity_copies_new_fields_and_deletes_removed_ones() {
    let (mut h, sid) = start(
        "local P = session:prototype('Shape', { sides = 3, color = 'red', old = true })\n\
         local s = P:new()\n\
         local Q = session:prototype('Shape', { sides = 4, color = EMPTY, fresh = 'yes' })\n\
         report('result', table.concat({tostring(P == Q), s.sides, tostring(s.color), \
           tostring(s.old), s.fresh, P.type, tostring(P.__index == P), type(P.new)}, ','))\n",
        &[],
    );
    assert_eq!(
        report(&mut h, &sid, "result"),
        "true,4,nil,nil,yes,Shape,true,function"
    );
}

#[test]
fn a_changed_init_with_another_base_resets_the_metatable() {
    let (mut h, sid) = start(
        "local O = session:prototype('Object', {})\n\
         local Other = session:prototype('Other', {}, false)\n\
         local P = session:prototype('Animal', { legs = 4 })\n\
         local before = getmetatable(P) == O\n\
         session:prototype('Animal', { legs = 2 }, Other)\n\
         report('result', tostring(before) .. ',' .. tostring(getmetatable(P) == Other) .. ',' .. P.legs)\n",
        &[],
    );
    assert_eq!(report(&mut h, &sid, "result"), "true,true,2");
}

#[test]
fn finalizers_cannot_come_in_through_create_or_a_base() {
    let (mut h, sid) = start(
        "local gc = { __gc = function() end }\n\
         local ok1, err1 = pcall(function() return session:create(gc) end)\n\
         local ok2, err2 = pcall(function() return session:prototype('Leaky', {}, gc) end)\n\
         report('result', err1 .. ' | ' .. err2)\n",
        &[],
    );
    assert_eq!(
        report(&mut h, &sid, "result"),
        "lua/main.lua:3: create: __gc metamethods are not available | \
         lua/main.lua:4: prototype: __gc metamethods are not available"
    );
}

#[test]
fn remove_prototype_forgets_it_and_with_children_every_dotted_name_below_it() {
    let (mut h, sid) = start(
        "local names = { 'Circle', 'Circle.Part', 'Circle.Part.Dot', 'Circlet', 'Square', \
           'Square.Side' }\n\
         local before = {}\n\
         for _, name in ipairs(names) do before[name] = session:prototype(name, {}) end\n\
         local kept = before.Circle:new()\n\
         session:removePrototype('Circle', true)\n\
         session:removePrototype('Square')\n\
         session:removePrototype('Unknown')\n\
         local forgotten = {}\n\
         for _, name in ipairs(names) do\n\
           if session:prototype(name) ~= before[name] then forgotten[#forgotten + 1] = name end\n\
         end\n\
         report('result', table.concat(forgotten, ',') .. ' / ' .. kept.type)\n",
        &[],
    );
    assert_eq!(
        report(&mut h, &sid, "result"),
        "Circle,Circle.Part,Circle.Part.Dot,Square / Circle"
    );
}

#[test]
fn unload_module_forgets_its_package_entry_and_its_prototypes_so_require_runs_it_again() {
    let (mut h, sid) = start(
        "local first = require('shapes.circle')\n\
         local Square = session:prototype('Square', { side = 1 })\n\
         session:unloadModule('shapes.circle')\n\
         local gone = package.loaded['shapes.circle']\n\
         local second = require('shapes.circle')\n\
         report('result', table.concat({ tostring(gone), tostring(second ~= first), \
           tostring(session:prototype('Square') == Square), circles }, ','))\n",
        &[(
            "lua/shapes/circle.lua",
            "circles = (circles or 0) + 1\n\
             return session:prototype('Circle', { r = circles })\n",
        )],
    );
    // The second run registers `Circle` anew, with its own init.
    assert_eq!(report(&mut h, &sid, "result"), "nil,true,true,2");
}

#[test]
fn unload_directory_unloads_every_module_below_it_and_nothing_else() {
    let module = "return {}\n";
    let (mut h, sid) = start(
        "for _, name in ipairs({ 'shapes.circle', 'shapes.sub.square', 'shapesque', 'other' }) do\n\
           require(name)\n\
         end\n\
         session:unloadDirectory('shapes/')\n\
         local left = {}\n\
         for name in pairs(package.loaded) do left[#left + 1] = name end\n\
         table.sort(left)\n\
         report('result', table.concat(left, ','))\n",
        &[
            ("lua/shapes/circle.lua", module),
            ("lua/shapes/sub/square.lua", module),
            ("lua/shapesque.lua", module),
            ("lua/other.lua", module),
        ],
    );
    assert_eq!(report(&mut h, &sid, "result"), "other,shapesque");
}

#[test]
fn register_presenter_returns_its_table_in_main_and_in_modules() {
    let (mut h, sid) = start(
        "local mine = {}\n\
         local theirs = require('presenters')\n\
         session:unloadModule('presenters')\n\
         report('result', tostring(ui.registerPresenter('Mine', mine) == mine) .. ',' .. \
           tostring(ui.registerPresenter('Mine', theirs) == theirs) .. ',' .. theirs.kind)\n",
        &[(
            "lua/presenters.lua",
            "return ui.registerPresenter('Theirs', { kind = 'row' })\n",
        )],
    );
    assert_eq!(report(&mut h, &sid, "result"), "true,true,row");
}

#[test]
fn the_session_object_is_not_reloading() {
    let (mut h, sid) = start("report('result', session.reloading)\n", &[]);
    assert_eq!(report(&mut h, &sid, "result"), "false");
}
