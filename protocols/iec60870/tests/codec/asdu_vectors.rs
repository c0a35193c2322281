//! ASDU spec vectors, commented field by field: each decodes to the expected structure through
//! the borrowed view, and the owned form encodes back to the same bytes. Also every strict prefix
//! of each vector is refused at the right offset, and an I frame carrying it decodes the same
//! when the stream is split at every byte.

use fieldbridge_iec60870::apci::{Apdu, SeqNo, StreamSplitter};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, CaLen, Cot, CotLen, Element, InformationObject, IoaLen, OwnedAsdu,
    OwnedSegment, TimeTag, TypeId,
};
use fieldbridge_iec60870::types::{
    Bcr, Coi, Cp24Time2a, Cp56Time2a, Diq, DoublePoint, Nof, Nos, Qds, Qoi, Qu, Sco, Siq,
};
use fieldbridge_iec60870::Error;

pub const IEC104: AsduConfig = AsduConfig::IEC104;
/// A common 101 profile: one-octet cause, one-octet common address, two-octet IOA.
pub const IEC101: AsduConfig = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two);

pub struct AsduVector {
    pub name: &'static str,
    pub config: AsduConfig,
    pub bytes: &'static [u8],
    pub asdu: OwnedAsdu,
}

fn obj(address: u32, element: Element) -> InformationObject {
    InformationObject::new(address, element)
}

/// 2026-11-24 13:05:07.250, a Tuesday: 52 1C = 7250 ms | 05 min | 0D hour | 58 = day 24, dow 2 |
/// 0B month | 1A year 26.
const TUESDAY: [u8; 7] = [0x52, 0x1C, 0x05, 0x0D, 0x58, 0x0B, 0x1A];

pub fn vectors() -> Vec<AsduVector> {
    vec![
        AsduVector {
            name: "C_IC_NA_1 station interrogation, act",
            config: IEC104,
            // 64 type 100 C_IC_NA_1 | 01 SQ 0, one object | 06 00 COT act, originator 0 |
            // 01 00 CA 1 | 00 00 00 IOA 0 | 14 QOI 20 station interrogation
            bytes: &[0x64, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14],
            asdu: OwnedAsdu::new(IEC104, TypeId::C_IC_NA_1, Cot::ACTIVATION, 1)
                .with(obj(0, Element::Interrogation(Qoi::STATION))),
        },
        AsduVector {
            name: "C_IC_NA_1 over 101, act",
            config: IEC101,
            // 64 | 01 | 06 COT act (one octet) | 01 CA 1 (one octet) | 00 00 IOA 0 | 14 QOI 20
            bytes: &[0x64, 0x01, 0x06, 0x01, 0x00, 0x00, 0x14],
            asdu: OwnedAsdu::new(IEC101, TypeId::C_IC_NA_1, Cot::ACTIVATION, 1)
                .with(obj(0, Element::Interrogation(Qoi::STATION))),
        },
        AsduVector {
            name: "M_ME_NC_1 two floats, SQ = 1, interrogated by station",
            config: IEC104,
            // 0D type 13 M_ME_NC_1 | 82 SQ 1, two elements | 14 00 COT inrogen | 01 00 CA 1 |
            // E8 03 00 IOA 1000 | 00 00 C8 42 = 100.0 | 00 QDS good |
            // (IOA 1001) 00 00 20 C1 = -10.0 | 90 QDS IV + BL
            bytes: &[
                0x0D, 0x82, 0x14, 0x00, 0x01, 0x00, 0xE8, 0x03, 0x00, 0x00, 0x00, 0xC8, 0x42, 0x00,
                0x00, 0x00, 0x20, 0xC1, 0x90,
            ],
            asdu: OwnedAsdu::new(IEC104, TypeId::M_ME_NC_1, Cot::INTERROGATED_BY_STATION, 1)
                .sequence(true)
                .with(obj(
                    1000,
                    Element::Float {
                        value: 100.0,
                        qds: Qds::GOOD,
                    },
                ))
                .with(obj(
                    1001,
                    Element::Float {
                        value: -10.0,
                        qds: Qds(0x90),
                    },
                )),
        },
        AsduVector {
            name: "M_SP_TB_1 with CP56Time2a, spontaneous",
            config: IEC104,
            // 1E type 30 M_SP_TB_1 | 01 | 03 00 COT spont | 80 00 CA 128 | B0 36 00 IOA 14000 |
            // 01 SIQ on, good | AF E1 = 57775 ms | 1D min 29 | 14 hour 20 | 70 = day 16, dow 3 |
            // 06 June | 15 year 21: 2021-06-16 (Wednesday) 20:29:57.775
            bytes: &[
                0x1E, 0x01, 0x03, 0x00, 0x80, 0x00, 0xB0, 0x36, 0x00, 0x01, 0xAF, 0xE1, 0x1D, 0x14,
                0x70, 0x06, 0x15,
            ],
            asdu: OwnedAsdu::new(IEC104, TypeId::M_SP_TB_1, Cot::SPONTANEOUS, 128).with(
                InformationObject::with_time(
                    14000,
                    Element::SinglePoint(Siq::new(true)),
                    TimeTag::Cp56(Cp56Time2a {
                        millisecond: 57775,
                        minute: 29,
                        hour: 20,
                        day: 16,
                        day_of_week: 3,
                        month: 6,
                        year: 21,
                        ..Cp56Time2a::default()
                    }),
                ),
            ),
        },
        AsduVector {
            name: "M_IT_NA_1 counter with carry, requested by general counter interrogation",
            config: IEC104,
            // 0F type 15 M_IT_NA_1 | 01 | 25 00 COT 37 reqcogen | 01 00 CA 1 | 0A 00 00 IOA 10 |
            // 39 30 00 00 counter 12345 | 23 = sequence 3, CY, not CA, not IV
            bytes: &[
                0x0F, 0x01, 0x25, 0x00, 0x01, 0x00, 0x0A, 0x00, 0x00, 0x39, 0x30, 0x00, 0x00, 0x23,
            ],
            asdu: OwnedAsdu::new(
                IEC104,
                TypeId::M_IT_NA_1,
                Cot::REQUESTED_BY_GENERAL_COUNTER,
                1,
            )
            .with(obj(
                10,
                Element::Counter(Bcr {
                    value: 12345,
                    sequence: 3,
                    carry: true,
                    adjusted: false,
                    invalid: false,
                }),
            )),
        },
        AsduVector {
            name: "C_SC_NA_1 select on",
            config: IEC104,
            // 2D type 45 C_SC_NA_1 | 01 | 06 00 act | 01 00 | 10 27 00 IOA 10000 |
            // 81 SCO: S/E select, QU 0, SCS on
            bytes: &[0x2D, 0x01, 0x06, 0x00, 0x01, 0x00, 0x10, 0x27, 0x00, 0x81],
            asdu: OwnedAsdu::new(IEC104, TypeId::C_SC_NA_1, Cot::ACTIVATION, 1).with(obj(
                10000,
                Element::SingleCommand(Sco::new(true, Qu::DEFAULT, true)),
            )),
        },
        AsduVector {
            name: "C_SC_NA_1 execute on, short pulse",
            config: IEC104,
            // 2D | 01 | 06 00 act | 01 00 | 10 27 00 IOA 10000 | 05 SCO: execute, QU 1, on
            bytes: &[0x2D, 0x01, 0x06, 0x00, 0x01, 0x00, 0x10, 0x27, 0x00, 0x05],
            asdu: OwnedAsdu::new(IEC104, TypeId::C_SC_NA_1, Cot::ACTIVATION, 1).with(obj(
                10000,
                Element::SingleCommand(Sco::new(true, Qu::SHORT_PULSE, false)),
            )),
        },
        AsduVector {
            name: "C_SC_NA_1 negative actcon from originator 3",
            config: IEC104,
            // 2D | 01 | 47 = P/N negative + 7 actcon | 03 originator | 01 00 | 10 27 00 | 01
            bytes: &[0x2D, 0x01, 0x47, 0x03, 0x01, 0x00, 0x10, 0x27, 0x00, 0x01],
            asdu: OwnedAsdu::new(IEC104, TypeId::C_SC_NA_1, Cot::ACTIVATION_CON, 1)
                .negative(true)
                .originator(3)
                .with(obj(10000, Element::SingleCommand(Sco(0x01)))),
        },
        AsduVector {
            name: "C_CS_NA_1 clock synchronization, act",
            config: IEC104,
            // 67 type 103 C_CS_NA_1 | 01 | 06 00 act | 01 00 | 00 00 00 IOA 0 |
            // 52 1C 05 0D 58 0B 1A: 2026-11-24 (Tuesday) 13:05:07.250
            bytes: &[
                0x67, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x52, 0x1C, 0x05, 0x0D, 0x58,
                0x0B, 0x1A,
            ],
            asdu: OwnedAsdu::new(IEC104, TypeId::C_CS_NA_1, Cot::ACTIVATION, 1)
                .with(obj(0, Element::ClockSync(Cp56Time2a::from_bytes(TUESDAY)))),
        },
        AsduVector {
            name: "M_SP_TA_1 with CP24Time2a over 101",
            config: IEC101,
            // 02 type 2 M_SP_TA_1 | 01 | 03 spont | 07 CA 7 | 05 00 IOA 5 | 01 on |
            // 10 27 = 10000 ms | 85 = IV + minute 5
            bytes: &[0x02, 0x01, 0x03, 0x07, 0x05, 0x00, 0x01, 0x10, 0x27, 0x85],
            asdu: OwnedAsdu::new(IEC101, TypeId::M_SP_TA_1, Cot::SPONTANEOUS, 7).with(
                InformationObject::with_time(
                    5,
                    Element::SinglePoint(Siq(0x01)),
                    TimeTag::Cp24(Cp24Time2a {
                        millisecond: 10000,
                        minute: 5,
                        res1: false,
                        invalid: true,
                    }),
                ),
            ),
        },
        AsduVector {
            name: "M_DP_NA_1 test bit, three objects, one-octet IOA",
            config: AsduConfig::new(CotLen::Two, CaLen::Two, IoaLen::One),
            // 03 type 3 M_DP_NA_1 | 03 SQ 0, three objects | 83 = T + spont | 00 | 34 12 CA 0x1234 |
            // 01 IOA 1 | 02 DPI on | 02 IOA 2 | 41 NT + DPI off | FF IOA 255 | 83 IV + indeterminate
            bytes: &[
                0x03, 0x03, 0x83, 0x00, 0x34, 0x12, 0x01, 0x02, 0x02, 0x41, 0xFF, 0x83,
            ],
            asdu: OwnedAsdu::new(
                AsduConfig::new(CotLen::Two, CaLen::Two, IoaLen::One),
                TypeId::M_DP_NA_1,
                Cot::SPONTANEOUS,
                0x1234,
            )
            .test(true)
            .with(obj(1, Element::DoublePoint(Diq::new(DoublePoint::On))))
            .with(obj(2, Element::DoublePoint(Diq(0x41))))
            .with(obj(255, Element::DoublePoint(Diq(0x83)))),
        },
        AsduVector {
            name: "M_EI_NA_1 end of initialization after remote reset",
            config: IEC104,
            // 46 type 70 | 01 | 04 00 COT init | 01 00 | 00 00 00 | 02 COI remote reset
            bytes: &[0x46, 0x01, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x02],
            asdu: OwnedAsdu::new(IEC104, TypeId::M_EI_NA_1, Cot::INITIALIZED, 1)
                .with(obj(0, Element::EndOfInitialization(Coi(2)))),
        },
        AsduVector {
            name: "C_RD_NA_1 read: the address alone",
            config: IEC104,
            // 66 type 102 | 01 | 05 00 COT req | 01 00 | 0A 00 00 IOA 10, no element
            bytes: &[0x66, 0x01, 0x05, 0x00, 0x01, 0x00, 0x0A, 0x00, 0x00],
            asdu: OwnedAsdu::new(IEC104, TypeId::C_RD_NA_1, Cot::REQUEST, 1)
                .with(obj(10, Element::Read)),
        },
        AsduVector {
            name: "private type 128 kept as raw bytes",
            config: IEC104,
            // 80 type 128 (private) | 02 two objects, never checked | 03 00 | 01 00 | DE AD BE EF
            bytes: &[0x80, 0x02, 0x03, 0x00, 0x01, 0x00, 0xDE, 0xAD, 0xBE, 0xEF],
            asdu: OwnedAsdu::new(IEC104, TypeId(128), Cot::SPONTANEOUS, 1)
                .with_raw(2, vec![0xDE, 0xAD, 0xBE, 0xEF]),
        },
        AsduVector {
            name: "F_SG_NA_1 file segment",
            config: IEC104,
            // 7D type 125 F_SG_NA_1 | 01 | 0D 00 COT file | 01 00 | 01 00 00 IOA 1 |
            // 02 00 file name | 01 section | 03 length | 61 62 63 segment
            bytes: &[
                0x7D, 0x01, 0x0D, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x01, 0x03, 0x61,
                0x62, 0x63,
            ],
            asdu: OwnedAsdu::new(IEC104, TypeId::F_SG_NA_1, Cot::FILE_TRANSFER, 1)
                .with_segment(OwnedSegment::new(1, Nof(2), Nos(1), b"abc".to_vec())),
        },
    ]
}

#[test]
fn every_vector_decodes_to_its_structure_and_re_encodes_to_its_bytes() {
    for v in vectors() {
        let view = Asdu::decode(v.bytes, &v.config).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(OwnedAsdu::from(&view), v.asdu, "{}", v.name);
        assert_eq!(view.objects().len(), v.asdu.objects().len(), "{}", v.name);
        let mut wire = Vec::new();
        v.asdu.encode(&mut wire).unwrap();
        assert_eq!(wire, v.bytes, "{}", v.name);
        assert_eq!(v.asdu.encoded_len(), v.bytes.len(), "{}", v.name);
        let mut again = Vec::new();
        view.encode(&mut again).unwrap();
        assert_eq!(again, v.bytes, "{}: the view re-encodes as decoded", v.name);
    }
}

#[test]
fn decoded_headers_read_as_named() {
    let v = &vectors()[7];
    let asdu = Asdu::decode(v.bytes, &v.config).unwrap();
    assert_eq!(asdu.header.type_id.name(), Some("C_SC_NA_1"));
    assert_eq!(asdu.header.cause.name(), Some("actcon"));
    assert!(asdu.header.negative && !asdu.header.test);
    assert_eq!(asdu.header.originator, 3);
    let tag = match Asdu::decode(vectors()[3].bytes, &IEC104)
        .unwrap()
        .objects()
        .next()
    {
        Some(InformationObject {
            time: Some(TimeTag::Cp56(tag)),
            ..
        }) => tag,
        other => panic!("{other:?}"),
    };
    let civil = tag.to_civil().unwrap();
    assert_eq!(
        (civil.year, civil.month, civil.day, civil.hour),
        (2021, 6, 16, 20)
    );
    assert_eq!(
        (civil.minute, civil.second, civil.millisecond),
        (29, 57, 775)
    );
}

#[test]
fn sq_1_objects_count_up_from_the_one_address() {
    let asdu = Asdu::decode(vectors()[2].bytes, &IEC104).unwrap();
    let addresses: Vec<u32> = asdu.objects().map(|o| o.address).collect();
    assert_eq!(addresses, [1000, 1001]);
    assert!(asdu.raw().is_none());
}

#[test]
fn raw_type_ids_keep_their_body_and_have_no_objects() {
    let asdu = Asdu::decode(vectors()[13].bytes, &IEC104).unwrap();
    assert_eq!(asdu.raw(), Some(&[0xDE, 0xAD, 0xBE, 0xEF][..]));
    assert_eq!(asdu.objects().count(), 0);
    // Any length, even none, and any count.
    let empty = Asdu::decode(&[0xFF, 0x7F, 0x03, 0x00, 0x01, 0x00], &IEC104).unwrap();
    assert_eq!(empty.raw(), Some(&[][..]));
    assert_eq!(empty.header.count, 127);
}

#[test]
fn every_strict_prefix_is_refused_at_the_right_offset() {
    for v in vectors().iter().filter(|v| !v.asdu.objects().is_empty()) {
        let header_len = v.config.header_len();
        for cut in 0..v.bytes.len() {
            let error = Asdu::decode(&v.bytes[..cut], &v.config).unwrap_err();
            if cut < header_len {
                assert_eq!(
                    error,
                    Error::Truncated {
                        offset: cut,
                        expected_len: header_len
                    },
                    "{} cut at {cut}",
                    v.name
                );
            } else {
                assert_eq!(
                    error,
                    Error::ObjectLength {
                        offset: header_len,
                        type_id: v.bytes[0],
                        count: v.bytes[1] & 0x7F,
                        expected: v.bytes.len() - header_len,
                        found: cut - header_len,
                    },
                    "{} cut at {cut}",
                    v.name
                );
            }
        }
    }
}

#[test]
fn an_i_frame_split_at_every_byte_decodes_to_the_same_asdu() {
    for v in vectors().iter().filter(|v| v.config == IEC104) {
        let mut stream = Vec::new();
        Apdu::i(SeqNo::wrapping(7), SeqNo::wrapping(3), v.bytes)
            .encode(&mut stream)
            .unwrap();
        for cut in 0..=stream.len() {
            let mut splitter = StreamSplitter::new();
            let mut found = Vec::new();
            for piece in [&stream[..cut], &stream[cut..]] {
                splitter.push(piece);
                while let Some(apdu) = splitter.next_apdu().unwrap() {
                    found.push(OwnedAsdu::decode(apdu.asdu, &IEC104).unwrap());
                }
            }
            assert_eq!(
                found,
                std::slice::from_ref(&v.asdu),
                "{} split at {cut}",
                v.name
            );
        }
    }
}
