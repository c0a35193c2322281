//! Security suite 0 (DLMS UA 1000-2 Ed. 10 clause 9.2): the Green Book and dlms-cosem vectors,
//! round trips for the three policies, one test per failure, the security policy a receiver
//! enforces, the choice of key, tampering with every byte of an authenticated APDU, and
//! HLS-GMAC.

mod failures;
mod hls;
mod key_choice;
mod policy;
mod roundtrip;
mod tampering;
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
/// The sender's system title in the Green Book's ciphering examples (9.2.7.2.4, the
/// glo-initiate-request and the glo-get-request, IV 4D4D4D0000BC614E01234567): the client's,
/// the calling AP title ("MMM", serial 12345678). (The Green Book's HLS example, table 43, gives
/// these octets to the server.) The tests also use it as the sender of the APDUs they build.
pub const SENDER_TITLE: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E];
/// The client's system title in the Green Book's HLS-GMAC example (table 43).
pub const CLIENT_TITLE: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01];

/// The Green Book keys.
pub fn keys() -> Keys {
    Keys::new(EK, AK)
}

/// Hex to bytes, for vectors written as the sources print them.
pub fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}
