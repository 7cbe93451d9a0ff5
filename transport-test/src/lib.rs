//! In-memory harness for lunette-core.
