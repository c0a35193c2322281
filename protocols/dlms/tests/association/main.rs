//! The association layer's acceptance tests (DLMS UA 1000-2 Ed. 10 clause 9.3 and 9.5): AARQ,
//! AARE, RLRQ and RLRE vectors from the Green Book and public implementations decoded field by
//! field and re-encoded byte for byte, the xDLMS initiate APDUs and the conformance block, one
//! test per error, truncation at every length, and proptest round trips.
//!
//! One test binary with a module per family keeps the build small.

mod ber;
mod common;
mod conformance;
mod errors;
mod initiate;
mod roundtrip;
mod truncation;
mod vectors_aare;
mod vectors_aarq;
mod vectors_release;
