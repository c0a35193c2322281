//! The codec's acceptance tests: spec vectors, round trips, segmentation, one test per error
//! variant, hunting after garbage on serial lines, and boundaries.
//!
//! One test binary with a module per family keeps the build small.

mod asdu_elements;
mod asdu_errors;
mod asdu_file;
mod asdu_roundtrip;
mod asdu_vectors;
mod boundaries;
mod common;
mod errors;
mod hunting;
mod roundtrip;
mod segmentation;
mod strategies;
mod vectors;
