//! The IEC 60870-5-101 link state machines (issue 15), driven with simulated time: stations fed
//! frames by hand, a primary and our own secondaries on one simulated party line, and two
//! balanced stations wired together.

mod balanced;
mod clear;
mod common;
mod corruption;
mod primary;
mod prop;
mod robust;
mod secondary;
