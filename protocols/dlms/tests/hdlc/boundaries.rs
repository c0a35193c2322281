//! The largest frame the length field allows, and one octet over.

use crate::common::*;
use fieldbridge_dlms::hdlc::{self, Address, Control, Frame, MAX_FRAME_LEN, MAX_LENGTH};

fn frame(info: &[u8], destination: Address) -> Frame<'_> {
    Frame {
        segmented: true,
        destination,
        source: Address::PUBLIC_CLIENT,
        control: Control::I {
            ns: 7,
            nr: 7,
            pf: true,
        },
        info,
    }
}

#[test]
fn the_largest_frame_fills_the_eleven_bit_length_field() {
    for destination in [
        Address::one(1).unwrap(),
        Address::two(1, 17).unwrap(),
        Address::four(0x3FFF, 0x3FFE).unwrap(),
    ] {
        let max = Frame::max_info_len(&destination, &Address::PUBLIC_CLIENT);
        let info: Vec<u8> = (0..max).map(|i| i as u8).collect();
        let f = frame(&info, destination);
        let bytes = encode(&f);
        assert_eq!(bytes.len(), MAX_FRAME_LEN);
        assert_eq!(&bytes[1..3], &[0xAF, 0xFF]); // S set, length 0x7FF
        assert_eq!(whole(&bytes), f);
        // One octet more does not fit.
        let info = vec![0u8; max + 1];
        assert!(frame(&info, destination).encode(&mut Vec::new()).is_err());
    }
}

#[test]
fn the_largest_frame_waits_for_its_last_byte() {
    let destination = Address::one(1).unwrap();
    let info = vec![0x7E; Frame::max_info_len(&destination, &Address::PUBLIC_CLIENT)];
    let bytes = encode(&frame(&info, destination));
    assert_eq!(hdlc::decode(&bytes[..bytes.len() - 1]), Ok(None));
    assert_eq!(MAX_LENGTH, 2047);
}
