//! proptest: `decode(encode(x)) == x` for every request and response kind, alone and through every
//! framing.
//!
//! Strategies build values within the specification's limits. Borrowed views need owned data that
//! outlives the value, so the strategies leak their vectors: a few kilobytes per test run.

use fieldbridge_modbus::pdu::{
    ConformityLevel, DeviceIdObject, DeviceIdObjects, DeviceIdentification, ObjectId,
    ReadDeviceIdCode,
};
use fieldbridge_modbus::rtu::Direction;
use fieldbridge_modbus::{
    ascii, crc, rtu, tcp, Coils, ExceptionCode, FunctionCode, Registers, Request, Response,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Function codes this crate models; anything else parses as unknown.
const MODELLED: [u8; 11] = [1, 2, 3, 4, 5, 6, 15, 16, 22, 23, 43];

fn registers(max: usize) -> impl Strategy<Value = Registers<'static>> {
    vec(any::<u16>(), 1..=max).prop_map(|v| Registers::from_values(v.leak()))
}

fn unknown_function() -> impl Strategy<Value = FunctionCode> {
    (1u8..=0x7F)
        .prop_filter("modelled", |f| !MODELLED.contains(f))
        .prop_map(FunctionCode)
}

fn unknown_data() -> impl Strategy<Value = &'static [u8]> {
    vec(any::<u8>(), 0..=252).prop_map(|v| &*v.leak())
}

fn request() -> impl Strategy<Value = Request<'static>> {
    prop_oneof![
        (any::<u16>(), 1u16..=2000)
            .prop_map(|(address, quantity)| Request::ReadCoils { address, quantity }),
        (any::<u16>(), 1u16..=2000)
            .prop_map(|(address, quantity)| Request::ReadDiscreteInputs { address, quantity }),
        (any::<u16>(), 1u16..=125)
            .prop_map(|(address, quantity)| Request::ReadHoldingRegisters { address, quantity }),
        (any::<u16>(), 1u16..=125)
            .prop_map(|(address, quantity)| Request::ReadInputRegisters { address, quantity }),
        (any::<u16>(), any::<bool>())
            .prop_map(|(address, value)| Request::WriteSingleCoil { address, value }),
        (any::<u16>(), any::<u16>())
            .prop_map(|(address, value)| Request::WriteSingleRegister { address, value }),
        (any::<u16>(), vec(any::<bool>(), 1..=1968)).prop_map(|(address, states)| {
            Request::WriteMultipleCoils {
                address,
                coils: Coils::from_bools(states.leak()),
            }
        }),
        (any::<u16>(), registers(123)).prop_map(|(address, registers)| {
            Request::WriteMultipleRegisters { address, registers }
        }),
        (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(address, and_mask, or_mask)| {
            Request::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            }
        }),
        (any::<u16>(), 1u16..=125, any::<u16>(), registers(121)).prop_map(
            |(read_address, read_quantity, write_address, write_registers)| {
                Request::ReadWriteMultipleRegisters {
                    read_address,
                    read_quantity,
                    write_address,
                    write_registers,
                }
            }
        ),
        (any::<u8>(), any::<u8>()).prop_map(|(code, object)| Request::ReadDeviceIdentification {
            code: ReadDeviceIdCode(code),
            object_id: ObjectId(object),
        }),
        (unknown_function(), unknown_data())
            .prop_map(|(function, data)| Request::Unknown { function, data }),
    ]
}

fn device_identification() -> impl Strategy<Value = DeviceIdentification<'static>> {
    let object = (any::<u8>(), vec(any::<u8>(), 0..=20)).prop_map(|(id, value)| DeviceIdObject {
        id: ObjectId(id),
        value: value.leak(),
    });
    (
        any::<u8>(),
        any::<u8>(),
        any::<bool>(),
        any::<u8>(),
        vec(object, 0..=10),
    )
        .prop_map(
            |(code, conformity, more_follows, next, objects)| DeviceIdentification {
                code: ReadDeviceIdCode(code),
                conformity: ConformityLevel(conformity),
                more_follows,
                next_object_id: ObjectId(next),
                objects: DeviceIdObjects::from_slice(objects.leak()),
            },
        )
}

/// Coil states for a read response: whole bytes, as a response can only carry.
fn response_coils() -> impl Strategy<Value = Coils<'static>> {
    (1usize..=250)
        .prop_flat_map(|bytes| vec(any::<bool>(), bytes * 8))
        .prop_map(|states| Coils::from_bools(states.leak()))
}

fn response() -> impl Strategy<Value = Response<'static>> {
    prop_oneof![
        response_coils().prop_map(Response::ReadCoils),
        response_coils().prop_map(Response::ReadDiscreteInputs),
        registers(125).prop_map(Response::ReadHoldingRegisters),
        registers(125).prop_map(Response::ReadInputRegisters),
        (any::<u16>(), any::<bool>())
            .prop_map(|(address, value)| Response::WriteSingleCoil { address, value }),
        (any::<u16>(), any::<u16>())
            .prop_map(|(address, value)| Response::WriteSingleRegister { address, value }),
        (any::<u16>(), 1u16..=1968)
            .prop_map(|(address, quantity)| Response::WriteMultipleCoils { address, quantity }),
        (any::<u16>(), 1u16..=123)
            .prop_map(|(address, quantity)| Response::WriteMultipleRegisters { address, quantity }),
        (any::<u16>(), any::<u16>(), any::<u16>()).prop_map(|(address, and_mask, or_mask)| {
            Response::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            }
        }),
        registers(125).prop_map(Response::ReadWriteMultipleRegisters),
        device_identification().prop_map(Response::ReadDeviceIdentification),
        (0u8..=0x7F, any::<u8>()).prop_map(|(function, code)| Response::Exception {
            function: FunctionCode(function),
            code: ExceptionCode(code),
        }),
        (unknown_function(), unknown_data())
            .prop_map(|(function, data)| Response::Unknown { function, data }),
    ]
}

/// True when an RTU frame's CRC matches only at its true end, so a function of unknown layout
/// (whose end is found by CRC) cannot end early by chance. Known layouts never hunt.
fn no_early_crc_match(frame: &[u8]) -> bool {
    (4..frame.len()).all(|len| {
        let crc = crc::crc16(&frame[..len - 2]);
        crc.to_le_bytes() != frame[len - 2..len]
    })
}

/// Encodes a PDU in all three framings, decodes each, and returns the three decoded PDUs.
fn through_framings(
    pdu: &[u8],
    direction: Direction,
    header: tcp::Header,
    address: u8,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();

    let mut wire = Vec::new();
    tcp::Frame::new(header, pdu).encode(&mut wire).unwrap();
    let (frame, len) = tcp::decode(&wire).unwrap().unwrap();
    assert_eq!((frame.header, len), (header, wire.len()));
    out.push(frame.pdu.to_vec());

    let mut wire = Vec::new();
    rtu::Frame::new(address, pdu).encode(&mut wire).unwrap();
    let (frame, len) = rtu::decode(&wire, direction).unwrap().unwrap();
    assert_eq!((frame.address, len), (address, wire.len()));
    out.push(frame.pdu.to_vec());

    let mut wire = Vec::new();
    ascii::Frame::new(address, pdu)
        .unwrap()
        .encode(&mut wire)
        .unwrap();
    let (frame, len) = ascii::decode(&wire).unwrap().unwrap();
    assert_eq!((frame.address, len), (address, wire.len()));
    out.push(frame.pdu().to_vec());
    out
}

fn header() -> impl Strategy<Value = tcp::Header> {
    (any::<u16>(), any::<u8>()).prop_map(|(transaction_id, unit_id)| tcp::Header {
        transaction_id,
        unit_id,
    })
}

proptest! {
    #[test]
    fn every_request_kind_parses_back_from_its_encoding(request in request()) {
        let mut out = Vec::new();
        request.encode(&mut out).unwrap();
        prop_assert_eq!(out.len(), request.encoded_len());
        prop_assert_eq!(Request::parse(&out).unwrap(), request);
    }

    #[test]
    fn every_response_kind_parses_back_from_its_encoding(response in response()) {
        let mut out = Vec::new();
        response.encode(&mut out).unwrap();
        prop_assert_eq!(out.len(), response.encoded_len());
        prop_assert_eq!(Response::parse(&out).unwrap(), response);
    }

    #[test]
    fn every_request_survives_every_framing(request in request(), header in header(), address in any::<u8>()) {
        let pdu = request.to_pdu().unwrap();
        prop_assume!(no_early_crc_match(&crate::common::rtu_frame(address, &pdu)));
        for decoded in through_framings(&pdu, Direction::Request, header, address) {
            prop_assert_eq!(Request::parse(&decoded).unwrap(), request);
        }
    }

    #[test]
    fn every_response_survives_every_framing(response in response(), header in header(), address in any::<u8>()) {
        let pdu = response.to_pdu().unwrap();
        prop_assume!(no_early_crc_match(&crate::common::rtu_frame(address, &pdu)));
        for decoded in through_framings(&pdu, Direction::Response, header, address) {
            prop_assert_eq!(Response::parse(&decoded).unwrap(), response);
        }
    }

    #[test]
    fn any_pdu_bytes_survive_tcp_and_ascii_framing(pdu in vec(any::<u8>(), 1..=253), header in header(), address in any::<u8>()) {
        let frame = tcp::Frame::new(header, &pdu);
        let mut wire = Vec::new();
        frame.encode(&mut wire).unwrap();
        prop_assert_eq!(tcp::decode(&wire).unwrap(), Some((frame, wire.len())));

        let frame = ascii::Frame::new(address, &pdu).unwrap();
        let mut wire = Vec::new();
        frame.encode(&mut wire).unwrap();
        prop_assert_eq!(ascii::decode(&wire).unwrap(), Some((frame, wire.len())));
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..300)) {
        let _ = tcp::decode(&bytes);
        let _ = rtu::decode(&bytes, Direction::Request);
        let _ = rtu::decode(&bytes, Direction::Response);
        let _ = rtu::decode_resync(&bytes, Direction::Response);
        let _ = ascii::decode(&bytes);
        let _ = ascii::decode_resync(&bytes);
        let _ = Request::parse(&bytes);
        let _ = Response::parse(&bytes);
    }
}
