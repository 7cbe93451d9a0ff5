//! Which shard serves a request: the one that owns the session named in its path, else the
//! next one in turn (a `GET /` creates its session on whichever shard it lands on).

use std::sync::atomic::{AtomicUsize, Ordering};

use lunette_core::SessionId;
use percent_encoding::percent_decode_str;

/// Picks shards for requests.
#[derive(Debug)]
pub struct Router {
    shards: usize,
    next: AtomicUsize,
}

impl Router {
    pub fn new(shards: usize) -> Self {
        Self {
            shards: shards.max(1),
            next: AtomicUsize::new(0),
        }
    }

    /// The shard for a request with this (raw, still percent-encoded) URI path.
    pub fn shard_for(&self, path: &str) -> usize {
        match session_in_path(path) {
            Some(sid) => sid.shard(self.shards),
            None => self.next.fetch_add(1, Ordering::Relaxed) % self.shards,
        }
    }
}

/// The well-formed sid a path names, as core will see it: the first segment of the decoded
/// path, or the second one for `/ws/…`.
pub fn session_in_path(path: &str) -> Option<SessionId> {
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
        }
    }

    #[test]
    fn a_sid_goes_to_its_own_shard_every_time() {
        let router = Router::new(4);
        let Some(sid) = sid() else {
            panic!("test sid should parse")
        };
        for path in [format!("/{SID}"), format!("/ws/{SID}"), format!("/{SID}/a")] {
            assert_eq!(router.shard_for(&path), sid.shard(4));
        }
    }

    #[test]
    fn other_requests_take_turns() {
        let router = Router::new(3);
        let picks: Vec<usize> = (0..7).map(|_| router.shard_for("/")).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
        assert_eq!(Router::new(0).shard_for("/"), 0);
    }
}
