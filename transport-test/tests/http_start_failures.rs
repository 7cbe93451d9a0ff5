//! A main.lua that fails gives a 500 naming the failure, and no session (docs/protocol.md
//! §6.1).

mod common;

use std::time::Duration;

use common::http::*;
use lunette_core::{Config, Site};
use lunette_test::Harness;

// --- §6.1: a failing main.lua gives a 500 and no session ---

#[test]
fn syntax_error_gives_500_naming_file_line_and_the_escaped_message() {
    let mut h = Harness::with_main("local ok = true\nlocal x = < 2\n");
    let body = root_page(&mut h, 500);
    assert!(body.contains("lua/main.lua:2:"), "{body}");
    assert!(body.contains("unexpected symbol near"), "{body}");
    assert!(body.contains("&lt;"), "{body}");
    assert!(!body.contains("'<'"), "the message must be escaped: {body}");
    assert_eq!(h.core().session_count(), 0);
}

#[test]
fn runtime_error_gives_500_with_the_escaped_message_and_spares_other_sessions() {
    let main = main_failing_from_one_minute(r#"error("boom <b>")"#);
    let mut h = Harness::with_main(&main);
    let existing = h.create_session();
    h.advance(Duration::from_secs(60));

    let body = root_page(&mut h, 500);
    assert!(body.contains("lua/main.lua:2: boom &lt;b&gt;"), "{body}");
    assert!(!body.contains("<b>"), "{body}");
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{existing}")).status(), 200);
    assert_eq!(h.variables(&existing)[0]["type"], "App");
}

#[test]
fn missing_main_lua_gives_500_saying_so() {
    let mut h = Harness::new(
        Site::from_texts(&[("html/index.html", "<p>hi</p>")]),
        Config::default(),
        1,
    );
    let body = root_page(&mut h, 500);
    assert!(body.contains("lua/main.lua"), "{body}");
    assert!(
        body.contains("no <code>lua/main.lua</code>") || body.contains("missing"),
        "{body}"
    );
    assert_eq!(h.core().session_count(), 0);
}

#[test]
fn main_without_an_app_variable_gives_500_and_spares_other_sessions() {
    let main = main_failing_from_one_minute("local forgot = {}");
    let mut h = Harness::with_main(&main);
    let existing = h.create_session();
    h.advance(Duration::from_secs(60));

    let body = root_page(&mut h, 500);
    assert!(body.contains("createAppVariable"), "{body}");
    assert_eq!(h.core().session_count(), 1);
    assert_eq!(h.get(&format!("/{existing}")).status(), 200);
}

#[test]
fn a_failed_start_leaves_no_timers_behind() {
    let mut h = Harness::with_main(
        r#"
        session:setTimeout(function() print("ghost timer ran") end, 10)
        session:setInterval(function() print("ghost interval ran") end, 10)
        error("no app today")
        "#,
    );
    assert_eq!(h.get("/").status(), 500);
    assert_eq!(h.core().poll_timeout(), None);
    h.advance(Duration::from_secs(1));
    assert!(
        h.logs().iter().all(|r| !r.message.contains("ghost")),
        "{:?}",
        h.logs()
    );
}
