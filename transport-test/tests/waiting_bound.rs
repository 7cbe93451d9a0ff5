//! What may wait behind a session's suspended step is bounded (docs/protocol.md §4.6,
//! `--max-waiting-bytes`): a tab that keeps sending while its session is busy is closed with
//! `1008` once its frames would pass the bound, and a new connection is refused with `503`
//! until the step ends. Everything that was let in still runs, in order.

mod common;

use common::*;
use lunette_core::{Config, ConnId};
use lunette_test::Harness;
use serde_json::{Value, json};

const MAIN: &str = r#"
App = {type = "App"}
App.__index = App
local app = setmetatable({count = 0}, App)
function App:bump() self.count = self.count + 1 end
function App:long()
  local x = 0
  for i = 1, 2000000 do x = x + i end
end
session:createAppVariable(app)
"#;

/// What core charges each waiting message besides its text.
const JOB_CHARGE: usize = 64;

fn bump() -> String {
    user_batch(&[write(4, Value::Null)])
}

/// A session of `MAIN` with two tabs, each bound to `count` (id 2), `long()` (3) and `bump()`
/// (4); the first tab has just started `long()`, which is suspended.
fn busy_session(max_waiting_bytes: usize) -> (Harness, String, [ConnId; 2]) {
    let config = Config {
        max_waiting_bytes,
        ..Config::default()
    };
    let mut h = Harness::new(site(MAIN, &[]), config, 1);
    let sid = h.create_session();
    let tabs = [(); 2].map(|()| {
        let tab = tab(&mut h, &sid);
        let bindings = [
            binds(2, "r", &["count"]),
            binds(3, "action", &["long()", "bump()"]),
        ];
        h.send(tab, &batch(&bindings.concat()));
        h.frames(tab);
        tab
    });
    h.deliver(tabs[0], &user_batch(&[write(3, Value::Null)]));
    assert_eq!(h.core().suspended_steps(), 1, "long() is suspended");
    (h, sid, tabs)
}

#[test]
fn frames_up_to_the_bound_wait_and_the_next_closes_its_tab_with_1008() {
    let cost = bump().len() + JOB_CHARGE;
    let (mut h, sid, [busy, other]) = busy_session(3 * cost);
    for _ in 0..3 {
        h.deliver(busy, &bump());
    }
    assert_eq!(
        h.close_code(busy),
        None,
        "three bumps fill the queue exactly"
    );
    h.deliver(busy, &bump());
    assert_eq!(h.close_code(busy), Some(1008), "the fourth does not fit");
    let warned = h.logs().iter().any(|r| {
        r.message.contains("closing it (1008)") && r.message.contains("--max-waiting-bytes")
    });
    assert!(
        warned,
        "the close is logged with the flag that bounds it: {:?}",
        h.logs()
    );
    h.finish_steps();
    assert_eq!(
        received(&mut h, other),
        [1, 2, 3].map(|n| value_update(2, json!(n))),
        "the three bumps that waited ran, in order; the one past the bound did not"
    );
    assert_eq!(h.close_code(other), None, "the session's other tab stays");
    let again = tab(&mut h, &sid);
    h.send(again, &batch(&[bind(2, 1, "count", "r")]));
    assert_eq!(received(&mut h, again), [value_update(2, json!(3))]);
}

#[test]
fn a_new_connection_is_refused_while_the_queue_is_full_and_page_loads_still_answer() {
    let cost = bump().len() + JOB_CHARGE;
    // Room for two bumps and not quite for a connection besides.
    let (mut h, sid, [busy, other]) = busy_session(2 * cost + JOB_CHARGE - 1);
    h.deliver(busy, &bump());
    h.deliver(other, &bump());
    let refused = h
        .upgrade(&sid, &[("origin", "http://localhost:8080")])
        .expect_err("no room for a connection");
    assert_eq!(refused.status(), 503);
    assert_eq!(lunette_test::header(&refused, "retry-after"), "1");
    for _ in 0..3 {
        assert_eq!(h.get(&format!("/{sid}")).status(), 200, "a page load waits");
    }
    assert_eq!(h.close_code(busy), None);
    assert_eq!(h.close_code(other), None);
    h.finish_steps();
    assert_eq!(
        received(&mut h, other),
        [value_update(2, json!(1)), value_update(2, json!(2))],
        "each waiting frame ran as its own step, in order"
    );
    let late = tab(&mut h, &sid);
    h.send(late, &batch(&[bind(2, 1, "count", "r")]));
    assert_eq!(received(&mut h, late), [value_update(2, json!(2))]);
}
