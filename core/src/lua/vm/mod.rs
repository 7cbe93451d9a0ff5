//! The VM and its sandbox: the instruction budget and what charges it, the protected calls,
//! compiled chunks, error messages and the log lines scripts write.

pub(crate) mod budget;
#[allow(unsafe_code)] // C closures over the standard library's C functions; see charged.rs
pub(crate) mod charged;
pub(crate) mod chunks;
pub(crate) mod failure;
pub(crate) mod logs;
#[allow(unsafe_code)] // a raw count hook and a wrapped allocator; see meter.rs
pub(crate) mod meter;
#[allow(unsafe_code)] // pcall, xpcall and the coroutine functions in C; see protected.rs
pub(crate) mod protected;
