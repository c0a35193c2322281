//! Modbus TCP framing, then both PDU parsers on whatever frame it finds: never a panic.
#![no_main]
use fieldbridge_modbus::{tcp, Request, Response};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(Some((frame, _))) = tcp::decode(data) {
        let _ = (Request::parse(frame.pdu), Response::parse(frame.pdu));
    }
});
