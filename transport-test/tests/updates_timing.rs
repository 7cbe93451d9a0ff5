//! When replies leave: at the end of the step that made them, user event or not, timer or
//! frame, with no deadline to wait for (docs/protocol.md §4.5, §4.6).

mod common;

use std::time::Duration;

use common::updates_app::*;
use common::*;
use lunette_test::Tab;
use serde_json::{Value, json};

#[test]
fn a_user_event_is_answered_within_its_step() {
    let mut tab = counter();
    tab.user_event(|t| t.write(BUMP, Value::Null));
    tab.expect_update(COUNT, 2); // no clock advance needed
    tab.advance(ms(100));
    tab.expect_nothing(); // and nothing is left for later
}

#[test]
fn a_user_event_also_sends_what_was_pending_on_every_connection() {
    let mut first = counter();
    let mut second = first.open_sibling();
    first.set_properties(1, json!({"a": "1"}));
    first.advance(ms(3));
    first.user_event(|t| t.write(BUMP, Value::Null));
    first.expect_update(COUNT, 2);
    second.expect(&[app_with(&[("a", "1")])]);
    first.advance(ms(100));
    first.expect_nothing();
    second.expect_nothing();
}

#[test]
fn every_step_flushes_what_it_left_pending_user_event_or_not() {
    // §4.5 step 2 (revised 2026-12): no reply waits for a timer.
    let mut tab = counter();
    for count in 2..=4 {
        bump(&mut tab);
        tab.expect_update(COUNT, count); // at the end of its own step, with no clock advance
    }
    assert_eq!(
        tab.harness().core().poll_timeout(),
        None,
        "and no flush deadline is armed"
    );
}

#[test]
fn frames_handed_in_together_are_answered_in_one_frame() {
    // §4.5: a transport holding several frames of one connection flushes once after the last.
    let mut tab = counter();
    let click = batch(&[write(BUMP, json!(null))]);
    let conn = tab.conn();
    tab.harness().send_all(conn, &[&click, &click, &click]);
    tab.expect_update(COUNT, 4);
}

#[test]
fn a_step_with_nothing_pending_sends_no_frame() {
    let mut tab = counter();
    tab.unwatch(77);
    tab.expect_nothing();
    tab.advance(ms(100));
    tab.expect_nothing();
}

/// Moves the clock to 1 µs before `at` (from the start), checks that nothing arrived, then
/// moves it to `at`.
fn advance_across(tab: &mut Tab, at: Duration) {
    let until = at - tab.harness().elapsed();
    tab.advance(until - Duration::from_micros(1));
    tab.expect_nothing();
    tab.advance(Duration::from_micros(1));
}

#[test]
fn a_change_made_by_a_timer_leaves_at_the_end_of_its_step() {
    let mut tab = Tab::open(
        r#"
        app = {type = "App", count = 1}
        session:createAppVariable(app)
        session:setTimeout(function() app.count = 2 end, 1000)
        "#,
    );
    let count = tab.bind(1, "count", "r");
    tab.expect_update(count, 1);
    advance_across(&mut tab, ms(1000));
    tab.expect_update(count, 2);
}

#[test]
fn a_property_set_by_a_timer_leaves_at_the_end_of_its_step() {
    let mut tab = Tab::open(
        r#"
        app = {type = "App"}
        session:createAppVariable(app)
        session:setTimeout(function() session:createAppVariable(app, {ticks = "1"}) end, 1000)
        "#,
    );
    advance_across(&mut tab, ms(1000));
    tab.expect(&[app_with(&[("ticks", "1")])]);
}
