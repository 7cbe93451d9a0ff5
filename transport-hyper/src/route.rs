//! Which shard must serve a request: the one that owns the session named in its path. Other
//! requests (a `GET /` creating a session, static files) are served by whichever shard's
//! thread accepted the connection.

use lunette_core::SessionId;
use percent_encoding::percent_decode_str;

/// The shard among `shards` that owns the session this (raw, still percent-encoded) URI path
/// names, if it names one.
pub fn owner(path: &str, shards: usize) -> Option<usize> {
    session_in_path(path).map(|sid| sid.shard(shards))
}

/// The well-formed sid a path names, as core will see it: the first segment of the decoded
/// path, or the second one for `/ws/…`.
fn session_in_path(path: &str) -> Option<SessionId> {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut segments = decoded.strip_prefix('/')?.split('/');
    let first = segments.next()?;
    let candidate = if first == "ws" {
        segments.next()?
    } else {
        first
    };
    SessionId::parse(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "7c1e0b5a9d3f4e2687a1c0d9e8f7b6a5";

    fn sid() -> Option<SessionId> {
        SessionId::parse(SID)
    }

    #[test]
    fn finds_the_sid_of_session_paths() {
        assert_eq!(session_in_path(&format!("/{SID}")), sid());
        assert_eq!(session_in_path(&format!("/{SID}/")), sid());
        assert_eq!(session_in_path(&format!("/{SID}/variables.json")), sid());
        assert_eq!(session_in_path(&format!("/ws/{SID}")), sid());
    }

    #[test]
    fn decodes_the_path_first_as_core_does() {
        assert_eq!(session_in_path(&format!("/%37{}", &SID[1..])), sid());
        assert_eq!(session_in_path(&format!("/ws%2F{SID}")), sid());
        assert_eq!(session_in_path("/%ff%fe"), None);
        assert_eq!(session_in_path(&format!("/{SID}/%ff")), sid());
    }

    #[test]
    fn other_paths_name_no_session() {
        for path in [
            "/",
            "",
            "/ws",
            "/ws/",
            "/lunette/client.js",
            &format!("/x/{SID}"),
            &format!("/{}", SID.to_uppercase()),
            &format!("/{}", &SID[1..]),
            &format!("/ws/ws/{SID}"),
        ] {
            assert_eq!(session_in_path(path), None, "{path:?}");
            assert_eq!(owner(path, 4), None, "{path:?}");
        }
    }

    #[test]
    fn a_sid_goes_to_its_own_shard_every_time() {
        let Some(sid) = sid() else {
            panic!("test sid should parse")
        };
        for path in [format!("/{SID}"), format!("/ws/{SID}"), format!("/{SID}/a")] {
            assert_eq!(owner(&path, 4), Some(sid.shard(4)));
            assert_eq!(owner(&path, 1), Some(0));
        }
    }
}
