//! Starting the shards, one thread each with its own current-thread runtime, and stopping them.
//!
//! `Core` is not `Send`, so each shard creates its own on its thread and keeps it there; the
//! tasks sharing it (connections, timers, forwarded jobs) run on that thread's `LocalSet`.
//! Every shard accepts from a clone of the one listening socket (see [`crate::balance`]).

use std::io;
use std::rc::Rc;
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use lunette_core::{Config, Core, Site};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::{LocalSet, spawn_local};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::balance;
use crate::ids::OsIds;
use crate::server::{self, Incoming};
use crate::shard::{Job, Shard};

/// Requests a shard may hold in its queue of forwarded ones before senders wait.
const QUEUE: usize = 256;

/// The running shard threads.
#[derive(Debug)]
pub struct Shards {
    threads: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl Shards {
    /// Starts `count` shards serving `site` with `config` (whose `shard`, `shards` and `epoch`
    /// each shard sets for itself) on connections accepted from `listener`, their WebSockets
    /// framed with `websocket`.
    pub fn start(
        count: usize,
        config: &Config,
        websocket: WebSocketConfig,
        site: &Site,
        listener: &std::net::TcpListener,
    ) -> io::Result<Self> {
        let count = count.max(1);
        let (stop, stopping) = watch::channel(false);
        let (queues, receivers): (Vec<_>, Vec<_>) =
            (0..count).map(|_| mpsc::channel::<Job>(QUEUE)).unzip();
        let mut threads = Vec::with_capacity(count);
        let balances = balance::balances(count);
        for (index, (jobs, (balance, handed))) in receivers.into_iter().zip(balances).enumerate() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let incoming = Incoming {
                listener: {
                    let _entered = runtime.enter();
                    TcpListener::from_std(listener.try_clone()?)?
                },
                balance,
                handed,
            };
            let config = Config {
                shard: index,
                shards: count,
                max_sessions: share(config.max_sessions, count, index),
                ..config.clone()
            };
            let site = site.clone();
            let queues = queues.clone();
            let stopping = stopping.clone();
            let thread = std::thread::Builder::new()
                .name(format!("lunette-shard-{index}"))
                .spawn(move || {
                    let shard = run(config, websocket, site, incoming, jobs, queues, stopping);
                    LocalSet::new().block_on(&runtime, shard);
                })?;
            threads.push(thread);
        }
        Ok(Self { threads, stop })
    }

    /// Has every shard stop accepting, then waits until each has finished its requests in
    /// flight (or given up on them).
    pub fn stop(self) {
        let _ = self.stop.send(true);
        for thread in self.threads {
            if thread.join().is_err() {
                tracing::error!("a shard thread panicked");
            }
        }
    }
}

/// A shard's life: serve until told to stop, then keep answering forwarded requests until
/// no shard can send any more.
async fn run(
    mut config: Config,
    websocket: WebSocketConfig,
    site: Site,
    incoming: Incoming,
    jobs: mpsc::Receiver<Job>,
    queues: Vec<mpsc::Sender<Job>>,
    stopping: watch::Receiver<bool>,
) {
    let index = config.shard;
    config.epoch = SystemTime::now();
    let core = Core::new(config, site, Box::<OsIds>::default(), Instant::now());
    let shard = Rc::new(Shard::new(index, core, queues, stopping, websocket));
    let timers = Rc::clone(&shard);
    spawn_local(async move { timers.run_timers().await });
    let forwarded = Rc::clone(&shard);
    let jobs = spawn_local(async move { forwarded.serve_jobs(jobs).await });
    server::serve(incoming, &shard).await;
    shard.close_queues();
    let _ = jobs.await;
    tracing::debug!(shard = index, "shard stopped");
}

/// Shard `index`'s part of a limit split across `count` shards; the parts add up to `total`.
fn share(total: usize, count: usize, index: usize) -> usize {
    total / count + usize::from(index < total % count)
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_add_up_to_the_limit() {
        for (total, count) in [(100_000, 2), (7, 3), (1, 1), (5, 5)] {
            let parts: Vec<usize> = (0..count).map(|i| share(total, count, i)).collect();
            assert_eq!(
                parts.iter().sum::<usize>(),
                total,
                "{total} over {count}: {parts:?}"
            );
            assert!(parts.iter().max().unwrap_or(&0) - parts.iter().min().unwrap_or(&0) <= 1);
        }
    }
}
