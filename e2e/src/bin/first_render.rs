//! First render in a real browser (BENCHMARKS.md): headless Chromium opens `/` on a fresh
//! `lunette` (default: `demo/contacts`) and the time from navigation start to the app fully
//! rendered (default: the three contact names shown) is read from the page's own clock. After
//! `--warmup` loads (default 2), `--loads` loads (default 10) are measured; each is a new
//! session, with the browser's cache warm (the client's files revalidate with `304`s). Prints
//! every load, the medians, and with `--timeline` the median load's timeline: the page and
//! module fetches (Navigation and Resource Timing) and each WebSocket frame (recorded by
//! `e2e/src/recorder.js`).
//!
//! ```text
//! cargo run --release -p lunette-e2e --bin first_render -- [--site DIR] [--ready CSS]
//!     [--count N] [--loads N] [--warmup N] [--timeline]
//! ```
//!
//! `LUNETTE_BINARY=path` measures a given `lunette` build instead of building this checkout's.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lunette_e2e::{Browser, Frame, Server, TIMEOUT, workspace_root};
use serde_json::{Value, json};

struct Options {
    site: PathBuf,
    ready: String,
    count: usize,
    loads: usize,
    warmup: usize,
    timeline: bool,
}

fn options() -> Options {
    let mut options = Options {
        site: workspace_root().join("demo/contacts"),
        ready: ".rows .row .name".to_owned(),
        count: 3,
        loads: 10,
        warmup: 2,
        timeline: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        let number = |text: String| {
            text.parse::<usize>()
                .unwrap_or_else(|_| panic!("not a number: {text}"))
        };
        match arg.as_str() {
            "--site" => options.site = workspace_root().join(value()),
            "--ready" => options.ready = value(),
            "--count" => options.count = number(value()),
            "--loads" => options.loads = number(value()),
            "--warmup" => options.warmup = number(value()),
            "--timeline" => options.timeline = true,
            other => panic!(
                "unknown argument {other}; usage: first_render [--site DIR] [--ready CSS] \
                 [--count N] [--loads N] [--warmup N] [--timeline]"
            ),
        }
    }
    options
}

/// What one load's page reports once rendered.
const COLLECT: &str = r#"
const nav = performance.getEntriesByType("navigation")[0];
const record = window.__lunetteRecord;
return {
  redirectEnd: nav.redirectEnd,
  requestStart: nav.requestStart,
  responseEnd: nav.responseEnd,
  domContentLoaded: nav.domContentLoadedEventEnd,
  resources: performance.getEntriesByType("resource").map((e) => ({
    name: new URL(e.name).pathname,
    start: e.startTime,
    end: e.responseEnd,
    transferred: e.transferSize,
  })),
  socketCreated: record.socketCreated,
  socketOpened: record.socketOpened,
  ready: record.ready,
};
"#;

struct Load {
    ready: f64,
    dom_content_loaded: f64,
    socket_opened: f64,
    /// Outbound frames before the app was rendered: the round trips it took.
    round_trips: usize,
    report: Value,
    frames: Vec<Frame>,
}

async fn load(browser: &Browser, server: &Server) -> Load {
    browser.goto("about:blank").await;
    browser.goto(&server.url("/")).await;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let ready = browser
            .execute("return window.__lunetteRecord?.ready ?? null;", vec![])
            .await;
        if ready.is_number() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not render within {TIMEOUT:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let the frames that follow the render arrive, for the timeline.
    let mut frames = browser.recorded_frames().await;
    loop {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let now = browser.recorded_frames().await;
        if now.len() == frames.len() {
            break;
        }
        frames = now;
    }
    let report = browser.execute(COLLECT, vec![]).await;
    let number = |key: &str| report[key].as_f64().unwrap_or(f64::NAN);
    let ready = number("ready");
    Load {
        ready,
        dom_content_loaded: number("domContentLoaded"),
        socket_opened: number("socketOpened"),
        round_trips: frames.iter().filter(|f| f.outbound && f.at < ready).count(),
        report,
        frames,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn frame_summary(frame: &Frame) -> String {
    let messages = frame.messages();
    let mut kinds: Vec<(String, usize)> = Vec::new();
    for message in &messages {
        let kind = message["type"].as_str().unwrap_or("?").to_owned();
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => kinds.push((kind, 1)),
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let user = if frame.json()["userEvent"] == json!(true) {
        ", userEvent"
    } else {
        ""
    };
    format!(
        "{} message{} ({}){user}, {} bytes",
        messages.len(),
        if messages.len() == 1 { "" } else { "s" },
        kinds.join(", "),
        frame.text.len()
    )
}

fn print_timeline(load: &Load) {
    let report = &load.report;
    let at = |key: &str| report[key].as_f64().unwrap_or(f64::NAN);
    let mut lines: Vec<(f64, String)> = vec![
        (0.0, "navigation start: GET /".to_owned()),
        (at("redirectEnd"), "302 received; GET /<sid>".to_owned()),
        (at("responseEnd"), "page received".to_owned()),
        (at("domContentLoaded"), "DOMContentLoaded".to_owned()),
        (at("socketCreated"), "WebSocket created".to_owned()),
        (at("socketOpened"), "WebSocket open".to_owned()),
        (load.ready, "APP RENDERED".to_owned()),
    ];
    for resource in report["resources"].as_array().into_iter().flatten() {
        let start = resource["start"].as_f64().unwrap_or(f64::NAN);
        let end = resource["end"].as_f64().unwrap_or(f64::NAN);
        lines.push((
            start,
            format!(
                "{} requested; its {} bytes arrived at {end:.1}",
                resource["name"].as_str().unwrap_or("?"),
                resource["transferred"]
            ),
        ));
    }
    let mut previous_in = None;
    for frame in &load.frames {
        let (arrow, after) = if frame.outbound {
            let wait =
                previous_in.map(|t| format!(" (+{:.1} ms after the last inbound)", frame.at - t));
            ("-> sent    ", wait.unwrap_or_default())
        } else {
            previous_in = Some(frame.at);
            ("<- received", String::new())
        };
        lines.push((frame.at, format!("{arrow} {}{after}", frame_summary(frame))));
    }
    lines.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (t, what) in lines {
        println!("  {t:7.1} ms  {what}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = options();
    let browser = Browser::start().await;
    browser.record_frames(Some((&options.ready, options.count)));
    let server = Server::start(Some(&options.site), &[]);
    println!(
        "first render of {} (ready: {} × {:?}), {} warm-up + {} loads",
        options.site.display(),
        options.count,
        options.ready,
        options.warmup,
        options.loads
    );
    for _ in 0..options.warmup {
        load(&browser, &server).await;
    }
    let mut loads = Vec::new();
    for i in 0..options.loads {
        let load = load(&browser, &server).await;
        println!(
            "load {:2}: rendered {:6.1} ms  DOMContentLoaded {:5.1} ms  socket open {:5.1} ms  \
             round trips {}",
            i + 1,
            load.ready,
            load.dom_content_loaded,
            load.socket_opened,
            load.round_trips
        );
        loads.push(load);
    }
    let ready = median(loads.iter().map(|l| l.ready).collect());
    println!(
        "median: rendered {ready:.1} ms (min {:.1}, max {:.1})  DOMContentLoaded {:.1} ms  \
         socket open {:.1} ms  round trips {}",
        loads.iter().map(|l| l.ready).fold(f64::INFINITY, f64::min),
        loads.iter().map(|l| l.ready).fold(0.0, f64::max),
        median(loads.iter().map(|l| l.dom_content_loaded).collect()),
        median(loads.iter().map(|l| l.socket_opened).collect()),
        median(loads.iter().map(|l| l.round_trips as f64).collect()),
    );
    if options.timeline {
        let typical = loads
            .iter()
            .min_by(|a, b| (a.ready - ready).abs().total_cmp(&(b.ready - ready).abs()))
            .expect("at least one load");
        println!("timeline of the load closest to the median:");
        print_timeline(typical);
    }
}
