//! The largest legal message of each kind decodes and encodes; one more is refused both ways.

use crate::common::{ascii_frame, rtu_frame, tcp_frame};
use fieldbridge_modbus::pdu::{
    ConformityLevel, DeviceIdObject, DeviceIdObjects, DeviceIdentification, ObjectId,
    ReadDeviceIdCode,
};
use fieldbridge_modbus::rtu::Direction;
use fieldbridge_modbus::{
    ascii, rtu, tcp, Coils, Error, FunctionCode, Registers, Request, Response,
};

fn quantity_error(offset: usize, function: FunctionCode, quantity: usize, max: usize) -> Error {
    Error::QuantityOutOfRange {
        offset,
        function,
        quantity,
        max,
    }
}

fn roundtrip_request(request: Request<'_>) {
    let pdu = request.to_pdu().unwrap();
    assert_eq!(Request::parse(&pdu).unwrap(), request);
}

fn roundtrip_response(response: Response<'_>) {
    let pdu = response.to_pdu().unwrap();
    assert_eq!(Response::parse(&pdu).unwrap(), response);
}

#[test]
fn read_requests_accept_2000_bits_and_125_registers_and_refuse_one_more() {
    let cases = [
        (FunctionCode::READ_COILS, 2000usize),
        (FunctionCode::READ_DISCRETE_INPUTS, 2000),
        (FunctionCode::READ_HOLDING_REGISTERS, 125),
        (FunctionCode::READ_INPUT_REGISTERS, 125),
    ];
    for (function, max) in cases {
        let pdu = |q: usize| {
            let q = u16::try_from(q).unwrap().to_be_bytes();
            [function.0, 0x00, 0x00, q[0], q[1]]
        };
        assert!(Request::parse(&pdu(max)).is_ok(), "{function}");
        assert!(Request::parse(&pdu(1)).is_ok(), "{function}");
        assert_eq!(
            Request::parse(&pdu(max + 1)),
            Err(quantity_error(3, function, max + 1, max))
        );
        assert_eq!(
            Request::parse(&pdu(0)),
            Err(quantity_error(3, function, 0, max))
        );
        let largest = pdu(max);
        roundtrip_request(Request::parse(&largest).unwrap());
    }
    let over = Request::ReadInputRegisters {
        address: 0,
        quantity: 126,
    };
    assert_eq!(
        over.to_pdu(),
        Err(quantity_error(
            3,
            FunctionCode::READ_INPUT_REGISTERS,
            126,
            125
        ))
    );
}

#[test]
fn read_coils_response_holds_2000_coils_in_250_bytes_and_no_more() {
    let states = [true; 2000];
    let response = Response::ReadCoils(Coils::from_bools(&states));
    let pdu = response.to_pdu().unwrap();
    assert_eq!((pdu.len(), pdu[1]), (252, 250));
    roundtrip_response(response);

    let states = [true; 2001];
    assert_eq!(
        Response::ReadCoils(Coils::from_bools(&states)).to_pdu(),
        Err(quantity_error(1, FunctionCode::READ_COILS, 2001, 2000))
    );
    let mut pdu = vec![0x01, 251];
    pdu.extend([0xFF; 251]);
    assert_eq!(
        Response::parse(&pdu),
        Err(Error::ByteCountOutOfRange {
            offset: 1,
            function: FunctionCode::READ_COILS,
            found: 251,
            min: 1,
            max: 250
        })
    );
}

#[test]
fn read_registers_response_holds_125_registers_and_no_more() {
    let values: Vec<u16> = (0..125).collect();
    let response = Response::ReadHoldingRegisters(Registers::from_values(&values));
    let pdu = response.to_pdu().unwrap();
    assert_eq!((pdu.len(), pdu[1]), (252, 250));
    roundtrip_response(response);
    // Through RTU, the longest register response frame: 255 bytes.
    let frame = rtu_frame(1, &pdu);
    let (decoded, len) = rtu::decode_response(&frame).unwrap().unwrap();
    assert_eq!((len, decoded.pdu), (255, &pdu[..]));

    let values: Vec<u16> = (0..126).collect();
    assert_eq!(
        Response::ReadInputRegisters(Registers::from_values(&values)).to_pdu(),
        Err(quantity_error(
            1,
            FunctionCode::READ_INPUT_REGISTERS,
            126,
            125
        ))
    );
}

#[test]
fn write_multiple_coils_accepts_1968_coils_and_refuses_1969() {
    let states = vec![true; 1968];
    roundtrip_request(Request::WriteMultipleCoils {
        address: 0,
        coils: Coils::from_bools(&states),
    });
    let states = vec![true; 1969];
    let over = Request::WriteMultipleCoils {
        address: 0,
        coils: Coils::from_bools(&states),
    };
    assert_eq!(
        over.to_pdu(),
        Err(quantity_error(
            3,
            FunctionCode::WRITE_MULTIPLE_COILS,
            1969,
            1968
        ))
    );
    // 0F | 0000 | 07B1 (1969) | F7 | ...
    let mut pdu = vec![0x0F, 0x00, 0x00, 0x07, 0xB1, 0xF7];
    pdu.extend([0u8; 247]);
    assert_eq!(
        Request::parse(&pdu),
        Err(quantity_error(
            3,
            FunctionCode::WRITE_MULTIPLE_COILS,
            1969,
            1968
        ))
    );
    roundtrip_response(Response::WriteMultipleCoils {
        address: 0,
        quantity: 1968,
    });
    assert_eq!(
        Response::WriteMultipleCoils {
            address: 0,
            quantity: 1969
        }
        .to_pdu(),
        Err(quantity_error(
            3,
            FunctionCode::WRITE_MULTIPLE_COILS,
            1969,
            1968
        ))
    );
}

#[test]
fn write_multiple_registers_accepts_123_registers_and_refuses_124() {
    let values = vec![0xABCD; 123];
    roundtrip_request(Request::WriteMultipleRegisters {
        address: 0,
        registers: Registers::from_values(&values),
    });
    let values = vec![0xABCD; 124];
    let over = Request::WriteMultipleRegisters {
        address: 0,
        registers: Registers::from_values(&values),
    };
    assert_eq!(
        over.to_pdu(),
        Err(quantity_error(
            3,
            FunctionCode::WRITE_MULTIPLE_REGISTERS,
            124,
            123
        ))
    );
    roundtrip_response(Response::WriteMultipleRegisters {
        address: 0,
        quantity: 123,
    });
    assert_eq!(
        Response::parse(&[0x10, 0x00, 0x00, 0x00, 124]),
        Err(quantity_error(
            3,
            FunctionCode::WRITE_MULTIPLE_REGISTERS,
            124,
            123
        ))
    );
}

#[test]
fn read_write_multiple_registers_accepts_125_read_and_121_written_and_refuses_one_more() {
    let values = vec![7u16; 121];
    let largest = Request::ReadWriteMultipleRegisters {
        read_address: 0,
        read_quantity: 125,
        write_address: 0,
        write_registers: Registers::from_values(&values),
    };
    roundtrip_request(largest);
    let Request::ReadWriteMultipleRegisters {
        write_registers, ..
    } = largest
    else {
        unreachable!()
    };
    let over_read = Request::ReadWriteMultipleRegisters {
        read_address: 0,
        read_quantity: 126,
        write_address: 0,
        write_registers,
    };
    let fc = FunctionCode::READ_WRITE_MULTIPLE_REGISTERS;
    assert_eq!(over_read.to_pdu(), Err(quantity_error(3, fc, 126, 125)));
    let values = vec![7u16; 122];
    let over_write = Request::ReadWriteMultipleRegisters {
        read_address: 0,
        read_quantity: 1,
        write_address: 0,
        write_registers: Registers::from_values(&values),
    };
    assert_eq!(over_write.to_pdu(), Err(quantity_error(7, fc, 122, 121)));
    let values: Vec<u16> = (0..125).collect();
    roundtrip_response(Response::ReadWriteMultipleRegisters(
        Registers::from_values(&values),
    ));
    let values: Vec<u16> = (0..126).collect();
    assert_eq!(
        Response::ReadWriteMultipleRegisters(Registers::from_values(&values)).to_pdu(),
        Err(quantity_error(1, fc, 126, 125))
    );
}

/// A Read Device Identification response whose PDU is `7 + 2 + value_len` bytes.
fn device_id(value: &[u8]) -> [DeviceIdObject<'_>; 1] {
    [DeviceIdObject {
        id: ObjectId::VENDOR_NAME,
        value,
    }]
}

fn device_id_response<'a>(objects: &'a [DeviceIdObject<'a>]) -> Response<'a> {
    Response::ReadDeviceIdentification(DeviceIdentification {
        code: ReadDeviceIdCode::BASIC,
        conformity: ConformityLevel::BASIC_STREAM,
        more_follows: false,
        next_object_id: ObjectId(0),
        objects: DeviceIdObjects::from_slice(objects),
    })
}

#[test]
fn a_253_byte_pdu_travels_every_framing_and_254_is_refused() {
    let value = [b'v'; 244];
    let objects = device_id(&value);
    let largest = device_id_response(&objects);
    let pdu = largest.to_pdu().unwrap();
    assert_eq!(pdu.len(), 253);
    roundtrip_response(largest);

    // TCP: length field 254, 260 bytes in all.
    let wire = tcp_frame(1, 1, &pdu);
    let (frame, len) = tcp::decode(&wire).unwrap().unwrap();
    assert_eq!((len, frame.pdu), (260, &pdu[..]));
    // RTU: 256 bytes, the longest frame.
    let wire = rtu_frame(1, &pdu);
    let (frame, len) = rtu::decode(&wire, Direction::Response).unwrap().unwrap();
    assert_eq!((len, frame.pdu), (256, &pdu[..]));
    // ASCII: 513 characters.
    let wire = ascii_frame(1, &pdu);
    let (frame, len) = ascii::decode(&wire).unwrap().unwrap();
    assert_eq!((len, frame.pdu()), (513, &pdu[..]));
    // Unknown function with 252 data bytes: also 253.
    let data = [0x55; 252];
    let unknown = Request::Unknown {
        function: FunctionCode(0x41),
        data: &data,
    };
    assert_eq!(unknown.to_pdu().unwrap().len(), 253);

    // One over.
    let value = [b'v'; 245];
    let objects = device_id(&value);
    assert_eq!(
        device_id_response(&objects).to_pdu(),
        Err(Error::PduTooLong {
            offset: 253,
            max: 253,
            found: 254
        })
    );
    let data = [0x55; 253];
    let unknown = Request::Unknown {
        function: FunctionCode(0x41),
        data: &data,
    };
    assert_eq!(
        unknown.to_pdu(),
        Err(Error::PduTooLong {
            offset: 253,
            max: 253,
            found: 254
        })
    );
    let mut long = pdu.to_vec();
    long.push(b'v');
    long[8] = 245; // object length
    assert_eq!(
        Response::parse(&long),
        Err(Error::PduTooLong {
            offset: 253,
            max: 253,
            found: 254
        })
    );
    // RTU works it out from the object lengths before the bytes arrive.
    let wire = rtu_frame(1, &long);
    assert_eq!(
        rtu::decode_response(&wire[..12]),
        Err(Error::PduTooLong {
            offset: 9,
            max: 253,
            found: 254
        })
    );
    // TCP: length field 255.
    assert_eq!(
        tcp::decode(&tcp_frame(1, 1, &long)),
        Err(Error::BadMbapLength {
            offset: 4,
            min: 2,
            max: 254,
            found: 255
        })
    );
    // ASCII.
    assert_eq!(
        ascii::decode(&ascii_frame(1, &long)),
        Err(Error::PduTooLong {
            offset: 511,
            max: 253,
            found: 254
        })
    );
    assert!(ascii::Frame::new(1, &long).is_err());
}

#[test]
fn the_shortest_frames_are_a_bare_function_code() {
    let wire = tcp_frame(0, 0, &[0x41]);
    assert_eq!(tcp::decode(&wire).unwrap().unwrap().1, 8);
    let wire = rtu_frame(1, &[0x07]);
    assert_eq!(rtu::decode_request(&wire).unwrap().unwrap().1, 4);
    let wire = ascii_frame(1, &[0x07]);
    assert_eq!(ascii::decode(&wire).unwrap().unwrap().1, 9);
    assert_eq!(
        tcp::Frame::new(
            tcp::Header {
                transaction_id: 0,
                unit_id: 0
            },
            &[]
        )
        .encode(&mut Vec::new()),
        Err(Error::Truncated {
            offset: 0,
            expected_len: 1
        })
    );
}
