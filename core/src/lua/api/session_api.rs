//! The Rust half of a session's Lua API: the functions the environment puts in the `session`,
//! `ui` and `os` tables and the base library (docs/protocol.md §7.1–§7.3,
//! §7.7).

use std::time::Duration;

use mlua::{Function, Lua, MultiValue, Table, Value, Variadic};

use crate::lua::api::timers::{MAX_TIMERS, Timer};
use crate::lua::detect::value_json::type_name;
use crate::lua::host::Host;
use crate::lua::vm::libraries;
use crate::lua::vm::logs::MAX_LINE_BYTES;
use crate::output::LogLevel;

/// Runs `f` with the session's host state. Callbacks never call back into Lua while holding
/// it, so the borrow cannot be contended.
pub(crate) fn with_host<R>(lua: &Lua, f: impl FnOnce(&mut Host) -> R) -> mlua::Result<R> {
    let mut host = lua
        .app_data_mut::<Host>()
        .ok_or_else(|| mlua::Error::runtime("lunette: session state is not available"))?;
    Ok(f(&mut host))
}

/// A Lua error located at the Lua code that called the current Rust function, as Lua's own
/// `error(msg, 2)` would.
pub(crate) fn script_error(lua: &Lua, message: impl std::fmt::Display) -> mlua::Error {
    let place = lua
        .inspect_stack(1, |debug| {
            let src = debug.source().short_src?.into_owned();
            let line = debug.current_line()?;
            Some(format!("{src}:{line}: "))
        })
        .flatten()
        .unwrap_or_default();
    mlua::Error::runtime(format!("{place}{message}"))
}

/// The primitive `name` of this file, made when the environment first needs it (see
/// `environment.rs`); `None` if it is not one of them.
pub(crate) fn function(lua: &Lua, name: &str) -> Option<mlua::Result<Function>> {
    // Lua's own `tostring`, which a script cannot replace, for the functions that write logs.
    let tostring = || libraries::original(lua, "tostring").map(LuaToString);
    Some(match name {
        "clock" => lua
            .create_function(|lua, ()| with_host(lua, |h| h.clock.since_creation().as_secs_f64())),
        "print" => tostring().and_then(|tostring| {
            lua.create_function(move |lua, values| print(lua, &tostring, values))
        }),
        "diag" => tostring()
            .and_then(|tostring| lua.create_function(move |lua, args| diag(lua, &tostring, args))),
        "log" => tostring()
            .and_then(|tostring| lua.create_function(move |lua, args| log(lua, &tostring, args))),
        "create_app_variable" => lua.create_function(create_app_variable),
        "get_app" => lua.create_function(|lua, _session: Value| {
            with_host(lua, |h| {
                h.tracker
                    .get(crate::tracker::APP_VAR)
                    .map(|v| v.value.clone())
            })
        }),
        "set_immediate" => lua.create_function(|lua, (_session, callback): (Value, Value)| {
            add_timer(lua, callback, Duration::ZERO, None)
        }),
        "set_timeout" => lua.create_function(
            |lua, (_session, callback, ms): (Value, Value, Option<f64>)| {
                add_timer(lua, callback, millis(ms, 0.0), None)
            },
        ),
        "set_interval" => lua.create_function(
            |lua, (_session, callback, ms): (Value, Value, Option<f64>)| {
                let period = millis(ms, 1.0);
                add_timer(lua, callback, period, Some(period))
            },
        ),
        "clear_timer" => lua.create_function(|lua, (_session, handle): (Value, Value)| {
            if let Value::Integer(handle) = handle
                && let Ok(handle) = u64::try_from(handle)
            {
                with_host(lua, |h| h.timers.cancel(handle))?;
            }
            Ok(())
        }),
        _ => return None,
    })
}

/// The server's wall clock at the start of the step, in whole seconds (`os.time()`).
pub(crate) fn now_seconds(lua: &Lua) -> mlua::Result<i64> {
    with_host(lua, |h| h.clock.wall_seconds.floor() as i64)
}

fn millis(ms: Option<f64>, at_least: f64) -> Duration {
    let ms = ms.unwrap_or(0.0);
    let ms = if ms.is_nan() {
        at_least
    } else {
        ms.max(at_least)
    };
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(Duration::MAX)
}

fn add_timer(
    lua: &Lua,
    callback: Value,
    delay: Duration,
    every: Option<Duration>,
) -> mlua::Result<u64> {
    let Value::Function(callback) = callback else {
        return Err(script_error(
            lua,
            format!(
                "timer callback must be a function, got {}",
                callback.type_name()
            ),
        ));
    };
    let added = with_host(lua, |h| {
        if h.timers.is_full() {
            return None;
        }
        let due = h
            .clock
            .now
            .checked_add(delay)
            .unwrap_or(h.clock.now + Duration::from_secs(86_400 * 365 * 100));
        Some(h.timers.add(due, Timer { callback, every }))
    })?;
    added.ok_or_else(|| {
        script_error(
            lua,
            format!("too many pending timers (at most {MAX_TIMERS} per session)"),
        )
    })
}

/// `tostring` as Lua's `print` applies it: numbers in Lua's format (`1.0`, `0.33333333333333`),
/// `__tostring` and `__name` honoured, and bytes that are not UTF-8 replaced instead of raising.
#[derive(Clone)]
struct LuaToString(Function);

impl LuaToString {
    /// The text of `value`, of which only what fits a log line is copied out of Lua (see
    /// [`Logs`](crate::lua::vm::logs::Logs), which marks the cut).
    fn text(&self, value: Value) -> mlua::Result<String> {
        let mut text = String::new();
        self.append(&mut text, value)?;
        Ok(text)
    }

    fn append(&self, out: &mut String, value: Value) -> mlua::Result<()> {
        let text = self.0.call::<mlua::LuaString>(value)?;
        let bytes = text.as_bytes();
        let room = (MAX_LINE_BYTES + 1).saturating_sub(out.len());
        out.push_str(&String::from_utf8_lossy(&bytes[..bytes.len().min(room)]));
        Ok(())
    }
}

/// The values tab-separated, as `print` writes them, copied only as far as a log line keeps.
fn joined(tostring: &LuaToString, values: MultiValue) -> mlua::Result<String> {
    let mut line = String::new();
    for (i, value) in values.into_iter().enumerate() {
        if line.len() > MAX_LINE_BYTES {
            break;
        }
        if i > 0 {
            line.push('\t');
        }
        tostring.append(&mut line, value)?;
    }
    Ok(line)
}

fn print(lua: &Lua, tostring: &LuaToString, values: MultiValue) -> mlua::Result<()> {
    let line = joined(tostring, values)?;
    with_host(lua, |h| h.logs.push(LogLevel::Info, line))
}

/// `ui.log([level,] msg)`: verbosity 0 is an info line, anything above is debug detail.
fn log(lua: &Lua, tostring: &LuaToString, args: Variadic<Value>) -> mlua::Result<()> {
    let (level, message) = match args.as_slice() {
        [Value::Integer(level), message, ..] => (*level as f64, message),
        [Value::Number(level), message, ..] => (*level, message),
        [message, ..] => (0.0, message),
        [] => (0.0, &Value::Nil),
    };
    let level = if level > 0.0 {
        LogLevel::Debug
    } else {
        LogLevel::Info
    };
    let line = tostring.text(message.clone())?;
    with_host(lua, |h| h.logs.push(level, line))
}

fn diag(lua: &Lua, tostring: &LuaToString, (level, message): (Value, Value)) -> mlua::Result<()> {
    let line = format!(
        "diag {}: {}",
        tostring.text(level)?,
        tostring.text(message)?
    );
    with_host(lua, |h| h.logs.push(LogLevel::Debug, line))
}

/// A script's property table as name/text pairs; a name or value that is not a string is an
/// error naming `function`.
pub(crate) fn string_properties(
    lua: &Lua,
    props: Option<Table>,
    function: &str,
) -> mlua::Result<Vec<(String, String)>> {
    let mut properties = Vec::new();
    for pair in props.iter().flat_map(|props| props.pairs::<Value, Value>()) {
        match pair? {
            (Value::String(name), Value::String(text)) => {
                properties.push((name.to_string_lossy(), text.to_string_lossy()));
            }
            (name, _) => {
                return Err(script_error(
                    lua,
                    format!(
                        "{function}: property {} must be a string",
                        name.to_string()?
                    ),
                ));
            }
        }
    }
    Ok(properties)
}

/// `os.time(t)`: the date table read as UTC (servers do not share a local zone with their
/// users, and a local zone would make runs differ between machines).
pub(crate) fn utc_time(lua: &Lua, table: Table) -> mlua::Result<i64> {
    let field = |name: &str, default: Option<i64>| -> mlua::Result<i64> {
        match (table.get::<Option<i64>>(name)?, default) {
            (Some(value), _) => Ok(value),
            (None, Some(default)) => Ok(default),
            (None, None) => Err(script_error(
                lua,
                format!("field '{name}' missing in date table"),
            )),
        }
    };
    let (year, month, day) = (
        field("year", None)?,
        field("month", None)?,
        field("day", None)?,
    );
    let (hour, min, sec) = (
        field("hour", Some(12))?,
        field("min", Some(0))?,
        field("sec", Some(0))?,
    );
    let year = year + (month - 1).div_euclid(12);
    let month = (month - 1).rem_euclid(12) + 1;
    let days = days_from_civil(year, month) + day - 1;
    Ok(days * 86_400 + hour * 3_600 + min * 60 + sec)
}

/// Days from 1970-01-01 to the first of `month` (1–12) of `year`, proleptic Gregorian.
fn days_from_civil(year: i64, month: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = (month + 9) % 12;
    let day_of_year = (153 * m + 2) / 5;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `session:createAppVariable(obj [, props])` (docs/protocol.md §7.2).
fn create_app_variable(
    lua: &Lua,
    (_session, object, props): (Value, Value, Option<Table>),
) -> mlua::Result<i64> {
    let Value::Table(table) = &object else {
        return Err(script_error(
            lua,
            format!(
                "createAppVariable expects a table, got {}",
                object.type_name()
            ),
        ));
    };
    let mut properties = string_properties(lua, props, "createAppVariable")?;
    if !properties.iter().any(|(name, _)| name == "type")
        && let Some(name) = type_name(table)?
    {
        properties.push(("type".to_owned(), name));
    }
    let sizes = with_host(lua, |h| {
        let new = properties.iter().map(|(n, t)| (n.as_str(), t.as_str()));
        match h.tracker.get(crate::tracker::APP_VAR) {
            Some(app) => app.check_property_sizes(new),
            None => crate::tracker::property::check_sizes(std::iter::empty(), new),
        }
    })?;
    sizes.map_err(|why| script_error(lua, format!("createAppVariable: {why}")))?;
    with_host(lua, |h| h.tracker.set_app(object.clone(), properties))?;
    Ok(crate::tracker::APP_VAR)
}

#[cfg(test)]
mod tests {
    use super::days_from_civil;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1), 0);
        assert_eq!(days_from_civil(2000, 3), 11_017);
        assert_eq!(days_from_civil(2026, 1), 20_454);
        assert_eq!(days_from_civil(1969, 12), -31);
    }
}
