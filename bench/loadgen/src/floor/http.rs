//! The floor's HTTP/1.1: `GET` requests on a keep-alive connection, until one upgrades.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::Error;

/// A request head larger than this ends the connection.
const MAX_HEAD: usize = 16 * 1024;

const PAGE: &str = "<!doctype html><title>floor</title><div ui-app></div>";

/// Answers requests until the connection closes (`None`) or a `/ws/…` request was answered
/// `101` (`Some` with the bytes already read past its head).
pub async fn serve(stream: &mut TcpStream, seed: u128) -> Result<Option<Vec<u8>>, Error> {
    let mut buf = Vec::with_capacity(4096);
    let mut sessions = 0_u128;
    loop {
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            if buf.len() > MAX_HEAD {
                return Err("request head too large".into());
            }
            buf.reserve(4096);
            if stream.read_buf(&mut buf).await? == 0 {
                return Ok(None);
            }
        };
        let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| "head is not UTF-8")?;
        let path = head.split(' ').nth(1).unwrap_or("/").to_owned();
        let key = head.split("\r\n").find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        });
        let rest = buf.split_off(head_end);
        buf = rest;
        match (path.as_str(), key) {
            (ws, Some(key)) if ws.starts_with("/ws/") => {
                let reply = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-accept: {}\r\n\r\n",
                    derive_accept_key(key.as_bytes())
                );
                stream.write_all(reply.as_bytes()).await?;
                return Ok(Some(buf));
            }
            ("/", _) => {
                sessions += 1;
                let sid = seed.wrapping_mul(1 << 32).wrapping_add(sessions);
                let reply = format!(
                    "HTTP/1.1 302 Found\r\nlocation: /{sid:032x}\r\ncontent-length: 0\r\n\r\n"
                );
                stream.write_all(reply.as_bytes()).await?;
            }
            _ => {
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\r\n{PAGE}",
                    PAGE.len()
                );
                stream.write_all(reply.as_bytes()).await?;
            }
        }
    }
}
