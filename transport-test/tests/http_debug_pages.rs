//! The debug page and `variables.json` of a session (docs/protocol.md §11).

mod common;

use common::http::*;
use http::Method;
use lunette_core::Config;
use lunette_test::{Harness, body_text, header};
use serde_json::json;

// --- §11: the debug page and variables.json ---

#[test]
fn variables_json_of_an_unknown_sid_is_a_json_404() {
    let mut h = harness();
    let response = h.get(&format!("/{UNKNOWN_SID}/variables.json"));
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(body_text(&response), r#"{"error":"unknown session"}"#);
}

#[test]
fn variables_json_lists_variable_1_with_the_debug_fields() {
    let mut h = Harness::with_main(r#"session:createAppVariable({type = "App"}, {note = "hi"})"#);
    let sid = h.create_session();
    let response = h.get(&format!("/{sid}/variables.json"));
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "content-type"), "application/json");
    assert_eq!(header(&response, "cache-control"), "no-store");
    let variables: serde_json::Value = serde_json::from_slice(response.body()).expect("JSON");
    assert_eq!(
        variables,
        json!([{
            "id": 1,
            "parentId": 0,
            "path": null,
            "type": "App",
            "value": {"obj": 2},
            "properties": {"type": "App", "note": "hi"},
            "childIds": [],
            "active": true,
            "access": "rw",
            "error": null,
            "depth": 0,
        }])
    );
}

#[test]
fn variables_json_takes_the_type_from_the_metatable() {
    let mut h = Harness::with_main(
        r#"local Proto = {type = "Counter"}
        session:createAppVariable(setmetatable({type = "ignored"}, Proto))"#,
    );
    let sid = h.create_session();
    assert_eq!(h.variables(&sid)[0]["type"], "Counter");
}

#[test]
fn the_variables_page_loads_only_its_own_script_which_polls_the_json_beside_it() {
    let mut h = harness();
    let sid = h.create_session();
    for method in [Method::GET, Method::HEAD] {
        let response = h.request(method.clone(), &format!("/{sid}/variables"));
        assert_eq!(response.status(), 200, "{method}");
        assert_eq!(
            header(&response, "content-type"),
            "text/html; charset=utf-8"
        );
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        assert_eq!(header(&response, "set-cookie"), "", "not the app's page");
    }
    let page = body_text(&h.get(&format!("/{sid}/variables")));
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(!page.contains("ui-app"), "not the app's page");
    // Its one script is a built-in file (its policy allows no inline script); nothing else
    // comes from outside the page.
    const OWN_SCRIPT: &str = r#"<script src="/lunette/variables-page.js"></script>"#;
    let script = body_text(&h.get("/lunette/variables-page.js"));
    for (text, own) in [(page.as_str(), OWN_SCRIPT), (script.as_str(), "")] {
        for external in ["src=", "href=", "@import", "url(", "//"] {
            let outside: Vec<&str> = text
                .lines()
                .filter(|line| line.contains(external) && !line.trim_start().starts_with("//"))
                .filter(|line| own.is_empty() || line.trim() != own)
                .collect();
            assert!(outside.is_empty(), "{external} in {outside:?}");
        }
    }
    assert!(page.contains(OWN_SCRIPT), "{page}");
    assert!(
        script.contains(r#"fetch("variables.json""#),
        "polls the JSON beside it"
    );
    for every in ["1000", "2000", "5000", "0"] {
        assert!(
            page.contains(&format!(r#"<option value="{every}""#)),
            "{every}"
        );
    }
}

#[test]
fn the_variables_page_of_an_unknown_sid_is_a_404() {
    let mut h = harness();
    let response = h.get(&format!("/{UNKNOWN_SID}/variables"));
    assert_eq!(response.status(), 404);
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8"
    );
    assert!(body_text(&response).contains("expired or never existed"));
}

#[test]
fn with_debug_pages_off_both_debug_paths_are_404_and_the_app_page_still_serves() {
    let mut h = harness_with(Config {
        debug_pages: false,
        ..Config::default()
    });
    let sid = h.create_session();
    for path in ["variables", "variables.json"] {
        let response = h.get(&format!("/{sid}/{path}"));
        assert_eq!(response.status(), 404, "{path}");
        assert!(
            body_text(&response).contains(path),
            "the page names the path"
        );
    }
    assert_eq!(h.get(&format!("/{sid}")).status(), 200);
}
