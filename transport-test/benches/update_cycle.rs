//! The cost of one update cycle with 10,000 watched variables in one session, when nothing
//! changed and when one value changed (docs/protocol.md §4.5). Run with
//! `cargo bench -p lunette-test --bench update_cycle`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use lunette_core::{Config, ConnId, Core, HttpReply, Output, SeededIds, Site};

const VARIABLES: usize = 10_000;
const ROUNDS: usize = 50;

const APP: &str = r#"
local items = {}
for i = 1, 10000 do items[i] = { name = "item " .. i } end
local app = { type = "App", items = items, tick = 0 }
function app:touch() self.tick = self.tick + 1; items[1].name = "item 1 #" .. self.tick end
session:createAppVariable(app)
"#;

fn main() {
    let mut site = Site::new();
    site.insert("lua/main.lua", Bytes::from_static(APP.as_bytes()));
    let start = Instant::now();
    let mut core = Core::new(Config::default(), site, Box::new(SeededIds::new(1)), start);
    let mut now = start;
    let sid = match core.handle_http(now, Request::get("/").body(Bytes::new()).expect("request")) {
        Ok(HttpReply::Respond(response)) => response.headers()["location"]
            .to_str()
            .expect("location")
            .trim_start_matches('/')
            .to_owned(),
        other => panic!("GET / should redirect: {other:?}"),
    };
    let upgrade = Request::get(format!("/ws/{sid}"))
        .header("upgrade", "websocket")
        .header("connection", "upgrade")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-version", "13")
        .body(Bytes::new())
        .expect("request");
    let conn = match core.handle_http(now, upgrade) {
        Ok(HttpReply::Upgrade { conn, .. }) => conn,
        other => panic!("upgrade refused: {other:?}"),
    };
    let mut creates = Vec::with_capacity(VARIABLES + 2);
    for i in 0..VARIABLES {
        creates.push(format!(
            r#"{{"type":"create","data":{{"id":{},"parentId":1,"properties":{{"path":"items.{i}.name","access":"r"}}}}}}"#,
            i + 2
        ));
    }
    let action = VARIABLES + 2;
    creates.push(format!(
        r#"{{"type":"create","data":{{"id":{action},"parentId":1,"properties":{{"path":"touch()","access":"action"}}}}}}"#
    ));
    let (_, first) = send(
        &mut core,
        now,
        conn,
        &format!(r#"{{"userEvent":true,"messages":[{}]}}"#, creates.join(",")),
    );
    // Every binding got its value, the last one too.
    assert_eq!(first.len(), 1, "one frame: {first:?}");
    for (id, name) in [(2, "item 1"), (VARIABLES + 1, "item 10000")] {
        let update = format!(r#"{{"type":"update","data":{{"varId":{id},"value":"{name}"}}}}"#);
        assert!(first[0].contains(&update), "no {update}");
    }

    let nothing = r#"{"userEvent":true,"messages":[]}"#;
    let one = format!(
        r#"{{"userEvent":true,"messages":[{{"type":"update","data":{{"varId":{action},"value":null}}}}]}}"#
    );
    // A binding appears and goes, as when a view is rendered: the tree's shape changes.
    let bound = action + 1;
    let create = format!(
        r#"{{"userEvent":true,"messages":[{{"type":"create","data":{{"id":{bound},"parentId":1,"properties":{{"path":"items.0.name","access":"r"}}}}}}]}}"#
    );
    let destroy = format!(
        r#"{{"userEvent":true,"messages":[{{"type":"destroy","data":{{"varId":{bound}}}}}]}}"#
    );
    let mut unchanged = Vec::with_capacity(ROUNDS);
    let mut changed = Vec::with_capacity(ROUNDS);
    let mut created = Vec::with_capacity(ROUNDS);
    // What each timed cycle sent is checked after it: a change that stopped sending the
    // update would otherwise read as a speed-up.
    for round in 1..=ROUNDS {
        now += Duration::from_millis(20);
        let (took, sent) = send(&mut core, now, conn, nothing);
        assert!(sent.is_empty(), "nothing changed, nothing sent: {sent:?}");
        unchanged.push(took);
        now += Duration::from_millis(20);
        let (took, sent) = send(&mut core, now, conn, &one);
        let name = format!("item 1 #{round}");
        assert_eq!(
            sent,
            [format!(
                r#"{{"type":"update","data":{{"varId":2,"value":"{name}"}}}}"#
            )]
        );
        changed.push(took);
        now += Duration::from_millis(20);
        let (took, sent) = send(&mut core, now, conn, &create);
        assert_eq!(
            sent,
            [format!(
                r#"{{"type":"update","data":{{"varId":{bound},"value":"{name}"}}}}"#
            )]
        );
        created.push(took);
        now += Duration::from_millis(20);
        let (_, sent) = send(&mut core, now, conn, &destroy);
        assert_eq!(
            sent,
            [format!(
                r#"{{"type":"destroy","data":{{"varId":{bound}}}}}"#
            )]
        );
    }
    // Medians: on a shared machine a few cycles land on a busy core, which a mean would smear
    // over all of them.
    println!(
        "update cycle with {VARIABLES} watched variables, median (p90) of {ROUNDS}: nothing changed {}, one changed {}, one binding created {}",
        summary(&mut unchanged),
        summary(&mut changed),
        summary(&mut created),
    );
}

fn summary(cycles: &mut [Duration]) -> String {
    cycles.sort();
    let at = |q: f64| cycles[((cycles.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    format!("{:.3} ms ({:.3} ms)", at(0.5), at(0.9))
}

/// One frame in, everything out; returns how long core took and the frames it sent.
fn send(core: &mut Core, now: Instant, conn: ConnId, text: &str) -> (Duration, Vec<String>) {
    let mut sent = Vec::new();
    let began = Instant::now();
    core.handle_ws_text(now, conn, text)
        .expect("open connection");
    loop {
        while let Some(output) = core.poll_output() {
            if let Output::WsSend { conn: to, text } = output {
                assert_eq!(to, conn);
                sent.push(text);
            }
        }
        // A step past its slice waits for handle_timeout, as a transport would call it.
        if core.suspended_steps() == 0 {
            break;
        }
        core.handle_timeout(now).expect("time did not go back");
    }
    (began.elapsed(), sent)
}
