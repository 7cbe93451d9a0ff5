//! Starting the shards, one thread each with its own current-thread runtime, and stopping them.
//!
//! `Core` is not `Send`, so each shard creates its own on its thread and keeps it there; the
//! tasks sharing it (connections, timers, forwarded jobs) run on that thread's `LocalSet`.
//! Every shard accepts from a clone of the one listening socket (see [`crate::balance`]).

use std::io;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime};

use lunette_core::{Config, Core, Site};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::{LocalSet, spawn_local};

use crate::balance;
use crate::ids::OsIds;
use crate::server::{self, Incoming};
use crate::shard::{Job, OpsLink, Shard, Sockets};
use crate::site_changes::{Changes, SiteChanges};
use crate::watchdog::{self, StepWatch};

/// Requests a shard may hold in its queue of forwarded ones before senders wait.
const QUEUE: usize = 256;

/// The running shard threads.
#[derive(Debug)]
pub struct Shards {
    threads: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    site_changes: SiteChanges,
}

impl Shards {
    /// Starts `count` shards serving `site` with `config` (whose `shard`, `shards` and `epoch`
    /// each shard sets for itself) on connections accepted from `listener`, their WebSockets
    /// framed and buffered as `sockets` says.
    pub fn start(
        count: usize,
        step_timeout: Option<std::time::Duration>,
        config: &Config,
        sockets: Sockets,
        site: &Site,
        listener: &std::net::TcpListener,
        ops: &OpsLink,
    ) -> io::Result<Self> {
        let count = count.max(1);
        let (stop, stopping) = watch::channel(false);
        let (queues, receivers): (Vec<_>, Vec<_>) =
            (0..count).map(|_| mpsc::channel::<Job>(QUEUE)).unzip();
        let (change_senders, change_receivers): (Vec<_>, Vec<_>) = (0..count)
            .map(|_| mpsc::unbounded_channel::<Changes>())
            .unzip();
        let mut threads = Vec::with_capacity(count);
        let balances = balance::balances(count);
        let watches = watchdog::start(count, step_timeout);
        let inputs = receivers.into_iter().zip(change_receivers).zip(balances);
        for (index, ((jobs, changes), (balance, handed))) in inputs.enumerate() {
            let steps = Arc::clone(&watches[index]);
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
                max_memory: config.max_memory.map(|total| share(total, count, index)),
                alarm: steps.alarm(),
                ..config.clone()
            };
            let site = site.clone();
            let queues = queues.clone();
            let stopping = stopping.clone();
            let ops = ops.clone();
            let thread = std::thread::Builder::new()
                .name(format!("lunette-shard-{index}"))
                .spawn(move || {
                    let inputs = Inputs {
                        incoming,
                        jobs,
                        changes,
                        steps,
                        ops,
                    };
                    let shard = run(config, sockets, site, inputs, queues, stopping);
                    LocalSet::new().block_on(&runtime, shard);
                })?;
            threads.push(thread);
        }
        Ok(Self {
            threads,
            stop,
            site_changes: SiteChanges(change_senders),
        })
    }

    pub fn site_changes(&self) -> SiteChanges {
        self.site_changes.clone()
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

/// What reaches a shard from outside its thread.
struct Inputs {
    incoming: Incoming,
    /// Requests forwarded by other shards.
    jobs: mpsc::Receiver<Job>,
    changes: mpsc::UnboundedReceiver<Changes>,
    steps: Arc<StepWatch>,
    ops: OpsLink,
}

/// A shard's life: serve until told to stop, then keep answering forwarded requests until
/// no shard can send any more.
async fn run(
    mut config: Config,
    sockets: Sockets,
    site: Site,
    inputs: Inputs,
    queues: Vec<mpsc::Sender<Job>>,
    stopping: watch::Receiver<bool>,
) {
    let Inputs {
        incoming,
        jobs,
        changes,
        steps,
        ops,
    } = inputs;
    let index = config.shard;
    config.epoch = SystemTime::now();
    let core = Core::new(config, site, Box::<OsIds>::default(), Instant::now());
    let shard = Rc::new(Shard::new(
        index, core, queues, stopping, sockets, steps, ops,
    ));
    let timers = Rc::clone(&shard);
    spawn_local(async move { timers.run_timers().await });
    let reloads = Rc::clone(&shard);
    spawn_local(async move { reloads.serve_site_changes(changes).await });
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
