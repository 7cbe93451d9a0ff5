//! One session's long Lua work never stalls the other sessions of its core (docs/protocol.md §4.6,
//! issue 12): past a slice of its budget a step is suspended, other sessions are served, and
//! it resumes where it stopped. Its own session waits in order behind it and sees nothing of
//! it until it ends.

mod common;

use common::*;
use lunette_core::{Config, ConnId};
use lunette_test::Harness;
use serde_json::{Value, json};

const MAIN: &str = r#"
App = {type = "App"}
App.__index = App
local app = setmetatable({count = 0, done = "no"}, App)
function App:bump() self.count = self.count + 1 end
function App:long()
  local x = 0
  for i = 1, 2000000 do x = x + i end
  self.done = "long " .. x
end
function App:forever() while true do end end
function App:sorted()
  local t = {}
  for i = 1, 300 do t[i] = (i * 7919) % 300 end
  -- The comparator runs under table.sort, a C function: a Lua coroutine could not yield here.
  table.sort(t, function(a, b)
    for _ = 1, 200 do end
    return a < b
  end)
  self.done = "sorted " .. t[1] .. ".." .. t[300]
end
function App:countText() return tostring(self.count) end
session:createAppVariable(app)
"#;

fn config(slice: u64) -> Config {
    Config {
        lua_slice: slice,
        ..Config::default()
    }
}

/// Two sessions of `MAIN`, each with a tab bound to `count` (id 2), `done` (id 3) and the
/// actions `bump()` (4), `long()` (5), `forever()` (6) and `sorted()` (7).
fn two_sessions(config: Config) -> (Harness, [ConnId; 2]) {
    let (h, _, tabs) = two_sessions_with_ids(config);
    (h, tabs)
}

fn two_sessions_with_ids(config: Config) -> (Harness, [String; 2], [ConnId; 2]) {
    let mut h = Harness::new(site(MAIN, &[]), config, 1);
    let sids = [(); 2].map(|()| h.create_session());
    let tabs = sids.clone().map(|sid| {
        let tab = tab(&mut h, &sid);
        let reads = binds(2, "r", &["count", "done"]);
        let actions = binds(4, "action", &["bump()", "long()", "forever()", "sorted()"]);
        h.send(tab, &batch(&[reads, actions].concat()));
        h.frames(tab);
        tab
    });
    (h, sids, tabs)
}

fn act(id: i64) -> String {
    user_batch(&[write(id, Value::Null)])
}

/// While `busy` runs the action `action`, the other tab's bump is answered at once.
fn the_other_session_is_served_meanwhile(action: i64) -> (Harness, ConnId) {
    let (mut h, [busy, other]) = two_sessions(config(Config::default().lua_slice));
    h.deliver(busy, &act(action));
    assert_eq!(
        h.core().suspended_steps(),
        1,
        "the long step is suspended after its first slice"
    );
    assert!(
        h.frames(busy).is_empty(),
        "nothing of a step leaves before it ends"
    );
    h.deliver(other, &act(4));
    assert_eq!(
        received(&mut h, other),
        [value_update(2, json!(1))],
        "the other session's round trip is answered while the long step is suspended"
    );
    (h, busy)
}

#[test]
fn a_long_action_is_suspended_and_resumed_where_it_stopped() {
    let (mut h, busy) = the_other_session_is_served_meanwhile(5);
    let rounds = h.finish_steps();
    assert!(
        rounds > 10,
        "two million iterations take many slices, took {rounds}"
    );
    assert_eq!(
        received(&mut h, busy),
        [value_update(3, json!("long 2000001000000"))]
    );
}

#[test]
fn a_comparator_under_table_sort_is_suspended_too() {
    let (mut h, busy) = the_other_session_is_served_meanwhile(7);
    h.finish_steps();
    assert_eq!(
        received(&mut h, busy),
        [value_update(3, json!("sorted 0..299"))]
    );
}

#[test]
fn a_runaway_loop_is_sliced_until_its_budget_stops_it() {
    let (mut h, busy) = the_other_session_is_served_meanwhile(6);
    let rounds = h.finish_steps();
    let budget = Config::default().lua_budget / Config::default().lua_slice;
    assert!(
        rounds as u64 >= budget - 1,
        "the budget counts across slices: {rounds} rounds"
    );
    let (code, id) = only_error(&mut h, busy);
    assert_eq!((code.as_str(), id), ("lua-error", Some(6)));
}

#[test]
fn frames_for_a_suspended_session_wait_in_order_behind_its_step() {
    let (mut h, [busy, _]) = two_sessions(config(Config::default().lua_slice));
    h.deliver(busy, &act(5));
    h.deliver(busy, &act(4));
    h.deliver(busy, &act(4));
    assert!(h.frames(busy).is_empty());
    h.finish_steps();
    assert_eq!(
        h.frames(busy)
            .iter()
            .map(|f| messages(f))
            .collect::<Vec<_>>(),
        [
            vec![value_update(3, json!("long 2000001000000"))],
            vec![value_update(2, json!(1))],
            vec![value_update(2, json!(2))],
        ],
        "each frame's step in the order the frames came, each with its own flush"
    );
}

#[test]
fn a_tab_that_opens_and_closes_during_a_suspended_step_is_handled_in_order() {
    let (mut h, [sid, _], [busy, _]) = two_sessions_with_ids(config(Config::default().lua_slice));
    h.deliver(busy, &act(5));
    assert_eq!(h.core().suspended_steps(), 1);
    let late = h.connect(&sid);
    h.deliver(late, &batch(&[watch(1)]));
    h.close(late);
    assert_eq!(
        h.core().suspended_steps(),
        0,
        "close settles the suspended step"
    );
    assert_eq!(
        received(&mut h, busy),
        [value_update(3, json!("long 2000001000000"))]
    );
    assert!(
        h.frames(late).is_empty(),
        "the late tab closed before its watch could be answered"
    );
}

#[test]
fn detection_over_thousands_of_method_bindings_is_sliced() {
    let (mut h, [busy, other]) = two_sessions(config(Config::default().lua_slice));
    // Each getter is a few instructions: the server's own work per variable fills the slice.
    let bindings: Vec<Value> = (100..3100)
        .map(|id| bind(id, 1, "countText()", "r"))
        .collect();
    h.deliver(busy, &batch(&bindings));
    assert_eq!(
        h.core().suspended_steps(),
        1,
        "3,000 getters exceed one slice"
    );
    h.deliver(other, &act(4));
    assert_eq!(received(&mut h, other), [value_update(2, json!(1))]);
    h.finish_steps();
    assert_eq!(received(&mut h, busy).len(), 3000, "one update per binding");
}

#[test]
fn with_slices_off_a_step_runs_to_completion() {
    let (mut h, [busy, _]) = two_sessions(config(0));
    h.deliver(busy, &act(5));
    assert_eq!(h.core().suspended_steps(), 0);
    assert_eq!(
        received(&mut h, busy),
        [value_update(3, json!("long 2000001000000"))]
    );
}

#[test]
fn a_core_dropped_with_a_suspended_step_stops_it() {
    let (mut h, busy) = the_other_session_is_served_meanwhile(6);
    h.deliver(busy, &act(5));
    let started = std::time::Instant::now();
    drop(h);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "dropping a core does not run a suspended step's whole budget"
    );
}

mod sliced_or_not {
    //! For any mix of sessions and frames, each tab receives the same frames in the same
    //! order whether steps are sliced (here as finely as the hook allows, so that steps
    //! interleave as much as they can) or run to completion.

    use super::*;
    use proptest::prelude::*;

    const SPINNER: &str = r#"
App = {type = "App"}
App.__index = App
local app = setmetatable({count = 0, total = 0, draws = ""}, App)
function App:bump() self.count = self.count + 1 end
function App:spin(n)
  local x = 0
  for i = 1, n do x = x + i end
  self.total = self.total + x
  self.draws = self.draws .. math.random(1, 9)
end
function App:countText() return tostring(self.count) end
session:createAppVariable(app)
"#;

    #[derive(Debug, Clone)]
    enum Op {
        Bump(usize),
        Spin(usize, u32),
        Bind(usize),
        Settle,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..3usize).prop_map(Op::Bump),
            (0..3usize, 0..60_000u32).prop_map(|(tab, n)| Op::Spin(tab, n)),
            (0..3usize).prop_map(Op::Bind),
            Just(Op::Settle),
        ]
    }

    /// Every frame each tab received, in order.
    fn run(slice: u64, ops: &[Op]) -> Vec<Vec<String>> {
        let mut h = Harness::new(site(SPINNER, &[]), config(slice), 7);
        let tabs: Vec<ConnId> = (0..3)
            .map(|_| {
                let sid = h.create_session();
                let tab = tab(&mut h, &sid);
                let reads = binds(2, "r", &["count", "total", "draws"]);
                let actions = binds(5, "action", &["bump()"]);
                h.send(tab, &batch(&[reads, actions].concat()));
                tab
            })
            .collect();
        let mut next_id = [100i64; 3];
        for op in ops {
            match *op {
                Op::Bump(i) => h.deliver(tabs[i], &act(5)),
                Op::Spin(i, n) => {
                    next_id[i] += 1;
                    let id = next_id[i];
                    let spin = create(
                        id,
                        1,
                        json!({"path": format!("spin({n})"), "access": "action"}),
                    );
                    h.deliver(tabs[i], &user_batch(&[spin, write(id, Value::Null)]));
                }
                Op::Bind(i) => {
                    next_id[i] += 1;
                    h.deliver(tabs[i], &batch(&[bind(next_id[i], 1, "countText()", "r")]));
                }
                Op::Settle => {
                    h.finish_steps();
                }
            }
        }
        h.finish_steps();
        tabs.iter().map(|&tab| h.frames(tab)).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn each_tab_sees_the_same_frames_sliced_or_not(ops in proptest::collection::vec(op(), 1..24)) {
            let whole = run(0, &ops);
            let sliced = run(1_000, &ops);
            prop_assert_eq!(&whole, &sliced);
            prop_assert_eq!(whole, run(Config::default().lua_slice, &ops));
        }
    }
}

#[test]
fn the_flush_of_a_step_is_sliced_too() {
    // 40 tabs on the busy session and 1,000 values that change: detection is a slice or two,
    // the flush looks at each changed variable for each tab, 40,000 looks.
    let (mut h, [sid, _], [busy, other]) =
        two_sessions_with_ids(config(Config::default().lua_slice));
    let bindings: Vec<Value> = (100..1100)
        .map(|id| bind(id, 1, "countText()", "r"))
        .collect();
    h.send(busy, &batch(&bindings));
    let tabs: Vec<ConnId> = (0..40).map(|_| tab(&mut h, &sid)).collect();
    h.frames(busy);
    h.deliver(busy, &act(4));
    h.deliver(other, &act(4));
    assert_eq!(received(&mut h, other), [value_update(2, json!(1))]);
    let rounds = h.finish_steps();
    assert!(rounds >= 20, "the flush took {rounds} rounds of slices");
    assert_eq!(
        received(&mut h, busy).len(),
        1001,
        "count and the 1,000 texts"
    );
    assert!(
        tabs.iter().all(|&tab| h.frames(tab).is_empty()),
        "nothing they watch changed"
    );
}

#[test]
fn past_64_suspended_steps_a_new_step_runs_to_completion() {
    let mut h = Harness::new(site(MAIN, &[]), config(Config::default().lua_slice), 1);
    let tabs: Vec<ConnId> = (0..65)
        .map(|_| {
            let sid = h.create_session();
            let tab = tab(&mut h, &sid);
            h.send(
                tab,
                &batch(&[bind(3, 1, "done", "r"), bind(5, 1, "long()", "action")]),
            );
            h.frames(tab);
            tab
        })
        .collect();
    for &tab in &tabs[..64] {
        h.deliver(tab, &act(5));
    }
    assert_eq!(h.core().suspended_steps(), 64);
    h.deliver(tabs[64], &act(5));
    assert_eq!(h.core().suspended_steps(), 64, "the 65th is not suspended");
    assert_eq!(
        received(&mut h, tabs[64]),
        [value_update(3, json!("long 2000001000000"))],
        "it ran to its end at once"
    );
    h.finish_steps();
    assert_eq!(received(&mut h, tabs[0]).len(), 1);
}
