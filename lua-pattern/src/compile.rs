//! Reading a Lua pattern (Lua 5.4 manual §6.4.1) into a list of items the matcher walks.
//!
//! Lua reports a malformed pattern only when matching reaches the bad spot (`("abc"):find("x[")`
//! is `nil`, not an error), so a fault does not fail compilation: it becomes a `Fail` item that
//! raises when reached, and reading stops there. Which captures are open or closed at a given
//! item does not depend on the subject (a pattern has no alternation), so capture faults are
//! found here too and placed the same way.

use std::fmt;

use crate::class::{self, ByteSet, Single};

/// At most this many captures per pattern, as in Lua.
pub(crate) const MAX_CAPTURES: usize = 32;

/// How often a class may repeat.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Repeat {
    Once,
    /// `*`: as many as possible, then fewer.
    Greedy,
    /// `+`: one, then as many as possible.
    AtLeastOnce,
    /// `-`: as few as possible, then more.
    Lazy,
    /// `?`: one if it leads to a match, else none.
    Optional,
}

#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// A run of plain bytes: `program.text[start..end]`.
    Text {
        start: usize,
        end: usize,
    },
    Class {
        set: ByteSet,
        repeat: Repeat,
    },
    Open(usize),
    /// `()`: captures the current position.
    Position(usize),
    Close(usize),
    /// `%bxy`.
    Balance(u8, u8),
    /// `%f[set]`.
    Frontier(ByteSet),
    /// `%1`–`%9`, already checked to name a closed capture.
    BackRef(usize),
    /// A final `$`.
    End,
    Fail(Malformed),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CaptureKind {
    Position,
    Closed,
    Unfinished,
}

/// Pattern errors; `Display` gives the message Lua 5.4 gives each (without its location).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Malformed {
    /// A `%` is the pattern's last byte.
    EndsWithEscape,
    /// A `[` set is never closed.
    MissingBracket,
    /// `%b` without its two bytes.
    BalanceArguments,
    /// `%f` not followed by a `[` set.
    FrontierBracket,
    /// `%d` names no closed capture; holds the digit.
    CaptureIndex(u8),
    /// `)` with no open capture.
    PatternCapture,
    /// More than 32 captures.
    TooManyCaptures,
    /// A successful match left this capture open (raised when its value is asked for).
    UnfinishedCapture,
    /// The match nested deeper than the matcher allows.
    TooComplex,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::EndsWithEscape => f.write_str("malformed pattern (ends with '%')"),
            Malformed::MissingBracket => f.write_str("malformed pattern (missing ']')"),
            Malformed::BalanceArguments => {
                f.write_str("malformed pattern (missing arguments to '%b')")
            }
            Malformed::FrontierBracket => f.write_str("missing '[' after '%f' in pattern"),
            Malformed::CaptureIndex(digit) => {
                write!(f, "invalid capture index %{}", char::from(*digit))
            }
            Malformed::PatternCapture => f.write_str("invalid pattern capture"),
            Malformed::TooManyCaptures => f.write_str("too many captures"),
            Malformed::UnfinishedCapture => f.write_str("unfinished capture"),
            Malformed::TooComplex => f.write_str("pattern too complex"),
        }
    }
}

/// A compiled pattern: what the [`Matcher`](crate::Matcher) walks. It holds no subject, so one
/// program serves any number of matches.
#[derive(Debug)]
pub struct Program {
    pub(crate) items: Vec<Item>,
    pub(crate) text: Vec<u8>,
    /// One per `(` in the pattern, as it stands at the end of the pattern.
    pub(crate) captures: Vec<CaptureKind>,
}

/// Why reading a pattern stopped early.
enum Stop {
    Fault(Malformed),
    TooBig,
}

impl From<Malformed> for Stop {
    fn from(fault: Malformed) -> Self {
        Stop::Fault(fault)
    }
}

/// The byte after a class that says how often it repeats.
fn repeat_at(pattern: &[u8], at: usize) -> Repeat {
    match pattern.get(at) {
        Some(b'*') => Repeat::Greedy,
        Some(b'+') => Repeat::AtLeastOnce,
        Some(b'-') => Repeat::Lazy,
        Some(b'?') => Repeat::Optional,
        _ => Repeat::Once,
    }
}

impl Program {
    /// Reads `pattern` (without the `^` anchor, which the caller strips), or `None` if the
    /// program would take more than `max_bytes` of memory.
    ///
    /// A malformed pattern still compiles: Lua raises the fault only if matching reaches it,
    /// and so does the matcher ([`Failure::Pattern`](crate::Failure::Pattern)). Reading is
    /// linear in the pattern's length, and so is the program's size (a few dozen bytes per
    /// pattern byte at most): `max_bytes` matters only for long patterns.
    pub fn compile(pattern: &[u8], max_bytes: usize) -> Option<Program> {
        let mut program = Program {
            items: Vec::with_capacity(pattern.len().min(8)),
            text: Vec::new(),
            captures: Vec::new(),
        };
        // Each item reads at least one pattern byte: only long patterns need watching.
        let watch = pattern.len().saturating_mul(size_of::<Item>()) > max_bytes;
        match program.read(pattern, watch.then_some(max_bytes)) {
            Ok(()) => {}
            Err(Stop::Fault(fault)) => program.items.push(Item::Fail(fault)),
            Err(Stop::TooBig) => return None,
        }
        Some(program)
    }

    /// The memory the program holds outside itself, in bytes.
    pub fn heap_size(&self) -> usize {
        self.items.capacity() * size_of::<Item>()
            + self.text.capacity()
            + self.captures.capacity() * size_of::<CaptureKind>()
    }

    fn read(&mut self, pattern: &[u8], max_bytes: Option<usize>) -> Result<(), Stop> {
        let mut open = Vec::new();
        let mut at = 0;
        while at < pattern.len() {
            if max_bytes.is_some_and(|max| self.heap_size() > max) {
                return Err(Stop::TooBig);
            }
            at = match (pattern[at], pattern.get(at + 1)) {
                (b'(', next) => {
                    let index = self.captures.len();
                    if index == MAX_CAPTURES {
                        return Err(Malformed::TooManyCaptures.into());
                    }
                    if next == Some(&b')') {
                        self.captures.push(CaptureKind::Position);
                        self.items.push(Item::Position(index));
                        at + 2
                    } else {
                        self.captures.push(CaptureKind::Unfinished);
                        open.push(index);
                        self.items.push(Item::Open(index));
                        at + 1
                    }
                }
                (b')', _) => {
                    let index = open.pop().ok_or(Malformed::PatternCapture)?;
                    self.captures[index] = CaptureKind::Closed;
                    self.items.push(Item::Close(index));
                    at + 1
                }
                (b'$', None) => {
                    self.items.push(Item::End);
                    at + 1
                }
                (b'%', Some(b'b')) => {
                    let (Some(&open), Some(&close)) = (pattern.get(at + 2), pattern.get(at + 3))
                    else {
                        return Err(Malformed::BalanceArguments.into());
                    };
                    self.items.push(Item::Balance(open, close));
                    at + 4
                }
                (b'%', Some(b'f')) => {
                    if pattern.get(at + 2) != Some(&b'[') {
                        return Err(Malformed::FrontierBracket.into());
                    }
                    let (set, end) = class::set_at(pattern, at + 2)?;
                    self.items.push(Item::Frontier(set));
                    end
                }
                (b'%', Some(&digit @ b'0'..=b'9')) => {
                    let index = usize::from(digit).wrapping_sub(usize::from(b'1'));
                    match self.captures.get(index) {
                        Some(CaptureKind::Closed | CaptureKind::Position) => {
                            self.items.push(Item::BackRef(index))
                        }
                        _ => return Err(Malformed::CaptureIndex(digit).into()),
                    }
                    at + 2
                }
                _ => self.read_class(pattern, at)?,
            };
        }
        Ok(())
    }

    /// Reads one class and its repetition; plain bytes that occur once join a text run.
    fn read_class(&mut self, pattern: &[u8], at: usize) -> Result<usize, Malformed> {
        let (single, end) = class::single(pattern, at)?;
        let repeat = repeat_at(pattern, end);
        match (single, repeat) {
            (Single::Byte(byte), Repeat::Once) => {
                self.text.push(byte);
                let len = self.text.len();
                match self.items.last_mut() {
                    Some(Item::Text { end, .. }) => *end = len,
                    _ => self.items.push(Item::Text {
                        start: len - 1,
                        end: len,
                    }),
                }
                return Ok(end);
            }
            (Single::Byte(byte), _) => self.items.push(Item::Class {
                set: ByteSet::of(byte),
                repeat,
            }),
            (Single::Set(set), _) => self.items.push(Item::Class { set, repeat }),
        }
        Ok(if repeat == Repeat::Once { end } else { end + 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(pattern: &str) -> Program {
        Program::compile(pattern.as_bytes(), usize::MAX).expect("no memory limit")
    }

    #[test]
    fn plain_bytes_join_into_one_text_item() {
        let program = compile("ab%.c%%d");
        assert!(matches!(
            program.items[..],
            [Item::Text { start: 0, end: 6 }]
        ));
        assert_eq!(program.text, b"ab.c%d");
        let program = compile("abc*");
        assert!(matches!(
            program.items[..],
            [Item::Text { .. }, Item::Class { .. }]
        ));
    }
}
