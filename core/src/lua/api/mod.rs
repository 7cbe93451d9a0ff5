//! What scripts call: the `session` object, variables, JSON, modules, prototypes, timers, and
//! the built-in ViewList wrappers.

pub(crate) mod json_api;
pub(crate) mod modules_api;
pub(crate) mod prototypes;
pub(crate) mod session_api;
pub(crate) mod timers;
pub(crate) mod variables_api;
pub(crate) mod versions_api;
pub(crate) mod view_list;
pub(crate) mod wrapper;
