//! Access modes (docs/protocol.md §5.2): whether a variable is evaluated, whether a client may
//! write it, and which path endings each mode accepts.

use super::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// `r`
    Read,
    /// `w`
    Write,
    /// `rw`, the default.
    ReadWrite,
    /// `action`
    Action,
}

impl Access {
    /// The `access` property: `r`, `w`, `rw` or `action`, exactly; absent means `rw`, and so
    /// does `""`, since an empty property value is an absent one (§5.4). `None` for anything
    /// else, which the caller answers with `bad-message`.
    pub(crate) fn parse(text: Option<&str>) -> Option<Access> {
        match text.unwrap_or_default() {
            "" | "rw" => Some(Access::ReadWrite),
            "r" => Some(Access::Read),
            "w" => Some(Access::Write),
            "action" => Some(Access::Action),
            _ => None,
        }
    }

    /// As the `access` property writes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Access::Read => "r",
            Access::Write => "w",
            Access::ReadWrite => "rw",
            Access::Action => "action",
        }
    }

    /// Evaluated by detection and sent to watchers.
    pub(crate) fn is_readable(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    /// A client's `update` with a value may write it; `r` answers `access-denied`.
    pub(crate) fn is_writable_by_client(self) -> bool {
        !matches!(self, Access::Read)
    }

    /// Whether this mode accepts the path's ending: `()` all but `w`, `(_)` only `w` and
    /// `action`, any other ending every mode. A refused combination is `access-denied`.
    pub(crate) fn allows(self, path: &Path) -> bool {
        if path.ends_with_call() {
            self != Access::Write
        } else if path.ends_with_setter() {
            matches!(self, Access::Write | Access::Action)
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Access;
    use crate::tracker::path::parse;

    const ALL: [Access; 4] = [
        Access::Read,
        Access::Write,
        Access::ReadWrite,
        Access::Action,
    ];

    fn allows(access: Access, path: &str) -> bool {
        access.allows(&parse(path).expect("test path parses"))
    }

    #[test]
    fn parses_the_four_modes() {
        assert_eq!(Access::parse(Some("r")), Some(Access::Read));
        assert_eq!(Access::parse(Some("w")), Some(Access::Write));
        assert_eq!(Access::parse(Some("rw")), Some(Access::ReadWrite));
        assert_eq!(Access::parse(Some("action")), Some(Access::Action));
        for access in ALL {
            assert_eq!(Access::parse(Some(access.as_str())), Some(access));
        }
    }

    #[test]
    fn absent_or_empty_is_read_write() {
        assert_eq!(Access::parse(None), Some(Access::ReadWrite));
        assert_eq!(Access::parse(Some("")), Some(Access::ReadWrite));
    }

    #[test]
    fn other_text_is_invalid() {
        for text in ["R", "RW", "wr", "read", "Action", " r", "rw ", "x"] {
            assert_eq!(Access::parse(Some(text)), None, "`{text}`");
        }
    }

    #[test]
    fn readable_and_writable_follow_the_table() {
        let table = [
            (Access::ReadWrite, true, true),
            (Access::Read, true, false),
            (Access::Write, false, true),
            (Access::Action, false, true),
        ];
        for (access, readable, writable) in table {
            assert_eq!(access.is_readable(), readable, "{access:?}");
            assert_eq!(access.is_writable_by_client(), writable, "{access:?}");
        }
    }

    /// Which modes may end in `()` and `(_)`, as the table of §5.2 says.
    #[test]
    fn path_endings_follow_the_table() {
        let table = [
            (Access::ReadWrite, true, false),
            (Access::Read, true, false),
            (Access::Write, false, true),
            (Access::Action, true, true),
        ];
        for (access, call, setter) in table {
            assert_eq!(allows(access, "a.name()"), call, "{access:?} with ()");
            assert_eq!(allows(access, "..name()"), call, "{access:?} with ..()");
            assert_eq!(allows(access, "a.name(_)"), setter, "{access:?} with (_)");
        }
    }

    #[test]
    fn other_endings_are_allowed_for_every_mode() {
        for access in ALL {
            for path in ["a", "items.0", "a().b", "..", "..x", "f().0"] {
                assert!(allows(access, path), "{access:?} with `{path}`");
            }
        }
    }
}
