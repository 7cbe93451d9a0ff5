//! `loadgen sessions`: full sessions per second and their latency.

use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::SessionsArgs;
use crate::http1::HttpConn;
use crate::stats::{Latencies, ms};
use crate::target::Target;
use crate::{Error, cpu, session, ws};

/// A worker that fails this many times in a row stops: the server is gone or refusing.
const MAX_FAILURES_IN_A_ROW: u32 = 10;

#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

pub async fn run(args: SessionsArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let watch = ws::watch_of_1(args.user_event);
    let cpu_start = cpu::used();
    let start = Instant::now();
    let deadline = start + args.duration;
    let mut workers = JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        workers.spawn(worker(target.clone(), watch.clone(), deadline));
    }
    let mut total = Tally::default();
    while let Some(tally) = workers.join_next().await {
        let tally = tally?;
        total.latencies.extend(tally.latencies);
        total.errors += tally.errors;
        total.first_error = total.first_error.or(tally.first_error);
    }
    let wall = start.elapsed();
    let latencies = Latencies::new(total.latencies);
    println!(
        "{} full sessions in {:.2} s = {:.0} sessions/s; latency p50 {}, p99 {}, max {}; {} errors; {}",
        latencies.len(),
        wall.as_secs_f64(),
        latencies.len() as f64 / wall.as_secs_f64(),
        ms(latencies.percentile(50.0)),
        ms(latencies.percentile(99.0)),
        ms(latencies.max()),
        total.errors,
        cpu::report(cpu_start, wall),
    );
    match total.first_error {
        Some(error) if latencies.len() == 0 => Err(format!("no session completed: {error}").into()),
        Some(error) => {
            eprintln!("loadgen: first error: {error}");
            Ok(())
        }
        None => Ok(()),
    }
}

/// Runs sessions one after another until `deadline`, over one keep-alive HTTP connection.
async fn worker(target: Target, watch: String, deadline: Instant) -> Tally {
    let mut http = HttpConn::new(&target);
    let mut tally = Tally::default();
    let mut failures_in_a_row = 0;
    while Instant::now() < deadline && failures_in_a_row < MAX_FAILURES_IN_A_ROW {
        let began = Instant::now();
        let outcome = match session::open(&mut http, &target, &watch).await {
            Ok(socket) => ws::close(socket).await,
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => {
                tally.latencies.push(began.elapsed());
                failures_in_a_row = 0;
            }
            Err(error) => {
                tally.errors += 1;
                failures_in_a_row += 1;
                tally.first_error.get_or_insert_with(|| error.to_string());
            }
        }
    }
    tally
}
