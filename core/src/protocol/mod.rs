//! The WebSocket variable protocol on the wire (docs/protocol.md §3): parsing inbound frames and
//! messages, encoding outbound ones, and the error codes both share. Pure functions on text and
//! JSON values — no state, no I/O; what a message *does* is the session's business.
//!
//! The path of a frame:
//!
//! 1. [`parse_frame`] splits an inbound text frame into its messages (§3.2). Its error (one
//!    `bad-json` or `bad-message`) means nothing of the frame runs.
//! 2. [`parse_message`] checks one message's shape (§4.2–§4.4) and yields a [`Message`]; its
//!    error concerns that message only, and the next one runs.
//! 3. The session applies the messages and, at the flush, hands each connection's
//!    [`Outbound`] messages to [`encode_frame`]: one text frame, or none (§3.3).
//!
//! Errors of either side travel as a [`WireError`] (code of §3.4, optional wire id,
//! description), which converts into an [`Outbound::Error`].

mod error;
mod inbound;
#[cfg(test)]
mod inbound_tests;
mod outbound;
#[cfg(test)]
mod proptests;

pub(crate) use error::{ErrorCode, WireError};
pub(crate) use inbound::{Message, parse_frame, parse_message};
pub(crate) use outbound::{Outbound, encode_frame, viewdefs_message, write_string};
