//! ASCII framing, strict and resynchronising, then the PDU parsers: never a panic.
#![no_main]
use fieldbridge_modbus::{ascii, Request, Response};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = ascii::decode(data);
    if let Some((frame, _)) = ascii::decode_resync(data).frame {
        let _ = (Request::parse(frame.pdu()), Response::parse(frame.pdu()));
    }
});
