//! Depth of the variable tree that a peer controls (issue 10, class 1): a deep chain of
//! client variables is removed without recursion, and `create` beyond the depth limit is
//! refused with `limit-exceeded` while the connection and session stay usable.

mod common;

use common::*;
use serde_json::{Value, json};

const APP: &str = r#"
app = {type = "App", x = "leaf"}
session:createAppVariable(app)
"#;

/// `create{id: i, parentId: i-1, path: "x", access: "w"}` for `i` in `from..=to`.
fn chain(from: i64, to: i64) -> Vec<Value> {
    (from..=to).map(|id| bind(id, id - 1, "x", "w")).collect()
}

/// The reproduction of issue 10: one frame of a 5,000-deep chain, then the socket closes.
/// The recursive subtree removal overflowed the stack and aborted the process.
#[test]
fn a_five_thousand_deep_chain_is_removed_when_its_connection_closes() {
    let (mut h, sid, tab) = open(APP);
    let mut messages = vec![bind(2, 1, "x", "w")];
    messages.extend(chain(3, 5001));
    h.send(tab, &batch(&messages));
    h.advance(FLUSH);
    h.frames(tab);
    h.close(tab);

    assert_eq!(variable_ids(&mut h, &sid), [1], "the chain is gone");
    let again = h.connect(&sid);
    h.send(again, &batch(&[watch(1)]));
    h.advance(FLUSH);
    assert_eq!(h.frames(again).len(), 1, "the session still answers");
}
