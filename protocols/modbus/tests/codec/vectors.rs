//! Spec vectors decode to the expected structure and re-encode to identical bytes.

use crate::common::{
    ASCII_FRAMES, DEVICE_ID_RESPONSE, REQUESTS, RESPONSES, RTU_FRAMES, TCP_FRAMES,
};
use fieldbridge_modbus::pdu::{
    ConformityLevel, DeviceIdObject, DeviceIdObjects, DeviceIdentification, ObjectId,
    ReadDeviceIdCode,
};
use fieldbridge_modbus::rtu::Direction;
use fieldbridge_modbus::{
    ascii, rtu, tcp, Coils, ExceptionCode, FunctionCode, Registers, Request, Response,
};

fn request(pdu: &[u8]) -> Request<'_> {
    let parsed = Request::parse(pdu).unwrap();
    let mut out = Vec::new();
    parsed.encode(&mut out).unwrap();
    assert_eq!(out, pdu, "{parsed:?} re-encodes identically");
    assert_eq!(parsed.encoded_len(), pdu.len());
    parsed
}

fn response(pdu: &[u8]) -> Response<'_> {
    let parsed = Response::parse(pdu).unwrap();
    let mut out = Vec::new();
    parsed.encode(&mut out).unwrap();
    assert_eq!(out, pdu, "{parsed:?} re-encodes identically");
    assert_eq!(parsed.encoded_len(), pdu.len());
    parsed
}

#[test]
fn read_coils_request_and_response_match_the_spec_example() {
    // 01 | 0013 start (coil 20) | 0013 quantity (19)
    assert_eq!(
        request(&[0x01, 0x00, 0x13, 0x00, 0x13]),
        Request::ReadCoils {
            address: 0x13,
            quantity: 19
        }
    );
    // 01 | 03 byte count | CD 6B 05: coils 27..20, 35..28, 38..36 (MSB to LSB)
    let Response::ReadCoils(coils) = response(&[0x01, 0x03, 0xCD, 0x6B, 0x05]) else {
        panic!("not read coils")
    };
    let coils = coils.truncated(19);
    let expected = [
        true, false, true, true, false, false, true, true, // CD: 20..27
        true, true, false, true, false, true, true, false, // 6B: 28..35
        true, false, true, // 05: 36..38
    ];
    assert_eq!(coils, Coils::from_bools(&expected));
}

#[test]
fn read_discrete_inputs_request_and_response_match_the_spec_example() {
    // 02 | 00C4 start (input 197) | 0016 quantity (22)
    assert_eq!(
        request(&[0x02, 0x00, 0xC4, 0x00, 0x16]),
        Request::ReadDiscreteInputs {
            address: 0xC4,
            quantity: 22
        }
    );
    // 02 | 03 byte count | AC DB 35
    let Response::ReadDiscreteInputs(inputs) = response(&[0x02, 0x03, 0xAC, 0xDB, 0x35]) else {
        panic!("not read discrete inputs")
    };
    assert_eq!(inputs.len(), 24);
    assert_eq!(inputs.truncated(22).len(), 22);
    // 0xAC = 1010 1100: inputs 197..204 LSB first are 0 0 1 1 0 1 0 1
    assert_eq!(
        inputs.iter().take(8).collect::<Vec<_>>(),
        [false, false, true, true, false, true, false, true]
    );
}

#[test]
fn read_holding_registers_request_and_response_match_the_spec_example() {
    // 03 | 006B start (register 108) | 0003 quantity
    assert_eq!(
        request(&[0x03, 0x00, 0x6B, 0x00, 0x03]),
        Request::ReadHoldingRegisters {
            address: 0x6B,
            quantity: 3
        }
    );
    // 03 | 06 byte count | 022B (555) 0000 (0) 0064 (100)
    assert_eq!(
        response(&[0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64]),
        Response::ReadHoldingRegisters(Registers::from_values(&[555, 0, 100]))
    );
}

#[test]
fn read_input_registers_request_and_response_match_the_spec_example() {
    // 04 | 0008 start (register 9) | 0001 quantity
    assert_eq!(
        request(&[0x04, 0x00, 0x08, 0x00, 0x01]),
        Request::ReadInputRegisters {
            address: 8,
            quantity: 1
        }
    );
    // 04 | 02 byte count | 000A (10)
    assert_eq!(
        response(&[0x04, 0x02, 0x00, 0x0A]),
        Response::ReadInputRegisters(Registers::from_values(&[10]))
    );
}

#[test]
fn write_single_coil_request_and_echo_match_the_spec_example() {
    // 05 | 00AC address (coil 173) | FF00 ON
    let pdu = [0x05, 0x00, 0xAC, 0xFF, 0x00];
    assert_eq!(
        request(&pdu),
        Request::WriteSingleCoil {
            address: 0xAC,
            value: true
        }
    );
    assert_eq!(
        response(&pdu),
        Response::WriteSingleCoil {
            address: 0xAC,
            value: true
        }
    );
    // 05 | 00AC | 0000 OFF
    assert_eq!(
        request(&[0x05, 0x00, 0xAC, 0x00, 0x00]),
        Request::WriteSingleCoil {
            address: 0xAC,
            value: false
        }
    );
}

#[test]
fn write_single_register_request_and_echo_match_the_spec_example() {
    // 06 | 0001 address (register 2) | 0003 value
    let pdu = [0x06, 0x00, 0x01, 0x00, 0x03];
    assert_eq!(
        request(&pdu),
        Request::WriteSingleRegister {
            address: 1,
            value: 3
        }
    );
    assert_eq!(
        response(&pdu),
        Response::WriteSingleRegister {
            address: 1,
            value: 3
        }
    );
}

#[test]
fn write_multiple_coils_request_and_response_match_the_spec_example() {
    // 0F | 0013 start (coil 20) | 000A quantity | 02 byte count | CD 01
    let parsed = request(&[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01]);
    let states = [
        true, false, true, true, false, false, true, true, true, false,
    ];
    assert_eq!(
        parsed,
        Request::WriteMultipleCoils {
            address: 0x13,
            coils: Coils::from_bools(&states)
        }
    );
    // 0F | 0013 start | 000A quantity
    assert_eq!(
        response(&[0x0F, 0x00, 0x13, 0x00, 0x0A]),
        Response::WriteMultipleCoils {
            address: 0x13,
            quantity: 10
        }
    );
}

#[test]
fn write_multiple_registers_request_and_response_match_the_spec_example() {
    // 10 | 0001 start | 0002 quantity | 04 byte count | 000A 0102
    assert_eq!(
        request(&[0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02]),
        Request::WriteMultipleRegisters {
            address: 1,
            registers: Registers::from_values(&[0x000A, 0x0102])
        }
    );
    // 10 | 0001 start | 0002 quantity
    assert_eq!(
        response(&[0x10, 0x00, 0x01, 0x00, 0x02]),
        Response::WriteMultipleRegisters {
            address: 1,
            quantity: 2
        }
    );
}

#[test]
fn mask_write_register_request_and_echo_match_the_spec_example() {
    // 16 | 0004 address | 00F2 AND mask | 0025 OR mask
    let pdu = [0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25];
    assert_eq!(
        request(&pdu),
        Request::MaskWriteRegister {
            address: 4,
            and_mask: 0xF2,
            or_mask: 0x25
        }
    );
    assert_eq!(
        response(&pdu),
        Response::MaskWriteRegister {
            address: 4,
            and_mask: 0xF2,
            or_mask: 0x25
        }
    );
}

#[test]
fn read_write_multiple_registers_request_and_response_match_the_spec_example() {
    // 17 | 0003 read start | 0006 read quantity | 000E write start | 0003 write quantity
    //    | 06 byte count | 00FF 00FF 00FF
    assert_eq!(
        request(&[
            0x17, 0x00, 0x03, 0x00, 0x06, 0x00, 0x0E, 0x00, 0x03, 0x06, 0x00, 0xFF, 0x00, 0xFF,
            0x00, 0xFF
        ]),
        Request::ReadWriteMultipleRegisters {
            read_address: 3,
            read_quantity: 6,
            write_address: 0x0E,
            write_registers: Registers::from_values(&[0xFF, 0xFF, 0xFF]),
        }
    );
    // 17 | 0C byte count | 00FE 0ACD 0001 0003 000D 00FF
    assert_eq!(
        response(&[
            0x17, 0x0C, 0x00, 0xFE, 0x0A, 0xCD, 0x00, 0x01, 0x00, 0x03, 0x00, 0x0D, 0x00, 0xFF
        ]),
        Response::ReadWriteMultipleRegisters(Registers::from_values(&[
            0xFE, 0x0ACD, 1, 3, 0x0D, 0xFF
        ]))
    );
}

#[test]
fn read_device_identification_request_and_response_match_the_spec_example() {
    // 2B | 0E MEI | 01 basic | 00 object id
    assert_eq!(
        request(&[0x2B, 0x0E, 0x01, 0x00]),
        Request::ReadDeviceIdentification {
            code: ReadDeviceIdCode::BASIC,
            object_id: ObjectId::VENDOR_NAME
        }
    );
    // 2B | 0E | 01 code | 01 conformity | 00 more | 00 next | 03 objects | {id len value}x3
    let objects = [
        DeviceIdObject {
            id: ObjectId(0),
            value: b"Company identification",
        },
        DeviceIdObject {
            id: ObjectId(1),
            value: b"Product code XX",
        },
        DeviceIdObject {
            id: ObjectId(2),
            value: b"V2.11",
        },
    ];
    let parsed = response(DEVICE_ID_RESPONSE);
    assert_eq!(
        parsed,
        Response::ReadDeviceIdentification(DeviceIdentification {
            code: ReadDeviceIdCode::BASIC,
            conformity: ConformityLevel::BASIC_STREAM,
            more_follows: false,
            next_object_id: ObjectId(0),
            objects: DeviceIdObjects::from_slice(&objects),
        })
    );
    let Response::ReadDeviceIdentification(id) = parsed else {
        unreachable!()
    };
    assert_eq!(id.objects.len(), 3);
    assert_eq!(id.objects.iter().nth(1).unwrap().id.name(), "ProductCode");
}

#[test]
fn read_device_identification_with_more_follows_keeps_the_next_object_id() {
    // 2B | 0E | 03 extended | 83 conformity | FF more follows | 80 next | 01 object | 80 01 'x'
    let pdu = [0x2B, 0x0E, 0x03, 0x83, 0xFF, 0x80, 0x01, 0x80, 0x01, b'x'];
    let Response::ReadDeviceIdentification(id) = response(&pdu) else {
        panic!()
    };
    assert!(id.more_follows);
    assert_eq!(id.next_object_id, ObjectId(0x80));
    assert_eq!(id.conformity, ConformityLevel::EXTENDED_INDIVIDUAL);
    assert_eq!(id.objects.iter().next().unwrap().id.name(), "Private");
}

#[test]
fn exception_response_carries_the_function_and_the_named_code() {
    // 81 (0x01 | 0x80) | 02 ILLEGAL DATA ADDRESS
    let parsed = response(&[0x81, 0x02]);
    assert_eq!(
        parsed,
        Response::Exception {
            function: FunctionCode::READ_COILS,
            code: ExceptionCode::ILLEGAL_DATA_ADDRESS
        }
    );
    assert_eq!(parsed.function(), FunctionCode(0x81));
    let Response::Exception { code, .. } = parsed else {
        unreachable!()
    };
    assert_eq!(code.name(), "ILLEGAL DATA ADDRESS");
    assert_eq!(
        Response::exception(FunctionCode(0x83), ExceptionCode::SERVER_DEVICE_BUSY),
        Response::Exception {
            function: FunctionCode::READ_HOLDING_REGISTERS,
            code: ExceptionCode(6)
        }
    );
}

#[test]
fn unknown_function_codes_are_kept_as_raw_bytes() {
    // 08 diagnostics | 0000 return query data | A537
    let pdu = [0x08, 0x00, 0x00, 0xA5, 0x37];
    let expected = Request::Unknown {
        function: FunctionCode::DIAGNOSTICS,
        data: &pdu[1..],
    };
    assert_eq!(request(&pdu), expected);
    // 41 user-defined with no data
    assert_eq!(
        response(&[0x41]),
        Response::Unknown {
            function: FunctionCode(0x41),
            data: &[]
        }
    );
    // 2B | 0D CANopen general reference: not MEI 0x0E, so unknown
    assert_eq!(
        request(&[0x2B, 0x0D, 0x01]),
        Request::Unknown {
            function: FunctionCode(0x2B),
            data: &[0x0D, 0x01]
        }
    );
}

#[test]
fn every_pdu_vector_reencodes_to_identical_bytes() {
    for v in REQUESTS {
        let parsed = Request::parse(v.bytes).unwrap();
        assert_eq!(
            parsed.to_pdu().unwrap().as_slice(),
            v.bytes,
            "request {}",
            v.name
        );
    }
    for v in RESPONSES {
        let parsed = Response::parse(v.bytes).unwrap();
        assert_eq!(
            parsed.to_pdu().unwrap().as_slice(),
            v.bytes,
            "response {}",
            v.name
        );
    }
}

#[test]
fn tcp_frame_splits_into_mbap_fields_and_pdu() {
    // 0001 transaction | 0000 protocol | 0006 length | 11 unit | 03 006B 0003
    let (frame, len) = tcp::decode(TCP_FRAMES[0].bytes).unwrap().unwrap();
    assert_eq!(len, 12);
    assert_eq!(
        frame.header,
        tcp::Header {
            transaction_id: 1,
            unit_id: 0x11
        }
    );
    assert_eq!(frame.pdu, &[0x03, 0x00, 0x6B, 0x00, 0x03]);
    assert_eq!(
        Request::parse(frame.pdu).unwrap(),
        Request::ReadHoldingRegisters {
            address: 0x6B,
            quantity: 3
        }
    );
}

#[test]
fn tcp_frames_decode_and_reencode_identically() {
    for v in TCP_FRAMES {
        let (frame, len) = tcp::decode(v.bytes).unwrap().unwrap();
        assert_eq!(len, v.bytes.len(), "{}", v.name);
        let mut out = Vec::new();
        frame.encode(&mut out).unwrap();
        assert_eq!(out, v.bytes, "{}", v.name);
        assert_eq!(frame.encoded_len(), v.bytes.len());
        match v.direction {
            Direction::Request => drop(Request::parse(frame.pdu).unwrap()),
            Direction::Response => drop(Response::parse(frame.pdu).unwrap()),
        }
    }
}

#[test]
fn rtu_frame_splits_into_address_pdu_and_checked_crc() {
    // 01 address | 03 0000 000A | C5 CD
    let (frame, len) = rtu::decode_request(RTU_FRAMES[0].bytes).unwrap().unwrap();
    assert_eq!(len, 8);
    assert_eq!(
        frame,
        rtu::Frame {
            address: 1,
            pdu: &[0x03, 0x00, 0x00, 0x00, 0x0A]
        }
    );
    // 11 | 03 06 AE41 5652 4340 | 49 AD
    let (frame, _) = rtu::decode_response(RTU_FRAMES[2].bytes).unwrap().unwrap();
    assert_eq!(
        Response::parse(frame.pdu).unwrap(),
        Response::ReadHoldingRegisters(Registers::from_values(&[0xAE41, 0x5652, 0x4340]))
    );
}

#[test]
fn rtu_frames_decode_and_reencode_identically() {
    for v in RTU_FRAMES {
        let (frame, len) = rtu::decode(v.bytes, v.direction).unwrap().unwrap();
        assert_eq!(len, v.bytes.len(), "{}", v.name);
        let mut out = Vec::new();
        frame.encode(&mut out).unwrap();
        assert_eq!(out, v.bytes, "{}", v.name);
        assert_eq!(frame.encoded_len(), v.bytes.len());
        match v.direction {
            Direction::Request => drop(Request::parse(frame.pdu).unwrap()),
            Direction::Response => drop(Response::parse(frame.pdu).unwrap()),
        }
    }
}

#[test]
fn rtu_frame_of_an_unknown_function_ends_where_its_crc_matches() {
    // 11 | 11 report server id (no data) | CRC ; then the start of another frame
    let mut wire = crate::common::rtu_frame(0x11, &[0x11]);
    let len = wire.len();
    wire.extend_from_slice(&[0x11, 0x03]);
    let (frame, used) = rtu::decode_request(&wire).unwrap().unwrap();
    assert_eq!((frame.address, frame.pdu, used), (0x11, &[0x11][..], len));
    assert_eq!(
        Request::parse(frame.pdu).unwrap(),
        Request::Unknown {
            function: FunctionCode::REPORT_SERVER_ID,
            data: &[]
        }
    );
}

#[test]
fn ascii_frame_splits_into_address_pdu_and_checked_lrc() {
    // : | 01 address | 03 0000 0001 | FB LRC | CR LF
    let (frame, len) = ascii::decode(ASCII_FRAMES[0]).unwrap().unwrap();
    assert_eq!(len, 17);
    assert_eq!(frame.address, 1);
    assert_eq!(frame.pdu(), &[0x03, 0x00, 0x00, 0x00, 0x01]);
    assert_eq!(
        Request::parse(frame.pdu()).unwrap(),
        Request::ReadHoldingRegisters {
            address: 0,
            quantity: 1
        }
    );
}

#[test]
fn ascii_frames_decode_and_reencode_identically() {
    for &v in ASCII_FRAMES {
        let (frame, len) = ascii::decode(v).unwrap().unwrap();
        assert_eq!(len, v.len());
        let mut out = Vec::new();
        frame.encode(&mut out).unwrap();
        assert_eq!(out, v);
        assert_eq!(frame.encoded_len(), v.len());
    }
}

#[test]
fn ascii_hex_is_case_insensitive_on_input_and_upper_case_on_output() {
    // : 11 | 03 006b 0003 | 7e | CR LF, in lower case
    let (frame, _) = ascii::decode(b":1103006b00037e\r\n").unwrap().unwrap();
    let mut out = Vec::new();
    frame.encode(&mut out).unwrap();
    assert_eq!(out, b":1103006B00037E\r\n");
}

#[test]
fn exception_response_decodes_in_every_framing() {
    let expected = Response::Exception {
        function: FunctionCode::READ_HOLDING_REGISTERS,
        code: ExceptionCode::ILLEGAL_DATA_ADDRESS,
    };
    let (frame, _) = tcp::decode(TCP_FRAMES[2].bytes).unwrap().unwrap();
    assert_eq!(Response::parse(frame.pdu).unwrap(), expected);
    let (frame, _) = rtu::decode_response(&[0x01, 0x83, 0x02, 0xC0, 0xF1])
        .unwrap()
        .unwrap();
    assert_eq!(Response::parse(frame.pdu).unwrap(), expected);
    // : 01 | 83 02 | 7A | CR LF
    let (frame, _) = ascii::decode(b":0183027A\r\n").unwrap().unwrap();
    assert_eq!(Response::parse(frame.pdu()).unwrap(), expected);
}

#[test]
fn a_request_travels_through_every_framing_from_owned_values() {
    let values = [1u16, 2, 3];
    let request = Request::WriteMultipleRegisters {
        address: 0x10,
        registers: Registers::from_values(&values),
    };
    let pdu = request.to_pdu().unwrap();

    let mut wire = Vec::new();
    tcp::Frame::new(
        tcp::Header {
            transaction_id: 7,
            unit_id: 1,
        },
        &pdu,
    )
    .encode(&mut wire)
    .unwrap();
    let (frame, _) = tcp::decode(&wire).unwrap().unwrap();
    assert_eq!(Request::parse(frame.pdu).unwrap(), request);

    let mut wire = Vec::new();
    rtu::Frame::new(1, &pdu).encode(&mut wire).unwrap();
    let (frame, _) = rtu::decode_request(&wire).unwrap().unwrap();
    assert_eq!(Request::parse(frame.pdu).unwrap(), request);

    let mut wire = Vec::new();
    ascii::Frame::new(1, &pdu)
        .unwrap()
        .encode(&mut wire)
        .unwrap();
    let (frame, _) = ascii::decode(&wire).unwrap().unwrap();
    assert_eq!(Request::parse(frame.pdu()).unwrap(), request);
}

#[test]
fn exception_to_function_zero_as_pymodbus_sends_it_is_kept() {
    // 80 (0x00 | 0x80) | 01 ILLEGAL FUNCTION: pymodbus 3.16's answer to an unknown function code.
    let parsed = response(&[0x80, 0x01]);
    assert_eq!(
        parsed,
        Response::Exception {
            function: FunctionCode(0),
            code: ExceptionCode::ILLEGAL_FUNCTION
        }
    );
    // The same in an RTU frame: a five-byte exception frame.
    let wire = crate::common::rtu_frame(1, &[0x80, 0x01]);
    assert_eq!(rtu::decode_response(&wire).unwrap().unwrap().1, 5);
}
