//! `lunette`: reads the flags and the site, starts the shards (each serving HTTP and
//! WebSockets), stops them on a signal.
//!
//! Exit codes: 0 after a SIGINT/SIGTERM stop, 1 when the server cannot start (busy port, no
//! OS randomness, no threads), 2 for bad flags or an unreadable site.

mod balance;
mod cli;
mod hotload;
mod ids;
mod inbox;
mod route;
mod server;
mod service;
mod shard;
mod shards;
mod signals;
mod site_dir;
mod tasks;
mod watchdog;
mod websocket;
mod ws_conns;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use lunette_core::{Config, Site};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::cli::Cli;
use crate::shards::Shards;
use crate::signals::StopSignals;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    tracing::info!("{signal}: stopping");
    drop(watcher);
    shards.stop();
    tracing::info!("stopped");
    ExitCode::SUCCESS
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
