//! The worked example of docs/protocol.md §12, frame for frame, against the demo/adder site.

use std::time::Duration;

use bytes::Bytes;
use lunette_core::{Config, Site};
use lunette_test::Harness;

fn adder_site() -> Site {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/adder");
    let mut site = Site::new();
    for path in ["lua/main.lua", "viewdefs/Adder.DEFAULT.html"] {
        let text =
            std::fs::read(format!("{root}/{path}")).expect("demo/adder is in the repository");
        site.insert(path, Bytes::from(text));
    }
    site
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn the_adder_exchange_happens_frame_for_frame() {
    let mut h = Harness::new(adder_site(), Config::default(), 12);
    let sid = h.create_session();
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
    let tab = h.connect(&sid);
    assert!(
        h.frames(tab).is_empty(),
        "the server sends nothing on connect"
    );

    h.advance(ms(100));
    h.send(
        tab,
        r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#,
    );
    // The reply leaves at the end of the step that made it, not after a deadline.
    assert_eq!(
        h.frames(tab),
        [concat!(
            r#"[{"type":"update","data":{"varId":1,"properties":{"viewdefs":"{\"Adder.DEFAULT\":\"<template><div><input ui-value=\\\"value1\\\"> + <input ui-value=\\\"value2\\\"> = <span ui-value=\\\"compute()\\\"></span></div></template>\"}"}}},"#,
            r#"{"type":"update","data":{"varId":1,"value":{"obj":2},"properties":{"type":"Adder"}}}]"#
        )]
    );

    h.advance(ms(10));
    h.send(
        tab,
        r#"{"userEvent":false,"messages":[{"type":"create","data":{"id":2,"parentId":1,"properties":{"path":"value1","access":"rw","elementId":"ui-1"}}},{"type":"create","data":{"id":3,"parentId":1,"properties":{"path":"value2","access":"rw","elementId":"ui-2"}}},{"type":"create","data":{"id":4,"parentId":1,"properties":{"path":"compute()","access":"r","elementId":"ui-3"}}}]}"#,
    );
    h.advance(ms(10));
    assert_eq!(
        h.frames(tab),
        [
            r#"[{"type":"update","data":{"varId":2,"value":""}},{"type":"update","data":{"varId":3,"value":""}},{"type":"update","data":{"varId":4,"value":""}}]"#
        ]
    );

    h.send(
        tab,
        r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":2,"value":"2"}}]}"#,
    );
    h.advance(ms(50));
    assert!(
        h.frames(tab).is_empty(),
        "a value read back as written is not echoed"
    );

    h.send(
        tab,
        r#"{"userEvent":false,"messages":[{"type":"update","data":{"varId":3,"value":"3"}}]}"#,
    );
    h.advance(ms(10));
    assert_eq!(
        h.frames(tab),
        [r#"{"type":"update","data":{"varId":4,"value":"5"}}"#]
    );
}
