//! Byte sets: what one pattern character class stands for (Lua 5.4 manual §6.4.1). A class is
//! `.`, a `%x` escape, a `[...]` set or a plain byte; each becomes a 256-bit set, built once
//! when the pattern is compiled, so matching a byte is a single bit test.

use crate::compile::Malformed;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    pub(crate) const EMPTY: ByteSet = ByteSet([0; 4]);
    pub(crate) const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    #[inline(always)]
    pub(crate) const fn contains(&self, byte: u8) -> bool {
        self.0[(byte >> 6) as usize] & (1 << (byte & 63)) != 0
    }

    /// The set holding only `byte`.
    pub(crate) const fn of(byte: u8) -> ByteSet {
        ByteSet::EMPTY.with(byte)
    }

    const fn with(mut self, byte: u8) -> ByteSet {
        self.0[(byte >> 6) as usize] |= 1 << (byte & 63);
        self
    }

    fn insert(&mut self, byte: u8) {
        *self = self.with(byte);
    }

    fn insert_range(&mut self, low: u8, high: u8) {
        for byte in low..=high {
            self.insert(byte);
        }
    }

    fn union(&mut self, other: ByteSet) {
        for (word, more) in self.0.iter_mut().zip(other.0) {
            *word |= more;
        }
    }

    const fn complement(self) -> ByteSet {
        let [a, b, c, d] = self.0;
        ByteSet([!a, !b, !c, !d])
    }
}

/// What a pattern position holds when it is read as one character class.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Single {
    /// Exactly this byte: a plain character or an escaped non-letter such as `%.`.
    Byte(u8),
    Set(ByteSet),
}

/// Whether `byte` is in the C-locale class named by the lower-case letter `kind`.
const fn in_class(kind: u8, byte: u8) -> bool {
    match kind {
        b'a' => byte.is_ascii_alphabetic(),
        b'c' => byte.is_ascii_control(),
        b'd' => byte.is_ascii_digit(),
        b'g' => byte.is_ascii_graphic(),
        b'l' => byte.is_ascii_lowercase(),
        b'p' => byte.is_ascii_punctuation(),
        // C's isspace also counts the vertical tab, which `is_ascii_whitespace` leaves out.
        b's' => byte == b' ' || (byte >= b'\t' && byte <= b'\r'),
        b'u' => byte.is_ascii_uppercase(),
        b'w' => byte.is_ascii_alphanumeric(),
        b'x' => byte.is_ascii_hexdigit(),
        // Not in the 5.4 manual any more, but Lua 5.4 still reads `%z` as the zero byte.
        b'z' => byte == 0,
        _ => false,
    }
}

const fn class_set(kind: u8) -> ByteSet {
    let mut set = ByteSet::EMPTY;
    let mut byte = 0u8;
    loop {
        if in_class(kind, byte) {
            set = set.with(byte);
        }
        if byte == u8::MAX {
            return set;
        }
        byte += 1;
    }
}

/// The class letters, in the order of `CLASSES`.
const LETTERS: &[u8; 11] = b"acdglpsuwxz";

static CLASSES: [ByteSet; 11] = {
    let mut sets = [ByteSet::EMPTY; 11];
    let mut i = 0;
    while i < LETTERS.len() {
        sets[i] = class_set(LETTERS[i]);
        i += 1;
    }
    sets
};

/// What `%x` stands for: a class letter's class (its complement for the upper-case letter), or
/// else the byte `x` itself.
pub(crate) fn escape(x: u8) -> Single {
    let lower = x.to_ascii_lowercase();
    match LETTERS.iter().position(|&letter| letter == lower) {
        Some(i) if x.is_ascii_uppercase() => Single::Set(CLASSES[i].complement()),
        Some(i) => Single::Set(CLASSES[i]),
        None => Single::Byte(x),
    }
}

/// Reads the class that starts at `pattern[at]` (which exists) and returns it with the index
/// just past it.
pub(crate) fn single(pattern: &[u8], at: usize) -> Result<(Single, usize), Malformed> {
    match pattern[at] {
        b'.' => Ok((Single::Set(ByteSet::ALL), at + 1)),
        b'%' => match pattern.get(at + 1) {
            Some(&x) => Ok((escape(x), at + 2)),
            None => Err(Malformed::EndsWithEscape),
        },
        b'[' => set_at(pattern, at).map(|(set, end)| (Single::Set(set), end)),
        byte => Ok((Single::Byte(byte), at + 1)),
    }
}

/// Reads the `[...]` set that opens at `pattern[open]` and returns it with the index just past
/// its `]`.
pub(crate) fn set_at(pattern: &[u8], open: usize) -> Result<(ByteSet, usize), Malformed> {
    let end = set_end(pattern, open)?;
    Ok((bracket(&pattern[open + 1..end - 1]), end))
}

/// The index just past the `]` that closes the set opening at `pattern[open]`. The first
/// member (after an optional `^`) is never the closing bracket, so `[]]` is the set of `]`; a
/// `%` escapes the byte after it.
fn set_end(pattern: &[u8], open: usize) -> Result<usize, Malformed> {
    let mut at = open + 1;
    if pattern.get(at) == Some(&b'^') {
        at += 1;
    }
    loop {
        let Some(&byte) = pattern.get(at) else {
            return Err(Malformed::MissingBracket);
        };
        at += if byte == b'%' && at + 1 < pattern.len() {
            2
        } else {
            1
        };
        if pattern.get(at) == Some(&b']') {
            return Ok(at + 1);
        }
    }
}

/// The set written between `[` and `]`: members are escapes (`%a`, `%]`), ranges `x-y` and
/// single bytes; a leading `^` complements it. A `-` that cannot end a range is a member.
fn bracket(body: &[u8]) -> ByteSet {
    let (negated, body) = match body.split_first() {
        Some((b'^', rest)) => (true, rest),
        _ => (false, body),
    };
    let mut set = ByteSet::EMPTY;
    let mut at = 0;
    while at < body.len() {
        match (body[at], body.get(at + 1), body.get(at + 2)) {
            (b'%', Some(&x), _) => {
                match escape(x) {
                    Single::Byte(byte) => set.insert(byte),
                    Single::Set(class) => set.union(class),
                }
                at += 2;
            }
            (low, Some(b'-'), Some(&high)) => {
                if low <= high {
                    set.insert_range(low, high);
                }
                at += 3;
            }
            (byte, _, _) => {
                set.insert(byte);
                at += 1;
            }
        }
    }
    if negated { set.complement() } else { set }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_of(pattern: &str) -> ByteSet {
        match single(pattern.as_bytes(), 0) {
            Ok((Single::Set(set), end)) if end == pattern.len() => set,
            other => panic!("{pattern}: {other:?}"),
        }
    }

    fn members(set: ByteSet) -> String {
        (0..=255u8)
            .filter(|&b| set.contains(b))
            .map(char::from)
            .collect()
    }

    #[test]
    fn classes_follow_the_c_locale() {
        assert_eq!(members(set_of("%d")), "0123456789");
        assert_eq!(members(set_of("%x")), "0123456789ABCDEFabcdef");
        assert_eq!(members(set_of("%s")), "\t\n\u{b}\u{c}\r ");
        assert!(!set_of("%A").contains(b'q') && set_of("%A").contains(b'1'));
        assert!(set_of("%p").contains(b'_') && !set_of("%p").contains(b'a'));
        assert!(set_of("%c").contains(0x7f) && !set_of("%g").contains(b' '));
    }

    #[test]
    fn sets_take_ranges_escapes_and_literal_brackets() {
        assert_eq!(members(set_of("[a-c%d_]")), "0123456789_abc");
        assert_eq!(members(set_of("[]]")), "]");
        assert_eq!(members(set_of("[a-]")), "-a");
        assert_eq!(members(set_of("[%]-]")), "-]");
        assert!(!set_of("[^%a]").contains(b'x') && set_of("[^%a]").contains(b'.'));
        assert_eq!(members(set_of("[z-a]")), "");
    }

    #[test]
    fn unclosed_sets_and_trailing_escapes_are_malformed() {
        for pattern in ["[", "[a", "[^", "[]", "[%]", "[a%"] {
            assert_eq!(
                set_end(pattern.as_bytes(), 0),
                Err(Malformed::MissingBracket),
                "{pattern}"
            );
        }
        assert!(matches!(single(b"%", 0), Err(Malformed::EndsWithEscape)));
        assert!(matches!(single(b"%q", 0), Ok((Single::Byte(b'q'), 2))));
    }
}
