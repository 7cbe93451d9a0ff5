//! Variables: destroy, dormancy and `inactive` (docs/protocol.md §4.4, §4.5, §4.3).

mod common;

use common::variables_app::*;
use common::*;
use serde_json::json;

// --- §4.4: destroy ---------------------------------------------------------------------------

#[test]
fn destroy_removes_the_subtree_and_tells_the_owner_children_first() {
    let (mut h, sid, tab) = tree();
    h.send(tab, &batch(&[destroy(2)]));
    h.advance(FLUSH);
    assert_eq!(destroy_ids(&one_frame(&mut h, tab)), [5, 3, 4, 2]);
    assert_eq!(variable_ids(&mut h, &sid), [1]);
}

#[test]
fn destroy_of_an_inner_variable_leaves_the_rest() {
    let (mut h, sid, tab) = tree();
    h.send(tab, &batch(&[destroy(3)]));
    h.advance(FLUSH);
    assert_eq!(destroy_ids(&one_frame(&mut h, tab)), [5, 3]);
    assert_eq!(variable_ids(&mut h, &sid).len(), 3);
    h.send(tab, &batch(&[watch(4)]));
    h.advance(FLUSH);
    assert_eq!(one_frame(&mut h, tab)[0]["data"]["value"], "child x");
}

#[test]
fn a_destroyed_variable_is_told_once_even_if_watched_twice() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name", "r"), watch(2), watch(2)]));
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[destroy(2)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab), [r#"{"type":"destroy","data":{"varId":2}}"#]);
}

#[test]
fn an_unwatched_variable_still_tells_its_owner_when_destroyed() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            create_nowatch(2, 1, json!({"path": "name"})),
            bind(3, 1, "count", "r"),
            unwatch(3),
        ]),
    );
    h.advance(FLUSH);
    assert!(h.frames(tab).is_empty());
    h.send(tab, &batch(&[destroy(2), destroy(3)]));
    h.advance(FLUSH);
    assert_eq!(destroy_ids(&one_frame(&mut h, tab)), [2, 3]);
}

#[test]
fn a_variable_destroyed_before_the_flush_gets_only_its_destroy() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name", "r"), destroy(2)]));
    assert_eq!(h.frames(tab), [r#"{"type":"destroy","data":{"varId":2}}"#]);
}

#[test]
fn a_destroyed_id_can_be_created_again() {
    let (mut h, _sid, tab) = tree();
    h.send(tab, &batch(&[destroy(2), bind(2, 1, "name", "r")]));
    h.advance(FLUSH);
    let received = one_frame(&mut h, tab);
    assert_eq!(received[0], value_update(2, json!("Ada")));
    assert_eq!(destroy_ids(&received[1..]), [5, 3, 4, 2]);
}

#[test]
fn destroying_variable_1_is_access_denied() {
    assert_eq!(
        refused(APP, &batch(&[destroy(1)])),
        ("access-denied".to_owned(), Some(1))
    );
}

#[test]
fn destroying_a_server_variable_id_is_access_denied() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[destroy(-1)]));
    h.advance(FLUSH);
    assert_eq!(
        only_error(&mut h, tab),
        ("access-denied".to_owned(), Some(-1))
    );
}

#[test]
fn destroying_an_unknown_id_is_ignored() {
    let (mut h, sid, tab) = tree();
    h.send(tab, &batch(&[destroy(99)]));
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty());
    assert_eq!(variable_ids(&mut h, &sid), [1, 2, 3, 5, 4]);
}

// --- §4.4, §4.5: unwatched variables are dormant ---------------------------------------------

#[test]
fn unwatch_to_zero_stops_evaluation_until_watched_again() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "probe()", "r")]));
    h.advance(FLUSH);
    assert_eq!(h.frames(tab).len(), 1);
    let before = count_logs(&h, "probe");
    assert!(before >= 1);
    h.send(tab, &batch(&[]));
    assert_eq!(
        count_logs(&h, "probe"),
        before + 1,
        "each cycle evaluates it"
    );

    h.send(tab, &batch(&[unwatch(2)]));
    let dormant = count_logs(&h, "probe");
    assert_eq!(dormant, before + 1, "the unwatch's own cycle skips it");
    for _ in 0..3 {
        h.send(tab, &batch(&[]));
    }
    h.advance(ms(100));
    assert_eq!(count_logs(&h, "probe"), dormant, "dormant: not evaluated");
    assert!(h.frames(tab).is_empty());

    h.send(tab, &batch(&[watch(2)]));
    assert_eq!(count_logs(&h, "probe"), dormant + 1, "live again");
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [
            r#"{"type":"update","data":{"varId":2,"value":"p","properties":{"access":"r","path":"probe()"}}}"#
        ]
    );
}

#[test]
fn unwatch_keeps_a_variable_live_while_its_count_is_positive() {
    let (mut h, _sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "probe()", "r"), watch(2)]));
    h.advance(FLUSH);
    h.send(tab, &batch(&[unwatch(2)]));
    let before = count_logs(&h, "probe");
    h.send(tab, &batch(&[]));
    assert_eq!(count_logs(&h, "probe"), before + 1, "still watched once");
    h.send(tab, &batch(&[unwatch(2)]));
    let dormant = count_logs(&h, "probe");
    h.send(tab, &batch(&[]));
    assert_eq!(count_logs(&h, "probe"), dormant);
}

#[test]
fn a_dormant_variables_subtree_is_not_evaluated() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[bind(2, 1, "child", "r"), bind(3, 2, "look()", "r")]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    h.send(tab, &batch(&[unwatch(2)]));
    let before = count_logs(&h, "look");
    h.send(tab, &batch(&[]));
    h.send(tab, &batch(&[]));
    assert_eq!(
        count_logs(&h, "look"),
        before,
        "3 is watched but under a dormant 2"
    );
    h.send(tab, &batch(&[watch(2)]));
    assert_eq!(count_logs(&h, "look"), before + 1);
}

#[test]
fn unwatch_of_an_unknown_or_unwatched_id_is_ignored() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[create_nowatch(
            2,
            1,
            json!({"path": "probe()", "access": "r"}),
        )]),
    );
    h.send(tab, &batch(&[unwatch(2), unwatch(42), unwatch(-5)]));
    let before = count_logs(&h, "probe");
    h.send(tab, &batch(&[]));
    assert_eq!(
        count_logs(&h, "probe"),
        before + 1,
        "never watched, so not dormant"
    );
    h.advance(ms(100));
    assert!(h.frames(tab).is_empty());
}

// --- §4.3, §4.5: inactive suspends a subtree -------------------------------------------------

#[test]
fn inactive_suspends_a_subtree_and_ignores_writes_into_it() {
    let (mut h, _sid, tab) = open(APP);
    h.send(
        tab,
        &batch(&[
            bind(2, 1, "child", "r"),
            bind(3, 2, "look()", "r"),
            bind(4, 2, "x", "rw"),
            bind(5, 1, "setChildX()", "action"),
        ]),
    );
    h.advance(FLUSH);
    h.frames(tab);
    h.send(
        tab,
        &batch(&[set_properties(2, json!({"inactive": "true"}))]),
    );
    let before = count_logs(&h, "look");
    h.send(tab, &batch(&[write(4, json!("written"))]));
    h.send(tab, &batch(&[write(5, json!(null))]));
    h.advance(ms(100));
    assert_eq!(
        count_logs(&h, "look"),
        before,
        "not evaluated while inactive"
    );
    assert!(
        h.frames(tab).is_empty(),
        "no error for the ignored write, no update"
    );

    h.send(tab, &batch(&[set_properties(2, json!({"inactive": ""}))]));
    assert_eq!(count_logs(&h, "look"), before + 1, "resumed");
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":4,"value":"changed x"}}"#],
        "the write was ignored; the app's own change arrives on resume"
    );
}

#[test]
fn a_write_into_an_inactive_variable_does_not_reach_lua() {
    let (mut h, sid, tab) = open(APP);
    h.send(tab, &batch(&[bind(2, 1, "name", "rw")]));
    h.send(
        tab,
        &batch(&[
            set_properties(2, json!({"inactive": "yes"})),
            write(2, json!("Bob")),
        ]),
    );
    h.send(tab, &batch(&[set_properties(2, json!({"inactive": ""}))]));
    h.advance(FLUSH);
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":2,"value":"Ada"}}"#]
    );
    assert_eq!(h.variables(&sid)[1]["value"], "Ada");
}
