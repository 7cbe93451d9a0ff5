//! The VM and its sandbox: the instruction budget and what charges it, the protected calls,
//! the libraries and the tables made on first use, compiled chunks, error messages and the log
//! lines scripts write.

#[allow(unsafe_code)] // base functions the sandbox changes, in C; see base.rs
pub(crate) mod base;
pub(crate) mod budget;
#[allow(unsafe_code)] // C closures over the standard library's C functions; see charged.rs
pub(crate) mod charged;
pub(crate) mod chunks;
pub(crate) mod failure;
#[allow(unsafe_code)] // tables made on first access, in C; see lazy.rs
pub(crate) mod lazy;
#[allow(unsafe_code)] // libraries opened through their C entry points; see libraries.rs
pub(crate) mod libraries;
pub(crate) mod logs;
#[allow(unsafe_code)] // a raw count hook and a wrapped allocator; see meter.rs
pub(crate) mod meter;
#[allow(unsafe_code)] // the standard library's C functions, read from a template VM
pub(crate) mod originals;
#[allow(unsafe_code)] // pcall, xpcall and the coroutine functions in C; see protected.rs
pub(crate) mod protected;
