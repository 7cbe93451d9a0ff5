//! What the `http_*` tests share: a one-line app, a sid no session has, and what every HTML
//! page carries.

use std::time::UNIX_EPOCH;

use bytes::Bytes;
use http::Response;
use lunette_core::Config;
use lunette_test::{Harness, body_text, header, site_with_main};

pub const APP: &str = r#"session:createAppVariable({type = "App"})"#;

/// A sid no session of any harness here has: well-formed, never drawn.
pub const UNKNOWN_SID: &str = "0123456789abcdef0123456789abcdef";

pub fn harness() -> Harness {
    Harness::with_main(APP)
}

pub fn harness_with(config: Config) -> Harness {
    Harness::new(site_with_main(APP), config, 1)
}

pub fn is_well_formed_sid(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `Config::default().epoch` in Unix seconds: what `os.time()` says at the harness's start.
pub fn epoch_seconds() -> u64 {
    Config::default()
        .epoch
        .duration_since(UNIX_EPOCH)
        .expect("the default epoch is after 1970")
        .as_secs()
}

/// A main.lua that starts normally until the clock reaches one minute after the harness's
/// start, then runs `failure` instead: one site that gives both a working and a failing start.
pub fn main_failing_from_one_minute(failure: &str) -> String {
    format!(
        "if os.time() >= {} then\n{failure}\nreturn\nend\n{APP}\n",
        epoch_seconds() + 60
    )
}

pub fn assert_html_page(response: &Response<Bytes>) {
    assert_eq!(header(response, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(response, "referrer-policy"), "no-referrer");
    assert!(
        body_text(response).starts_with("<!doctype html>"),
        "{}",
        body_text(response)
    );
}

/// `GET /`, which must answer `status` with an HTML page: the page's text.
pub fn root_page(h: &mut Harness, status: u16) -> String {
    let response = h.get("/");
    assert_eq!(response.status(), status);
    assert_html_page(&response);
    body_text(&response)
}
