//! Static paths of the site and the built-in client's assets, which site files replace
//! (docs/protocol.md §2).

mod common;

use common::http::*;
use lunette_core::{Config, Site};
use lunette_test::{Harness, body_text, header};

/// Each of `paths` answers `status` with an HTML page.
fn assert_error_pages(h: &mut Harness, status: u16, paths: &[&str]) {
    for path in paths {
        let response = h.get(path);
        assert_eq!(response.status(), status, "{path}");
        assert_html_page(&response);
    }
}

// --- §2: static paths ---

#[test]
fn dot_dot_segments_backslashes_and_nul_get_400() {
    let mut h = Harness::new(
        Site::from_texts(&[("lua/main.lua", APP), ("html/b", "secret?")]),
        Config::default(),
        1,
    );
    assert_error_pages(
        &mut h,
        400,
        &[
            "/../x",
            "/a/../b",
            "/a/%2e%2e/b",
            "/a/%2E%2E/b",
            "/a%2F..%2Fb",
            "/..",
            "/a\\b",
            "/a%5Cb",
            "/a%00b",
            "/%00",
        ],
    );
}

#[test]
fn missing_files_and_directories_get_404() {
    let mut h = Harness::new(
        Site::from_texts(&[("lua/main.lua", APP), ("html/css/app.css", "p{}")]),
        Config::default(),
        1,
    );
    assert_eq!(h.get("/css/app.css").status(), 200);
    assert_error_pages(
        &mut h,
        404,
        &[
            "/missing.txt",
            "/css/missing.css",
            "/css",
            "/css/",
            "/css/app.css/",
            "/lunette/",
        ],
    );
}

#[test]
fn the_query_never_takes_part_in_routing() {
    let mut h = harness();
    assert_eq!(h.get("/?x=1").status(), 302);
    assert_eq!(h.get("/lunette/client.js?v=2").status(), 200);
    assert_eq!(h.get("/missing.txt?/lunette/client.js").status(), 404);
}

// --- §2: the built-in client's assets, which site files replace ---

#[test]
fn builtin_client_assets_have_text_content_types() {
    let mut h = harness();
    let js = h.get("/lunette/client.js");
    assert_eq!(js.status(), 200);
    assert_eq!(
        header(&js, "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(!js.body().is_empty());
    let css = h.get("/lunette/client.css");
    assert_eq!(css.status(), 200);
    assert_eq!(header(&css, "content-type"), "text/css; charset=utf-8");
}

#[test]
fn a_site_file_wins_over_the_builtin_client() {
    let mut h = Harness::new(
        Site::from_texts(&[
            ("lua/main.lua", APP),
            ("html/lunette/client.js", "// my own client"),
        ]),
        Config::default(),
        1,
    );
    let response = h.get("/lunette/client.js");
    assert_eq!(response.status(), 200);
    assert_eq!(body_text(&response), "// my own client");
    assert_eq!(
        header(&response, "content-type"),
        "text/javascript; charset=utf-8"
    );
}
