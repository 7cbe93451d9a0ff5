//! The Tasks demo (demo/tasks) in a real headless Chromium, used the way a person would: add,
//! complete, edit in place, open the details, filter, clear, and reload the page.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use lunette_e2e::{Browser, Seen, Server, TIMEOUT, demo};
use serde_json::{Value, json};

const TITLES: &str = "li.task .title";
const REMAINING: &str = ".summary .remaining";
const EMPTY: &str = ".empty-state";
const FIRST: &str = "li.task:nth-of-type(1)";
const SECOND: &str = "li.task:nth-of-type(2)";

/// Clicks into the field `css`, replaces what it holds with `text` and sends `then` (a key).
async fn type_then(browser: &Browser, css: &str, text: &str, then: Key) {
    browser.click(css).await;
    let field = browser
        .client()
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("finding {css}: {e}"));
    // Control stays down until the end of one `send_keys`: select in a call of its own.
    for keys in [
        Key::Control + "a",
        format!("{}{text}{}", Key::Backspace, then),
    ] {
        field
            .send_keys(&keys)
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }
}

/// Polls `script` until it returns `expected`.
async fn wait_js(browser: &Browser, script: &str, args: Vec<Value>, expected: Value) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = browser.execute(script, args.clone()).await;
        if seen == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for `{script}` to be {expected}; last seen: {seen}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const SHOWN: &str = "const e = document.querySelector(arguments[0]);
return e !== null && e.getClientRects().length > 0;";

async fn wait_shown(browser: &Browser, css: &str, shown: bool) {
    wait_js(browser, SHOWN, vec![json!(css)], json!(shown)).await;
}

async fn wait_attr(browser: &Browser, css: &str, name: &str, expected: Option<&str>) {
    let script = "const e = document.querySelector(arguments[0]);
return e ? e.getAttribute(arguments[1]) : '(no element)';";
    wait_js(
        browser,
        script,
        vec![json!(css), json!(name)],
        json!(expected),
    )
    .await;
}

async fn focused(browser: &Browser) -> Value {
    browser
        .execute("return document.activeElement.className", vec![])
        .await
}

#[tokio::test]
async fn a_person_manages_tasks_and_a_reload_keeps_them() {
    let browser = Browser::start().await;
    let server = Server::start(Some(&demo("tasks")), &[]);
    browser.open_app(&server).await;

    // An empty list says so, and has nothing to count.
    browser
        .wait_for_text(EMPTY, "Nothing to do yet. Add a task above.")
        .await;
    wait_shown(&browser, ".summary", false).await;

    // Add with Enter, then with the button.
    type_then(&browser, "#new-task-title", "Buy milk", Key::Enter).await;
    browser.wait_for_texts(TITLES, &["Buy milk"]).await;
    browser.wait_for_value("#new-task-title", "").await;
    browser.type_into("#new-task-title", "Write report").await;
    browser.click(".new-task button").await;
    browser
        .wait_for_texts(TITLES, &["Buy milk", "Write report"])
        .await;
    browser.wait_for_text(REMAINING, "2 tasks left").await;
    wait_shown(&browser, EMPTY, false).await;

    // A blank title is refused with a message.
    type_then(&browser, "#new-task-title", "   ", Key::Enter).await;
    browser
        .wait_for_text(".tasks > .message", "Type a title first: a task needs one.")
        .await;
    browser
        .wait_for_texts(TITLES, &["Buy milk", "Write report"])
        .await;

    // Completing a task counts it out and strikes it through.
    browser.click(&format!("{FIRST} .check")).await;
    browser.wait_for_text(REMAINING, "1 task left").await;
    browser.wait_for_class(FIRST, "done", true).await;
    let style = "return getComputedStyle(document.querySelector(arguments[0])).textDecorationLine";
    wait_js(
        &browser,
        style,
        vec![json!(format!("{FIRST} .title"))],
        json!("line-through"),
    )
    .await;

    // Edit in place: the field opens focused; an empty title is refused, Escape cancels, Enter
    // saves.
    browser.click(&format!("{SECOND} button.edit")).await;
    browser
        .wait_for_value(&format!("{SECOND} .title-input"), "Write report")
        .await;
    assert_eq!(focused(&browser).await, json!("title-input"));
    type_then(&browser, ".title-input", "", Key::Enter).await;
    browser
        .wait_for_text(
            &format!("{SECOND} .editor .message"),
            "A task needs a title. Press Escape to keep the old one.",
        )
        .await;
    type_then(&browser, ".title-input", "", Key::Escape).await;
    wait_shown(&browser, ".title-input", false).await;
    browser
        .wait_for_texts(TITLES, &["Buy milk", "Write report"])
        .await;
    browser.click(&format!("{SECOND} button.edit")).await;
    type_then(&browser, ".title-input", "Write the report", Key::Enter).await;
    browser
        .wait_for_texts(TITLES, &["Buy milk", "Write the report"])
        .await;
    wait_shown(&browser, ".title-input", false).await;

    // Details: notes and where the task came from.
    let toggle = format!("{SECOND} button.toggle");
    wait_attr(&browser, &toggle, "aria-expanded", Some("false")).await;
    browser.click(&toggle).await;
    wait_attr(&browser, &toggle, "aria-expanded", Some("true")).await;
    let info = browser
        .wait_for_element(&format!("{SECOND} .info"), "the task's info", |seen| {
            seen.text.starts_with("Task #2, added ")
        })
        .await;
    assert!(info.text.ends_with(" UTC"), "{info:?}");
    browser
        .type_into(&format!("{SECOND} textarea"), "Due Friday")
        .await;
    // Closing sends the notes first: once closed, the server has them.
    browser.click(&toggle).await;
    wait_shown(&browser, &format!("{SECOND} textarea"), false).await;

    // The session keeps everything across a reload.
    browser.reload().await;
    browser
        .wait_for_texts(TITLES, &["Buy milk", "Write the report"])
        .await;
    browser.wait_for_text(REMAINING, "1 task left").await;
    browser.wait_for_class(FIRST, "done", true).await;
    browser.click(&toggle).await;
    browser
        .wait_for_value(&format!("{SECOND} textarea"), "Due Friday")
        .await;

    // Filters.
    let filter = |n: usize| format!("nav.filters button:nth-of-type({n})");
    browser
        .wait_for_texts("nav.filters button", &["All", "Active", "Done"])
        .await;
    browser.click(&filter(3)).await;
    browser.wait_for_texts(TITLES, &["Buy milk"]).await;
    wait_attr(&browser, &filter(3), "aria-pressed", Some("true")).await;
    browser.click(&filter(2)).await;
    browser.wait_for_texts(TITLES, &["Write the report"]).await;
    browser.click(&filter(1)).await;
    browser
        .wait_for_texts(TITLES, &["Buy milk", "Write the report"])
        .await;

    // Clear completed, then delete the last task: the empty state is back.
    browser.click(".summary .clear").await;
    browser.wait_for_texts(TITLES, &["Write the report"]).await;
    wait_attr(&browser, ".summary .clear", "disabled", Some("true")).await;
    browser.click(&format!("{FIRST} button.delete")).await;
    browser
        .wait_for_text(EMPTY, "Nothing to do yet. Add a task above.")
        .await;
    let seen: Option<Seen> = browser.look("li.task").await;
    assert!(seen.is_none(), "{seen:?}");
}
