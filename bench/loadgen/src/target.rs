//! The server under test and the TCP connections to it.

use tokio::net::TcpStream;

use crate::Error;

/// Where the server listens, from the URL it printed on startup.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`, for `connect`, the `Host` header and WebSocket URLs.
    pub authority: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, Error> {
        let uri: http::Uri = url.parse().map_err(|e| format!("--url {url:?}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("--url {url:?}: only http:// is supported").into());
        }
        let host = uri
            .host()
            .ok_or_else(|| format!("--url {url:?} has no host"))?;
        let port = uri.port_u16().unwrap_or(80);
        Ok(Self {
            authority: format!("{host}:{port}"),
        })
    }

    /// A new connection with Nagle off: requests and frames are small and each waits for an
    /// answer, so batching them would only add delayed-ACK stalls to the latencies.
    pub async fn connect(&self) -> Result<TcpStream, Error> {
        let stream =
            TcpStream::connect(&self.authority)
                .await
                .map_err(|e| match e.raw_os_error() {
                    Some(24) => format!("connect: {e}; raise the limit with `ulimit -n`"),
                    _ => format!("connect to {}: {e}", self.authority),
                })?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_comes_from_the_url() {
        let target = Target::parse("http://127.0.0.1:41234/").expect("valid");
        assert_eq!(target.authority, "127.0.0.1:41234");
        assert_eq!(
            Target::parse("http://localhost").expect("valid").authority,
            "localhost:80"
        );
        assert!(Target::parse("https://localhost/").is_err());
    }
}
