//! Command-line flags (docs/protocol.md §1.1) and the duration syntax they use.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use lunette_core::Config;

use crate::ws_conns::DEFAULT_MAX_OUTBOUND;

/// lunette: a UI server. Every browser session gets its own Lua VM running the site's main.lua.
#[derive(Debug, Parser)]
#[command(name = "lunette", version)]
pub struct Cli {
    /// Site root holding lua/ (main.lua and modules), viewdefs/ and html/
    /// [default: the built-in default app]
    #[arg(long, value_name = "SITE")]
    pub dir: Option<PathBuf>,

    /// Address to listen on
    #[arg(long, value_name = "HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on; 0 picks a free one (the startup line shows which)
    #[arg(long, value_name = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// Live session limit, split evenly across shards; beyond it the oldest idle session is
    /// evicted
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_sessions: usize,

    /// Idle expiry of a session that has had a connection, e.g. 24h, 90m, 1h30m; 0 = never
    #[arg(long, value_name = "DUR", default_value = "24h", value_parser = parse_expiry)]
    pub session_timeout: Expiry,

    /// Expiry of a session no browser ever connected to, e.g. 2m, 30s; 0 = never
    #[arg(long, value_name = "DUR", default_value = "2m", value_parser = parse_expiry)]
    pub unclaimed_timeout: Expiry,

    /// Largest inbound WebSocket message, in bytes (after reassembling fragments); a larger
    /// one closes its connection with 1009
    #[arg(long, value_name = "BYTES", default_value_t = 1_048_576)]
    pub max_frame_bytes: usize,

    /// Bytes of outbound WebSocket frames a connection may have queued; a client that does
    /// not read while its queue passes this is closed with 1008 (its session lives on)
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_OUTBOUND)]
    pub max_outbound_bytes: usize,

    /// An Origin besides the server's own that may open WebSockets, e.g.
    /// https://app.example.com (repeat the flag for several) [default: none]
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,

    /// A Host name besides localhost, 127.x.y.z and [::1] that the server answers to, e.g.
    /// app.example or app.example:8443 (repeat the flag for several). Bound to a loopback
    /// address, or given this flag, the server answers other Host names with 421: that stops
    /// DNS rebinding, where a web page reaches a local server through a name of its own
    /// [default: none]
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,

    /// Variables per session; a create beyond it fails with limit-exceeded
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub max_variables: usize,

    /// Depth of a session's variable tree; a create deeper than it fails with limit-exceeded
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub max_depth: usize,

    /// Lua heap limit per session, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub lua_memory: usize,

    /// Memory all sessions together may hold (Lua heaps plus variables), in bytes; past it,
    /// new sessions evict idle ones or get 503 [default: half the machine's memory]
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<usize>,

    /// Wall-clock limit of one call into the core (a request, or one slice of a step); past
    /// it its Lua work is stopped as if out of budget, e.g. 2s, 500ms; 0 = none
    #[arg(long, value_name = "DUR", default_value = "2s", value_parser = parse_expiry)]
    pub step_timeout: Expiry,

    /// VM instructions per call into Lua, counted across its slices: a guard against
    /// runaway scripts, not a stall for others (see --lua-slice), so the default lets a
    /// legitimate heavy action (sorting thousands of rows, building a report) run for about a
    /// second; past it the call fails with lua-error
    #[arg(long, value_name = "N", default_value_t = 100_000_000)]
    pub lua_budget: u64,

    /// VM instructions per slice of a step: past a slice a session's Lua work is suspended and
    /// the shard serves its other sessions before resuming it, so one session's long action
    /// delays the others by about one slice (200000 is 1-2 ms); 0 = steps run to completion
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub lua_slice: u64,

    /// Bytes of frames that may wait behind a session's suspended step (plus a small charge per
    /// waiting message): a tab that sends more while its session is busy is closed with 1008,
    /// and a new connection to it gets 503 until the step ends
    #[arg(long, value_name = "BYTES", default_value_t = 4 * 1024 * 1024)]
    pub max_waiting_bytes: usize,

    /// Apply edits of the site's lua/, viewdefs/ and html/ files to live sessions: changed Lua
    /// files re-run in the sessions that loaded them, viewdefs are re-sent (needs --dir)
    #[arg(long, requires = "dir")]
    pub hotload: bool,

    /// Turn off the debug pages /<sid>/variables and /<sid>/variables.json (they answer 404)
    #[arg(long)]
    pub no_debug_pages: bool,

    /// Number of cores (threads) serving sessions; a session lives on one of them
    /// [default: the number of available CPUs]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub shards: Option<u16>,

    /// Serve the operator endpoints /healthz and /metrics on this address alone (e.g.
    /// 127.0.0.1:9100) instead of on the main port [default: on the main port]
    #[arg(long, value_name = "HOST:PORT", conflicts_with = "no_ops_endpoints")]
    pub ops_addr: Option<String>,

    /// Serve neither /healthz nor /metrics (those paths then reach the site like any other)
    #[arg(long)]
    pub no_ops_endpoints: bool,

    /// On SIGTERM the server drains: /healthz and GET / answer 503 while open sessions are
    /// still served, and it exits once no connection has been open for this long
    #[arg(long, value_name = "DUR", default_value = "5s", value_parser = parse_span)]
    pub drain_grace: Duration,

    /// A drain ends after this long even with connections still open (they are dropped)
    #[arg(long, value_name = "DUR", default_value = "10m", value_parser = parse_span)]
    pub drain_timeout: Duration,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the site's app tests (SITE/tests/*.lua) in headless tabs, without a browser; one
    /// line per test, then "N passed, M failed"; exit status 1 if any failed
    Test(TestArgs),
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Site root holding lua/, viewdefs/, html/ and tests/
    #[arg(long, value_name = "SITE", default_value = ".")]
    pub dir: PathBuf,

    /// Run only the tests whose "file:line name" contains this text
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
}

impl Cli {
    /// The `Host` names core answers to, for a server bound to `bound`: loopback ones and
    /// `--allow-host`s when bound to a loopback address or given `--allow-host`; else any.
    pub fn allowed_hosts(&self, bound: IpAddr) -> Option<Vec<String>> {
        (bound.is_loopback() || !self.allow_hosts.is_empty()).then(|| self.allow_hosts.clone())
    }

    /// How many shards to run: `--shards`, else one per available CPU, but never more than
    /// `--max-sessions`, so that every shard can hold at least one session.
    pub fn shard_count(&self) -> usize {
        let wanted = match self.shards {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        wanted.min(self.max_sessions).max(1)
    }

    /// The core configuration these flags describe, for shard 0 of 1 with the default epoch;
    /// each shard fills in its own `shard`, `shards` and `epoch`.
    pub fn config(&self) -> Config {
        Config {
            max_sessions: self.max_sessions,
            session_timeout: self.session_timeout.0,
            unclaimed_timeout: self.unclaimed_timeout.0,
            lua_memory: self.lua_memory,
            lua_budget: self.lua_budget,
            lua_slice: self.lua_slice,
            max_waiting_bytes: self.max_waiting_bytes,
            allow_origins: self.allow_origins.clone(),
            max_variables: self.max_variables,
            max_memory: Some(self.max_memory.unwrap_or_else(default_max_memory)),
            max_depth: self.max_depth,
            hotload: self.hotload,
            debug_pages: !self.no_debug_pages,
            ..Config::default()
        }
    }
}

/// Half of the machine's memory (`MemTotal` in /proc/meminfo), or 4 GiB where that cannot be
/// read: sessions then leave room for the rest of the process and the system.
fn default_max_memory() -> usize {
    const FALLBACK: usize = 4 << 30;
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib.saturating_mul(1024) / 2)
        })
        .unwrap_or(FALLBACK)
}

/// A timeout flag's value: `None` means never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry(pub Option<Duration>);

/// Parses `0` (never) or one or more `<digits><unit>` parts with units `ms`, `s`, `m`, `h`,
/// `d`: `24h`, `2m`, `30s`, `1h30m`, `250ms`. A total of zero also means never.
pub fn parse_expiry(text: &str) -> Result<Expiry, String> {
    let duration = parse_duration(text)?;
    Ok(Expiry((!duration.is_zero()).then_some(duration)))
}

/// A duration flag where 0 means no time at all (not "never").
pub fn parse_span(text: &str) -> Result<Duration, String> {
    parse_duration(text)
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let invalid = || format!("invalid duration {text:?}: expected e.g. 24h, 2m, 30s, 1h30m or 0");
    let mut rest = text;
    let mut total = Duration::ZERO;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, after) = rest.split_at(digits);
        let units = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(units);
        let count: u64 = number.parse().map_err(|_| invalid())?;
        let part = match unit {
            "ms" => Some(Duration::from_millis(count)),
            "s" => Some(Duration::from_secs(count)),
            "m" => count.checked_mul(60).map(Duration::from_secs),
            "h" => count.checked_mul(60 * 60).map(Duration::from_secs),
            "d" => count.checked_mul(24 * 60 * 60).map(Duration::from_secs),
            _ => return Err(invalid()),
        };
        total = part
            .and_then(|part| total.checked_add(part))
            .ok_or_else(|| format!("duration {text:?} is too long"))?;
        rest = after;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Result<Expiry, String> {
        Ok(Expiry(Some(Duration::from_secs(n))))
    }

    #[test]
    fn single_units() {
        assert_eq!(parse_expiry("24h"), secs(24 * 3600));
        assert_eq!(parse_expiry("2m"), secs(120));
        assert_eq!(parse_expiry("30s"), secs(30));
        assert_eq!(parse_expiry("7d"), secs(7 * 86_400));
        assert_eq!(
            parse_expiry("250ms"),
            Ok(Expiry(Some(Duration::from_millis(250))))
        );
    }

    #[test]
    fn compound_durations_add_up() {
        assert_eq!(parse_expiry("1h30m"), secs(5400));
        assert_eq!(
            parse_expiry("1m500ms"),
            Ok(Expiry(Some(Duration::from_millis(60_500))))
        );
    }

    #[test]
    fn zero_means_never() {
        assert_eq!(parse_expiry("0"), Ok(Expiry(None)));
        assert_eq!(parse_expiry("0s"), Ok(Expiry(None)));
        assert_eq!(parse_expiry("0h0m"), Ok(Expiry(None)));
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for text in [
            "", "5", "h", "5x", "-1s", "1.5h", " 5s", "5s ", "5 s", "5H", "s5", "1h30",
        ] {
            assert!(parse_expiry(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert!(parse_expiry("99999999999999999999s").is_err());
        assert!(parse_expiry("18446744073709551615d").is_err());
        assert!(parse_expiry("18446744073709551615s18446744073709551615s").is_err());
    }

    #[test]
    fn defaults_match_the_protocol() {
        let cli = Cli::parse_from(["lunette"]);
        assert_eq!(cli.dir, None);
        assert_eq!(cli.host, "127.0.0.1");
        assert_eq!(cli.port, 8080);
        let config = cli.config();
        let defaults = Config::default();
        assert_eq!(config.max_sessions, defaults.max_sessions);
        assert_eq!(config.session_timeout, Some(Duration::from_secs(86_400)));
        assert_eq!(config.unclaimed_timeout, Some(Duration::from_secs(120)));
        assert_eq!(config.lua_memory, 67_108_864);
        assert_eq!(config.lua_budget, defaults.lua_budget);
        assert_eq!(config.lua_slice, defaults.lua_slice);
        assert_eq!(config.max_waiting_bytes, defaults.max_waiting_bytes);
        assert_eq!(cli.max_frame_bytes, 1_048_576);
        assert_eq!(cli.max_outbound_bytes, 8 * 1024 * 1024);
        assert!(config.allow_origins.is_empty());
        assert_eq!(config.max_variables, 100_000);
        // Half of this machine's memory, which is more than a gigabyte anywhere tests run.
        assert!(config.max_memory.is_some_and(|bytes| bytes > 1 << 30));
        assert_eq!(config.max_depth, defaults.max_depth);
        assert!(!config.hotload);
        assert!(cli.shard_count() >= 1);
    }

    #[test]
    fn flags_reach_the_config() {
        let cli = Cli::parse_from([
            "lunette",
            "--session-timeout",
            "0",
            "--unclaimed-timeout",
            "45s",
            "--max-sessions",
            "7",
            "--shards",
            "3",
            "--allow-origin",
            "https://a.example",
            "--allow-origin",
            "http://b.example:8000",
            "--max-variables",
            "50",
            "--max-depth",
            "12",
            "--max-frame-bytes",
            "1024",
            "--max-memory",
            "5000000",
            "--max-outbound-bytes",
            "65536",
        ]);
        let config = cli.config();
        assert_eq!(
            config.allow_origins,
            ["https://a.example", "http://b.example:8000"]
        );
        assert_eq!(config.max_variables, 50);
        assert_eq!(config.max_memory, Some(5_000_000));
        assert_eq!(config.max_depth, 12);
        assert_eq!(cli.max_frame_bytes, 1024);
        assert_eq!(cli.max_outbound_bytes, 65_536);
        assert_eq!(config.session_timeout, None);
        assert_eq!(config.unclaimed_timeout, Some(Duration::from_secs(45)));
        assert_eq!(config.max_sessions, 7);
        assert_eq!(cli.shard_count(), 3);
    }

    #[test]
    fn hosts_are_checked_on_loopback_or_when_names_are_given() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let v6: IpAddr = "::1".parse().unwrap_or(loopback);
        let public = IpAddr::from([0, 0, 0, 0]);
        let cli = Cli::parse_from(["lunette"]);
        assert_eq!(cli.allowed_hosts(loopback), Some(vec![]));
        assert_eq!(cli.allowed_hosts(v6), Some(vec![]));
        assert_eq!(cli.allowed_hosts(public), None);
        let cli = Cli::parse_from([
            "lunette",
            "--allow-host",
            "app.example",
            "--allow-host",
            "b.example:8443",
        ]);
        let names = vec!["app.example".to_owned(), "b.example:8443".to_owned()];
        assert_eq!(cli.allowed_hosts(loopback), Some(names.clone()));
        assert_eq!(cli.allowed_hosts(public), Some(names));
    }

    #[test]
    fn never_more_shards_than_sessions() {
        let cli = Cli::parse_from(["lunette", "--max-sessions", "2", "--shards", "8"]);
        assert_eq!(cli.shard_count(), 2);
    }

    #[test]
    fn hotload_needs_a_site_directory() {
        let cli = Cli::parse_from(["lunette", "--dir", "site", "--hotload"]);
        assert!(cli.config().hotload);
        let error = Cli::try_parse_from(["lunette", "--hotload"]).expect_err("no --dir");
        assert!(error.to_string().contains("--dir"), "{error}");
    }

    #[test]
    fn debug_pages_are_on_unless_turned_off() {
        assert!(Cli::parse_from(["lunette"]).config().debug_pages);
        let cli = Cli::parse_from(["lunette", "--no-debug-pages"]);
        assert!(!cli.config().debug_pages);
    }

    #[test]
    fn ops_and_drain_flags() {
        let cli = Cli::parse_from(["lunette"]);
        assert_eq!(cli.ops_addr, None);
        assert!(!cli.no_ops_endpoints);
        assert_eq!(cli.drain_grace, Duration::from_secs(5));
        assert_eq!(cli.drain_timeout, Duration::from_secs(600));
        let cli = Cli::parse_from([
            "lunette",
            "--ops-addr",
            "127.0.0.1:9100",
            "--drain-grace",
            "200ms",
            "--drain-timeout",
            "0",
        ]);
        assert_eq!(cli.ops_addr.as_deref(), Some("127.0.0.1:9100"));
        assert_eq!(cli.drain_grace, Duration::from_millis(200));
        assert_eq!(cli.drain_timeout, Duration::ZERO);
        let both = ["lunette", "--ops-addr", "127.0.0.1:1", "--no-ops-endpoints"];
        assert!(Cli::try_parse_from(both).is_err());
    }

    #[test]
    fn zero_shards_is_a_usage_error() {
        assert!(Cli::try_parse_from(["lunette", "--shards", "0"]).is_err());
    }
}
