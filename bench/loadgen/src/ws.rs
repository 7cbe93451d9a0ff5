//! The WebSocket side of a session: open `/ws/<sid>`, send batches, wait for a reply.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::Error;
use crate::target::Target;

pub type Socket = WebSocketStream<TcpStream>;

/// Text that the reply to a watch of variable 1 holds once the value is there.
pub const VALUE_OF_1: &str = r#""varId":1,"value""#;

/// How long a reply may take before the run is declared broken rather than slow.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// The batch a browser sends after connecting: watch variable 1. With `user_event` false (as
/// the browser sends it) the server answers at its 10 ms flush deadline, else at once.
pub fn watch_of_1(user_event: bool) -> String {
    format!(r#"{{"userEvent":{user_event},"messages":[{{"type":"watch","data":{{"varId":1}}}}]}}"#)
}

/// Small buffers (tungstenite defaults to 128 KiB each) keep `idle` with thousands of open
/// sockets light; every frame here is well under them.
pub fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
}

pub async fn open(target: &Target, sid: &str) -> Result<Socket, Error> {
    let stream = target.connect().await?;
    let url = format!("ws://{}/ws/{sid}", target.authority);
    let (socket, _) = client_async_with_config(url, stream, Some(config()))
        .await
        .map_err(|e| format!("WebSocket handshake for /ws/{sid}: {e}"))?;
    Ok(socket)
}

pub async fn send(socket: &mut Socket, text: &str) -> Result<(), Error> {
    socket.send(Message::text(text)).await?;
    Ok(())
}

/// Reads frames until a text frame contains `needle`; an error frame, a close or
/// [`REPLY_TIMEOUT`] without progress is a failure.
pub async fn wait_for(socket: &mut Socket, needle: &str) -> Result<(), Error> {
    loop {
        let text = next_text(socket)
            .await
            .map_err(|e| format!("waiting for a frame holding {needle}: {e}"))?;
        if text.contains(needle) {
            return Ok(());
        }
        if text.contains(r#""type":"error""#) {
            return Err(format!("the server answered with an error: {}", text.as_str()).into());
        }
    }
}

/// The next text frame; a close or [`REPLY_TIMEOUT`] without one is a failure.
pub async fn next_text(socket: &mut Socket) -> Result<Utf8Bytes, Error> {
    loop {
        let message = tokio::time::timeout(REPLY_TIMEOUT, socket.next())
            .await
            .map_err(|_| format!("no frame within {REPLY_TIMEOUT:?}"))?
            .ok_or("the server closed the WebSocket")??;
        if let Message::Text(text) = message {
            return Ok(text);
        }
    }
}

/// The closing handshake: our close frame, then the server's, then the end of the stream.
pub async fn close(mut socket: Socket) -> Result<(), Error> {
    socket.close(None).await?;
    while socket.next().await.transpose()?.is_some() {}
    Ok(())
}
