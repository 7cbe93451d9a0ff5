//! A fuzz target for the inbound frame path (issue 10): generated frames for several sessions,
//! well-formed and not — malformed JSON, nesting hundreds deep in values and properties,
//! strings of megabytes, long batches, deep chains and wide fans of creates, messages about
//! unknown ids, watches, closes and reconnects, Lua actions that fail or spin, and time passing.
//!
//! Whatever arrives, core must not panic or abort, every frame it sends must be JSON of the
//! outbound shape, every step must end, and every session must still answer a fresh tab's
//! watch of variable 1 afterwards.
//!
//! Bounded for CI: 24 cases by default (`PROPTEST_CASES` to change it), each of a few dozen
//! steps of bounded size.

#[path = "fuzz_frames/inputs.rs"]
mod inputs;
#[path = "fuzz_frames/json_check.rs"]
mod json_check;
#[path = "fuzz_frames/render.rs"]
mod render;
#[path = "fuzz_frames/world.rs"]
mod world;

use std::time::Instant;

use inputs::op;
use proptest::prelude::*;
use world::{STEP_LIMIT, World};

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn core_survives_any_inbound_frames(ops in prop::collection::vec(op(), 1..24)) {
        let mut world = World::new();
        for op in &ops {
            let started = Instant::now();
            world.step(op);
            let took = started.elapsed();
            prop_assert!(took < STEP_LIMIT, "{op:?} took {took:?}");
        }
        world.close_all();
        world.assert_usable();
    }
}
