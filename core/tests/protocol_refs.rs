//! The contract is in the repository, and every citation of it can be followed: each "§"
//! reference in the code, tests, client, Lua, scripts and documents names a numbered heading
//! of `docs/protocol.md` (or, when another document is named right before the sign, one of
//! that document's headings), and no comment or test is marked with a number from the old
//! conformance checklist instead of saying what it checks.
//!
//! The conventions, as CONTRIBUTING.md states them:
//! - a bare reference (`§4.5`, `§4.2–§4.4`, `§4.2 step 2`) means `docs/protocol.md`;
//! - a reference into another repository document names it first (`docs/guide.md §11`);
//! - outside documents are named too (`RFC 9110 §13.1.2`, `Lua 5.4 manual §6.4.1`) and are not
//!   checked;
//! - the shared `PROTOCOL.md` is not in the repository, so citing it is an error.

// The clippy.toml bans keep core's library sans-IO; this test reads the repository's files.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The section sign, spelled so that this file's own text holds no reference.
const SIGN: char = '\u{a7}';

/// Directories never scanned: build output, git's own, and code that is not ours.
const SKIPPED_DIRS: &[&str] = &["target", ".git", "node_modules", "vendor"];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("core/ sits in the repository root")
        .to_path_buf()
}

/// Every text file of the repository outside [`SKIPPED_DIRS`], as (path relative to the
/// root, text), in path order. Files that are not UTF-8 (images) are left out.
fn text_files(root: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {dir:?}: {e}"));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("reading {dir:?}: {e}"));
            let path = entry.path();
            let kind = entry
                .file_type()
                .unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
            let name = entry.file_name();
            if kind.is_dir() {
                if !SKIPPED_DIRS.iter().any(|skipped| name == *skipped) {
                    dirs.push(path);
                }
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let bytes = fs::read(&path).unwrap_or_else(|e| panic!("reading {path:?}: {e}"));
            if let Ok(text) = String::from_utf8(bytes) {
                let relative = path
                    .strip_prefix(root)
                    .expect("under the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push((relative, text));
            }
        }
    }
    files.sort();
    files
}

/// The section numbers of a Markdown document's headings: `## 4. Messages…` gives `4`,
/// `### 4.5 The update cycle` gives `4.5`.
fn headings(markdown: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim_start();
        let number = title
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches('.');
        if is_section_number(number) {
            found.insert(number.to_owned());
        }
    }
    found
}

fn is_section_number(text: &str) -> bool {
    !text.is_empty()
        && text
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// What a reference points into, judged by the words right before its sign.
#[derive(Debug, PartialEq)]
enum Target {
    /// `docs/protocol.md`: a bare reference, or one naming it.
    Protocol,
    /// Another Markdown document of the repository: its path from the root, or its name in
    /// `docs/`.
    Document(String),
    /// A document outside the repository that the reader can look up (an RFC, Lua's manual).
    Outside,
    /// The shared contract, which is not in the repository.
    SharedProtocol,
}

/// One "§" reference: where, what it names, and what follows it on its line.
#[derive(Debug)]
struct Reference {
    line: usize,
    section: String,
    target: Target,
    after: String,
}

fn target(before: &str) -> Target {
    // A Markdown link names its target: `[text](docs/guide.md) §11`.
    let words: Vec<&str> = before
        .split_whitespace()
        .map(|word| word.rsplit_once("](").map_or(word, |(_, target)| target))
        .map(|word| word.trim_matches(|c: char| "`'\"()[]*_".contains(c)))
        .collect();
    let last = words.last().copied().unwrap_or("");
    let second_last = words.len().checked_sub(2).map_or("", |i| words[i]);
    if last == "PROTOCOL" || last.ends_with("PROTOCOL.md") {
        return Target::SharedProtocol;
    }
    if last == "manual" || (second_last == "RFC" && last.bytes().all(|b| b.is_ascii_digit())) {
        return Target::Outside;
    }
    if last.ends_with(".md") {
        let document = last.trim_start_matches("./");
        return if document == "docs/protocol.md" || document == "protocol.md" {
            Target::Protocol
        } else {
            Target::Document(document.to_owned())
        };
    }
    Target::Protocol
}

/// Every reference in `text`: a sign followed (after at most one space) by a section number.
fn references(text: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for (at, _) in line.match_indices(SIGN) {
            let rest = &line[at + SIGN.len_utf8()..];
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let mut end = 0;
            let bytes = rest.as_bytes();
            while end < bytes.len() {
                let digit = bytes[end].is_ascii_digit();
                let inner_dot = bytes[end] == b'.'
                    && end > 0
                    && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
                if !(digit || inner_dot) {
                    break;
                }
                end += 1;
            }
            if end == 0 {
                continue;
            }
            found.push(Reference {
                line: index + 1,
                section: rest[..end].to_owned(),
                target: target(&line[..at]),
                after: rest[end..].to_owned(),
            });
        }
    }
    found
}

/// What is wrong with one file's references, one line per problem. `headings_of` gives the
/// numbered headings of a repository document, `None` if there is no such document.
fn reference_problems(
    path: &str,
    text: &str,
    headings_of: &dyn Fn(&str) -> Option<BTreeSet<String>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for reference in references(text) {
        let at = format!("{path}:{}: {SIGN}{}", reference.line, reference.section);
        let document = match &reference.target {
            Target::Outside => continue,
            Target::SharedProtocol => {
                problems.push(format!(
                    "{at} cites the shared PROTOCOL, which is not in the repository: cite docs/protocol.md"
                ));
                continue;
            }
            Target::Protocol => "docs/protocol.md".to_owned(),
            Target::Document(path) => path.clone(),
        };
        match headings_of(&document) {
            None => problems.push(format!("{at} names {document}, which does not exist")),
            Some(found) if !found.contains(&reference.section) => problems.push(format!(
                "{at} has no heading {} in {document}",
                reference.section
            )),
            Some(_) => {}
        }
        let after = reference.after.trim_start().to_ascii_lowercase();
        if after.starts_with("item ") || after.starts_with("items ") {
            problems.push(format!(
                "{at} is followed by an item number of the old checklist: say what is checked instead"
            ));
        }
    }
    problems
}

/// Markers that number a test after the old conformance checklist instead of saying what it
/// checks: the word "checklist" followed by "item", "items" or a number (also when the words
/// run onto the next comment line), and section banners (`// --- … ---`) that start with bare
/// numbers or end with them in parentheses.
fn checklist_markers(path: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let lower = line.to_ascii_lowercase();
        for (at, word) in lower.match_indices("checklist") {
            let mut following = lower[at + word.len()..].to_owned();
            if following.trim().is_empty()
                && let Some(next) = lines.get(index + 1)
            {
                following = next.to_ascii_lowercase();
            }
            let following =
                following.trim_start_matches(|c: char| c.is_whitespace() || "/!*-#".contains(c));
            let numbered = following.starts_with("item")
                || following.bytes().next().is_some_and(|b| b.is_ascii_digit());
            if numbered {
                problems.push(format!(
                    "{path}:{}: a number of the old checklist marks this: say what is checked instead",
                    index + 1
                ));
            }
        }
        let banner = line.trim_start();
        let Some(banner) = banner
            .strip_prefix("//")
            .or_else(|| banner.strip_prefix("--"))
        else {
            continue;
        };
        let Some(inner) = banner.trim_start().strip_prefix("---") else {
            continue;
        };
        let inner = inner.trim().trim_matches('-').trim();
        let is_numbers = |text: &str| {
            text.bytes().any(|b| b.is_ascii_digit())
                && text
                    .split(|c: char| c.is_whitespace() || ",–-".contains(c))
                    .all(|word| {
                        word.is_empty() || word == "and" || word.bytes().all(|b| b.is_ascii_digit())
                    })
        };
        let leading = inner.split(':').next().unwrap_or("");
        let trailing = inner
            .rsplit_once('(')
            .and_then(|(_, tail)| tail.strip_suffix(')'))
            .unwrap_or("");
        if is_numbers(leading) || is_numbers(trailing) {
            problems.push(format!(
                "{path}:{}: a banner of numbers from the old checklist: say what the tests below check",
                index + 1
            ));
        }
    }
    problems
}

/// The numbered headings of a repository document, named by its path from the root or by
/// its name in `docs/`; `None` if there is no such document.
fn document_headings(root: &Path) -> impl Fn(&str) -> Option<BTreeSet<String>> + '_ {
    move |document: &str| {
        let mut places = vec![root.join(document)];
        if !document.contains('/') {
            places.push(root.join("docs").join(document));
        }
        places
            .iter()
            .find_map(|place| fs::read_to_string(place).ok())
            .map(|text| headings(&text))
    }
}

#[test]
fn every_section_reference_names_a_heading_of_docs_protocol_md() {
    let root = repository();
    let protocol = fs::read_to_string(root.join("docs/protocol.md"))
        .expect("docs/protocol.md is in the repository");
    let sections = headings(&protocol);
    // Sections 1 to 12 of the contract, with the subsections the code cites most.
    for section in [
        "1.1", "2", "3.1", "3.4", "4.5", "4.6", "5.7", "7.1", "8", "10.3", "11", "12",
    ] {
        assert!(
            sections.contains(section),
            "docs/protocol.md has no heading {section}; it has {sections:?}"
        );
    }
    let headings_of = document_headings(&root);
    let files = text_files(&root);
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, text) in &files {
        checked += references(text)
            .iter()
            .filter(|r| r.target == Target::Protocol)
            .count();
        problems.extend(reference_problems(path, text, &headings_of));
    }
    // A walk that found nothing would pass whatever the references say.
    assert!(
        checked > 200,
        "only {checked} references to docs/protocol.md in {} files: is the walk reading the repository?",
        files.len()
    );
    assert!(
        problems.is_empty(),
        "{} references do not resolve:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn no_comment_or_test_is_marked_with_a_checklist_number() {
    let root = repository();
    let problems: Vec<String> = text_files(&root)
        .iter()
        .flat_map(|(path, text)| checklist_markers(path, text))
        .collect();
    assert!(
        problems.is_empty(),
        "{} checklist markers:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The files `docs/protocol.md` sends a reader to exist: each repository path it names in
/// backquotes (site paths such as `lua/main.lua` and URL paths are not repository paths).
#[test]
fn every_repository_file_docs_protocol_md_names_exists() {
    const TOP: [&str; 10] = [
        "bench/",
        "client/",
        "core/",
        "demo/",
        "deploy/",
        "docs/",
        "e2e/",
        "scripts/",
        "transport-hyper/",
        "transport-test/",
    ];
    let root = repository();
    let protocol = fs::read_to_string(root.join("docs/protocol.md"))
        .expect("docs/protocol.md is in the repository");
    let named: BTreeSet<&str> = protocol
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| TOP.iter().any(|top| span.starts_with(top)))
        .filter(|span| !span.contains(char::is_whitespace))
        .collect();
    assert!(
        named.len() > 20,
        "only {} repository paths found in docs/protocol.md: {named:?}",
        named.len()
    );
    let missing: Vec<&&str> = named
        .iter()
        .filter(|path| !root.join(path).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "docs/protocol.md names files that do not exist: {missing:?}"
    );
}

/// The checks above catch what they are for, and let pass what they must: shown on texts
/// built here, so that this file holds none of them itself.
#[test]
fn the_scanner_reports_bad_references_and_checklist_markers() {
    let s = SIGN;
    let docs = |document: &str| match document {
        "docs/protocol.md" => Some(headings("# T\n## 4. Messages\n### 4.5 The update cycle\n")),
        // As in the repository, a bare document name is looked up in `docs/`.
        "docs/guide.md" | "guide.md" => Some(headings("## 11. Security headers\n")),
        _ => None,
    };
    let problems = |text: &str| reference_problems("x.rs", text, &docs);

    assert!(problems(&format!("// The update cycle ({s}4.5), see {s}4.")).is_empty());
    assert!(
        problems(&format!(
            "// docs/protocol.md {s}4.5 and `docs/guide.md` {s}11"
        ))
        .is_empty()
    );
    assert!(
        problems(&format!(
            "the [`docs/protocol.md`](docs/protocol.md) {s}4.5"
        ))
        .is_empty()
    );
    assert!(problems(&format!("the [guide](guide.md) {s}11")).is_empty());
    assert!(problems(&format!("// RFC 9110 {s}13.1.2; Lua 5.4 manual {s}6.4.1")).is_empty());

    assert_eq!(
        problems(&format!("// detection ({s}4.9)")),
        [format!(
            "x.rs:1: {s}4.9 has no heading 4.9 in docs/protocol.md"
        )]
    );
    assert_eq!(
        problems(&format!(
            "/// ok {s}4.5\n/// the guide's `docs/guide.md` {s}7"
        )),
        [format!("x.rs:2: {s}7 has no heading 7 in docs/guide.md")]
    );
    assert_eq!(
        problems(&format!("// (PROTOCOL {s}4.5)")),
        [format!(
            "x.rs:1: {s}4.5 cites the shared PROTOCOL, which is not in the repository: cite docs/protocol.md"
        )]
    );
    assert_eq!(
        problems(&format!("[the guide](docs/guide.md) {s}4.5")),
        [format!(
            "x.rs:1: {s}4.5 has no heading 4.5 in docs/guide.md"
        )]
    );
    assert_eq!(
        problems(&format!("// docs/limits.md {s}2")),
        [format!(
            "x.rs:1: {s}2 names docs/limits.md, which does not exist"
        )]
    );
    assert_eq!(
        problems(&format!("// {s}4 item 35: replies leave at once")),
        [format!(
            "x.rs:1: {s}4 is followed by an item number of the old checklist: say what is checked instead"
        )]
    );

    let list = ["check", "list"].concat();
    let markers = |text: &str| checklist_markers("t.rs", text);
    assert_eq!(
        markers(&format!("//! Frames ({list} items 19–26).")).len(),
        1
    );
    assert_eq!(
        markers(&format!("//! Frames ({list}\n//! items 19–26).")).len(),
        1
    );
    assert_eq!(markers(&format!("//! Reload ({list} 68, 75).")).len(), 1);
    assert_eq!(markers("// --- 36, 37 ------------\n").len(), 1);
    assert_eq!(markers("// --- 50–53 ---\n").len(), 1);
    assert_eq!(markers("// --- 61: require ---\n").len(), 1);
    assert_eq!(markers("// --- variables.json (80) ---\n").len(), 1);
    assert!(markers("// --- Mutation of live instances (after a reload) ---\n").is_empty());
    assert!(markers("// --- HEAD ---\n").is_empty());
    assert!(markers(&format!("//! The conformance {list} is gone.\n")).is_empty());
    assert!(markers("let items = [\"item 3\", \"item 4\"];\n").is_empty());
}
