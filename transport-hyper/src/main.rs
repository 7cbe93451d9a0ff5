//! `lunette`: reads the flags and the site, starts the shards (each serving HTTP and
//! WebSockets), stops them on a signal.
//!
//! SIGTERM drains first (see [`drain`]); SIGINT, or a second SIGTERM, stops at once.
//!
//! Exit codes: 0 after a SIGINT/SIGTERM stop, 1 when the server cannot start (busy port, no
//! OS randomness, no threads), 2 for bad flags or an unreadable site.

mod balance;
mod cli;
mod hotload;
mod ids;
mod inbox;
mod ops;
mod responses;
mod route;
mod server;
mod service;
mod shard;
mod shards;
mod signals;
mod site_changes;
mod site_dir;
mod tasks;
mod test_command;
mod watchdog;
mod websocket;
mod ws_conns;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use lunette_core::{Config, Site};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::cli::Cli;
use crate::ops::Ops;
use crate::shard::OpsLink;
use crate::shards::Shards;
use crate::signals::StopSignals;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(cli::Command::Test(args)) = &cli.command {
        return test_command::run(args);
    }
    let (site, root, skipped) = match &cli.dir {
        None => (Site::builtin(), None, vec![]),
        Some(dir) => match site_dir::read_site(dir) {
            Ok(read) => (read.site, Some(read.root), read.skipped),
            Err(error) => return fail(2, &error.to_string()),
        },
    };
    init_logging();
    for reason in skipped {
        tracing::warn!("site file skipped: {reason}");
    }
    if let Err(error) = ids::OsIds::check() {
        return fail(1, &format!("no OS random number generator: {error}"));
    }
    // Only for the signals: the shards run their own runtimes on their own threads.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(1, &format!("cannot start the runtime: {error}")),
    };
    runtime.block_on(run(&cli, site, root))
}

/// `root` is the site directory's canonical path, `None` for the built-in app.
async fn run(cli: &Cli, site: Site, root: Option<PathBuf>) -> ExitCode {
    let listener = match server::bind(&cli.host, cli.port) {
        Ok(listener) => listener,
        Err(message) => return fail(1, &message),
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(error) => return fail(1, &format!("cannot read the listening address: {error}")),
    };
    let mut signals = match StopSignals::install() {
        Ok(signals) => signals,
        Err(error) => return fail(1, &format!("cannot install signal handlers: {error}")),
    };
    let shard_count = cli.shard_count();
    let ops = Ops::new(shard_count);
    if let Some(ops_addr) = &cli.ops_addr {
        match bind_ops(ops_addr) {
            Ok(listener) => {
                tracing::info!("serving /healthz and /metrics at {ops_addr}");
                tokio::spawn(ops::serve(listener, Arc::clone(&ops)));
            }
            Err(message) => return fail(1, &message),
        }
    }
    let ops_link = OpsLink {
        ops: Arc::clone(&ops),
        on_main_port: !cli.no_ops_endpoints && cli.ops_addr.is_none(),
    };
    let sockets = shard::Sockets {
        config: websocket::config(cli.max_frame_bytes),
        max_outbound: cli.max_outbound_bytes,
        // One message of the largest size always fits.
        max_inbound: cli.max_frame_bytes,
    };
    let config = Config {
        allowed_hosts: cli.allowed_hosts(addr.ip()),
        ..cli.config()
    };
    let shards = match Shards::start(
        shard_count,
        cli.step_timeout.0,
        &config,
        sockets,
        &site,
        &listener,
        &ops_link,
    ) {
        Ok(shards) => shards,
        Err(error) => return fail(1, &format!("cannot start the shards: {error}")),
    };
    // The shards hold their own clones: the socket closes when the last of them stops.
    drop(listener);
    let watcher = match (&root, cli.hotload) {
        (Some(root), true) => match hotload::watch(root.clone(), site, shards.site_changes()) {
            Ok(watcher) => Some(watcher),
            Err(message) => {
                shards.stop();
                return fail(
                    1,
                    &format!("cannot watch the site for --hotload: {message}"),
                );
            }
        },
        _ => {
            drop(site);
            None
        }
    };
    let description = match &root {
        Some(root) => root.display().to_string(),
        None => "the built-in default app".to_owned(),
    };
    let hotload = if watcher.is_some() {
        " with hot reload"
    } else {
        ""
    };
    announce(&format!(
        "lunette serving {description}{hotload} at {}",
        server::url(addr)
    ));
    tracing::info!(shards = shard_count, "listening on {addr}");
    let signal = signals.recv().await;
    if signal == "SIGTERM" {
        drain(&mut signals, &ops, cli.drain_grace, cli.drain_timeout).await;
    } else {
        tracing::info!("{signal}: stopping");
    }
    drop(watcher);
    shards.stop();
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

/// How often a drain looks at the shards' published connection counts.
const DRAIN_POLL: Duration = Duration::from_millis(50);
const DRAIN_REPORT: Duration = Duration::from_secs(60);

/// After a first SIGTERM: `/healthz` and `GET /` answer 503 so the balancer sends new users
/// elsewhere, while sessions with open connections keep being served. Returns once no
/// connection has been open for `grace`, when `timeout` has passed, or on a second signal.
async fn drain(signals: &mut StopSignals, ops: &Ops, grace: Duration, timeout: Duration) {
    ops.start_draining();
    let start = Instant::now();
    let total = ops.total();
    tracing::info!(
        sessions = total.sessions,
        connections = total.connections,
        "SIGTERM: draining (a second SIGTERM or SIGINT stops at once); exiting once no \
         connection has been open for {grace:?}, or after {timeout:?}"
    );
    let mut idle_since = None;
    let mut next_report = start + DRAIN_REPORT;
    loop {
        tokio::select! {
            signal = signals.recv() => {
                tracing::info!("{signal} while draining: stopping at once");
                return;
            }
            () = tokio::time::sleep(DRAIN_POLL) => {}
        }
        let now = Instant::now();
        let total = ops.total();
        if total.connections > 0 {
            idle_since = None;
        } else if idle_since.is_none() {
            idle_since = Some(now);
        }
        if idle_since.is_some_and(|since| now.duration_since(since) >= grace) {
            tracing::info!(
                sessions = total.sessions,
                "drained in {:?}: no connection open for {grace:?}; stopping",
                start.elapsed()
            );
            return;
        }
        if now.duration_since(start) >= timeout {
            tracing::warn!(
                sessions = total.sessions,
                connections = total.connections,
                "--drain-timeout ({timeout:?}) reached: stopping and dropping {} sessions",
                total.sessions
            );
            return;
        }
        if now >= next_report {
            next_report += DRAIN_REPORT;
            tracing::info!(
                sessions = total.sessions,
                connections = total.connections,
                "draining: {} sessions remain, {} connections open",
                total.sessions,
                total.connections
            );
        }
    }
}

/// The `--ops-addr` listener; the error is the one-line message for stderr.
fn bind_ops(addr: &str) -> Result<tokio::net::TcpListener, String> {
    std::net::TcpListener::bind(addr)
        .and_then(|listener| {
            listener.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(listener)
        })
        .map_err(|error| format!("cannot listen on --ops-addr {addr}: {error}"))
}

/// The startup line on stdout, flushed at once: scripts and tests wait for it.
fn announce(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("lunette: {message}");
    ExitCode::from(code)
}

fn init_logging() {
    let filter = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .from_env_lossy();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
