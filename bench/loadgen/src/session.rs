//! What a browser does to start a session, up to its first render.

use crate::Error;
use crate::http1::HttpConn;
use crate::target::Target;
use crate::ws::{self, Socket};

/// `GET /` (302 to `/<sid>`), `GET /<sid>` (the page), open `/ws/<sid>`, send `watch` and wait
/// for the value of variable 1. Returns the socket, ready for more messages.
pub async fn open(http: &mut HttpConn, target: &Target, watch: &str) -> Result<Socket, Error> {
    let created = http.get("/").await?;
    if created.status != 302 {
        return Err(format!("GET / answered {}, not 302", created.status).into());
    }
    let location = created
        .location
        .ok_or("GET / answered 302 without Location")?;
    let page = http.get(&location).await?;
    if page.status != 200 {
        return Err(format!("GET {location} answered {}, not 200", page.status).into());
    }
    let mut socket = ws::open(target, location.trim_start_matches('/')).await?;
    ws::send(&mut socket, watch).await?;
    ws::wait_for(&mut socket, ws::VALUE_OF_1).await?;
    Ok(socket)
}
