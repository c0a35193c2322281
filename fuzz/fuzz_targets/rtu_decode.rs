//! RTU framing in both directions, strict and resynchronising, then the PDU parsers: never a panic.
#![no_main]
use fieldbridge_modbus::rtu::{self, Direction};
use fieldbridge_modbus::{Request, Response};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for direction in [Direction::Request, Direction::Response] {
        let _ = rtu::decode(data, direction);
        if let Some((frame, _)) = rtu::decode_resync(data, direction).frame {
            let _ = (Request::parse(frame.pdu), Response::parse(frame.pdu));
        }
    }
});
