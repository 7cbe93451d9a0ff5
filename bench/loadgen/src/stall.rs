//! `loadgen stall`: how long another session waits while one session keeps the shard busy
//! (issue 12, docs/protocol.md §4.6). Runs against `bench/sites/stall`.
//!
//! Two sessions, each over its own WebSocket. The busy one repeats the scenario's heavy step,
//! sending the next as soon as the answer to the last arrives, so that its shard always has
//! its work to do. The other one times round trips through the cheap action `bump()`: a
//! user-event update of its `action` variable until the new `count` arrives, one after
//! another. Both run on loadgen's one thread; neither does more than read a frame and send the
//! next, so the client adds little to what it measures.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::cli::{Scenario, StallArgs};
use crate::http1::HttpConn;
use crate::stats::{Latencies, ms};
use crate::target::Target;
use crate::ws::Socket;
use crate::{Error, cpu, session, ws};

/// Bindings the busy session sends per frame in the `bindings` scenarios: 1,000 creates are
/// about 80 KB, well under the server's 1 MiB `--max-frame-bytes`.
const BINDINGS_PER_FRAME: u32 = 1000;

/// First id of the `countText()` bindings; the ids below are the named ones.
const FIRST_BINDING: u32 = 100;

/// A `create` of wire id `id` under variable 1.
fn bind(id: u32, path: &str, access: &str) -> String {
    format!(
        r#"{{"type":"create","data":{{"id":{id},"parentId":1,"properties":{{"path":"{path}","access":"{access}"}}}}}}"#
    )
}

/// A batch of `messages` (already JSON).
fn batch(user_event: bool, messages: &[String]) -> String {
    format!(
        r#"{{"userEvent":{user_event},"messages":[{}]}}"#,
        messages.join(",")
    )
}

/// A user event writing `value` (JSON) to variable `var_id`: an action runs.
fn write(var_id: u32, value: &str) -> String {
    batch(
        true,
        &[format!(
            r#"{{"type":"update","data":{{"varId":{var_id},"value":{value}}}}}"#
        )],
    )
}

/// The text of an update that gives variable `var_id` the number `value` and nothing else.
fn number_update(var_id: u32, value: u64) -> String {
    format!(r#""varId":{var_id},"value":{value}}}"#)
}

pub async fn run(args: StallArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let mut http = HttpConn::new(&target);
    let mut probe = Probe::open(&mut http, &target).await?;
    let busy = Busy::open(&mut http, &target, &args).await?;
    for _ in 0..args.warmup {
        probe.round_trip().await?;
    }

    let (stop, stopped) = watch::channel(false);
    let busy = tokio::spawn(busy.run(stopped));
    let cpu_start = cpu::used();
    let start = Instant::now();
    let mut samples = Vec::new();
    while start.elapsed() < args.duration {
        samples.push(probe.round_trip().await?);
    }
    let wall = start.elapsed();
    let cpu = cpu::report(cpu_start, wall);
    let _ = stop.send(true);
    let heavy = Latencies::new(busy.await??);
    let latencies = Latencies::new(samples);
    println!(
        "stall {}: {} round trips of the other session in {:.2} s: p50 {}, p99 {}, max {}; \
         {} heavy steps done, each p50 {}, max {}; {cpu}",
        args.scenario.name(),
        latencies.len(),
        wall.as_secs_f64(),
        ms(latencies.percentile(50.0)),
        ms(latencies.percentile(99.0)),
        ms(latencies.max()),
        heavy.len(),
        ms(heavy.percentile(50.0)),
        ms(heavy.max()),
    );
    Ok(())
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Runaway => "runaway",
            Self::Bindings => "bindings",
            Self::BindingsChanged => "bindings-changed",
        }
    }
}

/// The measured session: `count` is variable 2, `bump()` variable 3.
struct Probe {
    socket: Socket,
    count: u64,
}

impl Probe {
    async fn open(http: &mut HttpConn, target: &Target) -> Result<Self, Error> {
        let mut socket = session::open(http, target, &ws::watch_of_1(false)).await?;
        let creates = [bind(2, "count", "r"), bind(3, "bump()", "action")];
        ws::send(&mut socket, &batch(false, &creates)).await?;
        ws::wait_for(&mut socket, &number_update(2, 0))
            .await
            .map_err(|e| format!("{e} (is the server running --dir bench/sites/stall?)"))?;
        Ok(Self { socket, count: 0 })
    }

    /// One round trip: `bump()` until the new count arrives.
    async fn round_trip(&mut self) -> Result<Duration, Error> {
        let sent = Instant::now();
        self.count += 1;
        ws::send(&mut self.socket, &write(3, "null")).await?;
        ws::wait_for(&mut self.socket, &number_update(2, self.count)).await?;
        Ok(sent.elapsed())
    }
}

/// The busy session, set up for its scenario.
struct Busy {
    socket: Socket,
    scenario: Scenario,
    /// The frame that starts a heavy step.
    step: String,
    /// The variable whose new value ends a step (all but `runaway`, which ends in an error).
    answer: u32,
}

impl Busy {
    async fn open(http: &mut HttpConn, target: &Target, args: &StallArgs) -> Result<Self, Error> {
        let mut socket = session::open(http, target, &ws::watch_of_1(false)).await?;
        // Every scenario binds `done` (2), `count` (3) and `ticks` (4): their first values
        // say the set-up frame was run.
        let mut creates = vec![
            bind(2, "done", "r"),
            bind(3, "count", "r"),
            bind(4, "ticks", "r"),
        ];
        let (step, answer) = match args.scenario {
            Scenario::Action => {
                creates.push(bind(5, "spin(_)", "action"));
                (write(5, &args.iterations.to_string()), 2)
            }
            Scenario::Runaway => {
                creates.push(bind(5, "forever()", "action"));
                (write(5, "null"), 0)
            }
            Scenario::Bindings => {
                creates.push(bind(5, "tick()", "action"));
                (write(5, "null"), 4)
            }
            Scenario::BindingsChanged => {
                creates.push(bind(5, "bump()", "action"));
                (write(5, "null"), 3)
            }
        };
        ws::send(&mut socket, &batch(false, &creates)).await?;
        ws::wait_for(&mut socket, &number_update(4, 0)).await?;
        if matches!(
            args.scenario,
            Scenario::Bindings | Scenario::BindingsChanged
        ) {
            bind_counts(&mut socket, args.bindings).await?;
        }
        Ok(Self {
            socket,
            scenario: args.scenario,
            step,
            answer,
        })
    }

    /// Heavy steps one after another until `stopped`; the duration of each that ended before.
    async fn run(mut self, mut stopped: watch::Receiver<bool>) -> Result<Vec<Duration>, Error> {
        let mut durations = Vec::new();
        loop {
            let began = Instant::now();
            let n = durations.len() as u64 + 1;
            tokio::select! {
                step = self.step(n) => step?,
                _ = stopped.wait_for(|stop| *stop) => return Ok(durations),
            }
            durations.push(began.elapsed());
        }
    }

    /// The `n`th heavy step, until its answer.
    async fn step(&mut self, n: u64) -> Result<(), Error> {
        ws::send(&mut self.socket, &self.step).await?;
        if self.scenario != Scenario::Runaway {
            return ws::wait_for(&mut self.socket, &number_update(self.answer, n)).await;
        }
        loop {
            let text = ws::next_text(&mut self.socket).await?;
            if text.contains(r#""type":"error""#) {
                if text.contains(r#""code":"lua-error""#) {
                    return Ok(());
                }
                return Err(format!("forever() ended in another error: {}", text.as_str()).into());
            }
        }
    }
}

/// Binds `count` variables to `countText()`, a frame of [`BINDINGS_PER_FRAME`] at a time,
/// each frame answered (the new variables' first values) before the next is sent.
async fn bind_counts(socket: &mut Socket, count: u32) -> Result<(), Error> {
    let ids: Vec<u32> = (FIRST_BINDING..FIRST_BINDING + count).collect();
    for chunk in ids.chunks(BINDINGS_PER_FRAME as usize) {
        let creates: Vec<String> = chunk
            .iter()
            .map(|&id| bind(id, "countText()", "r"))
            .collect();
        ws::send(socket, &batch(false, &creates)).await?;
        if let Some(last) = chunk.last() {
            ws::wait_for(socket, &format!(r#""varId":{last},"value":"0"}}"#)).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_the_json_the_protocol_describes() {
        let frame = batch(false, &[bind(7, "spin(_)", "action")]);
        let value: serde_json::Value = serde_json::from_str(&frame).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({"userEvent": false, "messages": [{"type": "create", "data": {
                "id": 7, "parentId": 1, "properties": {"path": "spin(_)", "access": "action"}}}]})
        );
        let value: serde_json::Value = serde_json::from_str(&write(5, "42")).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({"userEvent": true, "messages": [
                {"type": "update", "data": {"varId": 5, "value": 42}}]})
        );
    }

    #[test]
    fn a_number_update_matches_only_its_own_value() {
        let reply = r#"[{"type":"update","data":{"varId":2,"value":10}},{"type":"update","data":{"varId":3,"value":1}}]"#;
        assert!(reply.contains(&number_update(2, 10)));
        assert!(!reply.contains(&number_update(2, 1)));
        assert!(reply.contains(&number_update(3, 1)));
    }
}
