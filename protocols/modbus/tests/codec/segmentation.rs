//! Every vector fed split at every byte position, and one byte at a time: a prefix is never an
//! error and never a frame; the whole decodes; a second frame behind the first is left alone.

use crate::common::{
    ascii_len, rtu_frame, rtu_len, tcp_len, Decode, ASCII_FRAMES, DEVICE_ID_RESPONSE, RTU_FRAMES,
    TCP_FRAMES,
};
use fieldbridge_modbus::rtu::Direction;

fn assert_segments(decode: Decode, bytes: &[u8], name: &str) {
    for split in 0..bytes.len() {
        let (first, _) = bytes.split_at(split);
        assert_eq!(decode(first), Ok(None), "{name}: prefix of {split} bytes");
        assert_eq!(
            decode(bytes),
            Ok(Some(bytes.len())),
            "{name}: whole after split at {split}"
        );
    }
    // One byte at a time into a growing buffer, as a reader would.
    let mut buf = Vec::new();
    for (i, &byte) in bytes.iter().enumerate() {
        buf.push(byte);
        let expected = if i + 1 == bytes.len() {
            Some(bytes.len())
        } else {
            None
        };
        assert_eq!(decode(&buf), Ok(expected), "{name}: after byte {i}");
    }
    // Back to back with itself: the first frame only.
    let doubled = [bytes, bytes].concat();
    assert_eq!(decode(&doubled), Ok(Some(bytes.len())), "{name}: doubled");
}

#[test]
fn tcp_frames_split_at_every_byte_decode_only_when_whole() {
    for v in TCP_FRAMES {
        assert_segments(tcp_len, v.bytes, v.name);
    }
}

#[test]
fn rtu_frames_split_at_every_byte_decode_only_when_whole() {
    for v in RTU_FRAMES {
        assert_segments(rtu_len(v.direction), v.bytes, v.name);
    }
}

#[test]
fn rtu_frames_of_every_modelled_function_split_at_every_byte_decode_only_when_whole() {
    for v in crate::common::REQUESTS {
        assert_segments(
            rtu_len(Direction::Request),
            &rtu_frame(0x11, v.bytes),
            v.name,
        );
    }
    for v in crate::common::RESPONSES {
        assert_segments(
            rtu_len(Direction::Response),
            &rtu_frame(0x11, v.bytes),
            v.name,
        );
    }
}

#[test]
fn rtu_device_identification_response_split_mid_object_waits_for_the_rest() {
    let frame = rtu_frame(0x01, DEVICE_ID_RESPONSE);
    assert_segments(rtu_len(Direction::Response), &frame, "device id");
}

#[test]
fn ascii_frames_split_at_every_byte_decode_only_when_whole() {
    for &v in ASCII_FRAMES {
        assert_segments(ascii_len, v, "ascii");
    }
    assert_segments(ascii_len, b":1103006b00037e\r\n", "ascii lower case");
}

#[test]
fn tcp_frames_of_every_pdu_vector_split_at_every_byte_decode_only_when_whole() {
    for v in crate::common::REQUESTS
        .iter()
        .chain(crate::common::RESPONSES)
    {
        assert_segments(tcp_len, &crate::common::tcp_frame(9, 1, v.bytes), v.name);
    }
}

#[test]
fn ascii_frames_of_every_pdu_vector_split_at_every_byte_decode_only_when_whole() {
    for v in crate::common::REQUESTS
        .iter()
        .chain(crate::common::RESPONSES)
    {
        assert_segments(ascii_len, &crate::common::ascii_frame(9, v.bytes), v.name);
    }
}
