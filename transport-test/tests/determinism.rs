//! Replaying the same inputs with the same seed and clock gives byte-identical outputs,
//! WebSocket frames included (docs/protocol.md §1.2).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use lunette_core::Config;
use lunette_test::Harness;
use serde_json::{Value, json};

const MAIN: &str = r#"
App = {type = "App"}
App.__index = App
local app = setmetatable({
  lucky = math.random(1, 1000000),
  ratio = math.random(),
  items = {{type = "Item", n = 1}, {type = "Item", n = 2}},
  ticks = 0,
  name = "Ada",
}, App)
function App:roll() self.lucky = math.random(1, 1000000) return self.lucky end
function App:fail() error("nope") end
function App:shout(v) if v ~= nil then self.name = string.upper(v) end return self.name end
function App:stamp() return os.time() .. "/" .. os.clock() end
session:createAppVariable(app)
session:setInterval(function()
  app.ticks = app.ticks + 1
  app.items[#app.items + 1] = {type = "Item", n = math.random(1, 100)}
  print("tick", app.ticks)
end, 25)
"#;

/// One scripted run: two sessions, two tabs, creates, writes, actions, errors, timers, a user
/// event, a close and an expiry.
fn run(seed: u64) -> Vec<String> {
    let site = site(
        MAIN,
        &[(
            "App.DEFAULT",
            "<template><b ui-value=\"name\"></b></template>",
        )],
    );
    let config = Config {
        session_timeout: Some(ms(500)),
        ..Config::default()
    };
    let mut h = Harness::new(site, config, seed);
    let sid = h.create_session();
    let other = h.create_session();
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
    let first = h.connect(&sid);
    h.advance(ms(3));
    h.send(first, &batch(&[watch(1)]));
    h.advance(ms(7));
    let reads = binds(2, "r", &["lucky", "ratio", "items", "items.0"]);
    let calls = vec![
        bind(6, 1, "roll()", "rw"),
        bind(7, 1, "fail()", "action"),
        bind(8, 1, "shout()", "rw"),
    ];
    let more_reads = binds(9, "r", &["stamp()", "ticks"]);
    h.send(first, &batch(&[reads, calls, more_reads].concat()));
    h.advance(ms(12));
    let second = h.connect(&sid);
    h.send(
        second,
        &batch(&[
            watch(1),
            bind(2, 1, "items.2", "r"),
            bind(3, 1, "shout()", "r"),
        ]),
    );
    h.advance(ms(4));
    h.send(
        first,
        &batch(&[write(8, json!("bob")), write(7, json!(null))]),
    );
    h.send(first, &user_batch(&[write(6, json!(1))]));
    h.send(second, "not json");
    h.send(
        second,
        &batch(&[set_properties(1, json!({"viewdef:high": "App.DEFAULT"}))]),
    );
    h.advance(ms(40));
    h.send(first, &batch(&[destroy(5), unwatch(4), watch(9)]));
    h.advance(ms(60));
    let other_tab = h.connect(&other);
    h.send(other_tab, &batch(&[watch(1), bind(2, 1, "lucky", "r")]));
    h.advance(ms(20));
    h.close(first);
    h.advance(ms(30));
    h.close(second);
    h.close(other_tab);
    h.advance(ms(600));
    assert_eq!(h.core().session_count(), 0, "both sessions expired");
    h.transcript().to_vec()
}

#[test]
fn the_same_inputs_give_byte_identical_transcripts() {
    let once = run(7);
    let again = run(7);
    let frames = once
        .iter()
        .filter(|line| line.contains(" -> [") || line.contains(" -> {"))
        .count();
    assert!(frames >= 10, "the run exchanges frames: {once:#?}");
    assert!(
        once.iter()
            .any(|line| line.contains("\"code\":\"lua-error\""))
    );
    assert!(
        once.iter()
            .any(|line| line.contains("\"code\":\"bad-json\""))
    );
    assert!(
        once.iter()
            .any(|line| line.contains("\"type\":\"destroy\""))
    );
    assert_eq!(once, again);
}

/// The session ids the run's `GET /`s handed out, in order.
fn session_ids(transcript: &[String]) -> Vec<String> {
    transcript
        .iter()
        .filter(|line| line.contains(" GET / -> 302"))
        .filter_map(|line| line.split_once(" location=/"))
        .map(|(_, rest)| rest.split(' ').next().unwrap_or_default().to_owned())
        .collect()
}

/// Every number each tab was sent as a value, tab by tab, in order: what the sessions'
/// scripts drew (`lucky`, `ratio`, `roll()`) among their counters. Kept per tab so that the
/// order in which two sessions' timers interleave does not count.
fn numbers_sent(transcript: &[String]) -> BTreeMap<String, Vec<Value>> {
    let mut sent: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for line in transcript {
        let Some((head, frame)) = line.split_once(" -> ") else {
            continue;
        };
        if !frame.starts_with(['[', '{']) {
            continue;
        }
        let tab = head.rsplit(' ').next().unwrap_or_default().to_owned();
        let numbers = messages(frame)
            .into_iter()
            .map(|message| message["data"]["value"].clone())
            .filter(Value::is_number);
        sent.entry(tab).or_default().extend(numbers);
    }
    sent
}

#[test]
fn another_seed_gives_other_sessions_and_numbers() {
    let (seven, eight) = (run(7), run(8));
    let sids = session_ids(&seven);
    assert_eq!(sids.len(), 2, "{seven:#?}");
    assert_ne!(sids, session_ids(&eight), "other session ids");
    // Session ids alone would make the transcripts differ: compare what the scripts drew.
    let (seven, eight) = (numbers_sent(&seven), numbers_sent(&eight));
    let drawing: Vec<&String> = seven.keys().filter(|tab| !seven[*tab].is_empty()).collect();
    assert!(
        drawing.len() >= 2,
        "tabs of both sessions were sent numbers: {seven:?}"
    );
    for tab in drawing {
        assert_ne!(
            seven[tab], eight[tab],
            "{tab} was sent the same numbers under seeds 7 and 8: math.random ignores the seed"
        );
    }
}

#[test]
fn the_same_seed_and_requests_give_an_identical_transcript() {
    let run = || {
        let mut h = Harness::with_main(
            r#"local app = {type = "App"}
            session:createAppVariable(app, {n = tostring(math.random(1000000))})
            session:setInterval(function() print("tick", os.time(), os.clock()) end, 250)"#,
        );
        let sid = h.create_session();
        h.get(&format!("/{sid}"));
        h.advance(Duration::from_secs(1));
        h.get(&format!("/{sid}/variables.json"));
        h.get("/missing.txt");
        h.transcript().to_vec()
    };
    let first = run();
    assert!(first.len() > 5, "{first:?}");
    assert_eq!(first, run());
}
