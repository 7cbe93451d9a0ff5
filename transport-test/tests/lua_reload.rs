//! Hot reload of Lua files and the mutation of prototypes' instances (docs/protocol.md §7.5,
//! §7.6): prototypes keep their identity, live instances are mutated, and a reload runs only in
//! the sessions that loaded the file, with `session.reloading` set. A reload is triggered as
//! `--hotload` does when a file changes; what it changes is observed the way a user would:
//! through a tab's bindings and the log.

mod common;

use common::*;
use lunette_core::{Config, ConnId, LogLevel, Site};
use lunette_test::Harness;
use serde_json::json;

/// A session of `files` and a tab watching variable 1 with these bindings `(path, access)`
/// as variables 2, 3, …, whose first values have been taken.
fn open_bound(files: &[(&str, &str)], paths: &[&str]) -> (Harness, String, ConnId) {
    let (mut h, sid, tab) = open_with(Harness::new(Site::from_texts(files), hotload(), 1));
    bind_all(&mut h, tab, paths);
    (h, sid, tab)
}

/// Hot reload on, as `--hotload` sets it.
fn hotload() -> Config {
    Config {
        hotload: true,
        ..Config::default()
    }
}

/// `lua/main.lua` was saved with `text`.
fn reload(h: &mut Harness, text: &str) {
    h.change_files(&[("lua/main.lua", Some(text))]);
}

fn bind_all(h: &mut Harness, tab: ConnId, paths: &[&str]) {
    let bindings: Vec<_> = (2..)
        .zip(paths)
        .map(|(id, path)| bind(id, 1, path, "r"))
        .collect();
    h.send(tab, &batch(&bindings));
    h.advance(FLUSH);
    h.frames(tab);
}

/// What the tab is sent after the reload's update cycle, as `(varId, value)` pairs. For
/// variable 1 the only change a reload may make is its `reloadError` (the page's report of a
/// failed reload), given as `(1, text)`; any other change to it, such as a new app object or
/// type, fails here.
fn updates_after(h: &mut Harness, tab: ConnId) -> Vec<(i64, serde_json::Value)> {
    h.advance(FLUSH);
    received(h, tab)
        .into_iter()
        .map(|m| {
            assert_eq!(m["type"], "update", "{m}");
            let var_id = m["data"]["varId"].as_i64().expect("a varId");
            if var_id != 1 {
                return (var_id, m["data"]["value"].clone());
            }
            assert_eq!(
                m["data"]["value"],
                json!({"obj": 2}),
                "the app object stays: {m}"
            );
            let properties = m["data"]["properties"].as_object().expect("properties");
            assert_eq!(
                properties.keys().collect::<Vec<_>>(),
                ["reloadError"],
                "a reload changes no other property of variable 1: {m}"
            );
            (1, properties["reloadError"].clone())
        })
        .collect()
}

/// `text` saved again with a change that does nothing: only a changed file is reloaded.
fn edited(text: &str) -> String {
    format!("{text}-- edited\n")
}

/// The 1-based line of `text` holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("the line exists")
        + 1
}

/// Warnings logged for session `sid`.
fn warnings(h: &Harness, sid: &str) -> Vec<String> {
    h.logs()
        .iter()
        .filter(|r| r.level == LogLevel::Warn)
        .filter(|r| r.session.is_some_and(|s| s.to_string() == sid))
        .map(|r| r.message.clone())
        .collect()
}

const ADDER: &str = r#"Adder = session:prototype("Adder", { value1 = "", value2 = "" })
function Adder:compute()
  local a, b = tonumber(self.value1), tonumber(self.value2)
  if a and b then return tostring(a + b) end
  return ""
end
if not session.reloading then
  session:createAppVariable(Adder:new())
end
"#;

#[test]
fn a_reloaded_method_reaches_the_live_app_and_what_was_typed_stays() {
    let (mut h, _sid, tab) = open_bound(&[("lua/main.lua", ADDER)], &["compute()"]);
    h.send(
        tab,
        &batch(&[
            create(3, 1, json!({"path": "value1", "access": "rw"})),
            create(4, 1, json!({"path": "value2", "access": "rw"})),
            write(3, json!("2")),
            write(4, json!("3")),
        ]),
    );
    assert_eq!(updates_after(&mut h, tab), [(2, json!("5"))]);

    reload(&mut h, &ADDER.replace("a + b", "a * b"));

    assert_eq!(updates_after(&mut h, tab), [(2, json!("6"))]);
}

// --- §7.5: a changed init keeps the prototype; live instances are mutated --------------------

const SHAPES: &str = r#"Shape = session:prototype("Shape", { sides = 3, color = "red", label = "?" })
first = Shape
app = { type = "App", log = "" }
app.a = Shape:new({ label = "a", color = "blue" })
app.b = Shape:new({ label = "b", color = "green" })
app.c = session:create(Shape, { label = "c" })
Shape:new({ label = "dropped" })
session:createAppVariable(app)
"#;

/// `SHAPES` after an edit: `color` is gone, `corners` is new, and a `mutate` appeared.
const SHAPES_EDITED: &str = r#"Shape = session:prototype("Shape", { sides = 4, corners = 4, label = "?" })
function Shape:mutate()
  app.log = app.log .. self.label .. ":" .. tostring(rawget(self, "color")) .. " "
end
app.same = rawequal(first, Shape)
collectgarbage("collect")
"#;

#[test]
fn a_reload_with_a_changed_init_keeps_the_prototype_and_its_instances_see_the_new_fields() {
    let (mut h, _sid, tab) = open_bound(
        &[("lua/main.lua", SHAPES)],
        &["a.sides", "c.sides", "c.corners", "c.color", "same"],
    );

    reload(&mut h, SHAPES_EDITED);

    assert_eq!(
        updates_after(&mut h, tab),
        [
            (2, json!(4)),
            (3, json!(4)),
            (4, json!(4)),
            (5, json!(null)),
            (6, json!(true)),
        ]
    );
}

#[test]
fn mutate_runs_on_each_live_instance_in_creation_order_before_removed_fields_are_cleared() {
    let (mut h, _sid, tab) =
        open_bound(&[("lua/main.lua", SHAPES)], &["log", "a.color", "b.color"]);

    reload(&mut h, SHAPES_EDITED);

    // Each instance still had its own `color` when mutated; then it was cleared. The
    // instance nobody kept was collected during the reload and is not mutated.
    assert_eq!(
        updates_after(&mut h, tab),
        [
            (2, json!("a:blue b:green c:nil ")),
            (3, json!(null)),
            (4, json!(null)),
        ]
    );
}

#[test]
fn an_unchanged_init_mutates_nothing() {
    let (mut h, _sid, tab) = open_bound(&[("lua/main.lua", SHAPES)], &["log", "a.color"]);
    let unchanged = format!(
        "{}\nfunction Shape:mutate() app.log = app.log .. 'x' end\n",
        SHAPES.lines().next().expect("the prototype line")
    );

    reload(&mut h, &unchanged);

    assert_eq!(updates_after(&mut h, tab), []);
}

#[test]
fn an_error_in_mutate_is_logged_and_shown_with_file_and_line_and_the_other_instances_mutate() {
    let edited = SHAPES_EDITED.replace(
        "function Shape:mutate()\n",
        "function Shape:mutate()\n  if self.label == \"b\" then error(\"b refuses\") end\n",
    );
    let line = line_of(&edited, "b refuses");
    let (mut h, sid, tab) = open_bound(&[("lua/main.lua", SHAPES)], &["log", "b.color"]);

    reload(&mut h, &edited);

    assert_eq!(
        updates_after(&mut h, tab),
        [
            (1, json!(format!("lua/main.lua:{line}: b refuses"))),
            (2, json!("a:blue c:nil ")),
            (3, json!(null))
        ]
    );
    assert_eq!(
        warnings(&h, &sid),
        [format!(
            "Shape.mutate failed: lua/main.lua:{line}: b refuses"
        )]
    );
}

#[test]
fn each_mutate_has_its_own_budget() {
    let edited = SHAPES_EDITED.replace(
        "function Shape:mutate()\n",
        "function Shape:mutate()\n  if self.label == \"a\" then while true do end end\n",
    );
    let (mut h, sid, tab) = open_bound(&[("lua/main.lua", SHAPES)], &["log"]);

    reload(&mut h, &edited);

    let updates = updates_after(&mut h, tab);
    assert_eq!(updates[1..], [(2, json!("b:green c:nil "))]);
    let shown = updates[0].1.as_str().unwrap_or_default();
    assert!(
        updates[0].0 == 1 && shown.contains("instruction budget exceeded"),
        "{updates:?}"
    );
    let warnings = warnings(&h, &sid);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("instruction budget exceeded"),
        "{warnings:?}"
    );
}

#[test]
fn a_failing_reload_is_logged_keeps_what_ran_before_the_error_and_still_mutates() {
    let edited = format!("{SHAPES_EDITED}error(\"half done\")\napp.never = true\n");
    let line = line_of(&edited, "half done");
    let (mut h, sid, tab) = open_bound(&[("lua/main.lua", SHAPES)], &["a.sides", "log", "never"]);

    reload(&mut h, &edited);

    assert_eq!(
        updates_after(&mut h, tab),
        [
            (1, json!(format!("lua/main.lua:{line}: half done"))),
            (2, json!(4)),
            (3, json!("a:blue b:green c:nil "))
        ]
    );
    assert_eq!(
        warnings(&h, &sid),
        [format!(
            "reload of lua/main.lua failed: lua/main.lua:{line}: half done"
        )]
    );
}

#[test]
fn a_reload_with_a_syntax_error_changes_nothing_and_is_logged_with_the_line() {
    let (mut h, sid, tab) = open_bound(&[("lua/main.lua", SHAPES)], &["a.sides"]);

    reload(
        &mut h,
        "Shape = session:prototype(\"Shape\",\n  { sides = = 4 })\n",
    );

    let error = "lua/main.lua:2: unexpected symbol near '='";
    assert_eq!(updates_after(&mut h, tab), [(1, json!(error))]);
    assert_eq!(
        warnings(&h, &sid),
        [format!("reload of lua/main.lua failed: {error}")]
    );
}

#[test]
fn instances_of_a_removed_prototype_are_not_mutated() {
    let main = format!("{SHAPES}session:removePrototype(\"Shape\")\n");
    let (mut h, _sid, tab) = open_bound(&[("lua/main.lua", &main)], &["log", "a.sides", "a.color"]);

    reload(&mut h, SHAPES_EDITED);

    // The reload registers a new `Shape`; the old one and its instances are left as they were.
    assert_eq!(updates_after(&mut h, tab), []);
}

// --- §7.6: a reload runs where the file was loaded, with session.reloading set ---------------

const LOADS_ON_DEMAND: &str = r#"App = { type = "App", runs = 0, seen = "" }
App.__index = App
function App:load() require("extra") end
function App:reloading() return session.reloading end
session:createAppVariable(setmetatable({}, App))
"#;

const EXTRA: &str = r#"local app = session:getApp()
app.runs = app.runs + 1
app.seen = app.seen .. tostring(session.reloading) .. " "
"#;

#[test]
fn a_reload_runs_with_reloading_true_only_in_the_sessions_that_loaded_the_file() {
    let files = [("lua/main.lua", LOADS_ON_DEMAND), ("lua/extra.lua", EXTRA)];
    let (mut h, _sid, tab) = open_bound(&files, &["runs", "seen", "reloading()"]);
    let other = h.create_session();
    let other_tab = tab_of(&mut h, &other, &["runs", "seen"]);
    h.send(
        tab,
        &batch(&[create(5, 1, json!({"path": "load()", "access": "action"}))]),
    );
    h.send(tab, &batch(&[write(5, json!(null))]));
    assert_eq!(
        updates_after(&mut h, tab),
        [(2, json!(1)), (3, json!("false "))]
    );

    h.change_files(&[("lua/extra.lua", Some(&edited(EXTRA)))]);

    // The cycle after the reload sends the change without any message from the tab, and
    // `reloading` is false again by then.
    assert_eq!(
        updates_after(&mut h, tab),
        [(2, json!(2)), (3, json!("false true "))]
    );
    assert_eq!(updates_after(&mut h, other_tab), []);
}

#[test]
fn main_lua_is_reloaded_in_every_session_and_a_file_nobody_loaded_in_none() {
    let main = "app = { type = \"App\", version = 1 }\n\
        if not session.reloading then session:createAppVariable(app) end\n";
    let files = [("lua/main.lua", main), ("lua/extra.lua", EXTRA)];
    let (mut h, _first, first_tab) = open_bound(&files, &["version"]);
    let second = h.create_session();
    let second_tab = tab_of(&mut h, &second, &["version"]);

    h.change_files(&[("lua/extra.lua", Some("error('never runs')\n"))]);
    reload(&mut h, &main.replace("version = 1", "version = 2"));

    // `app` is a new table in each session, but variable 1 keeps the one main.lua gave it.
    assert_eq!(updates_after(&mut h, first_tab), []);
    assert_eq!(updates_after(&mut h, second_tab), []);
    reload(
        &mut h,
        "session:getApp().version = 3\nif not session.reloading then error('no') end\n",
    );
    assert_eq!(updates_after(&mut h, first_tab), [(2, json!(3))]);
    assert_eq!(updates_after(&mut h, second_tab), [(2, json!(3))]);
    assert!(h.logs().iter().all(|r| !r.message.contains("never runs")));
}

/// A new tab on `sid` watching variable 1 with `paths` bound as variables 2, 3, ….
fn tab_of(h: &mut Harness, sid: &str, paths: &[&str]) -> ConnId {
    let tab = tab(h, sid);
    bind_all(h, tab, paths);
    tab
}

// --- modules and reload ---------------------------------------------------------------------

const COUNTER: &str = "local n = (package.loaded.counter or { n = 0 }).n\nreturn { n = n + 1 }\n";

#[test]
fn a_module_result_replaces_package_loaded_only_when_it_is_not_nil() {
    let main = "App = { type = \"App\" }\nApp.__index = App\n\
        function App:n() return require(\"counter\").n end\n\
        session:createAppVariable(setmetatable({}, App))\n";
    let files = [("lua/main.lua", main), ("lua/counter.lua", COUNTER)];
    let (mut h, _sid, tab) = open_bound(&files, &["n()"]);

    h.change_files(&[("lua/counter.lua", Some(&edited(COUNTER)))]);
    assert_eq!(updates_after(&mut h, tab), [(2, json!(2))]);
    h.change_files(&[("lua/counter.lua", Some("x = 1\n"))]);
    assert_eq!(updates_after(&mut h, tab), []);
}

#[test]
fn an_unloaded_module_is_no_longer_reloaded() {
    let main = "app = { type = \"App\", runs = 0 }\nrequire(\"parts.extra\")\nrequire(\"other\")\n\
        session:unloadDirectory(\"parts\")\nsession:unloadModule(\"other\")\n\
        session:createAppVariable(app)\n";
    let module = "app.runs = app.runs + 1\n";
    let files = [
        ("lua/main.lua", main),
        ("lua/parts/extra.lua", module),
        ("lua/other.lua", module),
    ];
    let (mut h, _sid, tab) = open_bound(&files, &["runs"]);

    h.change_files(&[("lua/parts/extra.lua", Some(&edited(module)))]);
    h.change_files(&[("lua/other.lua", Some(&edited(module)))]);

    assert_eq!(updates_after(&mut h, tab), []);
}

#[test]
fn a_module_first_required_after_it_changed_is_read_as_saved() {
    let main = "App = { type = \"App\", word = \"\" }\nApp.__index = App\n\
        function App:load() self.word = require(\"late\") end\n\
        session:createAppVariable(setmetatable({}, App))\n";
    let files = [("lua/main.lua", main), ("lua/late.lua", "return 'old'\n")];
    let (mut h, _sid, tab) = open_bound(&files, &["word"]);

    h.change_files(&[("lua/late.lua", Some("return 'new'\n"))]);
    h.send(
        tab,
        &batch(&[
            create(3, 1, json!({"path": "load()", "access": "action"})),
            write(3, json!(null)),
        ]),
    );

    assert_eq!(updates_after(&mut h, tab), [(2, json!("new"))]);
}
