//! Detection with many variables (docs/protocol.md §4.5): large trees are walked against a mirror
//! of the previous walk and most reads are proven unchanged without running Lua. These tests check
//! that the shortcut sees every change the plain walk sees: the same random scenario runs in a
//! small tree and in one padded past the mirror's threshold, and the messages about the scenario's
//! own variables must be the same.

mod common;

use common::*;
use lunette_core::ConnId;
use lunette_test::Harness;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Objects reached through prototypes (`__index` tables), an `__index` function, arrays and
/// nested objects; `apply(_)` makes one of the changes below.
const APP: &str = r#"
Base = {type = "Item", label = "base", size = 1}
Base.__index = Base
Item = setmetatable({type = "Item"}, Base)
Item.__index = Item
app = {
  type = "App", n = 0, flag = "a",
  obj = setmetatable({}, Item),
  other = setmetatable({label = "other"}, Item),
  list = {"x", "y", "z"},
  dyn = setmetatable({}, {__index = function(_, k) return k .. ":" .. app.n end}),
}
local changes = {
  function() app.n = app.n + 1 end,
  function() app.flag = app.flag == "a" and "b" or "a" end,
  function() Base.label = "base" .. app.n end,
  function() Item.label = "item" .. app.n end,
  function() Item.label = nil end,
  function() app.obj.label = "own" .. app.n end,
  function() app.obj.label = nil end,
  function() app.obj, app.other = app.other, app.obj end,
  function() app.list[#app.list + 1] = "w" .. app.n end,
  function() app.list[#app.list] = nil end,
  function() app.list[1] = app.list[1] .. "!" end,
  function() app.obj.size = (app.obj.size or 0) + 0.5 end,
  function() app.obj = nil end,
  function() app.obj = setmetatable({label = 7}, Item) end,
  function() app.list = {} end,
}
function app:apply(i) changes[i]() end
-- A Lua-defined wrapper (§5.7), switched on and off by the `wrapper` property.
Upper = { type = "Upper" }
Upper.__index = Upper
function Upper:new(proxy) return setmetatable({ proxy = proxy }, self) end
session:createAppVariable(app)
"#;

const CHANGES: u32 = 15;

/// The scenario's own variables: ids 2–13, variable 6 (`obj`) parenting 7 and 8.
fn scenario() -> Vec<Value> {
    vec![
        bind(2, 1, "n", "r"),
        bind(3, 1, "flag", "rw"),
        bind(4, 1, "apply(_)", "w"),
        bind(5, 1, "dyn.key", "r"),
        bind(6, 1, "obj", "r"),
        bind(7, 6, "label", "r"),
        bind(8, 6, "..flag", "r"),
        bind(9, 1, "obj.size", "r"),
        bind(10, 1, "list.0", "r"),
        bind(11, 1, "list.3", "r"),
        bind(12, 1, "list", "r"),
        bind(13, 1, "other.label", "r"),
    ]
}

/// Ids the padding uses: plain reads of the same objects, never reported on.
const PADDING_FROM: i64 = 100;

#[derive(Debug, Clone)]
enum Step {
    Change(u32),
    /// Sets or clears `inactive` on one of the scenario's variables.
    Inactive(i64, bool),
    Unwatch(i64),
    Watch(i64),
    /// Points a variable at another path.
    Repath(i64, &'static str),
    /// Sets or clears `wrapper=Upper` on one of the scenario's variables.
    Wrap(i64, bool),
    /// Destroys one of the scenario's variables (and what is under it).
    Destroy(i64),
    /// Creates one of the scenario's variables again, as at the start.
    Recreate(i64),
}

fn step() -> impl Strategy<Value = Step> {
    let scenario_id = 2i64..=13;
    prop_oneof![
        4 => (1..=CHANGES).prop_map(Step::Change),
        1 => (scenario_id.clone(), any::<bool>()).prop_map(|(id, on)| Step::Inactive(id, on)),
        1 => scenario_id.clone().prop_map(Step::Unwatch),
        1 => scenario_id.clone().prop_map(Step::Watch),
        1 => (scenario_id.clone(), prop::sample::select(vec!["n", "obj.label", "list.1", "dyn.x"]))
            .prop_map(|(id, path)| Step::Repath(id, path)),
        1 => (scenario_id.clone(), any::<bool>()).prop_map(|(id, on)| Step::Wrap(id, on)),
        1 => scenario_id.clone().prop_map(Step::Destroy),
        1 => scenario_id.prop_map(Step::Recreate),
    ]
}

/// Runs the scenario, with `padding` extra variables, one frame per step, and returns per
/// frame the messages about the scenario's own variables.
fn run(steps: &[Step], padding: i64) -> Vec<Vec<Value>> {
    let frames: Vec<Vec<Step>> = steps.iter().map(|step| vec![step.clone()]).collect();
    run_frames(&frames, padding)
}

/// [`run`] with several steps in a frame: a frame's messages all come before its one cycle.
fn run_frames(frames: &[Vec<Step>], padding: i64) -> Vec<Vec<Value>> {
    let (mut h, _sid, tab) = open(APP);
    let mut setup = scenario();
    for i in 0..padding {
        let path = ["n", "obj.label", "list.0", "other.size"][(i % 4) as usize];
        setup.push(bind(PADDING_FROM + i, 1, path, "r"));
    }
    let mut seen = vec![exchange(&mut h, tab, &setup)];
    for frame in frames {
        let messages: Vec<Value> = frame.iter().map(message).collect();
        seen.push(exchange(&mut h, tab, &messages));
    }
    seen
}

fn message(step: &Step) -> Value {
    match step {
        Step::Change(i) => write(4, json!(i)),
        Step::Inactive(id, on) => {
            set_properties(*id, json!({"inactive": if *on { "1" } else { "" }}))
        }
        Step::Unwatch(id) => unwatch(*id),
        Step::Watch(id) => watch(*id),
        Step::Repath(id, path) => set_properties(*id, json!({ "path": path })),
        Step::Wrap(id, on) => {
            set_properties(*id, json!({"wrapper": if *on { "Upper" } else { "" }}))
        }
        Step::Destroy(id) => destroy(*id),
        Step::Recreate(id) => scenario()[(*id - 2) as usize].clone(),
    }
}

/// Sends one user-event batch and returns what came back about variables below the padding.
fn exchange(h: &mut Harness, tab: ConnId, batch: &[Value]) -> Vec<Value> {
    h.send(tab, &user_batch(batch));
    h.frames(tab)
        .iter()
        .flat_map(|frame| messages(frame))
        .filter(|m| {
            m["data"]["varId"]
                .as_i64()
                .is_none_or(|id| id < PADDING_FROM)
        })
        .collect()
}

/// Well past the point where detection keeps a mirror.
const LARGE: i64 = 60;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn a_large_tree_sees_every_change_a_small_one_sees(
        frames in prop::collection::vec(prop::collection::vec(step(), 1..4), 1..30)
    ) {
        prop_assert_eq!(run_frames(&frames, LARGE), run_frames(&frames, 0));
    }
}

#[test]
fn a_change_behind_a_prototype_reaches_a_large_tree() {
    let steps = [
        Step::Change(4),
        Step::Change(3),
        Step::Change(5),
        Step::Change(3),
    ];
    let seen = run(&steps, LARGE);
    assert_eq!(seen, run(&steps, 0));
    // `obj.label` reads `Item.label` ("item0"), then `Base.label` once `Item.label` is gone.
    assert!(
        seen[1].contains(&value_update(7, json!("item0"))),
        "{seen:?}"
    );
    assert!(
        seen[3].contains(&value_update(7, json!("base0"))),
        "{seen:?}"
    );
    assert!(seen[4].is_empty(), "nothing changed: {seen:?}");
}

#[test]
fn a_value_behind_an_index_function_is_read_every_cycle() {
    let seen = run(&[Step::Change(1), Step::Change(1)], LARGE);
    assert!(
        seen[1].contains(&value_update(5, json!("key:1"))),
        "{seen:?}"
    );
    assert!(
        seen[2].contains(&value_update(5, json!("key:2"))),
        "{seen:?}"
    );
}
