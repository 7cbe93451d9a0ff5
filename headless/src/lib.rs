//! App tests without a browser. A **headless tab** opens a session of a site in the in-memory
//! harness (a real `Core`, the site's own `main.lua` and viewdefs, a virtual clock, seeded
//! ids) and renders the page as the bundled client (`client/*.js`) does: the same bindings,
//! the same variables created with the same paths and properties, the same updates applied,
//! into a DOM tree that tests query with CSS selectors. `lunette test` runs a site's
//! `tests/*.lua` with it (see [`runner`]).
//!
//! The client's rules are followed module by module: `paths.rs` ↔ `client/paths.js`,
//! `viewdefs.rs` ↔ `viewdefs.js`, `client.rs` ↔ `variables.js`, `outbox.js` and `errors.js`,
//! `views.rs` ↔ `views.js`, `bindings.rs` ↔ `bindings.js`. `docs/guide.md` ("Testing your
//! app") lists what the tab does not do (run template scripts, apply stylesheets). The
//! differential test (`e2e/tests/parity.rs`) drives the same steps through Chromium and
//! through this tab and compares them after every step.

mod bindings;
mod client;
mod events;
mod js;
mod lua_api;
mod page;
mod paths;
mod report;
pub mod runner;
pub mod site;
mod viewdefs;
mod views;
mod world;

pub use world::{Snapshot, TabId, World};
