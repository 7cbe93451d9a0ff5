//! Lua's string patterns (Lua 5.4 manual §6.4.1), compiled and matched in Rust, with every step of
//! the work paid to a [`Meter`] so that the caller can bound it.
//!
//! # Why it exists
//!
//! lunette runs each session's scripts in a Lua VM and bounds them with an instruction budget,
//! charged from Lua's count hook. Lua's own `string.find`, `match`, `gmatch` and `gsub` run in
//! C, where the hook never fires: `("a"):rep(40):find(("a*"):rep(40) .. "b")` takes about 2^40
//! steps, and one script that writes it would hang the core, and every session on it, whatever
//! its budget. This engine matches the same language with the same results and errors, and
//! pays for its work as it goes: when the meter refuses, matching stops with
//! [`Failure::Exhausted`].
//!
//! The crate knows nothing of mlua or of sessions. `lunette-core`'s `lua/pattern/` is the glue
//! that reads a call's arguments, pays the meter out of the session's budget and builds Lua's
//! results and error messages from what the engine returns.
//!
//! # Use
//!
//! [`Program::compile`] reads a pattern (without its leading `^`: anchoring is an argument of
//! [`Matcher::search`]); a [`Matcher`] walks it over one subject and reports positions as byte
//! offsets, 0-based, ends exclusive. [`find_text`] searches for plain text, as `string.find`
//! does when the pattern has no special characters.
//!
//! ```
//! use lunette_pattern::{Capture, Exhausted, Matcher, Meter, Program};
//!
//! /// Pays out of a fixed allowance.
//! struct Allowance(u64);
//!
//! impl Meter for Allowance {
//!     fn pay(&mut self, units: u64) -> Result<(), Exhausted> {
//!         self.0 = self.0.checked_sub(units).ok_or(Exhausted)?;
//!         Ok(())
//!     }
//! }
//!
//! let program = Program::compile(b"(%a+)=()", usize::MAX).expect("no memory limit");
//! let mut matcher = Matcher::new(b"  key=value", &program, Allowance(1_000_000));
//! assert_eq!(matcher.search(0, false, None), Ok(Some((2, 6))));
//! assert_eq!(matcher.capture(0), Ok(Capture::Text(2, 5)));
//! assert_eq!(matcher.capture(1), Ok(Capture::Position(6)));
//! matcher.settle().expect("within the allowance");
//! ```
//!
//! # Where things are
//!
//! - `class.rs`: character classes (`.`, `%a`, `[...]`) as 256-bit byte sets;
//! - `compile.rs`: a pattern read into a [`Program`], a list of items; malformed spots become
//!   items that fail when matching reaches them, as in Lua;
//! - `matcher.rs`: the backtracking [`Matcher`], its [`Meter`] and its depth limit;
//! - `search.rs`: plain-text search ([`find_text`]).
//!
//! `tests/differential.rs` runs hand-picked and random patterns through this engine and
//! through a plain Lua 5.4 VM's `string.find` (mlua, a dev-dependency only) and compares the
//! positions, captures and errors; `tests/engine.rs` checks what Lua cannot show: the meter's
//! accounting, the depth limit and the memory bound on programs.

#![warn(missing_docs)]

mod class;
mod compile;
mod matcher;
mod search;

pub use compile::{Malformed, Program};
pub use matcher::{Capture, Exhausted, Failure, Matcher, Meter};
pub use search::find_text;
