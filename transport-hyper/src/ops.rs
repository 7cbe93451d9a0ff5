//! What operators and load balancers ask a node (issue 13): `/healthz` and `/metrics`, and the
//! process-wide state behind them (draining, each shard's latest [`Stats`], step durations).
//!
//! The transport answers both paths itself: no core is asked, no session created, no Lua run.
//! Each shard publishes its core's stats after every step; `/metrics` adds them up. Served on
//! the main port by default, on `--ops-addr` alone when given, nowhere with
//! `--no-ops-endpoints`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{Method, Response, StatusCode};
use lunette_core::Stats;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::responses::plain;

pub const HEALTHZ: &str = "/healthz";
pub const METRICS: &str = "/metrics";

/// Upper bounds of the step-duration buckets, in seconds: 100 µs to 2.5 s.
const STEP_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Shared by the shards (which publish), the signal handler (which drains) and whoever
/// answers `/healthz` and `/metrics`.
#[derive(Debug)]
pub struct Ops {
    draining: AtomicBool,
    /// Each shard's stats as of the end of its last step.
    shards: Vec<Mutex<Stats>>,
    steps: Histogram,
}

impl Ops {
    pub fn new(shards: usize) -> Arc<Self> {
        Arc::new(Self {
            draining: AtomicBool::new(false),
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(Stats::default()))
                .collect(),
            steps: Histogram::new(STEP_BUCKETS),
        })
    }

    /// From now on `/healthz` answers 503; each shard tells its core at its next step.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// A shard's stats after a step, and how long the step took.
    pub fn publish(&self, shard: usize, stats: Stats, step: Duration) {
        self.steps.observe(step.as_secs_f64());
        if let Some(slot) = self.shards.get(shard) {
            *slot.lock().unwrap_or_else(PoisonError::into_inner) = stats;
        }
    }

    /// The process's stats: every shard's added up.
    pub fn total(&self) -> Stats {
        self.shards
            .iter()
            .map(|slot| *slot.lock().unwrap_or_else(PoisonError::into_inner))
            .fold(Stats::default(), |sum, shard| sum + shard)
    }

    /// The answer to `GET`/`HEAD` of `/healthz` or `/metrics`; `None` for any other request.
    pub fn answer(&self, method: &Method, path: &str) -> Option<Response<Bytes>> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        let mut response = match path {
            HEALTHZ if self.is_draining() => plain(StatusCode::SERVICE_UNAVAILABLE, "draining\n"),
            HEALTHZ => plain(StatusCode::OK, "ok\n"),
            METRICS => {
                let mut response = Response::new(Bytes::from(self.render()));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static(
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    ),
                );
                response
            }
            _ => return None,
        };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if method == Method::HEAD {
            *response.body_mut() = Bytes::new();
        }
        Some(response)
    }

    /// `/metrics`: the process's stats in the Prometheus (OpenMetrics) text format.
    pub fn render(&self) -> String {
        render(&self.total(), self.is_draining(), &self.steps)
    }
}

/// Serves `/healthz` and `/metrics` on `--ops-addr` for as long as the process runs; any
/// other path is `404`.
pub async fn serve(listener: tokio::net::TcpListener, ops: Arc<Ops>) {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioIo, TokioTimer};
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                tracing::warn!("--ops-addr: accepting a connection failed: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let ops = Arc::clone(&ops);
        let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let response = ops
                .answer(request.method(), request.uri().path())
                .unwrap_or_else(|| plain(StatusCode::NOT_FOUND, "404 Not Found\n"));
            async move { Ok::<_, std::convert::Infallible>(response.map(http_body_util::Full::new)) }
        });
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!("--ops-addr connection ended: {error}");
            }
        });
    }
}

fn render(stats: &Stats, draining: bool, steps: &Histogram) -> String {
    let mut registry = Registry::default();
    let gauge = |n: usize| ConstGauge::new(i64::try_from(n).unwrap_or(i64::MAX));
    registry.register("lunette_sessions", "Live sessions", gauge(stats.sessions));
    registry.register(
        "lunette_connections",
        "Open WebSocket connections",
        gauge(stats.connections),
    );
    registry.register(
        "lunette_sessions_memory_bytes",
        "Memory all sessions held after their last steps (Lua heaps and trackers)",
        gauge(stats.sessions_memory),
    );
    registry.register(
        "lunette_draining",
        "1 from the first SIGTERM: the node starts no new sessions",
        ConstGauge::new(i64::from(draining || stats.draining)),
    );
    let counters = [
        (
            "lunette_sessions_created",
            "Sessions created",
            stats.sessions_created,
        ),
        (
            "lunette_sessions_expired",
            "Sessions ended by --session-timeout or --unclaimed-timeout",
            stats.sessions_expired,
        ),
        (
            "lunette_sessions_evicted",
            "Idle sessions ended to make room (--max-sessions, --max-memory)",
            stats.sessions_evicted,
        ),
        (
            "lunette_frames_received",
            "Inbound WebSocket messages",
            stats.frames_received,
        ),
        (
            "lunette_lua_errors",
            "Calls into Lua that ended in an error",
            stats.lua_errors,
        ),
        (
            "lunette_budget_exhausted",
            "Calls into Lua stopped by --lua-budget or --step-timeout",
            stats.budget_exhausted,
        ),
    ];
    for (name, help, value) in counters {
        // The encoder appends `_total` to a counter's name.
        registry.register(name, help, ConstCounter::new(value));
    }
    registry.register(
        "lunette_step_duration_seconds",
        "Time a shard spent on one step (a request, a message, a timer)",
        steps.clone(),
    );
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> Stats {
        Stats {
            sessions: 3,
            connections: 2,
            sessions_memory: 4096,
            draining: false,
            sessions_created: 7,
            sessions_expired: 2,
            sessions_evicted: 1,
            frames_received: 40,
            lua_errors: 5,
            budget_exhausted: 4,
        }
    }

    fn sample(text: &str, name: &str) -> Option<String> {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .map(str::to_owned)
    }

    #[test]
    fn renders_every_metric_with_its_type_and_value() {
        let ops = Ops::new(2);
        ops.publish(0, stats(), Duration::from_micros(300));
        ops.publish(1, stats(), Duration::from_millis(30));
        let text = ops.render();
        for (name, value) in [
            ("lunette_sessions", "6"),
            ("lunette_connections", "4"),
            ("lunette_sessions_memory_bytes", "8192"),
            ("lunette_draining", "0"),
            ("lunette_sessions_created_total", "14"),
            ("lunette_sessions_expired_total", "4"),
            ("lunette_sessions_evicted_total", "2"),
            ("lunette_frames_received_total", "80"),
            ("lunette_lua_errors_total", "10"),
            ("lunette_budget_exhausted_total", "8"),
            ("lunette_step_duration_seconds_count", "2"),
        ] {
            assert_eq!(
                sample(&text, name).as_deref(),
                Some(value),
                "{name}\n{text}"
            );
        }
        assert!(text.contains("# TYPE lunette_sessions gauge"), "{text}");
        assert!(
            text.contains("# TYPE lunette_sessions_created counter"),
            "{text}"
        );
        assert!(text.contains("# TYPE lunette_step_duration_seconds histogram"));
        assert!(
            text.contains("lunette_step_duration_seconds_bucket{le=\"0.0005\"} 1"),
            "{text}"
        );
        assert!(text.contains("lunette_step_duration_seconds_bucket{le=\"0.05\"} 2"));
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn a_shard_publishing_again_replaces_its_snapshot() {
        let ops = Ops::new(2);
        ops.publish(1, stats(), Duration::ZERO);
        ops.publish(1, Stats::default(), Duration::ZERO);
        assert_eq!(ops.total(), Stats::default());
    }

    #[test]
    fn healthz_turns_503_when_draining_and_metrics_say_so() {
        let ops = Ops::new(1);
        let ok = ops.answer(&Method::GET, HEALTHZ);
        assert_eq!(ok.map(|r| r.status()), Some(StatusCode::OK));
        ops.start_draining();
        let draining = ops.answer(&Method::GET, HEALTHZ);
        assert_eq!(
            draining.map(|r| r.status()),
            Some(StatusCode::SERVICE_UNAVAILABLE)
        );
        assert_eq!(
            sample(&ops.render(), "lunette_draining").as_deref(),
            Some("1")
        );
        let head = ops.answer(&Method::HEAD, METRICS);
        assert!(head.is_some_and(|r| r.body().is_empty()));
    }

    #[test]
    fn other_paths_and_methods_are_not_ops_requests() {
        let ops = Ops::new(1);
        assert!(ops.answer(&Method::GET, "/").is_none());
        assert!(ops.answer(&Method::GET, "/healthz/").is_none());
        assert!(ops.answer(&Method::POST, HEALTHZ).is_none());
    }
}
