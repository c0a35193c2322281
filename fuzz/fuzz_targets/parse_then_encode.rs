//! Decode any framing and PDU, re-encode both, decode again: the same frame and message, and for
//! TCP and RTU the same bytes (ASCII may differ only in hex case).
//!
//! The first input byte selects the framing (bits 1..) and the direction (bit 0).
#![no_main]
use fieldbridge_modbus::rtu::Direction;
use fieldbridge_modbus::{ascii, rtu, tcp, Request, Response};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let direction = if selector & 1 == 0 {
        Direction::Request
    } else {
        Direction::Response
    };
    match (selector >> 1) % 3 {
        0 => {
            if let Ok(Some((frame, len))) = tcp::decode(input) {
                check_pdu(frame.pdu, direction);
                let mut out = Vec::new();
                frame.encode(&mut out).expect("a decoded frame encodes");
                assert_eq!(out, input[..len]);
                assert_eq!(tcp::decode(&out).expect("decodes"), Some((frame, len)));
            }
        }
        1 => {
            if let Ok(Some((frame, len))) = rtu::decode(input, direction) {
                check_pdu(frame.pdu, direction);
                let mut out = Vec::new();
                frame.encode(&mut out).expect("a decoded frame encodes");
                assert_eq!(out, input[..len]);
                assert_eq!(
                    rtu::decode(&out, direction).expect("decodes"),
                    Some((frame, len))
                );
            }
        }
        _ => {
            if let Ok(Some((frame, len))) = ascii::decode(input) {
                check_pdu(frame.pdu(), direction);
                let mut out = Vec::new();
                frame.encode(&mut out).expect("a decoded frame encodes");
                assert_eq!(out.len(), len);
                assert!(out.eq_ignore_ascii_case(&input[..len]));
                assert_eq!(ascii::decode(&out).expect("decodes"), Some((frame, len)));
            }
        }
    }
});

/// A PDU that parses re-encodes to the same bytes and parses to the same message.
fn check_pdu(pdu: &[u8], direction: Direction) {
    match direction {
        Direction::Request => {
            if let Ok(request) = Request::parse(pdu) {
                let again = request.to_pdu().expect("a parsed request encodes");
                assert_eq!(&again[..], pdu);
                assert_eq!(Request::parse(&again), Ok(request));
            }
        }
        Direction::Response => {
            if let Ok(response) = Response::parse(pdu) {
                let again = response.to_pdu().expect("a parsed response encodes");
                assert_eq!(&again[..], pdu);
                assert_eq!(Response::parse(&again), Ok(response));
            }
        }
    }
}
