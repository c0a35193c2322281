//! FT1.2 on a serial line: garbage before a frame is discarded, counted and explained.

use crate::common::{FT12, ONE};
use fieldbridge_iec60870::ft12::{self, Frame};
use fieldbridge_iec60870::Error;

const REQUEST_LINK_STATUS: &[u8] = &[0x10, 0x49, 0x01, 0x4A, 0x16];

#[test]
fn can_consume_leading_garbage_before_every_vector() {
    let garbage = [0x00, 0xFF, 0x42, 0x16];
    for v in FT12 {
        let bytes = [&garbage[..], v.bytes].concat();
        let hunt = ft12::decode_hunting(&bytes, &v.config);
        assert_eq!(hunt.discarded, garbage.len(), "{}", v.name);
        assert_eq!(hunt.frame, Some((v.frame, v.bytes.len())), "{}", v.name);
        assert_eq!(hunt.consumed(), bytes.len(), "{}", v.name);
        assert_eq!(
            hunt.first_error,
            Some(Error::BadStartChar {
                offset: 0,
                found: 0x00
            }),
            "{}",
            v.name
        );
    }
}

#[test]
fn false_start_characters_in_the_garbage_are_tried_and_discarded() {
    // 68 05 06: a variable frame whose length octets differ | 10 49 01 FF 16: bad checksum |
    // then the real frame
    let mut bytes = vec![0x68, 0x05, 0x06, 0x10, 0x49, 0x01, 0xFF, 0x16];
    let garbage = bytes.len();
    bytes.extend_from_slice(REQUEST_LINK_STATUS);
    let hunt = ft12::decode_hunting(&bytes, &ONE);
    assert_eq!(hunt.discarded, garbage);
    assert_eq!(
        hunt.first_error,
        Some(Error::LengthMismatch {
            offset: 2,
            expected: 5,
            found: 6
        })
    );
    let (frame, len) = hunt.frame.unwrap();
    assert_eq!(len, REQUEST_LINK_STATUS.len());
    assert!(matches!(frame, Frame::Fixed { address: 1, .. }));
}

#[test]
fn a_frame_that_fails_its_checksum_is_skipped_for_the_next_one() {
    let mut bytes = vec![0x10, 0x49, 0x01, 0x4B, 0x16];
    bytes.extend_from_slice(REQUEST_LINK_STATUS);
    let hunt = ft12::decode_hunting(&bytes, &ONE);
    assert_eq!(hunt.discarded, 5);
    assert_eq!(
        hunt.first_error,
        Some(Error::BadChecksum {
            offset: 3,
            expected: 0x4A,
            found: 0x4B
        })
    );
    assert!(hunt.frame.is_some());
}

#[test]
fn garbage_alone_is_discarded_entirely() {
    let hunt = ft12::decode_hunting(&[0x00, 0x01, 0x02], &ONE);
    assert_eq!((hunt.discarded, hunt.frame), (3, None));
    assert_eq!(hunt.consumed(), 3);
}

#[test]
fn garbage_then_the_start_of_a_frame_keeps_the_start_and_waits() {
    let hunt = ft12::decode_hunting(&[0x00, 0x01, 0x10, 0x49], &ONE);
    assert_eq!((hunt.discarded, hunt.frame), (2, None));
    // With the rest of the frame, it decodes.
    let mut bytes = vec![0x10, 0x49];
    bytes.extend_from_slice(&REQUEST_LINK_STATUS[2..]);
    assert!(ft12::decode_hunting(&bytes, &ONE).frame.is_some());
}

#[test]
fn an_empty_buffer_discards_nothing() {
    let hunt = ft12::decode_hunting(&[], &ONE);
    assert_eq!(
        (hunt.discarded, hunt.frame, hunt.first_error),
        (0, None, None)
    );
}

#[test]
fn hunting_a_stream_one_call_at_a_time_finds_every_frame() {
    let mut stream = vec![0xAA];
    for v in FT12.iter().filter(|v| v.config == ONE) {
        stream.extend_from_slice(v.bytes);
        stream.extend_from_slice(&[0x00, 0x33]);
    }
    let expected: Vec<Frame> = FT12
        .iter()
        .filter(|v| v.config == ONE)
        .map(|v| v.frame)
        .collect();
    let mut found = Vec::new();
    let mut rest = &stream[..];
    while !rest.is_empty() {
        let hunt = ft12::decode_hunting(rest, &ONE);
        if let Some((frame, _)) = hunt.frame {
            found.push(frame);
        }
        rest = &rest[hunt.consumed()..];
    }
    assert_eq!(found, expected);
}

#[test]
fn a_frame_with_a_sound_header_and_a_bad_checksum_is_discarded_whole() {
    // 68 05 05 68 | C=08 A=01 | E5 10 49 | CS (wrong) 16: neither the E5 nor the 10 inside it is
    // a frame; the real frame after it is found.
    let mut bytes = vec![
        0x68, 0x05, 0x05, 0x68, 0x08, 0x01, 0xE5, 0x10, 0x49, 0x00, 0x16,
    ];
    let corrupt = bytes.len();
    bytes.extend_from_slice(REQUEST_LINK_STATUS);
    let hunt = ft12::decode_hunting(&bytes, &ONE);
    assert_eq!(hunt.discarded, corrupt);
    assert!(matches!(
        hunt.first_error,
        Some(Error::BadChecksum { offset: 9, .. })
    ));
    // A fixed frame with its end character in place but a wrong checksum likewise: 10 E5 01 00 16.
    let mut bytes = vec![0x10, 0xE5, 0x01, 0x00, 0x16];
    bytes.extend_from_slice(REQUEST_LINK_STATUS);
    let hunt = ft12::decode_hunting(&bytes, &ONE);
    assert_eq!(hunt.discarded, 5);
    assert!(matches!(hunt.frame, Some((Frame::Fixed { .. }, 5))));
}
