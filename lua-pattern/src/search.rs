//! Searching bytes for a byte or for plain text, for `string.find` without pattern characters
//! (or with `plain`) and to skip ahead to where a pattern that starts with text can match.

use crate::matcher::{CHUNK, Exhausted, Meter};

/// Bytes compared per step; a multiple of the vector width, so that the comparisons of one
/// step compile to a few vector instructions.
const LANES: usize = 32;

/// Where `byte` first occurs in `haystack`.
pub(crate) fn find_byte(haystack: &[u8], byte: u8) -> Option<usize> {
    let mut chunks = haystack.chunks_exact(LANES);
    let mut offset = 0;
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |seen, &b| seen | (b == byte)) {
            return chunk.iter().position(|&b| b == byte).map(|i| offset + i);
        }
        offset += LANES;
    }
    let rest = chunks.remainder();
    rest.iter().position(|&b| b == byte).map(|i| offset + i)
}

/// Where `needle` first occurs in `haystack` at or after `from` (`from <= haystack.len()`).
/// Pays one unit per candidate position plus one per 16 bytes scanned or compared.
pub fn find_text(
    haystack: &[u8],
    needle: &[u8],
    from: usize,
    meter: &mut impl Meter,
) -> Result<Option<usize>, Exhausted> {
    let Some((&first, rest)) = needle.split_first() else {
        return Ok(Some(from));
    };
    let Some(last) = haystack.len().checked_sub(needle.len()) else {
        return Ok(None);
    };
    let compare = 1 + needle.len() as u64 / 16;
    let (mut at, mut unpaid) = (from, 1);
    let mut found = None;
    while at <= last {
        let Some(skip) = find_byte(&haystack[at..=last], first) else {
            unpaid += (last + 1 - at) as u64 / 16;
            break;
        };
        at += skip;
        unpaid += skip as u64 / 16 + compare;
        if haystack[at + 1..at + needle.len()] == *rest {
            found = Some(at);
            break;
        }
        at += 1;
        if unpaid >= CHUNK {
            meter.pay(std::mem::take(&mut unpaid))?;
        }
    }
    meter.pay(unpaid)?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::find_byte;

    #[test]
    fn finds_a_byte_in_and_after_whole_chunks() {
        let mut haystack = vec![b'a'; 100];
        assert_eq!(find_byte(&haystack, b'b'), None);
        for at in [0, 31, 32, 63, 64, 99] {
            haystack[at] = b'b';
            assert_eq!(find_byte(&haystack, b'b'), Some(at));
            haystack[at] = b'a';
        }
        assert_eq!(find_byte(b"", b'b'), None);
    }
}
