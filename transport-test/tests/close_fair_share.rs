//! Closing a tab that made thousands of variables is sliced like any long step (docs/protocol.md
//! §4.6, §6.2): forgetting them does not hold up the other sessions of the core.

mod common;

use common::*;
use lunette_core::Config;
use lunette_test::Harness;
use serde_json::{Value, json};

const MAIN: &str = r#"
App = {type = "App"}
App.__index = App
local app = setmetatable({count = 0}, App)
function App:bump() self.count = self.count + 1 end
session:createAppVariable(app)
"#;

/// Client variables the closing tab made: far more than one slice forgets, and few enough for
/// `variables.json` to list them all.
const MANY: i64 = 9_000;

#[test]
fn a_tab_with_many_variables_closes_in_slices_while_another_session_is_served() {
    let mut h = Harness::new(site(MAIN, &[]), Config::default(), 1);
    let [big_sid, other_sid] = [(); 2].map(|()| h.create_session());
    let big = tab(&mut h, &big_sid);
    let bindings: Vec<Value> = (0..MANY).map(|i| bind(2 + i, 1, "count", "r")).collect();
    h.send(big, &batch(&bindings));
    h.frames(big);
    assert_eq!(variable_ids(&mut h, &big_sid).len() as i64, 1 + MANY);
    let other = tab(&mut h, &other_sid);
    h.send(other, &batch(&binds(2, "r", &["count"])));
    h.send(other, &batch(&[bind(3, 1, "bump()", "action")]));
    h.frames(other);

    h.close_leaving_steps(big);
    assert_eq!(
        h.core().suspended_steps(),
        1,
        "the close is suspended after a slice"
    );
    assert_eq!(
        h.get(&format!("/{big_sid}/variables.json")).status(),
        503,
        "its session is busy meanwhile"
    );
    h.deliver(other, &user_batch(&[write(3, Value::Null)]));
    assert_eq!(
        received(&mut h, other),
        [value_update(2, json!(1))],
        "the other session's round trip is answered while the close is suspended"
    );

    let rounds = h.finish_steps();
    assert!(
        rounds > 1,
        "forgetting {MANY} variables took {rounds} rounds of slices"
    );
    assert_eq!(
        variable_ids(&mut h, &big_sid),
        [1],
        "every variable of the tab is gone"
    );
}
