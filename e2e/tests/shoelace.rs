//! The Shoelace demo (demo/shoelace) in a real headless Chromium, with Shoelace itself (issue
//! 17): its autoloader defines each `sl-*` element only after the client has bound it, and its
//! components fire `sl-input` and `sl-change` where a native field fires `input` and `change`.
//!
//! Shoelace is outside code and not in the repository: the demo's `vendor.sh` fetches the
//! pinned version with `npm pack` into `target/shoelace/` once (`scripts/test.sh` installs npm
//! when missing), and each test serves a copy of the demo with it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use lunette_e2e::{Browser, Server, TIMEOUT, demo, workspace_root};
use serde_json::{Value, json};

const TITLES: &str = "li.task .title";
const LEFT: &str = "sl-badge.left";

/// Shoelace's browser build, vendored once per run by the demo's own script.
fn vendored_shoelace() -> &'static Path {
    static VENDORED: OnceLock<PathBuf> = OnceLock::new();
    VENDORED.get_or_init(|| {
        let dest = workspace_root().join("target").join("shoelace");
        let script = demo("shoelace").join("vendor.sh");
        let output = Command::new("bash")
            .arg(&script)
            .arg(&dest)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} could not vendor Shoelace (it needs npm and the npm registry):\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        dest
    })
}

/// A copy of demo/shoelace with the vendored Shoelace in `html/shoelace/`, removed on drop.
struct DemoCopy(PathBuf);

impl Drop for DemoCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn demo_with_shoelace(test: &str) -> DemoCopy {
    let shoelace = vendored_shoelace();
    let root = std::env::temp_dir().join(format!(
        "lunette-e2e-shoelace-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    let copy = DemoCopy(root);
    for folder in ["lua", "viewdefs", "html"] {
        copy_dir(&demo("shoelace").join(folder), &copy.0.join(folder));
    }
    let html = copy.0.join("html").join("shoelace");
    let _ = std::fs::remove_dir_all(&html);
    copy_dir(shoelace, &html);
    copy
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.expect("a directory entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copying {}: {e}", entry.path().display()));
        }
    }
}

/// A browser on a fresh session of the demo, once the list and the select show the server's
/// values (so Shoelace has defined them).
async fn open(test: &str) -> (Browser, Server, DemoCopy) {
    let site = demo_with_shoelace(test);
    let browser = Browser::start().await;
    let server = Server::start(Some(&site.0), &[]);
    browser.open_app(&server).await;
    browser
        .wait_for_texts(
            TITLES,
            &["Water the plants", "Write the report", "Call the plumber"],
        )
        .await;
    wait_property(&browser, "sl-select.show", "value", json!("all")).await;
    (browser, server, site)
}

/// Polls `script` (its `arguments` are `args`) until it returns `expected`.
async fn wait_js(browser: &Browser, what: &str, script: &str, args: Vec<Value>, expected: Value) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = browser.execute(script, args.clone()).await;
        if seen == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting for {what} to be {expected}; last seen: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const PROPERTY: &str = r#"const e = document.querySelector(arguments[0]);
return e ? e[arguments[1]] : "(no element)";"#;

/// Waits until the DOM property `name` of the element `css` is `expected`.
async fn wait_property(browser: &Browser, css: &str, name: &str, expected: Value) {
    let what = format!("property {name} of {css}");
    wait_js(
        browser,
        &what,
        PROPERTY,
        vec![json!(css), json!(name)],
        expected,
    )
    .await;
}

/// Types into the component `css` as a person would, without leaving it: the component passes
/// the focus to the input inside its shadow root.
async fn keys(browser: &Browser, css: &str, text: &str) {
    browser.wait_for(css).await;
    browser
        .client()
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("finding {css}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
}

#[tokio::test]
async fn a_search_field_filters_the_tasks_as_the_user_types() {
    let (browser, _server, _site) = open("search").await;
    keys(&browser, "sl-input.search", "pl").await;
    browser
        .wait_for_texts(TITLES, &["Water the plants", "Call the plumber"])
        .await;
    keys(&browser, "sl-input.search", "u").await;
    browser.wait_for_texts(TITLES, &["Call the plumber"]).await;
    let focused = browser
        .execute("return document.activeElement.className;", vec![])
        .await;
    assert_eq!(focused, json!("search"), "the field kept the focus");
}

#[tokio::test]
async fn a_completed_tasks_box_is_checked_and_a_click_sends_a_boolean() {
    let (browser, _server, _site) = open("checkbox").await;
    const CHECKS: &str = r#"return Array.from(document.querySelectorAll("sl-checkbox.done"),
      (e) => [e.checked, e.textContent.trim()]);"#;
    let checks = json!([
        [true, "Water the plants"],
        [false, "Write the report"],
        [false, "Call the plumber"],
    ]);
    wait_js(&browser, "the checkboxes", CHECKS, vec![], checks).await;
    browser.wait_for_text(LEFT, "2").await;
    // Lua counts the tasks whose `done` is not true: the string "false" would count as done.
    browser.click("li.task:nth-of-type(1) sl-checkbox").await;
    browser.wait_for_text(LEFT, "3").await;
    browser.click("li.task:nth-of-type(3) sl-checkbox").await;
    browser.wait_for_text(LEFT, "2").await;
    let checks = json!([
        [false, "Water the plants"],
        [false, "Write the report"],
        [true, "Call the plumber"],
    ]);
    wait_js(&browser, "the checkboxes", CHECKS, vec![], checks).await;
}

#[tokio::test]
async fn a_select_filters_by_the_users_choice_and_shows_the_servers() {
    let (browser, _server, _site) = open("select").await;
    browser.click("sl-select.show").await;
    browser.click("sl-option[value='done']").await;
    browser.wait_for_texts(TITLES, &["Water the plants"]).await;
    // Adding a task while only done ones show: the server switches back to all of them.
    keys(
        &browser,
        "sl-input.new-title",
        &format!("Buy milk{}", Key::Enter),
    )
    .await;
    wait_property(&browser, "sl-select.show", "value", json!("all")).await;
    browser
        .wait_for_texts(
            TITLES,
            &[
                "Water the plants",
                "Write the report",
                "Call the plumber",
                "Buy milk",
            ],
        )
        .await;
}

#[tokio::test]
async fn a_button_adds_the_typed_task_and_the_field_empties() {
    let (browser, _server, _site) = open("button").await;
    keys(&browser, "sl-input.new-title", "Fix the bike").await;
    browser.click("sl-button.add").await;
    browser
        .wait_for_texts(
            TITLES,
            &[
                "Water the plants",
                "Write the report",
                "Call the plumber",
                "Fix the bike",
            ],
        )
        .await;
    wait_property(&browser, "sl-input.new-title", "value", json!("")).await;
    browser.wait_for_text(LEFT, "3").await;
}
