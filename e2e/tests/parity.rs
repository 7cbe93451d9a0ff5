//! Parity of the headless tab (`lunette-headless`, behind `lunette test`) with the bundled
//! client in Chromium: the same steps go through both, on every demo and every e2e site, and
//! after each step the app's text, every field's value and every element's classes must be the
//! same. Element ids (`ui-N`) are part of what is compared, so both must also have rendered
//! the same bindings in the same order. A difference is a bug in one of the two.
//!
//! The headless tab runs first (it is deterministic and instant); the browser is then polled
//! until it shows the same, and the test fails with both views if it does not within the
//! e2e timeout.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::key::Key;
use lunette_e2e::{Browser, Server, TIMEOUT, demo, site};
use lunette_headless::{Snapshot, World};

/// One thing a person does.
enum Step {
    /// Click the field, select what it holds, type, Tab out.
    Type(&'static str, &'static str),
    /// Keys sent to the element without clicking it first (`\n` is Enter).
    Keys(&'static str, &'static str),
    /// A key with modifiers, e.g. `ctrl-k`, `Escape`.
    Press(&'static str, &'static str),
    Click(&'static str),
    DoubleClick(&'static str),
    Choose(&'static str, &'static str),
}
use Step::*;

/// What the browser's page shows, in the form of [`Snapshot`].
const LOOK: &str = r#"
const app = document.querySelector("[ui-app]");
const norm = (s) => s.split(/\s+/).filter((w) => w !== "").join(" ");
const fields = [], classes = [];
for (const e of app.querySelectorAll("*")) {
  const tag = e.localName;
  if (e.classList.length > 0) classes.push(`${tag}#${e.id} ${Array.from(e.classList).join(" ")}`);
  if (tag === "input" || tag === "textarea" || tag === "select") {
    const checkable = tag === "input" && (e.type === "checkbox" || e.type === "radio");
    fields.push(`${tag}#${e.id} = ${checkable ? String(e.checked) : JSON.stringify(e.value)}`);
  }
}
return { text: norm(app.textContent), fields, classes };
"#;

async fn look(browser: &Browser) -> Snapshot {
    let seen = browser.execute(LOOK, vec![]).await;
    let list = |key: &str| -> Vec<String> {
        seen[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Snapshot {
        text: seen["text"].as_str().unwrap_or_default().to_owned(),
        fields: list("fields"),
        classes: list("classes"),
    }
}

/// The first line where two lists differ, for the failure message.
fn first_difference(what: &str, headless: &[String], browser: &[String]) -> Option<String> {
    let longest = headless.len().max(browser.len());
    (0..longest).find_map(|i| {
        let (h, b) = (headless.get(i), browser.get(i));
        (h != b).then(|| format!("{what}[{i}]: headless {h:?}, browser {b:?}"))
    })
}

async fn browser_does(browser: &Browser, step: &Step) {
    let element = |css: &'static str| async move {
        browser
            .client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("finding {css}: {e}"))
    };
    match step {
        Type(css, text) => browser.type_into(css, text).await,
        Keys(css, text) => {
            let keys = text.replace('\n', &Key::Enter.to_string());
            element(css)
                .await
                .send_keys(&keys)
                .await
                .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
        }
        Press(css, key) => {
            let keys = match *key {
                "Enter" => Key::Enter.to_string(),
                "Escape" => Key::Escape.to_string(),
                "ctrl-k" => Key::Control + "k",
                other => panic!("no browser spelling for the key {other:?}"),
            };
            element(css)
                .await
                .send_keys(&keys)
                .await
                .unwrap_or_else(|e| panic!("pressing {key} in {css}: {e}"));
        }
        Click(css) => browser.click(css).await,
        DoubleClick(css) => {
            let target = element(css).await;
            let down = PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            };
            let up = PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            };
            let mouse = MouseActions::new("mouse".to_owned())
                .then(PointerAction::MoveToElement {
                    element: target,
                    duration: None,
                    x: 0.0,
                    y: 0.0,
                })
                .then(down.clone())
                .then(up.clone())
                .then(down)
                .then(up);
            browser
                .client()
                .perform_actions(mouse)
                .await
                .expect("a double click");
        }
        Choose(css, value) => browser.choose(css, value).await,
    }
}

fn headless_does(world: &mut World, step: &Step) {
    let tab = 0;
    let done = match step {
        Type(css, text) => world.type_text(tab, css, text, true),
        Keys(css, text) => text.chars().try_for_each(|ch| {
            let key = if ch == '\n' {
                "Enter".to_owned()
            } else {
                ch.to_string()
            };
            world.press(tab, css, &key)
        }),
        Press(css, key) => world.press(tab, css, key),
        Click(css) => world.click(tab, css),
        DoubleClick(css) => world.double_click(tab, css),
        Choose(css, value) => world.choose(tab, css, value),
    };
    if let Err(message) = done {
        panic!("the headless tab could not do that: {message}");
    }
}

/// Runs `steps` on `root` in both, comparing after opening and after every step.
async fn same_in_both(root: &Path, steps: &[Step]) {
    let site = lunette_headless::site::read_site(root).expect("the site reads");
    let mut world = World::new(site, 1);
    world.open().expect("the headless tab opens");
    let browser = Browser::start().await;
    let server = Server::start(Some(root), &[]);
    browser.open_app(&server).await;
    compare(&browser, &world, root, "opening the page").await;
    for (n, step) in steps.iter().enumerate() {
        headless_does(&mut world, step);
        browser_does(&browser, step).await;
        compare(
            &browser,
            &world,
            root,
            &format!("step {} ({})", n + 1, describe(step)),
        )
        .await;
    }
}

async fn compare(browser: &Browser, world: &World, root: &Path, after: &str) {
    let expected = world.snapshot(0);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let seen = look(browser).await;
        if seen == expected {
            return;
        }
        if Instant::now() >= deadline {
            let differences: Vec<String> = [
                (seen.text != expected.text).then(|| {
                    format!(
                        "text: headless {:?}\n      browser  {:?}",
                        expected.text, seen.text
                    )
                }),
                first_difference("fields", &expected.fields, &seen.fields),
                first_difference("classes", &expected.classes, &seen.classes),
            ]
            .into_iter()
            .flatten()
            .collect();
            panic!(
                "{}: after {after}, the headless tab and Chromium differ:\n{}",
                root.display(),
                differences.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn describe(step: &Step) -> String {
    match step {
        Type(css, text) => format!("type {text:?} into {css}"),
        Keys(css, text) => format!("keys {text:?} to {css}"),
        Press(css, key) => format!("press {key} in {css}"),
        Click(css) => format!("click {css}"),
        DoubleClick(css) => format!("double-click {css}"),
        Choose(css, value) => format!("choose {value:?} in {css}"),
    }
}

#[tokio::test]
async fn adder() {
    let steps = [
        Type("input:nth-of-type(1)", "2"),
        Type("input:nth-of-type(2)", "3"),
        Type("input:nth-of-type(1)", "x"),
        Keys("input:nth-of-type(1)", "1"),
        Type("input:nth-of-type(2)", "0.5"),
    ];
    same_in_both(&demo("adder"), &steps).await;
}

#[tokio::test]
async fn contacts() {
    let steps = [
        Keys("input[type=search]", "al"),
        Click("[aria-label='Clear search']"),
        Click(".rows li:nth-child(1) button.row"),
        Choose("select.emergency", "3"),
        Click(".rows li:nth-child(3) button.row"),
        Click(".detail .buttons button:not(.danger)"),
        Type(".form label:nth-of-type(1) input", " "),
        Type("input[type=email]", "not an email"),
        Click(".form button[type=submit]"),
        Type(".form label:nth-of-type(1) input", "Grace B. Hopper"),
        Type("input[type=email]", "grace@navy.mil"),
        Click(".form button[type=submit]"),
        Click("button.primary"),
        Keys(".form label:nth-of-type(1) input", "Mary Jackson\n"),
        Click(".detail button.danger"),
        Type("input[type=search]", "zebra"),
    ];
    same_in_both(&demo("contacts"), &steps).await;
}

#[tokio::test]
async fn tasks() {
    // Details are left closed: they show when a task was added, by the server's clock, which
    // is virtual in the headless tab and real in the browser's server.
    let steps = [
        Keys("#new-task-title", "Buy milk\n"),
        Keys("#new-task-title", "Walk the dog\n"),
        Click(".new-task button"),
        Click(".task:nth-child(1) input.check"),
        Click("nav.filters button:nth-of-type(2)"),
        Click("nav.filters button:nth-of-type(3)"),
        Click("nav.filters button:nth-of-type(1)"),
        DoubleClick(".task:nth-child(2) .title"),
        Keys(".title-input", " now\n"),
        Click(".task:nth-child(1) button.edit"),
        Press(".title-input", "Escape"),
        Click("button.clear"),
        Click(".task button.delete"),
    ];
    same_in_both(&demo("tasks"), &steps).await;
}

#[tokio::test]
async fn bindings_site() {
    let steps = [
        Choose("#fruit", "apple"),
        Click("#pick-cherry"),
        Click("#agree"),
        Click("#toggle-agree"),
        Type("#notes", "one two"),
        Click("#reset-notes"),
        Keys("#live", "abc"),
        Click("#next-tip"),
        Click("#next-hot"),
        Click("#next-hot"),
        Click("#next-color"),
        Click("#set-html"),
        Click("#clear-html"),
        Click("#choose-plum"),
        Keys("#query", "xy"),
        DoubleClick("#double"),
        Keys("#entry", "hello\n"),
        Press("#palette", "ctrl-k"),
        Keys("#palette", "k"),
        Press("#palette", "Escape"),
        Click("#break"),
        Click("#fix"),
        Click("#explode"),
        Click("#explode"),
        Click("#ping"),
    ];
    same_in_both(&site("bindings"), &steps).await;
}

#[tokio::test]
async fn list_site() {
    let steps = [
        Click(".list-app button:nth-of-type(1)"),
        Click(".list-app button:nth-of-type(2)"),
        Click(".list-app button:nth-of-type(1)"),
    ];
    same_in_both(&site("list"), &steps).await;
}

#[tokio::test]
async fn page_site() {
    let steps = [Type("[ui-app] input", "Ada")];
    same_in_both(&site("page"), &steps).await;
}

#[tokio::test]
async fn csp_site() {
    let steps = [Click("#inject")];
    same_in_both(&site("csp"), &steps).await;
}

/// The comparison itself can fail: a snapshot differs from a page that shows something else.
#[test]
fn snapshots_differ_when_the_pages_do() {
    let a = Snapshot {
        text: "5".to_owned(),
        fields: vec![r#"input#ui-1 = "2""#.to_owned()],
        classes: vec![],
    };
    let b = Snapshot {
        text: "6".to_owned(),
        ..a.clone()
    };
    assert_ne!(a, b);
    assert_eq!(
        first_difference("fields", &a.fields, &[]),
        Some(r#"fields[0]: headless Some("input#ui-1 = \"2\""), browser None"#.to_owned())
    );
}
