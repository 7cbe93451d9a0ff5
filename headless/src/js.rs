//! The few JavaScript conversions the bundled client applies to values from the server
//! (`String(v)`, `Boolean(v)`), so that the headless tab shows what a browser shows.

use serde_json::Value;

/// JavaScript `Boolean(v)`.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0 && !f.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// JavaScript `String(v)`: arrays join their elements with commas (null as empty), objects
/// read `[object Object]`.
pub fn string(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Null => String::new(),
                other => string(other),
            })
            .collect::<Vec<_>>()
            .join(","),
        Value::Object(_) => "[object Object]".to_owned(),
    }
}

/// What `ui-value` shows on a plain element: `null` and object refs as empty.
pub fn display_text(value: &Value) -> String {
    match value {
        Value::Null | Value::Object(_) => String::new(),
        other => string(other),
    }
}

/// `Number.prototype.toString` of a JSON number.
fn number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f == 0.0 {
        return "0".to_owned();
    }
    let magnitude = f.abs();
    if (1e-6..1e21).contains(&magnitude) {
        // Rust's shortest round-trip digits, never in exponent form in this range.
        return format!("{f}");
    }
    // Exponent form: JavaScript writes `1e+21`, `1.5e-7`.
    let text = format!("{f:e}");
    match text.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with('-') => {
            format!("{mantissa}e+{exponent}")
        }
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_follow_javascript() {
        assert_eq!(string(&json!(5)), "5");
        assert_eq!(string(&json!(1.5)), "1.5");
        assert_eq!(string(&json!(1e21)), "1e+21");
        assert_eq!(string(&json!(1.5e-7)), "1.5e-7");
        assert_eq!(string(&json!([1, null, "a"])), "1,,a");
        assert_eq!(string(&json!({"obj": 2})), "[object Object]");
        assert_eq!(display_text(&json!({"obj": 2})), "");
        assert_eq!(display_text(&json!(null)), "");
        assert_eq!(display_text(&json!(false)), "false");
    }

    #[test]
    fn truthiness_follows_javascript() {
        for falsy in [json!(null), json!(false), json!(0), json!(""), json!(0.0)] {
            assert!(!truthy(&falsy), "{falsy} is falsy");
        }
        for truthy_value in [
            json!("0"),
            json!("false"),
            json!([]),
            json!({"obj": 2}),
            json!(-1),
        ] {
            assert!(truthy(&truthy_value), "{truthy_value} is truthy");
        }
    }
}
