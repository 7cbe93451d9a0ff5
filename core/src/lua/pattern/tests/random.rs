//! Random small patterns over a few bytes that exercise every pattern feature, well-formed or
//! not, on random short subjects: every call must give what Lua's C implementation gives.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use super::{Vms, literal};

/// Pattern pieces: bytes, classes, sets, captures, anchors, repetitions and their misuses.
const PIECES: &[&str] = &[
    "a", "b", "x", " ", ".", "%a", "%d", "%s", "%w", "%A", "%p", "%%", "%.", "[ab]", "[^a]",
    "[a-c]", "[%d ]", "[]a]", "(", ")", "()", "%1", "%2", "%b()", "%bab", "%f[a]", "%f[%s]",
    "%f[^b]", "^", "$", "*", "+", "-", "?", "%", "[", "]",
];

const SUBJECT_BYTES: &[u8] = b"aabx (1)-";

fn pattern() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..7).prop_map(|pieces| pieces.concat())
}

fn subject() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SUBJECT_BYTES), 0..10)
        .prop_map(|bytes| bytes.into_iter().map(char::from).collect())
}

#[test]
fn random_patterns_match_lua() {
    let vms = Vms::new(1_000_000_000);
    let mut runner = TestRunner::new(Config {
        cases: 1500,
        failure_persistence: None,
        ..Config::default()
    });
    let init = prop_oneof![Just(1i64), -4..6i64];
    runner
        .run(&(pattern(), subject(), init), |(pattern, subject, init)| {
            let (p, s) = (literal(&pattern), literal(&subject));
            for expression in [
                format!("({s}):find({p}, {init})"),
                format!("({s}):match({p}, {init})"),
                format!("all(({s}):gmatch({p}, {init}))"),
                format!("({s}):gsub({p}, \"<%0%1>\")"),
                format!("({s}):gsub({p}, {{a = \"A\"}}, 2)"),
            ] {
                vms.same(&expression).map_err(TestCaseError::fail)?;
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}
