//! The top-level modules of `core` and of `transport-hyper` import each other in one direction
//! only, so that a reader can learn each from the ones below it; and the tracker knows neither
//! the script engine nor the wire (it holds state; `lua/` evaluates, `protocol/` speaks).
//!
//! A module `a` imports `b` when a file of `a` names `crate::b`, directly or in a `use`
//! group, or (for a file directly in `src/`) reaches it through `super::`. Comments count
//! too: a doc link to a module above is an arrow a reader follows.

// This test reads the repository's own sources; core's library never touches files.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file below `src`, as (path relative to `src`, text).
fn sources(src: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source folder") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(src)
                    .expect("below src")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&path).expect("readable source");
                found.push((relative, text));
            }
        }
    }
    found
}

/// The names a path list starting right after `crate::` or `super::` reaches first: one
/// name, or each item of a `{…}` group at its top level.
fn first_names(rest: &str) -> Vec<String> {
    let name = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let Some(group) = rest.strip_prefix('{') else {
        return vec![name(rest)];
    };
    let mut names = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                names.push(name(group[start..at].trim_start()));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(name(group[start..at].trim_start()));
                start = at + 1;
            }
            _ => {}
        }
    }
    names
}

/// Module → the modules it imports, among the top-level modules of these files.
fn imports(files: &[(String, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let top = |path: &str| -> String {
        let first = path.split('/').next().unwrap_or(path);
        first.trim_end_matches(".rs").to_owned()
    };
    let roots = ["lib", "main"];
    let modules: BTreeSet<String> = files
        .iter()
        .map(|(path, _)| top(path))
        .filter(|m| !roots.contains(&m.as_str()))
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in files {
        let from = top(path);
        if !modules.contains(&from) {
            continue;
        }
        let mut prefixes = vec!["crate::"];
        if !path.contains('/') {
            prefixes.push("super::");
        }
        let targets = graph.entry(from.clone()).or_default();
        for prefix in prefixes {
            for (at, _) in text.match_indices(prefix) {
                for name in first_names(&text[at + prefix.len()..]) {
                    if name != from && modules.contains(&name) {
                        targets.insert(name);
                    }
                }
            }
        }
    }
    graph
}

/// Each group of modules that reach one another (a strongly connected component of more
/// than one module), with the arrows inside it.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut pending = vec![from.to_owned()];
        while let Some(module) = pending.pop() {
            for next in graph.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    pending.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = graph
        .keys()
        .map(|module| (module, reaches(module)))
        .collect();
    let mut reported = BTreeSet::new();
    let mut found = Vec::new();
    for module in graph.keys() {
        if reported.contains(module) || !reach[module].contains(module) {
            continue;
        }
        let group: BTreeSet<&String> = graph
            .keys()
            .filter(|other| reach[module].contains(*other) && reach[*other].contains(module))
            .collect();
        let arrows: Vec<String> = group
            .iter()
            .flat_map(|a| {
                graph[*a]
                    .iter()
                    .filter(|b| group.contains(b))
                    .map(move |b| format!("{a} -> {b}"))
            })
            .collect();
        reported.extend(group.iter().map(|m| (*m).clone()));
        found.push(arrows.join(", "));
    }
    found
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src")
}

#[test]
fn core_modules_import_each_other_in_one_direction() {
    let found = cycles(&imports(&sources(&crate_src("core"))));
    assert!(found.is_empty(), "import cycles in core: {found:#?}");
}

#[test]
fn transport_hyper_modules_import_each_other_in_one_direction() {
    let found = cycles(&imports(&sources(&crate_src("transport-hyper"))));
    assert!(
        found.is_empty(),
        "import cycles in transport-hyper: {found:#?}"
    );
}

#[test]
fn the_tracker_knows_neither_the_script_engine_nor_the_wire() {
    let offending: Vec<String> = sources(&crate_src("core").join("tracker"))
        .into_iter()
        .flat_map(|(path, text)| {
            ["mlua", "crate::protocol", "crate::lua"]
                .into_iter()
                .filter(move |name| text.contains(name))
                .map(move |name| format!("tracker/{path} names {name}"))
        })
        .collect();
    assert!(offending.is_empty(), "{offending:#?}");
}

#[test]
fn a_cycle_through_a_use_group_or_super_is_found() {
    let files = [
        ("a.rs".to_owned(), "use crate::{b::Thing, c};".to_owned()),
        ("b/mod.rs".to_owned(), "// nothing".to_owned()),
        (
            "b/deep.rs".to_owned(),
            "use crate::{x::{y, z}, a::f};".to_owned(),
        ),
        ("c.rs".to_owned(), "use super::b;".to_owned()),
        ("lib.rs".to_owned(), "use crate::a;".to_owned()),
        ("x.rs".to_owned(), String::new()),
    ];
    let graph = imports(&files);
    assert_eq!(graph["b"], BTreeSet::from(["a".to_owned(), "x".to_owned()]));
    assert_eq!(graph["c"], BTreeSet::from(["b".to_owned()]));
    assert_eq!(
        cycles(&graph),
        ["a -> b, a -> c, b -> a, c -> b"],
        "lib.rs is the root, not a module"
    );
}
