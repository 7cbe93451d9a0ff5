//! Session isolation and determinism as properties: many sessions created in random
//! interleavings, each mutating its own app object from Lua timers, never see each other.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use lunette_core::{Config, Site};
use lunette_test::{Harness, site_with_main};
use proptest::prelude::*;

/// Each session draws a random mark and period, then counts its own interval firings into its
/// own app object. Shared state of any kind (VM, tracker, timers, object ids) would show up as
/// a wrong sid, mark, count or object id.
///
/// After its first draws each session reseeds with `DRAW_SEED` and draws once per firing: its
/// n-th draw must be the n-th number of that seed's sequence whatever the other sessions draw
/// or seed. A generator shared between sessions (one per core, per thread, per process) hands
/// out the numbers in turns and fails this as soon as two sessions tick.
const COUNTER_APP: &str = r#"
local app = { type = "Counter", count = 0, mark = tostring(math.random(1, 1000000000)) }
local period = math.random(5, 40)
session:createAppVariable(app, {
  sid = session._sessionID, mark = app.mark, period = tostring(period), count = "0",
})
math.randomseed(4242)
session:setInterval(function()
  app.count = app.count + 1
  session:createAppVariable(session:getApp(), {
    count = tostring(app.count), draw = tostring(math.random(1, 1000000000)),
  })
end, period)
"#;

/// The first `DRAWS` numbers of `math.randomseed(4242)`, as one session alone draws them.
const DRAWS: usize = 2_000;
const SEQUENCE_APP: &str = r#"
math.randomseed(4242)
local draws = {}
for i = 1, 2000 do draws[i] = tostring(math.random(1, 1000000000)) end
session:createAppVariable({ type = "Sequence" }, { draws = table.concat(draws, ",") })
"#;

fn seed_sequence() -> &'static [String] {
    static SEQUENCE: OnceLock<Vec<String>> = OnceLock::new();
    SEQUENCE.get_or_init(|| {
        let mut h = Harness::new(site_with_main(SEQUENCE_APP), Config::default(), 1);
        let sid = h.create_session();
        let draws = h
            .app_property(&sid, "draws")
            .expect("the sequence is reported");
        let draws: Vec<String> = draws.split(',').map(str::to_owned).collect();
        assert_eq!(draws.len(), DRAWS);
        draws
    })
}

#[derive(Debug, Clone)]
enum Op {
    Create,
    Advance(u64),
    Visit(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Create),
        4 => (0u64..120).prop_map(Op::Advance),
        2 => any::<usize>().prop_map(Op::Visit),
    ]
}

struct Expected {
    created_at: Duration,
    period: Option<u64>,
    mark: Option<String>,
}

fn counter_site() -> Site {
    site_with_main(COUNTER_APP)
}

fn check_all(harness: &mut Harness, sessions: &BTreeMap<String, Expected>) {
    let now = harness.elapsed();
    for (sid, expected) in sessions {
        let variables = harness.variables(sid);
        let list = variables.as_array().expect("variables.json is an array");
        assert_eq!(
            list.len(),
            1,
            "session {sid} sees only its own variable 1: {variables}"
        );
        let app = &list[0];
        assert_eq!(app["id"], 1);
        assert_eq!(
            app["value"],
            serde_json::json!({"obj": 2}),
            "first object of every session is 2"
        );
        assert_eq!(app["type"], "Counter");
        let props = &app["properties"];
        assert_eq!(props["sid"], sid.as_str(), "session {sid} sees its own id");
        if let Some(mark) = &expected.mark {
            assert_eq!(
                props["mark"],
                mark.as_str(),
                "session {sid} kept its own mark"
            );
        }
        let period = expected.period.expect("period recorded at creation");
        let ticks = (now - expected.created_at).as_millis() as u64 / period;
        assert_eq!(
            props["count"],
            ticks.to_string().as_str(),
            "session {sid} (period {period} ms, age {:?}) counted only its own ticks",
            now - expected.created_at
        );
        let draw = props["draw"].as_str();
        match ticks as usize {
            0 => assert_eq!(draw, None, "session {sid} has not drawn yet"),
            n => assert_eq!(
                draw,
                Some(seed_sequence()[n - 1].as_str()),
                "session {sid}'s draw {n} after math.randomseed(4242) is that seed's number {n}: \
                 no other session's draws or seeds reach its generator"
            ),
        }
    }
}

fn run(ops: &[Op], seed: u64) -> Harness {
    let config = Config {
        unclaimed_timeout: None,
        ..Config::default()
    };
    let mut harness = Harness::new(counter_site(), config, seed);
    let mut sessions: BTreeMap<String, Expected> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Create => {
                let sid = harness.create_session();
                assert!(!sessions.contains_key(&sid), "sid {sid} drawn twice");
                let period = harness
                    .app_property(&sid, "period")
                    .and_then(|p| p.parse().ok());
                let mark = harness.app_property(&sid, "mark");
                sessions.insert(
                    sid,
                    Expected {
                        created_at: harness.elapsed(),
                        period,
                        mark,
                    },
                );
            }
            Op::Advance(ms) => harness.advance(Duration::from_millis(*ms)),
            Op::Visit(i) => {
                if let Some(sid) = sessions.keys().nth(i % sessions.len().max(1)) {
                    let sid = sid.clone();
                    assert_eq!(harness.get(&format!("/{sid}")).status(), 200);
                }
            }
        }
        check_all(&mut harness, &sessions);
    }
    assert_eq!(harness.core().session_count(), sessions.len());
    harness
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sessions_never_observe_each_other(ops in prop::collection::vec(op(), 1..40), seed in any::<u64>()) {
        run(&ops, seed);
    }

    #[test]
    fn same_seed_clock_and_inputs_give_identical_transcripts(
        ops in prop::collection::vec(op(), 1..30),
        seed in any::<u64>(),
    ) {
        let first = run(&ops, seed);
        let second = run(&ops, seed);
        prop_assert_eq!(first.transcript(), second.transcript());
    }
}

#[test]
fn different_seeds_give_different_session_ids() {
    let mut a = Harness::new(counter_site(), Config::default(), 1);
    let mut b = Harness::new(counter_site(), Config::default(), 2);
    assert_ne!(a.create_session(), b.create_session());
}
