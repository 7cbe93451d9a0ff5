//! The listening socket and one shard's connections: HTTP/1.1 with keep-alive and upgrades, a
//! header timeout against slow clients, and a graceful stop.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::balance::Balance;
use crate::service;
use crate::shard::Shard;
use crate::site_dir::describe;

/// Clients must finish a request head within this time (docs/protocol.md §3.1).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a stop waits for requests in flight and closing WebSockets before leaving anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` (e.g. out of file descriptors) so as not to spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Binds `host:port`, non-blocking so that each shard's runtime can accept from a clone; the
/// error is the one-line message for stderr.
pub fn bind(host: &str, port: u16) -> Result<std::net::TcpListener, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    std::net::TcpListener::bind((bare, port))
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .map_err(|error| {
            let shown = if bare.contains(':') {
                format!("[{bare}]:{port}")
            } else {
                format!("{bare}:{port}")
            };
            format!("cannot listen on {shown}: {}", describe(&error))
        })
}

/// The URL the server answers at, for the startup line.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}

/// How a shard gets its connections: those it accepts and keeps, and those other shards hand it.
#[derive(Debug)]
pub struct Incoming {
    pub listener: TcpListener,
    pub balance: Balance,
    pub handed: mpsc::UnboundedReceiver<std::net::TcpStream>,
}

/// Serves this shard's connections until the shard is told to stop, then lets requests in
/// flight finish and WebSockets close (for at most `SHUTDOWN_GRACE`).
pub async fn serve(incoming: Incoming, shard: &Rc<Shard>) {
    let Incoming {
        listener,
        balance,
        mut handed,
    } = incoming;
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let mut stopping = shard.stopping();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted.map(|(stream, _peer)| balance.place(stream)),
            Some(stream) = handed.recv() => TcpStream::from_std(stream).map(Some),
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        match accepted {
            Ok(Some(stream)) => spawn_connection(&http, stream, shard),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!("accepting a connection failed: {}", describe(&error));
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
    drop((listener, balance, handed));
    tracing::debug!("stopping; waiting for open connections");
    tokio::select! {
        () = shard.tasks().all_ended() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("stopped with connections still open after {SHUTDOWN_GRACE:?}");
        }
    }
}

/// Serves one connection on this thread; a stop lets its request in flight finish, then closes
/// it (an upgraded connection has left hyper by then: its socket task closes it).
fn spawn_connection(http: &http1::Builder, stream: TcpStream, shard: &Rc<Shard>) {
    // Responses are written whole; waiting to coalesce small packets only adds latency.
    let _ = stream.set_nodelay(true);
    let mut stopping = shard.stopping();
    let served = Rc::clone(shard);
    let service = service_fn(move |request| {
        let shard = Rc::clone(&served);
        async move { Ok::<_, Infallible>(service::answer(&shard, request).await) }
    });
    let connection = http
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    shard.tasks().spawn(async move {
        let mut connection = std::pin::pin!(connection);
        let ended = tokio::select! {
            ended = connection.as_mut() => ended,
            _ = stopping.wait_for(|stop| *stop) => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = ended {
            tracing::debug!("connection ended: {error}");
        }
    });
}
