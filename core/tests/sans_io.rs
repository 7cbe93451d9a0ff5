//! core stays sans-IO: no crate whose job is I/O may be anywhere in the dependency tree of
//! core's library, however it got there: a `[dependencies]` line, a `[dependencies.x]` table,
//! a `[target.'cfg(…)'.dependencies]` table, or a dependency of a dependency (clippy.toml
//! forbids the std calls). Dev-dependencies may: the std-loop example is a transport in
//! miniature.
//!
//! The tree is read the way cargo resolved it. `cargo metadata --no-deps` says which of core's
//! dependencies are normal ones, on every platform (dev and build ones are left out). From
//! those, `Cargo.lock` gives the whole resolved tree on every platform: it lists each
//! package's dependencies for all targets, with the features the workspace enables, which is
//! what a workspace build links into core. For a workspace member that core depends on (the
//! pattern engine, `lunette-pattern`), Cargo.lock lists its dev-dependencies too; the walk
//! follows only the ones `cargo metadata` calls normal, as for core.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::process::Command;

use serde_json::Value;

/// Crates whose purpose is I/O, by what they would bring into core.
const FORBIDDEN: &[&str] = &[
    // Async runtimes and the OS event loops under them.
    "tokio",
    "async-std",
    "smol",
    "async-io",
    "mio",
    "polling",
    // Sockets, HTTP, WebSocket transports.
    "socket2",
    "hyper",
    "hyper-util",
    "h2",
    "reqwest",
    "ureq",
    "tungstenite",
    "tokio-tungstenite",
    "async-tungstenite",
    "fastwebsockets",
    // Watching files.
    "notify",
    "inotify",
    "kqueue",
    "fsevent-sys",
    // OS randomness. Every road to it (rand's OsRng and thread_rng, uuid's v4, ahash's
    // runtime-rng, getrandom's own SysRng) goes through getrandom, whichever backend it picks:
    // core draws its bits from the IdSource a transport hands in, so it has no use for any.
    "getrandom",
    // Signals and log output: the binary's business.
    "signal-hook",
    "signal-hook-registry",
    "ctrlc",
    "tracing-subscriber",
    "tracing-appender",
    "env_logger",
];

/// Cargo.lock as of this build: cargo updates it before compiling the test.
const LOCK: &str = include_str!("../../Cargo.lock");

/// One `[[package]]` of Cargo.lock: name, version and its dependencies as written there
/// (`"name"`, `"name version"` or `"name version (source)"`).
#[derive(Debug)]
struct Locked {
    name: String,
    version: String,
    dependencies: Vec<String>,
}

fn quoted(text: &str) -> Option<&str> {
    text.trim()
        .trim_end_matches(',')
        .strip_prefix('"')?
        .strip_suffix('"')
}

fn parse_lock(lock: &str) -> Vec<Locked> {
    let mut packages = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let mut package = Locked {
            name: String::new(),
            version: String::new(),
            dependencies: Vec::new(),
        };
        let mut in_dependencies = false;
        for line in block.lines().map(str::trim) {
            if in_dependencies {
                match quoted(line) {
                    Some(dependency) => package.dependencies.push(dependency.to_owned()),
                    None => in_dependencies = false,
                }
            } else if let Some(value) = line.strip_prefix("name = ") {
                package.name = quoted(value).expect("a quoted name").to_owned();
            } else if let Some(value) = line.strip_prefix("version = ") {
                package.version = quoted(value).expect("a quoted version").to_owned();
            } else if line == "dependencies = [" {
                in_dependencies = true;
            }
        }
        packages.push(package);
    }
    packages
}

/// The index in `packages` of a dependency as Cargo.lock writes it.
fn resolve(packages: &[Locked], reference: &str) -> usize {
    let mut words = reference.split(' ');
    let name = words.next().unwrap_or_default();
    let version = words.next();
    let found: Vec<usize> = (0..packages.len())
        .filter(|&i| packages[i].name == name)
        .filter(|&i| version.is_none_or(|v| packages[i].version == v))
        .collect();
    assert_eq!(found.len(), 1, "Cargo.lock names {reference:?} ambiguously");
    found[0]
}

/// Every package reachable from `roots` (references in Cargo.lock), each with the chain of
/// package names that leads to it from core. Of a package named in `members` (a workspace
/// member), only the dependencies named in its set are followed.
fn tree(
    packages: &[Locked],
    roots: &[String],
    members: &BTreeMap<String, BTreeSet<String>>,
) -> BTreeMap<String, Vec<String>> {
    let mut reached: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut queue: VecDeque<(usize, Vec<String>)> = roots
        .iter()
        .map(|reference| {
            (
                resolve(packages, reference),
                vec!["lunette-core".to_owned()],
            )
        })
        .collect();
    while let Some((index, mut chain)) = queue.pop_front() {
        if reached.contains_key(&index) {
            continue;
        }
        chain.push(packages[index].name.clone());
        let followed = members.get(&packages[index].name);
        for reference in &packages[index].dependencies {
            let name = reference.split(' ').next().unwrap_or_default();
            if followed.is_none_or(|names| names.contains(name)) {
                queue.push_back((resolve(packages, reference), chain.clone()));
            }
        }
        reached.insert(index, chain);
    }
    reached
        .into_iter()
        .map(|(index, chain)| (packages[index].name.clone(), chain))
        .collect()
}

/// Each workspace member's declared dependencies from `cargo metadata --no-deps`: member →
/// package name → kinds (`"normal"`, `"dev"`, `"build"`), over every target.
fn declared_dependencies() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let output = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    let mut members = BTreeMap::new();
    for package in metadata["packages"].as_array().expect("a package list") {
        let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for dependency in package["dependencies"]
            .as_array()
            .expect("a dependency list")
        {
            let name = dependency["name"].as_str().expect("a package name");
            let kind = dependency["kind"].as_str().unwrap_or("normal");
            declared
                .entry(name.to_owned())
                .or_default()
                .insert(kind.to_owned());
        }
        let name = package["name"].as_str().expect("a package name");
        members.insert(name.to_owned(), declared);
    }
    assert!(
        members.contains_key("lunette-core"),
        "lunette-core is a workspace member"
    );
    members
}

/// Each workspace member → the names of its normal dependencies.
fn normal_dependencies(
    declared: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
) -> BTreeMap<String, BTreeSet<String>> {
    declared
        .iter()
        .map(|(member, dependencies)| {
            let normal = dependencies
                .iter()
                .filter(|(_, kinds)| kinds.contains("normal"))
                .map(|(name, _)| name.clone())
                .collect();
            (member.clone(), normal)
        })
        .collect()
}

/// core's library dependency tree: its normal dependencies and everything they depend on.
fn library_tree() -> BTreeMap<String, Vec<String>> {
    let members = normal_dependencies(&declared_dependencies());
    let packages = parse_lock(LOCK);
    let core = &packages[resolve(&packages, "lunette-core")];
    let roots: Vec<String> = core
        .dependencies
        .iter()
        .filter(|reference| {
            let name = reference.split(' ').next().unwrap_or_default();
            members["lunette-core"].contains(name)
        })
        .cloned()
        .collect();
    tree(&packages, &roots, &members)
}

#[test]
fn core_depends_on_no_io_crate() {
    let tree = library_tree();
    let found: Vec<String> = FORBIDDEN
        .iter()
        .filter_map(|name| tree.get(*name))
        .map(|chain| chain.join(" → "))
        .collect();
    assert!(
        found.is_empty(),
        "I/O belongs in a transport, but core's library depends on:\n{}",
        found.join("\n")
    );
}

/// The walk above must see the whole tree, or it proves nothing: it reaches crates core only
/// gets through others, and leaves out what only core's tests and examples use.
#[test]
fn the_walk_covers_transitive_dependencies_and_skips_dev_ones() {
    let members = declared_dependencies();
    let declared = &members["lunette-core"];
    assert!(
        declared["tungstenite"].contains("dev") && !declared["tungstenite"].contains("normal"),
        "{declared:?}"
    );
    let tree = library_tree();
    assert!(
        !declared.contains_key("libc") && tree.contains_key("libc"),
        "libc comes in only through mlua: {tree:?}"
    );
    assert!(tree.contains_key("mlua-sys") && tree.contains_key("rand_core"));
    assert!(!tree.contains_key("tungstenite") && !tree.contains_key("proptest"));
    // The pattern engine is in the tree, and its dev-dependencies (proptest) are not, though
    // Cargo.lock lists them among its dependencies.
    let pattern = &members["lunette-pattern"];
    assert!(
        pattern["proptest"].contains("dev") && !pattern["proptest"].contains("normal"),
        "{pattern:?}"
    );
    assert!(tree.contains_key("lunette-pattern"), "{tree:?}");
}

/// A lock in which core reaches an I/O crate through a target-specific dependency of a
/// dependency, written as Cargo.lock writes it: the walk finds it with its chain.
#[test]
fn an_io_crate_two_levels_down_is_found_with_its_chain() {
    let lock = r#"
[[package]]
name = "lunette-core"
version = "0.1.0"
dependencies = [
 "watcher",
]

[[package]]
name = "watcher"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "mio 1.0.0",
 "windows-sys",
]

[[package]]
name = "mio"
version = "0.8.0"

[[package]]
name = "mio"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "windows-sys"
version = "0.59.0"
"#;
    let packages = parse_lock(lock);
    let tree = tree(&packages, &["watcher".to_owned()], &BTreeMap::new());
    assert_eq!(
        tree.get("mio").map(|chain| chain.join(" → ")).as_deref(),
        Some("lunette-core → watcher → mio")
    );
    assert_eq!(
        tree.keys().map(String::as_str).collect::<Vec<_>>(),
        ["mio", "watcher", "windows-sys"]
    );
}

/// A workspace member's entry in Cargo.lock lists its dev-dependencies with the others: the
/// walk leaves those out and still follows its normal ones down to an I/O crate.
#[test]
fn a_workspace_members_dev_dependencies_are_left_out() {
    let lock = r#"
[[package]]
name = "engine"
version = "0.1.0"
dependencies = [
 "getrandom",
 "watcher",
]

[[package]]
name = "getrandom"
version = "0.4.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "watcher"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "mio",
]

[[package]]
name = "mio"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;
    let packages = parse_lock(lock);
    let members = BTreeMap::from([("engine".to_owned(), BTreeSet::from(["watcher".to_owned()]))]);
    let tree = tree(&packages, &["engine".to_owned()], &members);
    assert_eq!(
        tree.keys().map(String::as_str).collect::<Vec<_>>(),
        ["engine", "mio", "watcher"]
    );
    assert_eq!(
        tree.get("mio").map(|chain| chain.join(" → ")).as_deref(),
        Some("lunette-core → engine → watcher → mio")
    );
}
