//! Methods: other than GET and HEAD get 405; HEAD answers like GET without a body
//! (docs/protocol.md §2).

mod common;

use common::http::*;
use http::Method;
use lunette_test::{header, location};

// --- §2: methods other than GET and HEAD get 405 ---

#[test]
fn methods_other_than_get_and_head_get_405_with_allow_on_every_route() {
    let mut h = harness();
    let sid = h.create_session();
    let paths = [
        "/".to_owned(),
        format!("/{sid}"),
        format!("/{sid}/any/sub/path"),
        format!("/{sid}/variables.json"),
        format!("/ws/{sid}"),
        "/lunette/client.js".to_owned(),
        "/missing.txt".to_owned(),
    ];
    for method in [
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ] {
        for path in &paths {
            let response = h.request(method.clone(), path);
            assert_eq!(response.status(), 405, "{method} {path}");
            assert_eq!(header(&response, "allow"), "GET, HEAD", "{method} {path}");
        }
    }
}

#[test]
fn post_to_root_creates_no_session() {
    let mut h = harness();
    h.request(Method::POST, "/");
    assert_eq!(h.core().session_count(), 0);
}

// --- HEAD ---

#[test]
fn head_of_root_creates_a_session_without_a_body() {
    let mut h = harness();
    let response = h.request(Method::HEAD, "/");
    assert_eq!(response.status(), 302);
    assert!(response.body().is_empty());
    let sid = location(&response).trim_start_matches('/').to_owned();
    assert!(is_well_formed_sid(&sid));
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}

#[test]
fn head_answers_like_get_without_a_body() {
    let mut h = harness();
    let sid = h.create_session();
    for path in [
        format!("/{sid}"),
        format!("/{UNKNOWN_SID}"),
        "/lunette/client.js".to_owned(),
        "/missing.txt".to_owned(),
        "/a/../b".to_owned(),
    ] {
        let get = h.get(&path);
        let head = h.request(Method::HEAD, &path);
        assert_eq!(head.status(), get.status(), "{path}");
        assert!(head.body().is_empty(), "{path}");
        for name in [
            "content-type",
            "cache-control",
            "set-cookie",
            "referrer-policy",
        ] {
            assert_eq!(
                header(&head, name),
                header(&get, name),
                "{name} of HEAD {path}"
            );
        }
        let length = header(&head, "content-length");
        assert!(
            length.is_empty() || length == get.body().len().to_string(),
            "{path}: {length}"
        );
    }
}
