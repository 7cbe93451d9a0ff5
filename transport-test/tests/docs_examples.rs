//! The examples of `docs/guide.md` stay true: every Lua block runs as a site's `main.lua`
//! (its `assert`s included) and starts a session, and every HTML block is a viewdef that is
//! delivered to the browser.

mod common;

use common::*;
use lunette_test::Harness;
use serde_json::Value;

const GUIDE: &str = include_str!("../../docs/guide.md");

/// The fenced blocks of `language` in the guide, in order.
fn blocks(language: &str) -> Vec<String> {
    let fence = format!("```{language}");
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    for line in GUIDE.lines() {
        match &mut current {
            None if line.trim() == fence => current = Some(String::new()),
            Some(block) if line.trim() == "```" => {
                found.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    found
}

#[test]
fn every_lua_example_runs_as_a_main_lua() {
    let examples = blocks("lua");
    assert!(examples.len() >= 7, "the guide has its Lua examples");
    for (n, example) in examples.iter().enumerate() {
        let mut h = Harness::with_main(example);
        let response = h.get("/");
        assert_eq!(
            response.status(),
            302,
            "Lua example {n} failed to start a session:\n{example}\n{}",
            lunette_test::body_text(&response)
        );
    }
}

#[test]
fn every_html_example_is_a_viewdef_that_reaches_the_browser() {
    let examples = blocks("html");
    assert!(examples.len() >= 5, "the guide has its viewdef examples");
    let files: Vec<(String, String)> = examples
        .iter()
        .enumerate()
        .map(|(n, template)| (format!("Doc.example{n}"), template.clone()))
        .collect();
    let viewdefs: Vec<(&str, &str)> = files
        .iter()
        .map(|(key, template)| (key.as_str(), template.as_str()))
        .collect();
    let main = r#"session:createAppVariable({ type = "Doc" })"#;
    let mut h = Harness::new(site(main, &viewdefs), Default::default(), 1);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    let first = messages(&h.frames(tab)[0]);
    let delivered: Value = serde_json::from_str(
        first[0]["data"]["properties"]["viewdefs"]
            .as_str()
            .expect("the viewdefs message comes first"),
    )
    .expect("viewdefs is a JSON string of an object");
    for (key, _) in &files {
        assert!(
            delivered.get(key).is_some(),
            "{key} was not delivered: is it exactly one <template>?"
        );
    }
}
