//! The engine against C Lua. The same subject, pattern and start go through this crate, driven
//! as `string.find` drives Lua's matcher, and through a plain Lua 5.4 VM's own `string.find`;
//! the positions, the captures and the error of a malformed pattern must be the same.
//!
//! The cases are hand-picked (every feature, every fault, the nesting and capture limits) and
//! random, built from the pieces patterns give meaning to and from raw bytes. core's
//! `lua/pattern/tests/` compares the functions scripts call (`find`, `match`, `gmatch`, `gsub`,
//! their arguments and the budget) the same way, through a session's sandboxed VM.

use std::fmt;

use lunette_pattern::{Capture, Exhausted, Failure, Matcher, Meter, Program, find_text};
use mlua::{Function, Lua, MultiValue, Value};
use proptest::prelude::*;

/// What `string.find(subject, pattern, init)` gives.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// `nil`.
    Nothing,
    /// 1-based start and end of the match, then its captures.
    Match(i64, i64, Vec<Captured>),
    /// The error, without its location.
    Error(String),
}

#[derive(PartialEq, Eq)]
enum Captured {
    Text(Vec<u8>),
    /// 1-based, as Lua gives `()`.
    Position(i64),
}

impl fmt::Debug for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Captured::Text(text) => write!(f, "\"{}\"", text.escape_ascii()),
            Captured::Position(at) => write!(f, "position {at}"),
        }
    }
}

/// Bytes that make `string.find` match a pattern rather than search for plain text (Lua's
/// `SPECIALS`).
const SPECIALS: &[u8] = b"^$*+?.([%-";

/// A meter that pays out of an allowance far beyond what any case here needs, so that a
/// runaway match fails the test instead of hanging it.
struct Allowance(u64);

impl Meter for Allowance {
    fn pay(&mut self, units: u64) -> Result<(), Exhausted> {
        self.0 = self.0.checked_sub(units).ok_or(Exhausted)?;
        Ok(())
    }
}

const ALLOWANCE: u64 = 100_000_000;

fn one_based(offset: usize) -> i64 {
    i64::try_from(offset).expect("a small offset") + 1
}

/// The engine's answer, with `from` (0-based, `<= subject.len()`) where the search starts: the
/// `^` anchor stripped and handed to `Matcher::search`, as core's `string.find` does.
fn by_matcher(subject: &[u8], pattern: &[u8], from: usize) -> Found {
    let (anchored, body) = match pattern.split_first() {
        Some((b'^', rest)) => (true, rest),
        _ => (false, pattern),
    };
    let program = Program::compile(body, usize::MAX).expect("no memory limit");
    let mut matcher = Matcher::new(subject, &program, Allowance(ALLOWANCE));
    let (start, end) = match matcher.search(from, anchored, None) {
        Ok(Some(span)) => span,
        Ok(None) => return Found::Nothing,
        Err(Failure::Pattern(fault)) => return Found::Error(fault.to_string()),
        Err(Failure::Exhausted) => panic!(
            "\"{}\" on \"{}\" ran out of allowance",
            pattern.escape_ascii(),
            subject.escape_ascii()
        ),
    };
    let mut captures = Vec::new();
    for index in 0..matcher.capture_count() {
        captures.push(match matcher.capture(index) {
            Ok(Capture::Text(start, end)) => Captured::Text(subject[start..end].to_vec()),
            Ok(Capture::Position(at)) => Captured::Position(one_based(at)),
            Err(fault) => return Found::Error(fault.to_string()),
        });
    }
    matcher.settle().expect("within the allowance");
    Found::Match(
        one_based(start),
        i64::try_from(end).expect("small"),
        captures,
    )
}

/// The engine's plain-text search, which `string.find` uses for a pattern without specials.
fn by_find_text(subject: &[u8], text: &[u8], from: usize) -> Found {
    let mut allowance = Allowance(ALLOWANCE);
    match find_text(subject, text, from, &mut allowance).expect("within the allowance") {
        Some(at) => Found::Match(
            one_based(at),
            i64::try_from(at + text.len()).expect("small"),
            Vec::new(),
        ),
        None => Found::Nothing,
    }
}

/// A plain Lua 5.4 VM with the C string library.
struct CLua {
    lua: Lua,
    /// `string.find` under `pcall`: an error comes back as Lua's message alone (called from
    /// `pcall`, a C function, it has no location), without the traceback mlua would add.
    find: Function,
}

impl CLua {
    fn new() -> Self {
        let lua = Lua::new();
        let find = lua
            .load("local find = string.find\nreturn function(...) return pcall(find, ...) end")
            .eval()
            .expect("the wrapper compiles");
        Self { lua, find }
    }

    fn find(&self, subject: &[u8], pattern: &[u8], init: i64) -> Found {
        let subject = self.lua.create_string(subject).expect("a Lua string");
        let pattern = self.lua.create_string(pattern).expect("a Lua string");
        let values = self
            .find
            .call::<MultiValue>((subject, pattern, init))
            .expect("pcall returns");
        let mut values = values.into_iter();
        match values.next() {
            Some(Value::Boolean(true)) => {}
            Some(Value::Boolean(false)) => match values.next() {
                Some(Value::String(message)) => return Found::Error(message.to_string_lossy()),
                other => panic!("string.find raised {other:?}"),
            },
            other => panic!("pcall gave {other:?}"),
        }
        let start = match values.next() {
            Some(Value::Nil) => return Found::Nothing,
            Some(Value::Integer(start)) => start,
            other => panic!("string.find gave {other:?}"),
        };
        let Some(Value::Integer(end)) = values.next() else {
            panic!("string.find gave a start but no end");
        };
        let captures = values
            .map(|value| match value {
                Value::String(text) => Captured::Text(text.as_bytes().to_vec()),
                Value::Integer(at) => Captured::Position(at),
                other => panic!("string.find gave a capture {other:?}"),
            })
            .collect();
        Found::Match(start, end, captures)
    }

    /// Runs the case through C Lua and through the engine as `string.find` uses it (plain
    /// search for a pattern without specials, else the matcher); describes any disagreement.
    fn compare(&self, subject: &[u8], pattern: &[u8], init: i64) -> Result<(), String> {
        let from = usize::try_from(init - 1).expect("init is 1 or more");
        assert!(from <= subject.len(), "init past the end of the subject");
        let theirs = self.find(subject, pattern, init);
        // `)` and `]` are not specials: `("(a)"):find("a)")` is a plain search that finds the
        // text, where the matcher would raise a fault for the unopened capture.
        let (how, ours) = if pattern.iter().any(|byte| SPECIALS.contains(byte)) {
            ("matcher", by_matcher(subject, pattern, from))
        } else {
            ("find_text", by_find_text(subject, pattern, from))
        };
        if ours == theirs {
            return Ok(());
        }
        Err(format!(
            "string.find(\"{}\", \"{}\", {init})\n  {how}: {ours:?}\n  Lua's: {theirs:?}",
            subject.escape_ascii(),
            pattern.escape_ascii(),
        ))
    }
}

thread_local! {
    static C_LUA: CLua = CLua::new();
}

/// Every feature of the pattern language, each misuse of it, and plain text.
const PATTERNS: &[&[u8]] = &[
    // Plain bytes, anchors and single classes with each repetition.
    b"",
    b"a",
    b"ab",
    b"lo w",
    b"a*",
    b"a+",
    b"a-",
    b"a?",
    b".",
    b".*",
    b".-",
    b".+",
    b"^a",
    b"^",
    b"$",
    b"a$",
    b"^a$",
    b"^$",
    b"a$b",
    b"$a",
    b"^^",
    b"a^",
    b"x*$",
    b"a-b",
    b"a.-b",
    b"a.*b",
    b"**",
    b"+?",
    b"a**",
    b"a-?",
    b"^*",
    b"a?a?a",
    // Classes, their complements and escaped bytes.
    b"%a+",
    b"%d+",
    b"%s*",
    b"%w+",
    b"%x+",
    b"%p",
    b"%c",
    b"%g+",
    b"%l+",
    b"%u+",
    b"%A+",
    b"%D",
    b"%S+",
    b"%W",
    b"%P+",
    b"%C",
    b"%L+",
    b"%U",
    b"%X+",
    b"%z",
    b"%Z+",
    b"%.",
    b"%%",
    b"%(",
    b"%]",
    b"%-",
    b"%q",
    b"%d+%.?%d*",
    // Sets.
    b"[abc]+",
    b"[^abc]+",
    b"[a-c]+",
    b"[%a_][%w_]*",
    b"[]]",
    b"[^]]+",
    b"[]-a]+",
    b"[a-]",
    b"[-a]",
    b"[^-]",
    b"[%]]",
    b"[a%-z]+",
    b"[%a-z]",
    b"[a-%d]+",
    b"[z-a]",
    b"[^%s]+",
    b"[%w%p]+",
    b"[%d%.]+",
    b"[.]",
    b"[(]",
    b"[\0-\x1f]",
    b"[\x80-\xff]+",
    // Captures and back-references.
    b"(a)",
    b"(a*)",
    b"()",
    b"()a()",
    b"(a)(b)",
    b"((a)(b))",
    b"(a)%1",
    b"(%a+) %1",
    b"(.)%1",
    b"(.)(.)%2%1",
    b"(h)(e)(l)(l)(o)",
    b"(.-)%s*$",
    b"^%s*(.-)%s*$",
    b"^(%w+)=(%w+)$",
    b"(a+)-",
    b"()(a)%2",
    b"()%1",
    b"(()a)",
    b"(a()b)",
    // Balances and frontiers.
    b"%b()",
    b"%b[]",
    b"%bxy",
    b"%b((",
    b"%b))",
    b"%b()%b()",
    b"%f[%a]%a+",
    b"%f[%A]",
    b"%f[%w]%w+%f[%W]",
    b"%f[a]",
    b"%f[%z]",
    b"%f[^a]",
    b"%f[^\0]",
    b"%f[]]",
    // Faults, raised only where matching reaches them.
    b"%",
    b"[",
    b"[a",
    b"[^",
    b"[]",
    b"[^]",
    b"[%]",
    b"[a-",
    b"(",
    b")",
    b"(()",
    b"(a)(",
    b"a(b)c)",
    b"%1",
    b"(a)%2",
    b"%0",
    b"%9",
    b"%b",
    b"%ba",
    b"%b(",
    b"%f",
    b"%fa",
    b"%f[",
    b"%f[a",
    b"(a",
    b"a)",
    b"[%",
    b"a[",
    b"x[",
    b"a%",
    b"(a%1)",
    b"((a)%2)",
];

const SUBJECTS: &[&[u8]] = &[
    b"",
    b"a",
    b"aaa",
    b"abc",
    b"abab",
    b"hello world",
    b"  trim me  ",
    b"key=value",
    b"f(a(b)c)d",
    b"((a)",
    b"[x]y]",
    b"THE (quick) fox",
    b"x = 1.5e3; y = -2",
    b"aXb\0c",
    b"\xff\x80abc",
    b"\t\n\x0b\x0c\r -",
    b"a,b,,c",
    b"aa^a$",
];

#[test]
fn every_pattern_on_every_subject_from_every_start_matches_lua() {
    C_LUA.with(|lua| {
        let mut differences = Vec::new();
        for pattern in PATTERNS {
            for subject in SUBJECTS {
                for init in 1..=one_based(subject.len()) {
                    if let Err(difference) = lua.compare(subject, pattern, init) {
                        differences.push(difference);
                    }
                }
            }
        }
        assert!(
            differences.is_empty(),
            "{} differences:\n{}",
            differences.len(),
            differences.join("\n")
        );
    });
}

/// `count` copies of `piece`.
fn times(piece: &str, count: usize) -> Vec<u8> {
    piece.repeat(count).into_bytes()
}

#[test]
fn nesting_capture_and_length_limits_match_lua() {
    let x = |count| times("x", count);
    let nested = |opening: usize, middle: Vec<u8>| {
        [times("(", opening), middle, times(")", opening)].concat()
    };
    let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
        // Each `?` that matches and each capture boundary nests one level; Lua allows 200.
        (x(150), times("x?", 150)),
        (x(210), times("x?", 210)),
        (Vec::new(), times("x?", 210)),
        (Vec::new(), times("x*", 250)),
        (x(250), times("x*", 250)),
        (x(250), times("x-", 199)),
        (x(250), times("x-", 200)),
        (x(200), nested(32, x(140))),
        (x(200), nested(32, times("x?", 136))),
        (x(200), nested(32, times("x?", 137))),
        // At most 32 captures.
        (x(100), times("(x)", 32)),
        (x(100), times("(x)", 33)),
        (x(100), times("()", 33)),
        // Long subjects and texts.
        (
            [times("(", 300), times(")", 300)].concat(),
            b"%b()".to_vec(),
        ),
        (
            [times("a", 2000), b"b".to_vec()].concat(),
            [times("a", 1000), b"b".to_vec()].concat(),
        ),
        ([times("ab", 1000), x(1)].concat(), b"(ab)%1x".to_vec()),
        (
            [times(" ", 500), b"w".to_vec()].concat(),
            b"%f[%w]%w".to_vec(),
        ),
    ];
    C_LUA.with(|lua| {
        let differences: Vec<String> = cases
            .iter()
            .filter_map(|(subject, pattern)| lua.compare(subject, pattern, 1).err())
            .collect();
        assert!(
            differences.is_empty(),
            "{} differences:\n{}",
            differences.len(),
            differences.join("\n")
        );
    });
}

/// Single classes, each of which may take a repetition, with a byte each matches: bytes, `.`,
/// escapes and sets.
const CLASSES: &[(&[u8], u8)] = &[
    (b"a", b'a'),
    (b"b", b'b'),
    (b" ", b' '),
    (b"x", b'x'),
    (b".", b'a'),
    (b".", b'('),
    (b"%a", b'b'),
    (b"%d", b'9'),
    (b"%s", b' '),
    (b"%w", b'a'),
    (b"%l", b'b'),
    (b"%u", b'A'),
    (b"%p", b'-'),
    (b"%x", b'a'),
    (b"%c", b'\0'),
    (b"%z", b'\0'),
    (b"%A", b' '),
    (b"%S", b'a'),
    (b"%D", b'b'),
    (b"%W", b')'),
    (b"%%", b'%'),
    (b"%.", b'.'),
    (b"%(", b'('),
    (b"%)", b')'),
    (b"[ab]", b'b'),
    (b"[^a]", b'b'),
    (b"[a-c]", b'c'),
    (b"[%d ]", b'9'),
    (b"[]a]", b']'),
    (b"[a-]", b'-'),
    (b"[^%s(]", b'a'),
    (b"[%a%d]", b'A'),
    (b"[\x80-\xff]", b'\xff'),
];

/// Items that take no repetition (balances, frontiers, back-references, position captures),
/// with text they may match.
const OTHERS: &[(&str, &str)] = &[
    ("%b()", "(a)"),
    ("%b()", "(()b)"),
    ("%bab", "aab"),
    ("%bxx", "xx"),
    ("%f[a]", ""),
    ("%f[%s]", ""),
    ("%f[^b]", ""),
    ("%f[%w]", ""),
    ("%1", ""),
    ("%2", ""),
    ("()", ""),
];

/// Misuses, each raised only where matching reaches it: unclosed sets and captures, stray
/// closes, bad back-references, `%b` and `%f` without their arguments, a final `%`.
const FAULTS: &[&str] = &[
    "%", "[", "[a", "[^", "(", ")", "%0", "%1", "%3", "%9", "%b", "%ba", "%f", "%fa", "%f[a",
];

/// A pattern piece and a text it may match (a hint for building subjects, not a promise: a
/// frontier, a back-reference or what comes next can still make the match fail).
type Piece = (Vec<u8>, Vec<u8>);

/// A class with its repetition, or another item, or a capture of one or two of those
/// (nested up to two deep).
fn piece() -> impl Strategy<Value = Piece> {
    let repeats = prop::sample::select(&["", "", "", "*", "+", "-", "?"][..]);
    let class = (prop::sample::select(CLASSES), repeats, 0..4usize).prop_map(
        |((class, byte), repeat, count)| {
            let count = match repeat {
                "" => 1,
                "+" => count.max(1),
                "?" => count.min(1),
                _ => count,
            };
            ([class, repeat.as_bytes()].concat(), vec![byte; count])
        },
    );
    let other = prop::sample::select(OTHERS)
        .prop_map(|(item, text)| (item.as_bytes().to_vec(), text.as_bytes().to_vec()));
    prop_oneof![4 => class, 1 => other].prop_recursive(2, 6, 2, |inner| {
        prop::collection::vec(inner, 1..3).prop_map(|pieces| {
            let (items, texts): (Vec<Vec<u8>>, Vec<Vec<u8>>) = pieces.into_iter().unzip();
            ([&b"("[..], &items.concat(), b")"].concat(), texts.concat())
        })
    })
}

/// Subject bytes the classes give meaning to, with `a` and `b` the most, and a zero byte and
/// a high one.
const SUBJECT_BYTES: &[u8] = b"aaabb  x()-A9\0\xff";

/// A pattern of pieces, perhaps anchored at either end and sometimes with one misuse spliced
/// in between two pieces; and a subject that is random bytes around, most of the time, a
/// text the pieces may match.
fn pattern_and_subject() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    let fault = prop::option::weighted(0.3, prop::sample::select(FAULTS));
    let anchors = (prop::bool::weighted(0.2), prop::bool::weighted(0.2));
    let around = (bytes_of(SUBJECT_BYTES, 6), bytes_of(SUBJECT_BYTES, 6));
    let pieces = prop::collection::vec(piece(), 1..5);
    let with_text = prop::bool::weighted(0.8);
    let at = any::<prop::sample::Index>();
    (pieces, fault, at, anchors, around, with_text).prop_map(
        |(pieces, fault, at, (start, end), (before, after), with_text)| {
            let (mut items, texts): (Vec<Vec<u8>>, Vec<Vec<u8>>) = pieces.into_iter().unzip();
            if let Some(fault) = fault {
                items.insert(at.index(items.len() + 1), fault.as_bytes().to_vec());
            }
            let (start, end) = (if start { "^" } else { "" }, if end { "$" } else { "" });
            let pattern = [start.as_bytes(), &items.concat(), end.as_bytes()].concat();
            let text = if with_text {
                texts.concat()
            } else {
                Vec::new()
            };
            (pattern, [before, text, after].concat())
        },
    )
}

/// Pattern bytes: every special byte, class letters, and bytes that close sets or balances.
const PATTERN_BYTES: &[u8] = b"ab(1)%^$*+?.-[]bfadsAz0 \0\xff";

fn bytes_of(alphabet: &'static [u8], most: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(alphabet), 0..most)
}

/// A start within the subject or just past it: 1 to `len + 1`, 1 half the time.
fn init(subject: &[u8], start: Option<prop::sample::Index>) -> i64 {
    start.map_or(1, |index| one_based(index.index(subject.len() + 1)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn patterns_built_from_pieces_match_lua(
        (pattern, subject) in pattern_and_subject(),
        start in any::<Option<prop::sample::Index>>(),
    ) {
        let init = init(&subject, start);
        C_LUA.with(|lua| lua.compare(&subject, &pattern, init)).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn patterns_of_raw_bytes_match_lua(
        pattern in bytes_of(PATTERN_BYTES, 10),
        subject in bytes_of(SUBJECT_BYTES, 12),
        start in any::<Option<prop::sample::Index>>(),
    ) {
        let init = init(&subject, start);
        C_LUA.with(|lua| lua.compare(&subject, &pattern, init)).map_err(TestCaseError::fail)?;
    }
}
