//! The demo/tasks site's logic over the wire protocol: adding, refusing a blank title,
//! completing, and a hot reload of its main.lua keeping the list.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use common::{FLUSH, batch, bind, messages, received, user_batch, watch, write};
use lunette_core::{Config, ConnId, Site};
use lunette_test::Harness;
use serde_json::{Value, json};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../demo/tasks");

/// Every file of demo/tasks, as the binary's `--dir` would serve it.
fn tasks_site() -> Site {
    fn add(site: &mut Site, dir: &Path) {
        for entry in std::fs::read_dir(dir).expect("demo/tasks is in the repository") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                // The app's own tests (`lunette test`) are not part of what it serves.
                if !path.ends_with("tests") {
                    add(site, &path);
                }
                continue;
            }
            let relative = path.strip_prefix(ROOT).expect("under the root");
            let contents = std::fs::read(&path).expect("a readable file");
            assert!(site.insert(&relative.to_string_lossy(), Bytes::from(contents)));
        }
    }
    let mut site = Site::new();
    add(&mut site, Path::new(ROOT));
    site
}

/// The latest value each variable received since the last call.
fn values(h: &mut Harness, tab: ConnId) -> BTreeMap<i64, Value> {
    received(h, tab)
        .into_iter()
        .filter(|m| m["type"] == "update" && m["data"].get("value").is_some())
        .map(|m| {
            (
                m["data"]["varId"]
                    .as_i64()
                    .expect("an update names its variable"),
                m["data"]["value"].clone(),
            )
        })
        .collect()
}

const NEW_TITLE: i64 = 2;
const ADD: i64 = 3;
const REMAINING: i64 = 4;
const MESSAGE: i64 = 5;
const VISIBLE: i64 = 6;

/// A session of demo/tasks whose tab watches the list's add field, action and summary.
fn open(config: Config) -> (Harness, ConnId) {
    let mut h = Harness::new(tasks_site(), config, 1);
    let sid = h.create_session();
    let tab = h.connect(&sid);
    h.send(tab, &batch(&[watch(1)]));
    h.advance(FLUSH);
    let first = messages(&h.frames(tab)[0]);
    let viewdefs = first[0]["data"]["properties"]["viewdefs"]
        .as_str()
        .expect("the viewdefs come first");
    let viewdefs: BTreeMap<String, String> =
        serde_json::from_str(viewdefs).expect("a JSON object of templates");
    let keys: Vec<&str> = viewdefs.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "Filter.DEFAULT",
            "Task.DEFAULT",
            "Task.details",
            "Task.edit",
            "TaskList.DEFAULT"
        ]
    );
    h.send(
        tab,
        &batch(&[
            bind(NEW_TITLE, 1, "newTitle", "rw"),
            bind(ADD, 1, "add()", "action"),
            bind(REMAINING, 1, "remaining()", "r"),
            bind(MESSAGE, 1, "message", "r"),
            bind(VISIBLE, 1, "visible()", "r"),
        ]),
    );
    h.advance(FLUSH);
    (h, tab)
}

fn add(h: &mut Harness, tab: ConnId, title: &str) -> BTreeMap<i64, Value> {
    h.send(
        tab,
        &user_batch(&[write(NEW_TITLE, json!(title)), write(ADD, Value::Null)]),
    );
    h.advance(FLUSH);
    values(h, tab)
}

#[test]
fn adding_counts_and_a_blank_title_is_refused() {
    let (mut h, tab) = open(Config::default());

    let seen = add(&mut h, tab, "  Buy milk ");
    assert_eq!(seen[&NEW_TITLE], "", "the field empties after an add");
    assert_eq!(seen[&REMAINING], "1 task left");
    assert_eq!(seen[&VISIBLE].as_array().map(Vec::len), Some(1));

    let seen = add(&mut h, tab, "Call Ada");
    assert_eq!(seen[&REMAINING], "2 tasks left");

    let seen = add(&mut h, tab, "   ");
    assert_eq!(seen[&MESSAGE], "Type a title first: a task needs one.");
    assert!(
        !seen.contains_key(&REMAINING),
        "nothing was added: {seen:?}"
    );

    // Complete both through the list's items, as the checkboxes do.
    h.send(
        tab,
        &batch(&[
            bind(7, VISIBLE, "0", "r"),
            bind(8, 7, "done", "rw"),
            bind(9, 7, "title", "r"),
            bind(10, VISIBLE, "1", "r"),
            bind(11, 10, "done", "rw"),
        ]),
    );
    h.advance(FLUSH);
    assert_eq!(values(&mut h, tab)[&9], "Buy milk", "the title is trimmed");
    h.send(tab, &user_batch(&[write(8, json!(true))]));
    h.advance(FLUSH);
    assert_eq!(values(&mut h, tab)[&REMAINING], "1 task left");
    h.send(tab, &user_batch(&[write(11, json!(true))]));
    h.advance(FLUSH);
    assert_eq!(values(&mut h, tab)[&REMAINING], "All done!");
}

#[test]
fn a_hot_reload_keeps_the_tasks() {
    let (mut h, tab) = open(Config {
        hotload: true,
        ..Config::default()
    });
    add(&mut h, tab, "Buy milk");

    let main = std::fs::read_to_string(format!("{ROOT}/lua/main.lua")).expect("main.lua");
    let edited = main.replace(" tasks left\"", " tasks to go\"");
    assert_ne!(main, edited);
    h.change_files(&[("lua/main.lua", Some(&edited))]);
    h.advance(FLUSH);
    assert!(values(&mut h, tab).is_empty(), "nothing shown changed");

    let seen = add(&mut h, tab, "Call Ada");
    assert_eq!(
        seen[&REMAINING], "2 tasks to go",
        "the new method, the old list"
    );
}
