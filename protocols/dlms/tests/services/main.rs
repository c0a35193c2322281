//! xDLMS data-transfer APDUs (DLMS UA 1000-2 Ed. 10 clause 9.5): vectors decoded field by field
//! and re-encoded byte for byte, one test per error, truncation at every length, proptest round
//! trips of every APDU kind, and block transfer.

/// Decodes every proper prefix of an input with a decoder and checks that none panics and none
/// succeeds.
macro_rules! every_prefix_fails {
    ($input:expr, $decode:path) => {{
        let input: &[u8] = &$input;
        for len in 0..input.len() {
            assert!($decode(&input[..len]).is_err(), "prefix of {len} decoded");
        }
    }};
}

mod action;
mod blocks;
mod choice;
mod exception;
mod get;
mod limits;
mod mutation;
mod notification;
mod roundtrip;
mod selective;
mod set;
mod sn;
