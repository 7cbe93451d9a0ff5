//! The error codes of docs/protocol.md §3.4 and the peer error an `error` message carries.

use std::fmt;

use crate::tracker::Fault;

/// Why a message failed, as sent in `error.data.code` (docs/protocol.md §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ErrorCode {
    /// The frame is not valid JSON.
    BadJson,
    /// Wrong shape: a frame, message or field that is not what §3.2 and §4 ask for.
    BadMessage,
    /// `type` is none of `create`, `update`, `destroy`, `watch`, `unwatch`.
    UnknownType,
    /// `parentId`/`varId` names no variable the connection can see.
    NotFound,
    /// `create` with id 1 or an id the connection uses for a live variable.
    DuplicateId,
    /// A path that does not parse or navigate, or a value JSON cannot carry.
    PathFailure,
    /// A write or destroy the variable's access mode or owner forbids.
    AccessDenied,
    /// Lua raised an error or ran out of memory or budget.
    LuaError,
    /// `create` beyond `--max-variables` or deeper than `--max-depth`.
    LimitExceeded,
}

impl ErrorCode {
    /// Every code, in §3.4 order.
    #[cfg(test)]
    pub(crate) const ALL: [ErrorCode; 9] = [
        ErrorCode::BadJson,
        ErrorCode::BadMessage,
        ErrorCode::UnknownType,
        ErrorCode::NotFound,
        ErrorCode::DuplicateId,
        ErrorCode::PathFailure,
        ErrorCode::AccessDenied,
        ErrorCode::LuaError,
        ErrorCode::LimitExceeded,
    ];

    /// The code as it appears on the wire, e.g. `"bad-json"`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad-json",
            ErrorCode::BadMessage => "bad-message",
            ErrorCode::UnknownType => "unknown-type",
            ErrorCode::NotFound => "not-found",
            ErrorCode::DuplicateId => "duplicate-id",
            ErrorCode::PathFailure => "path-failure",
            ErrorCode::AccessDenied => "access-denied",
            ErrorCode::LuaError => "lua-error",
            ErrorCode::LimitExceeded => "limit-exceeded",
        }
    }
}

/// The one place where the tracker's kinds of failure become wire codes.
impl From<Fault> for ErrorCode {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Malformed => ErrorCode::BadMessage,
            Fault::Path => ErrorCode::PathFailure,
            Fault::Denied => ErrorCode::AccessDenied,
            Fault::Lua => ErrorCode::LuaError,
            Fault::Limit => ErrorCode::LimitExceeded,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A peer error: what one `error` message carries. `var_id` is the wire id the error concerns,
/// when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireError {
    pub(crate) code: ErrorCode,
    pub(crate) var_id: Option<i64>,
    pub(crate) description: String,
}

impl WireError {
    pub(crate) fn new(
        code: ErrorCode,
        var_id: Option<i64>,
        description: impl Into<String>,
    ) -> Self {
        Self {
            code,
            var_id,
            description: description.into(),
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.var_id {
            Some(id) => write!(f, "{} (varId {id}): {}", self.code, self.description),
            None => write!(f, "{}: {}", self.code, self.description),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_spelled_as_in_section_3_4() {
        let spelled: Vec<&str> = ErrorCode::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(
            spelled,
            [
                "bad-json",
                "bad-message",
                "unknown-type",
                "not-found",
                "duplicate-id",
                "path-failure",
                "access-denied",
                "lua-error",
                "limit-exceeded",
            ]
        );
    }

    #[test]
    fn codes_display_as_their_wire_form() {
        for code in ErrorCode::ALL {
            assert_eq!(code.to_string(), code.as_str());
        }
    }

    #[test]
    fn display_names_the_variable_when_there_is_one() {
        let error = WireError::new(ErrorCode::NotFound, Some(7), "no variable 7");
        assert_eq!(error.to_string(), "not-found (varId 7): no variable 7");
        let error = WireError::new(ErrorCode::BadJson, None, "eof");
        assert_eq!(error.to_string(), "bad-json: eof");
    }
}
