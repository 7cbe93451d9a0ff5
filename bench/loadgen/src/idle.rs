//! `loadgen idle`: many open sessions doing nothing, for measuring the server's memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::cli::IdleArgs;
use crate::http1::HttpConn;
use crate::target::Target;
use crate::ws::Socket;
use crate::{Error, session, ws};

pub async fn run(args: IdleArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let mut openers = JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (target, next, closed) = (target.clone(), next.clone(), closed.clone());
        openers.spawn(async move {
            let mut http = HttpConn::new(&target);
            let mut holders = JoinSet::new();
            while next.fetch_add(1, Ordering::Relaxed) < args.sessions {
                let socket = session::open(&mut http, &target, &ws::watch_of_1(false)).await?;
                holders.spawn(hold(socket, closed.clone()));
            }
            Ok::<_, Error>(holders)
        });
    }
    // Dropping a holder set aborts its tasks, which closes their sockets: keep them all.
    let mut holders = Vec::new();
    while let Some(opened) = openers.join_next().await {
        holders.push(opened??);
    }
    eprintln!(
        "loadgen: {} sessions open, each watching variable 1 ({:.2} s); close stdin or press Ctrl-C to end",
        args.sessions,
        start.elapsed().as_secs_f64()
    );
    let mut stdout = tokio::io::stdout();
    stdout.write_all(b"ready\n").await?;
    stdout.flush().await?;

    let (mut stdin, mut sink) = (tokio::io::stdin(), tokio::io::sink());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = tokio::io::copy(&mut stdin, &mut sink) => {}
    }
    let closed = closed.load(Ordering::Relaxed);
    if closed > 0 {
        return Err(format!("the server closed {closed} of the sockets while they idled").into());
    }
    Ok(())
}

/// Keeps reading so that the server's pings get their pongs (tungstenite answers them while
/// reading); counts the socket in `closed` if the server ends it.
async fn hold(mut socket: Socket, closed: Arc<AtomicUsize>) {
    while let Some(Ok(_)) = socket.next().await {}
    closed.fetch_add(1, Ordering::Relaxed);
}
