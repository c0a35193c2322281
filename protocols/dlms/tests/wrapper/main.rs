//! The wrapper of the TCP-UDP/IP profile (IEC 62056-47): vectors, round trips, segmentation, one
//! test per error, and the stream splitter.

mod errors;
mod segmentation;
mod vectors;

/// A GET of the clock's time (0-0:1.0.0*255, attribute 2) from the public client to the
/// management logical device. Built by hand from the layouts of IEC 62056-47 clause 5 and of
/// get-request-normal (IEC 62056-5-3); not taken from a capture.
pub const GET_CLOCK: [u8; 21] = [
    0x00, 0x01, // version 1
    0x00, 0x10, // source wPort: public client
    0x00, 0x01, // destination wPort: management logical device
    0x00, 0x0D, // length: 13
    0xC0, 0x01, 0xC1, // get-request-normal, invoke-id-and-priority 0xC1
    0x00, 0x08, // class 8 (clock)
    0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, // 0-0:1.0.0*255
    0x02, 0x00, // attribute 2, no selective access
];

/// The response: the date-time 2024-01-02 03:04:05, as an octet-string of 12 (built by hand).
pub const CLOCK_RESPONSE: [u8; 26] = [
    0x00, 0x01, // version 1
    0x00, 0x01, // source wPort: management logical device
    0x00, 0x10, // destination wPort: public client
    0x00, 0x12, // length: 18
    0xC4, 0x01, 0xC1, // get-response-normal, invoke-id-and-priority 0xC1
    0x00, // result: data
    0x09, 0x0C, // octet-string of 12
    0x07, 0xE8, 0x01, 0x02, 0xFF, // year 2024, January, 2nd, day of week not specified
    0x03, 0x04, 0x05, 0x00, // 03:04:05.00
    0x80, 0x00, 0x00, // deviation not specified, clock status 0
];
