//! One test per error variant, asserting the exact error and its offset.

use fieldbridge_modbus::model::check_response;
use fieldbridge_modbus::rtu::Direction;
use fieldbridge_modbus::{ascii, rtu, tcp, Error, FunctionCode, Registers, Request, Response};

#[test]
fn truncated_pdu_reports_where_it_ended_and_the_length_it_needs() {
    // 03 | 006B | (quantity missing)
    assert_eq!(
        Request::parse(&[0x03, 0x00, 0x6B]),
        Err(Error::Truncated {
            offset: 3,
            expected_len: 5
        })
    );
    // 10 | 0001 | 0002 | 04 | 000A (second register missing)
    assert_eq!(
        Request::parse(&[0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A]),
        Err(Error::Truncated {
            offset: 8,
            expected_len: 10
        })
    );
    // 2B 0E 01 01 00 00 | 01 object | 00 id 05 len "ab" (3 bytes missing)
    assert_eq!(
        Response::parse(&[0x2B, 0x0E, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x05, b'a', b'b']),
        Err(Error::Truncated {
            offset: 11,
            expected_len: 14
        })
    );
    assert_eq!(
        Response::parse(&[]),
        Err(Error::Truncated {
            offset: 0,
            expected_len: 1
        })
    );
}

#[test]
fn trailing_bytes_after_a_complete_pdu_are_reported_where_they_start() {
    // 03 | 006B | 0003 | FF (extra)
    assert_eq!(
        Request::parse(&[0x03, 0x00, 0x6B, 0x00, 0x03, 0xFF]),
        Err(Error::TrailingBytes {
            offset: 5,
            expected_len: 5,
            found_len: 6
        })
    );
    // 2B 0E 01 01 00 00 | 00 objects | 7F (extra)
    assert_eq!(
        Response::parse(&[0x2B, 0x0E, 0x01, 0x01, 0x00, 0x00, 0x00, 0x7F]),
        Err(Error::TrailingBytes {
            offset: 7,
            expected_len: 7,
            found_len: 8
        })
    );
}

#[test]
fn pdu_longer_than_253_bytes_is_rejected_by_parsers_framings_and_encoders() {
    let long = [0x41; 254];
    assert_eq!(
        Request::parse(&long),
        Err(Error::PduTooLong {
            offset: 253,
            max: 253,
            found: 254
        })
    );
    // RTU: 01 | 03 FF (byte count 255 needs a 257-byte PDU)
    assert_eq!(
        rtu::decode_response(&[0x01, 0x03, 0xFF]),
        Err(Error::PduTooLong {
            offset: 2,
            max: 253,
            found: 257
        })
    );
    // ASCII: 256 decoded bytes can only hold a 254-byte PDU.
    let mut wire = b":".to_vec();
    wire.extend(std::iter::repeat_n(b'0', 511));
    assert_eq!(
        ascii::decode(&wire),
        Err(Error::PduTooLong {
            offset: 511,
            max: 253,
            found: 254
        })
    );
    let frame = tcp::Frame::new(
        tcp::Header {
            transaction_id: 0,
            unit_id: 0,
        },
        &long,
    );
    assert_eq!(
        frame.encode(&mut Vec::new()),
        Err(Error::PduTooLong {
            offset: 253,
            max: 253,
            found: 254
        })
    );
}

#[test]
fn function_code_zero_or_an_exception_code_in_a_request_is_a_bad_function_code() {
    assert_eq!(
        Request::parse(&[0x83, 0x02]),
        Err(Error::BadFunctionCode {
            offset: 0,
            found: 0x83
        })
    );
    assert_eq!(
        Response::parse(&[0x00]),
        Err(Error::BadFunctionCode {
            offset: 0,
            found: 0x00
        })
    );
    assert_eq!(
        Request::parse(&[0x80, 0x01]),
        Err(Error::BadFunctionCode {
            offset: 0,
            found: 0x80
        })
    );
    // RTU: 01 | 00 (function 0)
    assert_eq!(
        rtu::decode_request(&[0x01, 0x00, 0x00, 0x00]),
        Err(Error::BadFunctionCode {
            offset: 1,
            found: 0x00
        })
    );
    let bad = Response::Exception {
        function: FunctionCode(0x83),
        code: 1.into(),
    };
    assert_eq!(
        bad.encode(&mut Vec::new()),
        Err(Error::BadFunctionCode {
            offset: 0,
            found: 0x83
        })
    );
    let bad = Response::Unknown {
        function: FunctionCode(0),
        data: &[],
    };
    assert_eq!(
        bad.encode(&mut Vec::new()),
        Err(Error::BadFunctionCode {
            offset: 0,
            found: 0
        })
    );
}

#[test]
fn quantity_out_of_range_names_the_function_and_its_maximum() {
    // 03 | 0000 | 007E (126 > 125)
    assert_eq!(
        Request::parse(&[0x03, 0x00, 0x00, 0x00, 0x7E]),
        Err(Error::QuantityOutOfRange {
            offset: 3,
            function: FunctionCode::READ_HOLDING_REGISTERS,
            quantity: 126,
            max: 125
        })
    );
    // 17 | 0000 0001 | 0000 007A (122 > 121) ...
    assert_eq!(
        Request::parse(&[0x17, 0, 0, 0, 1, 0, 0, 0, 0x7A]),
        Err(Error::QuantityOutOfRange {
            offset: 7,
            function: FunctionCode::READ_WRITE_MULTIPLE_REGISTERS,
            quantity: 122,
            max: 121
        })
    );
    // 0F | 0000 | 0000 (zero coils) in a response
    assert_eq!(
        Response::parse(&[0x0F, 0x00, 0x00, 0x00, 0x00]),
        Err(Error::QuantityOutOfRange {
            offset: 3,
            function: FunctionCode::WRITE_MULTIPLE_COILS,
            quantity: 0,
            max: 1968
        })
    );
    let zero = Request::ReadCoils {
        address: 0,
        quantity: 0,
    };
    assert_eq!(
        zero.encode(&mut Vec::new()),
        Err(Error::QuantityOutOfRange {
            offset: 3,
            function: FunctionCode::READ_COILS,
            quantity: 0,
            max: 2000
        })
    );
}

#[test]
fn byte_count_that_disagrees_with_the_quantity_is_a_mismatch() {
    // 10 | 0001 | 0002 | 03 (should be 4) | ...
    assert_eq!(
        Request::parse(&[0x10, 0x00, 0x01, 0x00, 0x02, 0x03, 0x00, 0x0A, 0x01]),
        Err(Error::ByteCountMismatch {
            offset: 5,
            function: FunctionCode::WRITE_MULTIPLE_REGISTERS,
            expected: 4,
            found: 3
        })
    );
    // 0F | 0013 | 000A (10 coils: 2 bytes) | 01 | CD
    assert_eq!(
        Request::parse(&[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x01, 0xCD]),
        Err(Error::ByteCountMismatch {
            offset: 5,
            function: FunctionCode::WRITE_MULTIPLE_COILS,
            expected: 2,
            found: 1
        })
    );
}

#[test]
fn read_response_byte_count_out_of_range_is_rejected() {
    // 01 | 00 (no coil bytes)
    assert_eq!(
        Response::parse(&[0x01, 0x00]),
        Err(Error::ByteCountOutOfRange {
            offset: 1,
            function: FunctionCode::READ_COILS,
            found: 0,
            min: 1,
            max: 250
        })
    );
    // 03 | FC (252 bytes: 126 registers)
    let mut pdu = vec![0x03, 0xFC];
    pdu.extend(std::iter::repeat_n(0, 252));
    assert_eq!(
        Response::parse(&pdu[..253]),
        Err(Error::ByteCountOutOfRange {
            offset: 1,
            function: FunctionCode::READ_HOLDING_REGISTERS,
            found: 252,
            min: 2,
            max: 250
        })
    );
}

#[test]
fn register_response_with_an_odd_byte_count_is_rejected() {
    // 03 | 03 | 00 01 02
    assert_eq!(
        Response::parse(&[0x03, 0x03, 0x00, 0x01, 0x02]),
        Err(Error::OddByteCount {
            offset: 1,
            function: FunctionCode::READ_HOLDING_REGISTERS,
            found: 3
        })
    );
}

#[test]
fn write_single_coil_value_other_than_ff00_or_0000_is_rejected() {
    // 05 | 00AC | 1234
    assert_eq!(
        Request::parse(&[0x05, 0x00, 0xAC, 0x12, 0x34]),
        Err(Error::BadCoilValue {
            offset: 3,
            found: 0x1234
        })
    );
    assert_eq!(
        Response::parse(&[0x05, 0x00, 0xAC, 0x00, 0xFF]),
        Err(Error::BadCoilValue {
            offset: 3,
            found: 0x00FF
        })
    );
}

#[test]
fn device_identification_more_follows_other_than_00_or_ff_is_rejected() {
    // 2B 0E 01 01 | 7F more follows | 00 | 00
    assert_eq!(
        Response::parse(&[0x2B, 0x0E, 0x01, 0x01, 0x7F, 0x00, 0x00]),
        Err(Error::BadMoreFollows {
            offset: 4,
            found: 0x7F
        })
    );
}

#[test]
fn mbap_protocol_id_other_than_zero_is_rejected() {
    // 0001 | 0001 (protocol 1) | 0006 | 11 | ...
    assert_eq!(
        tcp::decode(&[0x00, 0x01, 0x00, 0x01, 0x00, 0x06, 0x11]),
        Err(Error::BadProtocolId {
            offset: 2,
            expected: 0,
            found: 1
        })
    );
}

#[test]
fn mbap_length_below_2_or_above_254_is_rejected() {
    // 0001 | 0000 | 0001 (unit id only) | 11
    assert_eq!(
        tcp::decode(&[0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x11]),
        Err(Error::BadMbapLength {
            offset: 4,
            min: 2,
            max: 254,
            found: 1
        })
    );
    assert_eq!(
        tcp::decode(&[0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x11]),
        Err(Error::BadMbapLength {
            offset: 4,
            min: 2,
            max: 254,
            found: 0
        })
    );
    // 0001 | 0000 | 00FF (PDU of 254) | 11
    assert_eq!(
        tcp::decode(&[0x00, 0x01, 0x00, 0x00, 0x00, 0xFF, 0x11]),
        Err(Error::BadMbapLength {
            offset: 4,
            min: 2,
            max: 254,
            found: 255
        })
    );
}

#[test]
fn rtu_frame_with_a_wrong_crc_reports_both_crcs() {
    // 01 | 03 0000 000A | C5 CE (should be C5 CD)
    assert_eq!(
        rtu::decode_request(&[0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCE]),
        Err(Error::BadCrc {
            offset: 6,
            expected: 0xCDC5,
            found: 0xCEC5
        })
    );
}

#[test]
fn rtu_unknown_function_without_a_crc_match_in_256_bytes_has_no_frame_length() {
    let mut wire = vec![0x01, 0x41];
    wire.extend(std::iter::repeat_n(0x00, 254));
    assert_eq!(
        rtu::decode(&wire, Direction::Request),
        Err(Error::FrameLengthUnknown {
            offset: 1,
            function: FunctionCode(0x41),
            searched: 256
        })
    );
    // One byte short of 256: it may still arrive.
    assert_eq!(rtu::decode(&wire[..255], Direction::Request), Ok(None));
}

#[test]
fn ascii_frame_not_starting_with_a_colon_is_rejected() {
    assert_eq!(
        ascii::decode(b"010300000001FB\r\n").map(|f| f.is_some()),
        Err(Error::BadStartChar {
            offset: 0,
            expected: b':',
            found: b'0'
        })
    );
}

#[test]
fn ascii_frame_whose_cr_is_not_followed_by_lf_is_rejected() {
    assert_eq!(
        ascii::decode(b":010300000001FB\r\r").map(|f| f.is_some()),
        Err(Error::BadEndChar {
            offset: 16,
            expected: b'\n',
            found: b'\r'
        })
    );
}

#[test]
fn ascii_frame_with_a_non_hex_character_is_rejected_where_it_is() {
    assert_eq!(
        ascii::decode(b":01G300000001FB\r\n").map(|f| f.is_some()),
        Err(Error::InvalidHex {
            offset: 3,
            found: b'G'
        })
    );
}

#[test]
fn ascii_frame_with_an_odd_number_of_hex_digits_is_rejected() {
    assert_eq!(
        ascii::decode(b":0103000000010FB\r\n").map(|f| f.is_some()),
        Err(Error::OddHexDigits {
            offset: 16,
            found: 15
        })
    );
}

#[test]
fn ascii_frame_without_room_for_address_function_and_lrc_is_too_short() {
    // : 01 FF | CR LF: two bytes
    assert_eq!(
        ascii::decode(b":01FF\r\n").map(|f| f.is_some()),
        Err(Error::FrameTooShort {
            offset: 5,
            min_len: 3,
            found_len: 2
        })
    );
}

#[test]
fn ascii_frame_with_a_wrong_lrc_reports_both_lrcs() {
    assert_eq!(
        ascii::decode(b":010300000001FC\r\n").map(|f| f.is_some()),
        Err(Error::BadLrc {
            offset: 13,
            expected: 0xFB,
            found: 0xFC
        })
    );
}

#[test]
fn encoding_into_a_buffer_too_small_writes_nothing_and_says_how_much_is_needed() {
    let mut small = [0u8; 4];
    let mut out = &mut small[..];
    let request = Request::ReadCoils {
        address: 0,
        quantity: 1,
    };
    assert_eq!(
        request.encode(&mut out),
        Err(Error::BufferTooSmall {
            offset: 0,
            needed: 5,
            available: 4
        })
    );
    assert_eq!(small, [0; 4]);
    let mut out = &mut small[..];
    assert_eq!(
        rtu::Frame::new(1, &[0x03, 0, 0, 0, 1]).encode(&mut out),
        Err(Error::BufferTooSmall {
            offset: 0,
            needed: 8,
            available: 4
        })
    );
}

#[test]
fn response_that_does_not_answer_its_request_is_a_mismatch() {
    let request = Request::ReadHoldingRegisters {
        address: 0,
        quantity: 3,
    };
    let response = Response::ReadHoldingRegisters(Registers::from_values(&[1, 2]));
    assert_eq!(
        check_response(&request, &response),
        Err(Error::ResponseMismatch {
            offset: 1,
            function: FunctionCode::READ_HOLDING_REGISTERS,
            expected: 6,
            found: 4
        })
    );
    let other = Response::WriteSingleRegister {
        address: 0,
        value: 0,
    };
    assert_eq!(
        check_response(&request, &other),
        Err(Error::ResponseMismatch {
            offset: 0,
            function: FunctionCode::READ_HOLDING_REGISTERS,
            expected: 3,
            found: 6
        })
    );
}

#[test]
fn errors_render_their_offset_and_expectation() {
    let error = Error::BadCrc {
        offset: 6,
        expected: 0xCDC5,
        found: 0xCEC5,
    };
    assert_eq!(
        error.to_string(),
        "bad CRC at byte 6: computed 0xcdc5, found 0xcec5"
    );
    assert_eq!(error.offset(), 6);
    let error = Error::QuantityOutOfRange {
        offset: 3,
        function: FunctionCode::READ_HOLDING_REGISTERS,
        quantity: 126,
        max: 125,
    };
    assert_eq!(
        error.to_string(),
        "Read Holding Registers (0x03) quantity 126 at byte 3 out of range: expected 1..=125"
    );
}
