//! Security suite 0 (DLMS UA 1000-2 Ed. 10 clause 9.2): the Green Book and dlms-cosem vectors,
//! round trips for the three policies, one test per failure, and HLS-GMAC.

mod failures;
mod hls;
mod roundtrip;
mod vectors;

use fieldbridge_dlms::security::{Keys, SystemTitle};

/// The Green Book's example global unicast encryption key (9.2.7.2.4, tables 40 ff.).
pub const EK: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
];
/// The Green Book's example authentication key.
pub const AK: [u8; 16] = [
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
];
/// The Green Book's example server system title ("MMM", serial 12345678).
pub const SERVER_TITLE: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E];
/// The Green Book's example client system title.
pub const CLIENT_TITLE: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01];

/// The Green Book keys.
pub fn keys() -> Keys {
    Keys::new(EK, AK)
}

/// Hex to bytes, for vectors written as the sources print them.
pub fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}
