//! `math.random` is seeded per session from the id source, and reseeding touches only its own
//! session (docs/protocol.md §7.1).

mod common;

use common::lua_sandbox::*;
use lunette_core::Config;
use lunette_test::Harness;

// --- §7.1: math.random, seeded per session ---

const RANDOM_SEQUENCE: &str = r#"local draws = {}
    for i = 1, 8 do draws[i] = math.random(1, 1000000) end
    report("result", table.concat(draws, ","))"#;

#[test]
fn math_random_repeats_for_the_same_id_source_seed() {
    let sequence = |seed| {
        let (mut h, sid) = start_with(Config::default(), seed, RANDOM_SEQUENCE);
        h.app_property(&sid, "result").expect("reported")
    };
    assert_eq!(sequence(42), sequence(42));
    assert_ne!(sequence(42), sequence(43));
}

#[test]
fn math_random_differs_between_sessions_of_one_core() {
    let (mut h, first) = start(RANDOM_SEQUENCE);
    let second = h.create_session();
    assert_ne!(
        h.app_property(&first, "result"),
        h.app_property(&second, "result")
    );
}

/// `draw()` appends a number to the `draws` property; `reseed()` calls `math.randomseed(7)`.
const DRAW_AND_RESEED: &str = r#"local draws = {}
    function app:draw()
      draws[#draws + 1] = math.random(1, 1000000)
      report("draws", table.concat(draws, ","))
    end
    function app:reseed() math.randomseed(7) end"#;

/// A tab on `sid` with the actions `draw()` (variable 2) and `reseed()` (variable 3).
fn tab_with_actions(h: &mut Harness, sid: &str) -> lunette_core::ConnId {
    let tab = h.connect(sid);
    h.send(
        tab,
        r#"{"messages":[
          {"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"draw()","access":"action"}}},
          {"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"reseed()","access":"action"}}}]}"#,
    );
    tab
}

/// Clicks the action bound as `var_id` on `tab`.
fn click(h: &mut Harness, tab: lunette_core::ConnId, var_id: i64) {
    h.send(
        tab,
        &format!(r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{var_id},"value":null}}}}]}}"#),
    );
}

#[test]
fn math_randomseed_reseeds_only_its_own_session() {
    const DRAW: i64 = 2;
    const RESEED: i64 = 3;
    // Session `mine` draws three numbers; between its draws, `other` reseeds (or not).
    let draws_of_mine = |other_reseeds: bool| {
        let (mut h, mine) = start(DRAW_AND_RESEED);
        let other = h.create_session();
        let (my_tab, other_tab) = (
            tab_with_actions(&mut h, &mine),
            tab_with_actions(&mut h, &other),
        );
        for _ in 0..3 {
            click(&mut h, my_tab, DRAW);
            if other_reseeds {
                click(&mut h, other_tab, RESEED);
            }
        }
        // The reseed works where it was called: the same seed, the same next number.
        click(&mut h, other_tab, RESEED);
        click(&mut h, other_tab, DRAW);
        click(&mut h, other_tab, RESEED);
        click(&mut h, other_tab, DRAW);
        let others = h.app_property(&other, "draws").expect("other drew");
        let (first, second) = others.split_once(',').expect("two draws");
        assert_eq!(
            first, second,
            "math.randomseed(7) twice gives the same number twice"
        );
        h.app_property(&mine, "draws").expect("mine drew")
    };
    assert_eq!(
        draws_of_mine(true),
        draws_of_mine(false),
        "another session's math.randomseed changed what this one draws"
    );
}
