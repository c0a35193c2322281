//! The codec's acceptance tests: spec vectors, round trips, segmentation, one test per error
//! variant, serial resync, boundaries, and the bridge data model.
//!
//! One test binary with a module per family keeps the build small.

mod boundaries;
mod common;
mod errors;
mod model;
mod resync;
mod roundtrip;
mod segmentation;
mod vectors;
