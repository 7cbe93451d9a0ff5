//! Subcommands and flags.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Load client for the lunette binary. Point it at a running server (`--url` is the address
/// the server prints on startup).
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Full sessions per second: GET /, GET /<sid>, WebSocket, watch variable 1, wait for its
    /// value, close; repeated by every worker until the duration is over
    Sessions(SessionsArgs),
    /// WebSocket round trips against the Adder app (`lunette --dir demo/adder`): time from
    /// sending a user update of value1 to receiving the new compute() value
    Roundtrip(RoundtripArgs),
    /// Opens many sessions, each with a WebSocket that watched variable 1, prints "ready" and
    /// holds them until stdin closes (at once if stdin is /dev/null) or Ctrl-C. Needs about one
    /// file descriptor per session (`ulimit -n`), on the server's side as well
    Idle(IdleArgs),
    /// Another session's round trips while one session keeps its shard busy (issue 12): one
    /// busy session repeats the scenario's heavy step as soon as the last one is answered,
    /// while a second one times user-event round trips through a cheap action. Needs the
    /// bench site (`lunette --dir bench/sites/stall --shards 1`)
    Stall(StallArgs),
    /// Serves the least that `roundtrip` needs (sessions, the Adder's frames) with no Lua and
    /// no tracker, on one thread: the floor lunette's round trip is compared with. Prints
    /// "loadgen floor serving at http://…/" and serves until killed
    Floor(FloorArgs),
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Server address, e.g. http://127.0.0.1:8080/
    #[arg(long)]
    pub url: String,
    /// Workers running sessions one after another, each over its own keep-alive connection
    #[arg(long, default_value_t = 20)]
    pub concurrency: usize,
    /// How long workers start new sessions, e.g. 10s, 500ms, 1m
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Send the watch as a user event (answered at once) instead of as the browser does
    /// (answered at the 10 ms flush deadline)
    #[arg(long)]
    pub user_event: bool,
}

#[derive(Debug, Args)]
pub struct RoundtripArgs {
    /// Server address, e.g. http://127.0.0.1:8080/
    #[arg(long)]
    pub url: String,
    /// Measured round trips
    #[arg(long, default_value_t = 2000)]
    pub count: u64,
    /// Unmeasured round trips before them
    #[arg(long, default_value_t = 100)]
    pub warmup: u64,
}

#[derive(Debug, Args)]
pub struct StallArgs {
    /// Server address, e.g. http://127.0.0.1:8080/
    #[arg(long)]
    pub url: String,
    /// What the busy session does
    #[arg(long, value_enum)]
    pub scenario: Scenario,
    /// How long the other session times round trips while the busy one works, e.g. 5s
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Unmeasured round trips of the other session before the busy one starts
    #[arg(long, default_value_t = 100)]
    pub warmup: u64,
    /// `action`: iterations of the site's `spin(_)` per heavy step; the default is the site's
    /// `long()`, about 100 ms in a release build on the development machine
    #[arg(long, default_value_t = 6_000_000)]
    pub iterations: u64,
    /// `bindings` and `bindings-changed`: variables the busy session binds to `countText()`
    #[arg(long, default_value_t = 10_000)]
    pub bindings: u32,
}

/// The busy session's heavy step, repeated as soon as the last one is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// `spin(_)` with `--iterations` (about 100 ms of Lua by default)
    Action,
    /// `forever()`, a loop that only `--lua-budget` stops (a lua-error)
    Runaway,
    /// `tick()` in a session with `--bindings` variables bound to `countText()`: each cycle
    /// re-evaluates them all (methods are always called) and finds them unchanged
    Bindings,
    /// As `bindings`, but the step is `bump()`, which changes every `countText()`: each cycle
    /// also sends all of them (one frame of `--bindings` updates)
    BindingsChanged,
}

#[derive(Debug, Args)]
pub struct IdleArgs {
    /// Server address, e.g. http://127.0.0.1:8080/
    #[arg(long)]
    pub url: String,
    /// Sessions to open and hold
    #[arg(long, default_value_t = 1000)]
    pub sessions: usize,
    /// Sessions being opened at a time
    #[arg(long, default_value_t = 20)]
    pub concurrency: usize,
}

#[derive(Debug, Args)]
pub struct FloorArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Spin this many microseconds (wall clock) before answering each frame: a server on this
    /// stack whose per-frame work took that long, e.g. lunette's core step, to see how much of
    /// a gap to the floor that work alone explains
    #[arg(long, default_value_t = 0)]
    pub busy_us: u64,
}

/// `500ms`, `10s`, `2m`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let number: f64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 10s, 500ms or 2m"))?;
    let seconds = match &text[digits.len()..] {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        unit => return Err(format!("unknown unit {unit:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("{text:?}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("10h").is_err());
        assert!(parse_duration("s").is_err());
    }
}
