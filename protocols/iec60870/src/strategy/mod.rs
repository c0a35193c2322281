//! Public [`proptest`] strategies for every type of the codec (feature `proptest`), so that an
//! embedder can test their own code with well-formed frames: every information element, the
//! information objects of every type ID, the 12 size configurations, whole ASDUs valid under
//! a configuration, APDUs and FT1.2 frames.
//!
//! Everything generated encodes without error, and decodes back to the same value: floats are
//! never NaN (a NaN element is not equal to itself), the ASDUs fit an IEC 104 I frame (at most
//! 249 octets) and so any FT1.2 frame too, and reserved bits are set as often as not, since a
//! codec must carry them.
//!
//! In a test, `proptest!` with `(config, asdu) in strategy::any_owned_asdu()` does the same as
//! this runner:
//!
//! ```
//! use fieldbridge_iec60870::asdu::OwnedAsdu;
//! use fieldbridge_iec60870::strategy;
//! use proptest::test_runner::TestRunner;
//!
//! TestRunner::default()
//!     .run(&strategy::any_owned_asdu(), |(config, asdu)| {
//!         let mut wire = Vec::new();
//!         asdu.encode(&mut wire).unwrap(); // ok: a doc example; failing is the test failing
//!         assert_eq!(OwnedAsdu::decode(&wire, &config).unwrap(), asdu); // ok: as above
//!         Ok(())
//!     })
//!     .unwrap(); // ok: as above
//! ```

mod asdu;
mod elements;
mod frames;

pub use asdu::{
    any_owned_asdu, asdu_config, element, information_object, owned_asdu, owned_asdu_of,
    owned_segment, time_tag, type_id, type_id_with_layout, MAX_ASDU_LEN,
};
pub use elements::*;
pub use frames::{
    apci, apdu, apdu_with_asdu, control, ft12_frame, ft12_frame_with_asdu, link_config, seq_no,
    u_function, OwnedApdu, OwnedFrame,
};
