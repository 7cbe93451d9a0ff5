//! Checking outbound frames: an iterative JSON check that takes nesting of any depth, and
//! the outbound frame shape.

use serde_json::Value;

use crate::render::nested;

/// Whether `text` is one JSON value (RFC 8259), checked without recursion so that nesting of
/// any depth is fine.
pub fn is_json(text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Expect {
        /// A value; `true` where the enclosing array may close instead (right after `[`).
        Value(bool),
        /// A key; `true` where the enclosing object may close instead (right after `{`).
        Key(bool),
        Colon,
        /// `,`, the enclosing container's close, or the end at the top.
        After,
    }
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut open: Vec<u8> = Vec::new();
    let mut expect = Expect::Value(false);
    loop {
        while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
        let Some(&byte) = bytes.get(at) else {
            return expect == Expect::After && open.is_empty();
        };
        match expect {
            Expect::Value(may_close) => match byte {
                b']' if may_close => {
                    open.pop();
                    at += 1;
                    expect = Expect::After;
                }
                b'[' => {
                    open.push(b'[');
                    at += 1;
                    expect = Expect::Value(true);
                }
                b'{' => {
                    open.push(b'{');
                    at += 1;
                    expect = Expect::Key(true);
                }
                b'"' => match skip_string(bytes, at) {
                    Some(end) => {
                        at = end;
                        expect = Expect::After;
                    }
                    None => return false,
                },
                b't' | b'f' | b'n' => {
                    let word: &[u8] = match byte {
                        b't' => b"true",
                        b'f' => b"false",
                        _ => b"null",
                    };
                    if !bytes[at..].starts_with(word) {
                        return false;
                    }
                    at += word.len();
                    expect = Expect::After;
                }
                _ => match skip_number(bytes, at) {
                    Some(end) => {
                        at = end;
                        expect = Expect::After;
                    }
                    None => return false,
                },
            },
            Expect::Key(may_close) => match byte {
                b'}' if may_close => {
                    open.pop();
                    at += 1;
                    expect = Expect::After;
                }
                b'"' => match skip_string(bytes, at) {
                    Some(end) => {
                        at = end;
                        expect = Expect::Colon;
                    }
                    None => return false,
                },
                _ => return false,
            },
            Expect::Colon => {
                if byte != b':' {
                    return false;
                }
                at += 1;
                expect = Expect::Value(false);
            }
            Expect::After => match (byte, open.last()) {
                (b',', Some(b'[')) => {
                    at += 1;
                    expect = Expect::Value(false);
                }
                (b',', Some(b'{')) => {
                    at += 1;
                    expect = Expect::Key(false);
                }
                (b']', Some(b'[')) | (b'}', Some(b'{')) => {
                    open.pop();
                    at += 1;
                }
                _ => return false,
            },
        }
    }
}

/// The end of the string starting at `bytes[start] == b'"'`.
pub fn skip_string(bytes: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => match *bytes.get(at + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 2,
                b'u' => {
                    let hex = bytes.get(at + 2..at + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    at += 6;
                }
                _ => return None,
            },
            byte if byte < 0x20 => return None,
            _ => at += 1,
        }
    }
}

/// The end of the number starting at `bytes[start]`.
pub fn skip_number(bytes: &[u8], start: usize) -> Option<usize> {
    let digits = |at: usize| {
        bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut at = start;
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    match bytes.get(at)? {
        b'0' => at += 1,
        b'1'..=b'9' => at += digits(at),
        _ => return None,
    }
    if bytes.get(at) == Some(&b'.') {
        let n = digits(at + 1);
        if n == 0 {
            return None;
        }
        at += 1 + n;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let n = digits(at);
        if n == 0 {
            return None;
        }
        at += n;
    }
    Some(at)
}

/// An outbound frame is JSON: a message object, or an array of two or more, each with a string
/// `type` and an object `data`. Frames too deep for serde_json are checked as JSON only.
pub fn check_frame(text: &str) {
    assert!(is_json(text), "not JSON: {}", excerpt(text));
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let messages = match value {
        Value::Array(items) => {
            assert!(
                items.len() >= 2,
                "an array frame holds several: {}",
                excerpt(text)
            );
            items
        }
        object @ Value::Object(_) => vec![object],
        _ => panic!("neither an object nor an array: {}", excerpt(text)),
    };
    for message in &messages {
        assert!(
            message["type"].is_string() && message["data"].is_object(),
            "not a message: {}",
            excerpt(text)
        );
    }
}

pub fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

#[test]
fn the_json_check_agrees_with_serde_json() {
    for text in [
        "1",
        "-0.5e+3",
        "\"a\\u00e9\\n\"",
        "[]",
        "{}",
        "[1,[2,{}],{\"a\":[null,true,false]}]",
        " { \"a\" : 1 , \"b\" : [ ] } ",
    ] {
        assert!(is_json(text), "{text}");
        assert!(serde_json::from_str::<Value>(text).is_ok(), "{text}");
    }
    for text in [
        "",
        "[",
        "]",
        "[1,]",
        "{\"a\"}",
        "{\"a\":}",
        "{,}",
        "[1 2]",
        "01",
        "1.",
        "-",
        "\"\\x\"",
        "\"\u{1}\"",
        "tru",
        "nul",
        "[}",
        "{]",
        "{\"a\":1,}",
        "1 1",
        "{1:2}",
    ] {
        assert!(!is_json(text), "{text:?}");
        assert!(serde_json::from_str::<Value>(text).is_err(), "{text:?}");
    }
    let deep = nested(100_000, false, "1");
    assert!(is_json(&deep));
    assert!(!is_json(&deep[1..]));
}
