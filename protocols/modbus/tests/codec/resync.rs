//! Serial framings find the next frame after leading garbage and report what they skipped.

use crate::common::rtu_frame;
use fieldbridge_modbus::rtu::Direction;
use fieldbridge_modbus::{ascii, rtu, Error, FunctionCode};

/// 11 | 03 006B 0003 | 76 87
const GOOD: &[u8] = &[0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87];

#[test]
fn rtu_decoder_skips_leading_garbage_until_a_valid_crc() {
    // The tail of a frame cut short (01 03 0000 000A C5 without its last CRC byte), then GOOD.
    let mut wire = vec![0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5];
    wire.extend_from_slice(GOOD);
    let found = rtu::decode_resync(&wire, Direction::Request);
    assert_eq!(found.skipped, 7);
    let (frame, len) = found.frame.unwrap();
    assert_eq!((frame.address, frame.pdu, len), (0x11, &GOOD[1..6], 8));
    assert_eq!(found.consumed(), wire.len());
    // The cut frame at 0 ran into GOOD's address: its CRC bytes read C5 11.
    assert_eq!(
        found.first_error,
        Some(Error::BadCrc {
            offset: 6,
            expected: 0xCDC5,
            found: 0x11C5
        })
    );
}

#[test]
fn rtu_decoder_skips_line_noise_with_impossible_function_codes() {
    // FF FF: address FF with function FF cannot start a request; 00 00: function 0 never exists.
    let mut wire = vec![0xFF, 0xFF, 0x00, 0x00];
    wire.extend_from_slice(GOOD);
    let found = rtu::decode_resync(&wire, Direction::Request);
    assert_eq!(found.skipped, 4);
    assert_eq!(found.frame.unwrap().1, 8);
    assert_eq!(
        found.first_error,
        Some(Error::BadFunctionCode {
            offset: 1,
            found: 0xFF
        })
    );
}

#[test]
fn rtu_decoder_prefers_a_complete_frame_over_garbage_that_looks_like_a_long_header() {
    // 05 10 ...: looks like the start of a write multiple registers request with byte count 0xF0,
    // which would need 250 bytes; GOOD follows and wins.
    let mut wire = vec![0x05, 0x10, 0x00, 0x00, 0x00, 0x78, 0xF0];
    wire.extend_from_slice(GOOD);
    let found = rtu::decode_resync(&wire, Direction::Request);
    assert_eq!(found.skipped, 7);
    assert_eq!(found.frame.unwrap().0.address, 0x11);
}

#[test]
fn rtu_decoder_waits_at_a_partial_frame_and_decodes_it_once_whole() {
    let found = rtu::decode_resync(&GOOD[..5], Direction::Request);
    assert_eq!(
        (found.skipped, found.frame, found.first_error),
        (0, None, None)
    );
    let found = rtu::decode_resync(GOOD, Direction::Request);
    assert_eq!((found.skipped, found.consumed()), (0, 8));
}

#[test]
fn rtu_decoder_discards_everything_when_nothing_can_start_a_frame() {
    let found = rtu::decode_resync(&[0x00, 0x00, 0x00], Direction::Response);
    // The last byte alone may still be an address.
    assert_eq!(found.skipped, 2);
    assert!(found.frame.is_none());
    assert_eq!(
        found.first_error,
        Some(Error::BadFunctionCode {
            offset: 1,
            found: 0
        })
    );
}

#[test]
fn rtu_decoder_drains_a_stream_of_frames_with_garbage_between_them() {
    let responses = [
        rtu_frame(1, &[0x03, 0x02, 0x00, 0x01]),
        rtu_frame(2, &[0x83, 0x02]),
        rtu_frame(3, &[0x10, 0x00, 0x01, 0x00, 0x02]),
    ];
    let mut wire = Vec::new();
    for (i, frame) in responses.iter().enumerate() {
        wire.extend_from_slice(&[0x00; 3][..i]);
        wire.extend_from_slice(frame);
    }
    let mut rest = &wire[..];
    let mut addresses = Vec::new();
    let mut skipped = 0;
    while !rest.is_empty() {
        let found = rtu::decode_resync(rest, Direction::Response);
        skipped += found.skipped;
        let Some((frame, _)) = &found.frame else {
            break;
        };
        addresses.push(frame.address);
        rest = &rest[found.consumed()..];
    }
    assert_eq!(addresses, [1, 2, 3]);
    assert_eq!(skipped, 3);
}

#[test]
fn ascii_decoder_hunts_for_the_colon_after_leading_garbage() {
    let found = ascii::decode_resync(b"\x00noise:010300000001FB\r\n");
    assert_eq!(found.skipped, 6);
    assert_eq!(found.frame.unwrap().1, 17);
    assert_eq!(found.first_error, None);
}

#[test]
fn ascii_decoder_drops_a_broken_frame_and_decodes_the_next() {
    // A frame with an odd number of digits, then a good one.
    let found = ascii::decode_resync(b":0103000\r\n:010300000001FB\r\n");
    assert_eq!(found.skipped, 10);
    assert_eq!(found.frame.unwrap().0.address, 1);
    assert_eq!(
        found.first_error,
        Some(Error::OddHexDigits {
            offset: 8,
            found: 7
        })
    );
}

#[test]
fn ascii_decoder_restarts_at_a_colon_inside_an_unfinished_frame() {
    let found = ascii::decode_resync(b":0103:010300000001FB\r\n");
    assert_eq!(found.skipped, 5);
    assert_eq!(found.consumed(), 22);
    assert_eq!(
        found.first_error,
        Some(Error::InvalidHex {
            offset: 5,
            found: b':'
        })
    );
}

#[test]
fn ascii_decoder_waits_at_a_partial_frame_and_drops_garbage_without_a_colon() {
    let found = ascii::decode_resync(b"xx:0103");
    assert_eq!((found.skipped, found.frame.is_none()), (2, true));
    let found = ascii::decode_resync(b"no frame here");
    assert_eq!((found.skipped, found.consumed()), (13, 13));
}

#[test]
fn rtu_unknown_function_with_no_crc_in_256_bytes_is_skipped_by_the_resync_decoder() {
    let mut wire = vec![0x01, 0x41];
    wire.extend(std::iter::repeat_n(0x00, 254));
    wire.extend_from_slice(GOOD);
    let found = rtu::decode_resync(&wire, Direction::Request);
    assert_eq!(found.frame.unwrap().0.address, 0x11);
    assert_eq!(
        found.first_error,
        Some(Error::FrameLengthUnknown {
            offset: 1,
            function: FunctionCode(0x41),
            searched: 256
        })
    );
}

#[test]
fn rtu_decoder_finds_a_frame_after_64_kib_of_garbage() {
    // 0x41 is a function code of unknown layout in both directions: every position hunts for a
    // CRC through the longest frame (256 bytes), the worst case per position.
    let mut wire = vec![0x41; 64 * 1024];
    wire.extend_from_slice(GOOD);
    let found = rtu::decode_resync(&wire, Direction::Request);
    assert_eq!(found.skipped, 64 * 1024);
    let (frame, len) = found.frame.unwrap();
    assert_eq!((frame.address, frame.pdu, len), (0x11, &GOOD[1..6], 8));
    assert_eq!(found.consumed(), wire.len());
    assert_eq!(
        found.first_error,
        Some(Error::FrameLengthUnknown {
            offset: 1,
            function: FunctionCode(0x41),
            searched: 256
        })
    );
}

#[test]
fn rtu_decoder_contract_is_none_for_more_bytes_and_errors_with_offsets() {
    // Strict decode: every proper prefix of a frame needs more bytes, never an error.
    for cut in 0..GOOD.len() {
        assert_eq!(rtu::decode(&GOOD[..cut], Direction::Request), Ok(None));
    }
    let mut bad = GOOD.to_vec();
    bad[7] ^= 0xFF;
    assert_eq!(
        rtu::decode(&bad, Direction::Request),
        Err(Error::BadCrc {
            offset: 6,
            expected: 0x8776,
            found: 0x7876
        })
    );
    // Resync after 1,000 bytes of garbage: the error offset counts from the buffer's start, and a
    // frame cut short is waited for, not skipped. The last garbage byte is kept too: with GOOD's
    // address as its function code (0x11, of unknown layout) it may still start a frame.
    let mut wire = vec![0x00; 1000];
    wire.extend_from_slice(&GOOD[..5]);
    let found = rtu::decode_resync(&wire, Direction::Request);
    assert_eq!((found.skipped, found.frame), (999, None));
    assert_eq!(
        found.first_error,
        Some(Error::BadFunctionCode {
            offset: 1,
            found: 0
        })
    );
    wire.extend_from_slice(&GOOD[5..]);
    let found = rtu::decode_resync(&wire, Direction::Request);
    assert_eq!((found.skipped, found.consumed()), (1000, 1008));
}
