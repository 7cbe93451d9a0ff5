//! Change detection: reading each variable's path from Lua, settling unchanged ones in one
//! call, writing values through paths, and encoding Lua values as JSON.

pub(crate) mod convert;
pub(crate) mod evaluate;
pub(crate) mod mirror;
#[allow(unsafe_code)] // drives the Lua stack directly; see read.rs
pub(crate) mod read;
pub(crate) mod resolve;
#[allow(unsafe_code)] // drives the Lua stack directly; see settle.rs
pub(crate) mod settle;
pub(crate) mod value_json;
