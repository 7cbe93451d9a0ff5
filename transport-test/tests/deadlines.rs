//! Core's one table of deadlines says what each is for, and the harness refuses to spin on
//! deadlines that stop moving forward.

mod common;

use common::*;
use lunette_core::{Config, Deadline};
use lunette_test::Harness;
use serde_json::Value;

#[test]
fn the_next_deadline_names_a_timer_then_the_expiry() {
    let main = "session:setTimeout(function() end, 50)\n\
                session:createAppVariable({type = 'App'})";
    let mut h = harness(main, Config::default());
    h.create_session();
    let (at, why) = h.core().next_deadline().expect("a timer is due");
    assert!(matches!(why, Deadline::Timer(_)), "{why:?}");
    assert_eq!(at - h.now(), ms(50));
    h.advance(ms(50));
    let (at, why) = h
        .core()
        .next_deadline()
        .expect("the unclaimed session expires");
    assert!(matches!(why, Deadline::Expiry(_)), "{why:?}");
    assert_eq!(
        at - h.now(),
        Config::default().unclaimed_timeout.expect("set") - ms(50)
    );
}

#[test]
fn a_suspended_step_makes_the_next_deadline_now() {
    let main = "App = {type = 'App'}\nApp.__index = App\n\
                function App:spin() for _ = 1, 1000000 do end end\n\
                session:createAppVariable(setmetatable({}, App))";
    let (mut h, _, tab) = open_with(harness(main, Config::default()));
    h.deliver(
        tab,
        &user_batch(&[bind(2, 1, "spin()", "action"), write(2, Value::Null)]),
    );
    assert_eq!(h.core().next_deadline(), Some((h.now(), Deadline::Slice)));
    h.finish_steps();
    assert_ne!(
        h.core().next_deadline().map(|(_, why)| why),
        Some(Deadline::Slice)
    );
}

#[test]
#[should_panic(expected = "deadlines stopped moving forward")]
fn the_harness_stops_a_set_immediate_that_reschedules_itself() {
    let main = "local function again() session:setImmediate(again) end\n\
                session:setImmediate(again)\n\
                session:createAppVariable({type = 'App'})";
    let mut h = Harness::new(site(main, &[]), Config::default(), 1);
    h.create_session();
    h.advance(ms(1));
}
