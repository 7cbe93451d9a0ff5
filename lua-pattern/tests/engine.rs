//! The compiler and matcher through the crate's API, with a meter that counts.

use lunette_pattern::{Capture, Exhausted, Failure, Malformed, Matcher, Meter, Program, find_text};

/// Pays out of a fixed allowance.
struct Allowance {
    left: u64,
    paid: u64,
}

impl Allowance {
    fn new(left: u64) -> Self {
        Self { left, paid: 0 }
    }
}

impl Meter for &mut Allowance {
    fn pay(&mut self, units: u64) -> Result<(), Exhausted> {
        self.paid += units;
        self.left = self.left.checked_sub(units).ok_or(Exhausted)?;
        Ok(())
    }
}

fn compile(pattern: &str) -> Program {
    Program::compile(pattern.as_bytes(), usize::MAX).expect("no memory limit")
}

/// The first match of `pattern` in `subject` with its captures, as `string.find` searches.
fn search(
    subject: &str,
    pattern: &str,
    allowance: &mut Allowance,
) -> Result<Option<(usize, usize, Vec<Capture>)>, Failure> {
    let program = compile(pattern);
    let mut matcher = Matcher::new(subject.as_bytes(), &program, allowance);
    for start in 0..=subject.len() {
        if let Some(end) = matcher.match_at(start)? {
            let captures = (0..matcher.capture_count())
                .map(|i| matcher.capture(i).map_err(Failure::Pattern))
                .collect::<Result<_, _>>()?;
            matcher.settle()?;
            return Ok(Some((start, end, captures)));
        }
    }
    matcher.settle()?;
    Ok(None)
}

fn found(subject: &str, pattern: &str) -> Option<(usize, usize, Vec<Capture>)> {
    search(subject, pattern, &mut Allowance::new(u64::MAX)).expect("matching succeeds")
}

#[test]
fn captures_are_ranges_and_positions() {
    assert_eq!(
        found("key = value", "(%w+)%s*=%s*()(%w+)"),
        Some((
            0,
            11,
            vec![
                Capture::Text(0, 3),
                Capture::Position(6),
                Capture::Text(6, 11)
            ]
        ))
    );
    assert_eq!(
        found("say \"hi\" now", "([\"'])(.-)%1"),
        Some((4, 8, vec![Capture::Text(4, 5), Capture::Text(5, 7)]))
    );
    assert_eq!(found("f(a(b)c)d", "%b()"), Some((1, 8, vec![])));
    assert_eq!(
        found("THE (quick) fox", "%f[%a]%a+%f[%A]"),
        Some((0, 3, vec![]))
    );
    assert_eq!(found("aaa", "a-$"), Some((0, 3, vec![])));
    assert_eq!(found("abc", "x"), None);
}

#[test]
fn faults_are_raised_only_where_matching_reaches_them() {
    let never_reached = search("abc", "x[", &mut Allowance::new(u64::MAX));
    assert_eq!(never_reached, Ok(None));
    let reached = search("xbc", "x[", &mut Allowance::new(u64::MAX));
    assert_eq!(reached, Err(Failure::Pattern(Malformed::MissingBracket)));
    let unfinished = search("abc", "(b", &mut Allowance::new(u64::MAX));
    assert_eq!(
        unfinished,
        Err(Failure::Pattern(Malformed::UnfinishedCapture))
    );
}

#[test]
fn exponential_backtracking_runs_out_of_allowance() {
    let subject = "a".repeat(40);
    let pattern = format!("{}b", "a*".repeat(40));
    let mut allowance = Allowance::new(1_000_000);
    assert_eq!(
        search(&subject, &pattern, &mut allowance),
        Err(Failure::Exhausted)
    );
    assert!(allowance.paid > 1_000_000 && allowance.paid < 1_010_000);
}

#[test]
fn deep_nesting_is_too_complex_not_a_stack_overflow() {
    let subject = "a".repeat(5000);
    for pattern in [
        "a?".repeat(5000),
        "a-".repeat(300),
        "(a)".repeat(32) + &"a-".repeat(300),
    ] {
        assert_eq!(
            search(&subject, &pattern, &mut Allowance::new(u64::MAX)),
            Err(Failure::Pattern(Malformed::TooComplex)),
            "{}",
            &pattern[..20]
        );
    }
}

#[test]
fn matching_pays_for_its_work() {
    let mut allowance = Allowance::new(u64::MAX);
    let subject = "x".repeat(10_000);
    assert_eq!(search(&subject, "y", &mut allowance), Ok(None));
    assert!(allowance.paid >= 10_000, "paid {}", allowance.paid);
}

#[test]
fn plain_search_finds_text_and_pays() {
    let mut allowance = Allowance::new(u64::MAX);
    let mut meter = &mut allowance;
    assert_eq!(find_text(b"abcabc", b"ca", 0, &mut meter), Ok(Some(2)));
    assert_eq!(find_text(b"abcabc", b"abc", 1, &mut meter), Ok(Some(3)));
    assert_eq!(find_text(b"abc", b"", 3, &mut meter), Ok(Some(3)));
    assert_eq!(find_text(b"ab", b"abc", 0, &mut meter), Ok(None));
    let haystack = "a".repeat(100_000);
    let needle = format!("{}b", "a".repeat(1000));
    let mut small = Allowance::new(100_000);
    assert_eq!(
        find_text(haystack.as_bytes(), needle.as_bytes(), 0, &mut &mut small),
        Err(Exhausted)
    );
}

#[test]
fn huge_programs_are_refused_within_the_memory_limit() {
    let pattern = "[ab]".repeat(10_000);
    assert!(Program::compile(pattern.as_bytes(), 1024 * 1024).is_some());
    assert!(Program::compile(pattern.as_bytes(), 64 * 1024).is_none());
    assert!(Program::compile(&[b'x'; 100_000], 256 * 1024).is_some());
}
