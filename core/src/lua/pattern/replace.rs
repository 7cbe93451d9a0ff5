//! `string.gsub(s, pattern, repl [, n])` (Lua 5.4 manual §6.4): every match (at most `n`) is
//! replaced by `repl` read as a string with `%0`–`%9` and `%%`, looked up in a table, or
//! passed to a function; a `nil` or `false` lookup or result keeps the match.

use lunette_pattern::{Capture, Matcher, Meter};
use mlua::{Function, LuaString, MultiValue, Table, Value};

use crate::lua::pattern::{Call, anchored, args, capture_value, out_of_memory, push_captures};

/// The result grows by at most this much between two checks against the Lua heap limit.
const MEMORY_CHECK_BYTES: usize = 64 * 1024;

enum Replacement {
    Text(LuaString),
    Table(Table),
    Function(Function),
}

pub(super) fn gsub(call: &Call, mut args: MultiValue) -> mlua::Result<MultiValue> {
    let subject = args::string(call, &mut args, 1)?;
    let pattern = args::string(call, &mut args, 2)?;
    let replacement = match args.get(2) {
        Some(Value::String(_) | Value::Integer(_) | Value::Number(_)) => {
            Replacement::Text(args::string(call, &mut args, 3)?)
        }
        Some(Value::Table(table)) => Replacement::Table(table.clone()),
        Some(Value::Function(function)) => Replacement::Function(function.clone()),
        _ => return Err(args::type_error(call, &args, 3, "string/function/table")),
    };
    let bytes = subject.as_bytes();
    let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let most = args::opt_integer(call, &args, 4, len.saturating_add(1))?;
    let pattern = pattern.as_bytes();
    let (anchored, pattern) = anchored(&pattern);
    let program = call.compile(pattern)?;
    let mut out = Output {
        bytes: Vec::new(),
        checked_at: 0,
    };
    let mut matcher = call.matcher(&bytes, &program);
    let (mut at, mut last_end, mut count) = (0, None, 0);
    while count < most {
        if !anchored {
            // Bytes where no match can start go through unchanged.
            let Some(start) = matcher.next_start(at).map_err(|_| call.exhausted())? else {
                break;
            };
            out.push(call, &bytes[at..start])?;
            at = start;
        }
        let end = matcher.match_at(at).map_err(|f| call.failure(f))?;
        match end.filter(|&end| Some(end) != last_end) {
            Some(end) => {
                count += 1;
                replace(
                    call,
                    &mut matcher,
                    &bytes,
                    (at, end),
                    &replacement,
                    &mut out,
                )?;
                at = end;
                last_end = Some(end);
            }
            None if at < bytes.len() => {
                out.bytes.push(bytes[at]);
                at += 1;
            }
            None => break,
        }
        if anchored {
            break;
        }
    }
    matcher.settle().map_err(|_| call.exhausted())?;
    let result = if count == 0 {
        subject.clone()
    } else {
        out.push(call, &bytes[at..])?;
        call.lua.create_string(&out.bytes)?
    };
    Ok(MultiValue::from_vec(vec![
        Value::String(result),
        Value::Integer(count),
    ]))
}

/// The result being built, kept within what the Lua heap could still hold.
struct Output {
    bytes: Vec<u8>,
    /// Length at the last check against the heap limit.
    checked_at: usize,
}

impl Output {
    fn push(&mut self, call: &Call, more: &[u8]) -> mlua::Result<()> {
        self.bytes.extend_from_slice(more);
        if self.bytes.len() - self.checked_at > MEMORY_CHECK_BYTES {
            self.checked_at = self.bytes.len();
            if self.bytes.len() > call.room() {
                return Err(out_of_memory());
            }
        }
        Ok(())
    }
}

/// Appends the replacement of the match `span` of `subject`.
fn replace<M: Meter>(
    call: &Call,
    matcher: &mut Matcher<'_, M>,
    subject: &[u8],
    span: (usize, usize),
    replacement: &Replacement,
    out: &mut Output,
) -> mlua::Result<()> {
    let whole = &subject[span.0..span.1];
    let value = match replacement {
        Replacement::Text(text) => {
            let text = text.as_bytes();
            matcher
                .charge(1 + text.len() as u64 / 8)
                .map_err(|_| call.exhausted())?;
            return expand(call, matcher, subject, whole, &text, out);
        }
        Replacement::Table(table) => {
            let key = first_capture(call, matcher, subject, whole)?;
            settle(call, matcher)?;
            table.get::<Value>(key)?
        }
        Replacement::Function(function) => {
            let mut captures = MultiValue::new();
            push_captures(call, matcher, subject, Some(span), &mut captures)?;
            settle(call, matcher)?;
            function.call::<Value>(captures)?
        }
    };
    match value {
        Value::Nil | Value::Boolean(false) => out.push(call, whole),
        Value::String(text) => out.push(call, &text.as_bytes()),
        number @ (Value::Integer(_) | Value::Number(_)) => match call.lua.coerce_string(number)? {
            Some(text) => out.push(call, &text.as_bytes()),
            None => Err(call.error("invalid replacement value (a number)")),
        },
        other => Err(call.error(format!(
            "invalid replacement value (a {})",
            args::basic_type(&other)
        ))),
    }
}

/// Pays what the matcher owes before running script code.
fn settle<M: Meter>(call: &Call, matcher: &mut Matcher<'_, M>) -> mlua::Result<()> {
    matcher.settle().map_err(|_| call.exhausted())
}

/// The first capture, or the whole match if there is none: the key for a table replacement.
fn first_capture<M: Meter>(
    call: &Call,
    matcher: &Matcher<'_, M>,
    subject: &[u8],
    whole: &[u8],
) -> mlua::Result<Value> {
    if matcher.capture_count() == 0 {
        return Ok(Value::String(call.lua.create_string(whole)?));
    }
    capture_value(call, matcher, subject, 0)
}

/// Appends a replacement string: `%0` is the whole match, `%1`–`%9` a capture (`%1` is the whole
/// match when there are no captures), `%%` a `%`.
fn expand<M: Meter>(
    call: &Call,
    matcher: &Matcher<'_, M>,
    subject: &[u8],
    whole: &[u8],
    text: &[u8],
    out: &mut Output,
) -> mlua::Result<()> {
    let mut rest = text;
    while let Some(escape) = rest.iter().position(|&byte| byte == b'%') {
        out.push(call, &rest[..escape])?;
        let code = rest.get(escape + 1).copied();
        rest = rest.get(escape + 2..).unwrap_or_default();
        match code {
            Some(b'%') => out.push(call, b"%")?,
            Some(b'0') => out.push(call, whole)?,
            Some(digit @ b'1'..=b'9') => {
                let index = usize::from(digit - b'1');
                if index >= matcher.capture_count() {
                    if index > 0 {
                        return Err(
                            call.error(format!("invalid capture index %{}", char::from(digit)))
                        );
                    }
                    out.push(call, whole)?;
                    continue;
                }
                match matcher.capture(index) {
                    Ok(Capture::Text(start, end)) => out.push(call, &subject[start..end])?,
                    Ok(Capture::Position(at)) => out.push(call, (at + 1).to_string().as_bytes())?,
                    Err(fault) => return Err(call.error(fault)),
                }
            }
            _ => return Err(call.error("invalid use of '%' in replacement string")),
        }
    }
    out.push(call, rest)
}
