//! The matcher: walks a compiled pattern over a subject, backtracking over repetitions, and
//! pays for every step to a `Meter` so that a pattern whose matching takes exponential time
//! runs out of budget instead of hanging the thread.

use crate::class::ByteSet;
use crate::compile::{CaptureKind, Item, MAX_CAPTURES, Malformed, Program, Repeat};
use crate::search::find_byte;

/// How deep matching may nest (each repetition that backtracks and each capture boundary adds
/// a level), as Lua's own limit: beyond it the pattern is "too complex". It also bounds the
/// Rust stack the matcher uses.
pub(crate) const MAX_DEPTH: usize = 200;

/// Units of work gathered before they are paid to the meter.
pub(crate) const CHUNK: u64 = 1024;

/// The meter refused to pay: the call's budget is spent.
#[derive(Debug, PartialEq, Eq)]
pub struct Exhausted;

/// Where matching work is paid for: one unit per pattern item tried, per subject byte looked at
/// by a repetition, a `%b` or a back-reference, and per byte of plain text compared. A
/// [`Matcher`] gathers units and pays them 1024 at a time (and the rest on
/// [`settle`](Matcher::settle)), so it may run at most that much past what a meter allows
/// before it learns that the meter refused.
pub trait Meter {
    /// Pays `units` of work, or refuses; once it has refused, matching stops.
    fn pay(&mut self, units: u64) -> Result<(), Exhausted>;
}

/// Why matching stopped without an answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// Matching reached a malformed spot of the pattern, or nested too deep.
    Pattern(Malformed),
    /// The meter refused to pay.
    Exhausted,
}

impl From<Exhausted> for Failure {
    fn from(_: Exhausted) -> Self {
        Failure::Exhausted
    }
}

/// A capture's value: a byte range of the subject, or a 0-based position for `()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// `(...)`: the subject's bytes from the first offset to the second (exclusive).
    Text(usize, usize),
    /// `()`: the offset where it stood.
    Position(usize),
}

/// One subject matched against one [`Program`]: it finds matches and keeps the captures of the
/// last one, and pays its work to `M`.
pub struct Matcher<'a, M: Meter> {
    subject: &'a [u8],
    program: &'a Program,
    /// Start and end of each capture on the path being tried.
    spans: [(usize, usize); MAX_CAPTURES],
    unpaid: u64,
    meter: M,
}

impl<'a, M: Meter> Matcher<'a, M> {
    /// A matcher of `program` over `subject` that pays `meter`.
    pub fn new(subject: &'a [u8], program: &'a Program, meter: M) -> Self {
        Self {
            subject,
            program,
            spans: [(0, 0); MAX_CAPTURES],
            unpaid: 0,
            meter,
        }
    }

    /// The end of the match that starts exactly at `start` (`<= subject.len()`), if there is
    /// one.
    pub fn match_at(&mut self, start: usize) -> Result<Option<usize>, Failure> {
        self.run(start, 0, 1)
    }

    /// The first match that starts at `from` or later (only at `from` if `anchored`) and does
    /// not end at `not_ending_at`: its start and end. `gmatch` and `gsub` pass where the
    /// previous match ended, so that an empty match there is skipped as Lua skips it.
    pub fn search(
        &mut self,
        mut from: usize,
        anchored: bool,
        not_ending_at: Option<usize>,
    ) -> Result<Option<(usize, usize)>, Failure> {
        while from <= self.subject.len() {
            if !anchored {
                match self.next_start(from)? {
                    Some(start) => from = start,
                    None => break,
                }
            }
            if let Some(end) = self.match_at(from)?
                && Some(end) != not_ending_at
            {
                return Ok(Some((from, end)));
            }
            if anchored {
                break;
            }
            from += 1;
        }
        Ok(None)
    }

    /// The first position from `from` (`<= subject.len()`) on where a match can start, or
    /// `None` if none can: a pattern that starts with plain text can only match where its
    /// first byte is.
    pub fn next_start(&mut self, from: usize) -> Result<Option<usize>, Exhausted> {
        let Some(Item::Text { start, .. }) = self.program.items.first() else {
            return Ok(Some(from));
        };
        let rest = &self.subject[from..];
        let skip = find_byte(rest, self.program.text[*start]);
        self.charge(skip.unwrap_or(rest.len()) as u64 / 16)?;
        Ok(skip.map(|skip| from + skip))
    }

    /// How many captures the pattern has (`(...)` and `()` alike).
    pub fn capture_count(&self) -> usize {
        self.program.captures.len()
    }

    /// Capture `index` (`< capture_count()`) of the last successful match, or
    /// [`Malformed::UnfinishedCapture`] if the pattern left it open.
    pub fn capture(&self, index: usize) -> Result<Capture, Malformed> {
        let (start, end) = self.spans[index];
        match self.program.captures[index] {
            CaptureKind::Position => Ok(Capture::Position(start)),
            CaptureKind::Closed => Ok(Capture::Text(start, end)),
            CaptureKind::Unfinished => Err(Malformed::UnfinishedCapture),
        }
    }

    /// Adds `units` of work done on the matcher's behalf (such as copying a replacement).
    pub fn charge(&mut self, units: u64) -> Result<(), Exhausted> {
        self.unpaid += units;
        if self.unpaid >= CHUNK {
            self.settle()?;
        }
        Ok(())
    }

    /// Pays what is still owed; call when matching is over.
    pub fn settle(&mut self) -> Result<(), Exhausted> {
        let units = std::mem::take(&mut self.unpaid);
        if units > 0 {
            self.meter.pay(units)?;
        }
        Ok(())
    }

    fn accepts(&self, set: &ByteSet, at: usize) -> bool {
        self.subject.get(at).is_some_and(|&byte| set.contains(byte))
    }

    /// Matches the items from `pc` on at `at`, `depth` levels deep.
    fn run(
        &mut self,
        mut at: usize,
        mut pc: usize,
        mut depth: usize,
    ) -> Result<Option<usize>, Failure> {
        nest(depth)?;
        let program = self.program;
        loop {
            self.charge(1)?;
            let Some(item) = program.items.get(pc) else {
                return Ok(Some(at));
            };
            pc += 1;
            match *item {
                Item::Text { start, end } => {
                    let text = &program.text[start..end];
                    self.charge(text.len() as u64)?;
                    if !self.subject[at..].starts_with(text) {
                        return Ok(None);
                    }
                    at += text.len();
                }
                Item::Class { set, repeat } => match repeat {
                    Repeat::Once => {
                        if !self.accepts(&set, at) {
                            return Ok(None);
                        }
                        at += 1;
                    }
                    Repeat::Optional => {
                        if self.accepts(&set, at)
                            && let Some(end) = self.run(at + 1, pc, depth + 1)?
                        {
                            return Ok(Some(end));
                        }
                    }
                    Repeat::Greedy => {
                        let count = self.span(&set, at)?;
                        if count > 0 {
                            return self.longest(at, count, pc, depth + 1);
                        }
                    }
                    Repeat::AtLeastOnce => {
                        if !self.accepts(&set, at) {
                            return Ok(None);
                        }
                        let count = self.span(&set, at + 1)?;
                        return self.longest(at + 1, count, pc, depth + 1);
                    }
                    Repeat::Lazy => {
                        if self.accepts(&set, at) {
                            return self.shortest(&set, at, pc, depth + 1);
                        }
                    }
                },
                Item::Open(index) | Item::Position(index) => {
                    self.spans[index].0 = at;
                    depth += 1;
                    nest(depth)?;
                }
                Item::Close(index) => {
                    self.spans[index].1 = at;
                    depth += 1;
                    nest(depth)?;
                }
                Item::Balance(open, close) => match self.balance(at, open, close)? {
                    Some(end) => at = end,
                    None => return Ok(None),
                },
                Item::Frontier(set) => {
                    let before = at.checked_sub(1).map_or(0, |i| self.subject[i]);
                    let here = self.subject.get(at).copied().unwrap_or(0);
                    if set.contains(before) || !set.contains(here) {
                        return Ok(None);
                    }
                }
                Item::BackRef(index) => match self.capture(index) {
                    Ok(Capture::Text(start, end)) => {
                        let len = end - start;
                        self.charge(len as u64)?;
                        let rest = &self.subject[at..];
                        if rest.len() < len || rest[..len] != self.subject[start..end] {
                            return Ok(None);
                        }
                        at += len;
                    }
                    // A position has no text to repeat: it never matches.
                    _ => return Ok(None),
                },
                Item::End => return Ok((at == self.subject.len()).then_some(at)),
                Item::Fail(fault) => return Err(Failure::Pattern(fault)),
            }
        }
    }

    /// How many bytes from `at` on are in `set`.
    fn span(&mut self, set: &ByteSet, at: usize) -> Result<usize, Exhausted> {
        let rest = self.subject.get(at..).unwrap_or_default();
        let count = rest
            .iter()
            .position(|&byte| !set.contains(byte))
            .unwrap_or(rest.len());
        self.charge(count as u64 + 1)?;
        Ok(count)
    }

    /// Tries the rest of the pattern after `at + count`, `at + count - 1`, …, `at`.
    fn longest(
        &mut self,
        at: usize,
        count: usize,
        pc: usize,
        depth: usize,
    ) -> Result<Option<usize>, Failure> {
        if pc == self.program.items.len() {
            // Nothing follows: the longest run is the match.
            nest(depth)?;
            return Ok(Some(at + count));
        }
        for end in (at..=at + count).rev() {
            if let Some(found) = self.run(end, pc, depth)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Tries the rest of the pattern after `at`, then after one more byte of `set`, and so on.
    fn shortest(
        &mut self,
        set: &ByteSet,
        mut at: usize,
        pc: usize,
        depth: usize,
    ) -> Result<Option<usize>, Failure> {
        loop {
            if let Some(found) = self.run(at, pc, depth)? {
                return Ok(Some(found));
            }
            if !self.accepts(set, at) {
                return Ok(None);
            }
            at += 1;
        }
    }

    /// `%bxy` at `at`: an `open` byte, then bytes up to the `close` that balances it.
    fn balance(&mut self, at: usize, open: u8, close: u8) -> Result<Option<usize>, Exhausted> {
        if self.subject.get(at) != Some(&open) {
            return Ok(None);
        }
        let rest = &self.subject[at + 1..];
        let mut level = 1usize;
        for (offset, &byte) in rest.iter().enumerate() {
            if byte == close {
                level -= 1;
                if level == 0 {
                    self.charge(offset as u64 + 1)?;
                    return Ok(Some(at + offset + 2));
                }
            } else if byte == open {
                level += 1;
            }
        }
        self.charge(rest.len() as u64 + 1)?;
        Ok(None)
    }
}

/// Whether matching may go on `depth` levels deep; beyond that the pattern is too complex.
fn nest(depth: usize) -> Result<(), Failure> {
    if depth > MAX_DEPTH {
        return Err(Failure::Pattern(Malformed::TooComplex));
    }
    Ok(())
}
