//! A minimal HTTP/1.1 client for `GET` over one keep-alive connection: just what a session
//! start needs (status, `Location`, a `Content-Length` body), with no redirect following.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Error;
use crate::target::Target;

/// The parts of a response a session start looks at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
}

/// One keep-alive connection, opened on first use and again after a failure.
#[derive(Debug)]
pub struct HttpConn {
    target: Target,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl HttpConn {
    pub fn new(target: &Target) -> Self {
        Self {
            target: target.clone(),
            stream: None,
            buf: Vec::with_capacity(4096),
        }
    }

    /// `GET path`. A reused connection the server may have closed meanwhile gets one retry on
    /// a fresh one.
    pub async fn get(&mut self, path: &str) -> Result<Reply, Error> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.target.authority
        );
        let reused = self.stream.is_some();
        match self.exchange(request.as_bytes()).await {
            Err(_) if reused => {
                self.stream = None;
                self.exchange(request.as_bytes()).await
            }
            outcome => outcome,
        }
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<Reply, Error> {
        let outcome = self.exchange_once(request).await;
        if outcome.is_err() {
            // The connection may be mid-response: never reuse it.
            self.stream = None;
        }
        outcome
    }

    async fn exchange_once(&mut self, request: &[u8]) -> Result<Reply, Error> {
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => self.stream.insert(self.target.connect().await?),
        };
        stream.write_all(request).await?;
        let buf = &mut self.buf;
        buf.clear();
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            read_more(stream, buf).await?;
        };
        let head = Head::parse(&buf[..head_end])?;
        while buf.len() < head_end + head.content_length {
            read_more(stream, buf).await?;
        }
        if head.close {
            self.stream = None;
        }
        Ok(Reply {
            status: head.status,
            location: head.location,
        })
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), Error> {
    buf.reserve(4096);
    if stream.read_buf(buf).await? == 0 {
        return Err("the server closed the connection mid-response".into());
    }
    Ok(())
}

/// A response head: status line and the headers this client acts on.
#[derive(Debug, PartialEq)]
struct Head {
    status: u16,
    location: Option<String>,
    content_length: usize,
    close: bool,
}

impl Head {
    fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let text = std::str::from_utf8(bytes).map_err(|_| "response head is not UTF-8")?;
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let mut head = Self {
            status,
            location: None,
            content_length: 0,
            close: false,
        };
        for line in lines.filter(|line| !line.is_empty()) {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| format!("bad header line {line:?}"))?;
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "location" => head.location = Some(value.to_owned()),
                "content-length" => {
                    head.content_length = value.parse().map_err(|_| "bad Content-Length")?;
                }
                "transfer-encoding" => return Err("chunked responses are not supported".into()),
                "connection" => head.close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_head_parses() {
        let head = Head::parse(
            b"HTTP/1.1 302 Found\r\nlocation: /abc\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
        )
        .expect("valid head");
        assert_eq!(
            head,
            Head {
                status: 302,
                location: Some("/abc".to_owned()),
                content_length: 0,
                close: false
            }
        );
    }
}
