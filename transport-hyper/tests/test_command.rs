//! `lunette test`: the demos' tests pass, and breaking what they cover in a demo's Lua makes
//! them fail with a message naming the test's line, the selector, and what was expected and
//! found; exit status 0, 1, 2.

mod common;

use std::path::Path;

use common::{TempSite, run_to_exit};

fn demo(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../demo")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// A copy of a demo's files with `edit` applied to its `main.lua`.
fn broken_copy(name: &str, edit: impl Fn(&str) -> String) -> TempSite {
    let site = TempSite::new(&format!("broken-{name}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../demo")
        .join(name);
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("the demo reads") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(&root).expect("inside the demo");
            let relative = relative.to_str().expect("UTF-8 path");
            let text = std::fs::read_to_string(&path).expect("a text file");
            let text = if relative == "lua/main.lua" {
                edit(&text)
            } else {
                text
            };
            site.write(relative, &text);
        }
    }
    site
}

#[test]
fn the_demos_tests_pass() {
    for name in ["adder", "contacts", "tasks"] {
        let (code, stdout, stderr) = run_to_exit(&["test", "--dir", &demo(name)]);
        assert_eq!(code, Some(0), "demo/{name}:\n{stdout}{stderr}");
        let last = stdout.lines().last().unwrap_or_default();
        assert!(last.ends_with(" passed, 0 failed"), "demo/{name}: {last}");
        assert!(stdout.lines().all(|l| !l.starts_with("FAIL")), "{stdout}");
    }
}

#[test]
fn a_broken_search_filter_fails_the_search_tests_clearly() {
    let site = broken_copy("contacts", |main| {
        let broken = main.replace(
            "  if text == \"\" then return true end",
            "  do return true end",
        );
        assert_ne!(
            broken, main,
            "the filter's first line is where the test expects it"
        );
        broken
    });
    let (code, stdout, _) = run_to_exit(&["test", "--dir", site.arg(), "search"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "tests/search.lua:19: tab:expectTexts(\".rows .name\"): expected the texts \
             [\"Alan Turing\"], found [\"Ada Lovelace\", \"Alan Turing\", \"Grace Hopper\"]"
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 passed, 3 failed\n"), "{stdout}");
}

#[test]
fn broken_validation_fails_the_add_test_clearly() {
    let site = broken_copy("contacts", |main| {
        let broken = main.replace(
            "  if self.email ~= \"\" and not self.email:match",
            "  if false and not self.email:match",
        );
        assert_ne!(broken, main, "the email check is where the test expects it");
        broken
    });
    let (code, stdout, _) = run_to_exit(&["test", "--dir", site.arg(), "valid email"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "tests/edit.lua:17: tab:expectText(\".form .field-error:nth-of-type(2)\"): expected \
             the text \"That does not look like an email address.\", found \"\""
        ),
        "{stdout}"
    );
}

#[test]
fn a_site_without_tests_is_an_error_and_exit_2() {
    let site = TempSite::new("no-tests");
    site.write(
        "lua/main.lua",
        "session:createAppVariable({ type = 'App' })",
    );
    let (code, stdout, stderr) = run_to_exit(&["test", "--dir", site.arg()]);
    assert_eq!(code, Some(2));
    assert_eq!(stdout, "");
    assert!(stderr.ends_with("has no tests/ folder\n"), "{stderr}");
}
