//! One HTTP request: read its body (up to a cap), have its shard answer it, return the answer
//! (for an accepted WebSocket, the `101` and the task that will drive the socket).

use std::rc::Rc;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HeaderValue, SEC_WEBSOCKET_KEY};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;

use crate::responses::plain;
use crate::shard::{Answer, Shard};
use crate::websocket::{self, Link};

/// Largest request body passed to core; larger ones get `413` without reaching it.
pub const MAX_BODY: usize = 64 * 1024;

pub async fn answer(shard: &Rc<Shard>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if let Some(response) = shard.ops_answer(request.method(), request.uri().path()) {
        return response.map(Full::new);
    }
    let (mut parts, body) = request.into_parts();
    // Kept on this thread, which holds the connection, even when another shard answers.
    let upgrade = parts.extensions.remove::<OnUpgrade>();
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return too_large();
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.downcast_ref::<LengthLimitError>().is_some() => return too_large(),
        Err(error) => {
            tracing::debug!("could not read a request body: {error}");
            return plain(StatusCode::BAD_REQUEST, "400 Bad Request\n").map(Full::new);
        }
    };
    let key = parts.headers.get(SEC_WEBSOCKET_KEY).cloned();
    match shard.call(Request::from_parts(parts, body)).await {
        Ok(Answer::Respond(response)) => response.map(Full::new),
        Ok(Answer::Upgrade(link)) => switch(shard, upgrade, key, link).map(Full::new),
        Err(_) => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "503 Service Unavailable: this server is stopping\n",
        )
        .map(Full::new),
    }
}

/// Answers `101` and starts the socket's task, if hyper can hand over this connection (core
/// checked the headers, but hyper upgrades only what it parsed as an HTTP/1.1 upgrade).
fn switch(
    shard: &Rc<Shard>,
    upgrade: Option<OnUpgrade>,
    key: Option<HeaderValue>,
    link: Link,
) -> Response<Bytes> {
    let (Some(upgrade), Some(key)) = (upgrade, key) else {
        // Dropping the link tells core the connection closed.
        return plain(StatusCode::BAD_REQUEST, "400 Bad Request: not an upgrade\n");
    };
    shard
        .tasks()
        .spawn(Rc::clone(shard).serve_websocket(upgrade, link));
    websocket::handshake(&key)
}

fn too_large() -> Response<Full<Bytes>> {
    plain(StatusCode::PAYLOAD_TOO_LARGE, "413 Content Too Large\n").map(Full::new)
}
