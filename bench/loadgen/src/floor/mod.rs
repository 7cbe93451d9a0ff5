//! `loadgen floor`: the least server that answers `loadgen roundtrip` correctly, to set
//! lunette's round trip beside in the same run (DESIGN "Tests, benchmarks").
//!
//! The same stack as lunette's binary (tokio, tungstenite with the same buffer sizes, serde_json,
//! Nagle off) and nothing else: no Lua, no tracker, no shards. It runs on loadgen's one thread;
//! each connection is one task that reads a frame, answers it ([`adder::Adder`]) and writes the
//! reply, with no channel or other task in between. HTTP is just enough for a session start:
//! `GET /` redirects to a new `/<sid>`, `/<sid>` is a page, `/ws/<sid>` upgrades.

mod adder;
mod http;

use std::io::Write;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::cli::FloorArgs;
use crate::{Error, ws};

pub async fn run(args: FloorArgs) -> Result<(), Error> {
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    // Scripts wait for this line, as they do for lunette's.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "loadgen floor serving at http://{addr}/")?;
    stdout.flush()?;
    drop(stdout);
    let busy = Duration::from_micros(args.busy_us);
    let mut sids = 0_u128;
    loop {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        sids += 1;
        tokio::spawn(async move {
            if let Err(error) = serve(stream, sids, busy).await {
                eprintln!("loadgen floor: connection ended: {error}");
            }
        });
    }
}

/// One connection: HTTP requests until one upgrades, then WebSocket frames until the close.
/// `seed` makes the sids this connection hands out unique; `busy` is spent on each frame.
async fn serve(mut stream: TcpStream, seed: u128, busy: Duration) -> Result<(), Error> {
    let Some(rest) = http::serve(&mut stream, seed).await? else {
        return Ok(());
    };
    let socket =
        WebSocketStream::from_partially_read(stream, rest, Role::Server, Some(ws::config())).await;
    answer(socket, busy).await
}

async fn answer(mut socket: WebSocketStream<TcpStream>, busy: Duration) -> Result<(), Error> {
    let mut adder = adder::Adder::default();
    // After the peer's close, tungstenite sends the reply and then ends the stream.
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message?
            && let Some(reply) = adder.frame(text.as_str())
        {
            spin(busy);
            socket.send(Message::text(reply)).await?;
        }
    }
    Ok(())
}

/// Keeps the thread busy for `busy` (`--busy-us`).
fn spin(busy: Duration) {
    let start = Instant::now();
    while start.elapsed() < busy {
        std::hint::spin_loop();
    }
}
