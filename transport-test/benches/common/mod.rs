//! What the session benches share.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use lunette_core::{Config, Core, HttpReply, SeededIds, Site};

/// A core of `site` in which `count` sessions were created with `GET /` (and never expire),
/// and how long creating them took.
pub fn core_with_sessions(site: Site, count: usize) -> (Core, Duration) {
    let now = Instant::now();
    let config = Config {
        unclaimed_timeout: None,
        ..Config::default()
    };
    let mut core = Core::new(config, site, Box::new(SeededIds::new(7)), now);
    let started = Instant::now();
    for _ in 0..count {
        let request = Request::get("/").body(Bytes::new()).expect("request");
        match core.handle_http(now, request) {
            Ok(HttpReply::Respond(response)) => assert_eq!(response.status(), 302),
            other => panic!("GET / should redirect: {other:?}"),
        }
        while core.poll_output().is_some() {}
    }
    (core, started.elapsed())
}
