//! Draining (issue 13): a node leaving a balancer's rotation creates no new sessions, while
//! the sessions it holds go on as before.

use std::time::Duration;

use lunette_test::{Harness, body_text, header};

const APP: &str = r#"
local app = session:createAppVariable({type = "App", n = 0})
"#;

#[test]
fn while_draining_get_root_answers_503_with_retry_after_and_creates_nothing() {
    let mut h = Harness::with_main(APP);
    h.core_mut().set_draining(true);
    assert!(h.core().is_draining());
    let response = h.get("/");
    assert_eq!(response.status(), 503);
    assert!(
        header(&response, "retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s > 0),
        "{:?}",
        response.headers()
    );
    assert!(body_text(&response).contains("href=\"/\""));
    assert_eq!(h.core().session_count(), 0);
    assert_eq!(h.core().stats().sessions_created, 0);
    h.core_mut().set_draining(false);
    assert_eq!(
        h.get("/").status(),
        302,
        "undrained, it creates sessions again"
    );
}

#[test]
fn existing_sessions_keep_their_page_socket_frames_and_reconnects_while_draining() {
    let mut h = Harness::with_main(APP);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.core_mut().set_draining(true);
    h.send(
        tab,
        r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#,
    );
    assert!(!h.frames(tab).is_empty(), "the open tab is still served");
    assert_eq!(h.get(&format!("/{sid}")).status(), 200, "a reload works");
    h.close(tab);
    let again = h.connect(&sid);
    h.send(
        again,
        r#"{"userEvent":false,"messages":[{"type":"watch","data":{"varId":1}}]}"#,
    );
    assert!(!h.frames(again).is_empty(), "a reconnect is served");
    h.advance(Duration::from_secs(1));
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get("/").status(), 503);
}
