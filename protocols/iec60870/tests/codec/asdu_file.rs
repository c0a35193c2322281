//! File transfer (IEC 60870-5-101 clause 7.3.6, IEC 60870-5-104 clause 8): whole ASDUs
//! computed by hand, commented field by field, under the 104 and a 101 profile; the segment read
//! without copying; and every way a file transfer ASDU can be refused, at its offset.

use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, CaLen, Cot, CotLen, Element, InformationObject, IoaLen, OwnedAsdu,
    OwnedSegment, TypeId,
};
use fieldbridge_iec60870::types::file::file_error;
use fieldbridge_iec60870::types::{Afq, Chs, Cp56Time2a, Lof, Lsq, Nof, Nos, Scq, Sof};
use fieldbridge_iec60870::{AsduField, Error, TimeField};

const IEC104: AsduConfig = AsduConfig::IEC104;
/// One-octet cause, one-octet common address, two-octet IOA.
const IEC101: AsduConfig = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two);

/// 2026-11-24 13:05:07.250.
const CREATED: [u8; 7] = [0x52, 0x1C, 0x05, 0x0D, 0x58, 0x0B, 0x1A];

fn encode(asdu: &OwnedAsdu) -> Vec<u8> {
    let mut wire = Vec::new();
    asdu.encode(&mut wire)
        .unwrap_or_else(|e| panic!("{asdu:?}: {e}"));
    wire
}

#[test]
fn a_directory_call_and_its_answer_under_104() {
    // 7A F_SC_NA_1 | 01 | 05 00 COT req | 01 00 CA 1 | 00 00 00 IOA 0 | 00 00 NOF 0 | 00 NOS 0 |
    // 00 SCQ default: call the directory.
    let call = [
        0x7A, 0x01, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    let built =
        OwnedAsdu::new(IEC104, TypeId::F_SC_NA_1, Cot::REQUEST, 1).with(InformationObject::new(
            0,
            Element::CallFile {
                nof: Nof(0),
                nos: Nos(0),
                scq: Scq(0),
            },
        ));
    assert_eq!(encode(&built), call);
    assert_eq!(OwnedAsdu::decode(&call, &IEC104), Ok(built));

    // 7E F_DR_TA_1 | 82 SQ 1, two entries | 05 00 req | 01 00 | 00 00 00 IOA 0 |
    // 01 00 NOF 1 | E8 03 00 LOF 1000 | 00 SOF | CP56 |
    // 02 00 NOF 2 | 00 00 01 LOF 65536 | A0 SOF FA LFD | CP56
    let mut answer = vec![0x7E, 0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00];
    answer.extend([0x01, 0x00, 0xE8, 0x03, 0x00, 0x00]);
    answer.extend(CREATED);
    answer.extend([0x02, 0x00, 0x00, 0x00, 0x01, 0xA0]);
    answer.extend(CREATED);
    let view = Asdu::decode(&answer, &IEC104).unwrap();
    let entries: Vec<_> = view.objects().collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1].address, 1, "SQ = 1 counts the addresses up");
    let Element::Directory {
        nof,
        lof,
        sof,
        created,
    } = entries[1].element
    else {
        panic!("{entries:?}")
    };
    assert_eq!((nof, lof.value()), (Nof(2), 65536));
    assert!(sof.last_file() && sof.active() && !sof.subdirectory());
    assert_eq!(created.to_civil().unwrap().day, 24);
    assert_eq!(entries[0].element.kind().len(), 13);
    let mut again = Vec::new();
    OwnedAsdu::from(&view).encode(&mut again).unwrap();
    assert_eq!(again, answer);
}

#[test]
fn a_section_travels_in_segments_under_101() {
    let file = Nof(3);
    let section = Nos(1);
    // 79 F_SR_NA_1 | 01 | 0D COT file | 07 CA 7 | 00 10 IOA 0x1000 | 03 00 NOF 3 | 01 NOS 1 |
    // 04 00 00 LOF 4 | 00 SRQ ready
    let ready = [
        0x79, 0x01, 0x0D, 0x07, 0x00, 0x10, 0x03, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00,
    ];
    let asdu = OwnedAsdu::decode(&ready, &IEC101).unwrap();
    assert_eq!(
        asdu.objects()[0].element,
        Element::SectionReady {
            nof: file,
            nos: section,
            lof: Lof::new(4).unwrap(),
            srq: fieldbridge_iec60870::types::Srq::new(0, false),
        }
    );

    // 7D F_SG_NA_1 | 01 | 0D | 07 | 00 10 | 03 00 NOF | 01 NOS | 04 LOS | DE AD BE EF
    let segment = [
        0x7D, 0x01, 0x0D, 0x07, 0x00, 0x10, 0x03, 0x00, 0x01, 0x04, 0xDE, 0xAD, 0xBE, 0xEF,
    ];
    let view = Asdu::decode(&segment, &IEC101).unwrap();
    assert!(view.is_segment() && view.raw().is_none());
    assert_eq!(view.objects().count(), 0);
    let read: Vec<_> = view.segments().collect();
    assert_eq!(read.len(), 1);
    assert_eq!(
        (read[0].address, read[0].nof, read[0].nos),
        (0x1000, file, section)
    );
    assert_eq!(read[0].los().0, 4);
    assert_eq!(read[0].data, [0xDE, 0xAD, 0xBE, 0xEF]);
    // Borrowed from the frame, not copied.
    assert!(std::ptr::eq(read[0].data.as_ptr(), &segment[10]));
    let built = OwnedAsdu::new(IEC101, TypeId::F_SG_NA_1, Cot::FILE_TRANSFER, 7).with_segment(
        OwnedSegment::new(0x1000, file, section, vec![0xDE, 0xAD, 0xBE, 0xEF]),
    );
    assert_eq!(encode(&built), segment);
    assert_eq!(OwnedAsdu::from(&view), built);
    assert_eq!(built.segments()[0].as_segment(), read[0]);

    // 7B F_LS_NA_1 | 01 | 0D | 07 | 00 10 | 03 00 | 01 | 03 LSQ section transfer | CHS
    // DE + AD + BE + EF = 0x338 -> 0x38
    let chs = Chs::of(read[0].data);
    assert_eq!(chs, Chs(0x38));
    let last = [
        0x7B, 0x01, 0x0D, 0x07, 0x00, 0x10, 0x03, 0x00, 0x01, 0x03, 0x38,
    ];
    let built = OwnedAsdu::new(IEC101, TypeId::F_LS_NA_1, Cot::FILE_TRANSFER, 7).with(
        InformationObject::new(
            0x1000,
            Element::LastSection {
                nof: file,
                nos: section,
                lsq: Lsq::SECTION_TRANSFER,
                chs,
            },
        ),
    );
    assert_eq!(encode(&built), last);

    // 7C F_AF_NA_1 | 01 | 0D | 07 | 00 10 | 03 00 | 01 | 03 AFQ positive ack of the section
    let ack = [0x7C, 0x01, 0x0D, 0x07, 0x00, 0x10, 0x03, 0x00, 0x01, 0x03];
    let decoded = OwnedAsdu::decode(&ack, &IEC101).unwrap();
    let Element::AckFile { afq, .. } = decoded.objects()[0].element else {
        panic!("{decoded:?}")
    };
    assert_eq!(
        (afq, afq.error()),
        (Afq::SECTION_POSITIVE, file_error::NONE)
    );
}

#[test]
fn file_ready_and_the_104_log_query() {
    // 78 F_FR_NA_1 | 01 | 0D 00 | 01 00 | 01 00 00 IOA 1 | 03 00 NOF 3 | 00 01 00 LOF 256 |
    // 00 FRQ positive
    let ready = [
        0x78, 0x01, 0x0D, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00,
    ];
    let asdu = OwnedAsdu::decode(&ready, &IEC104).unwrap();
    let Element::FileReady { nof, lof, frq } = asdu.objects()[0].element else {
        panic!("{asdu:?}")
    };
    assert_eq!((nof, lof.value(), frq.negative()), (Nof(3), 256, false));

    // 7F F_SC_NB_1 | 01 | 05 00 | 01 00 | 00 00 00 | 03 00 NOF | CP56 start | CP56 stop
    let mut query = vec![
        0x7F, 0x01, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00,
    ];
    query.extend(CREATED);
    query.extend(CREATED);
    let asdu = OwnedAsdu::decode(&query, &IEC104).unwrap();
    assert_eq!(
        asdu.objects()[0].element,
        Element::QueryLog {
            nof: Nof(3),
            start: Cp56Time2a::from_bytes(CREATED),
            stop: Cp56Time2a::from_bytes(CREATED),
        }
    );
    assert_eq!(encode(&asdu), query);
}

#[test]
fn a_segment_that_does_not_fill_its_body_is_refused_at_the_objects() {
    // Header 6 (104) | IOA 3 | NOF 2 NOS 1 LOS 1 | data
    let head = [
        0x7D, 0x01, 0x0D, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x01,
    ];
    let with = |tail: &[u8]| [&head[..], tail].concat();
    // LOS 4 but three octets: the object calls for 3 + 4 + 4 = 11 octets, the body has 10.
    assert_eq!(
        Asdu::decode(&with(&[0x04, 1, 2, 3]), &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 125,
            count: 1,
            expected: 11,
            found: 10,
        })
    );
    // One octet too many.
    assert_eq!(
        Asdu::decode(&with(&[0x01, 1, 2]), &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 125,
            count: 1,
            expected: 8,
            found: 9,
        })
    );
    // No LOS at all: the fixed part alone needs 7 octets.
    assert_eq!(
        Asdu::decode(&head, &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 125,
            count: 1,
            expected: 7,
            found: 6,
        })
    );
    // Two announced, one sent: the second's IOA and fixed part are missing.
    let mut two = with(&[0x00]);
    two[1] = 0x02;
    assert_eq!(
        Asdu::decode(&two, &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 125,
            count: 2,
            expected: 14,
            found: 7,
        })
    );
}

#[test]
fn a_fixed_file_element_of_the_wrong_length_is_refused() {
    // F_SC_NA_1 calls for IOA 3 + 4 octets; one is missing.
    let short = [
        0x7A, 0x01, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    assert_eq!(
        Asdu::decode(&short, &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 122,
            count: 1,
            expected: 7,
            found: 6,
        })
    );
}

#[test]
fn segments_that_cannot_be_written_are_refused_with_their_offset() {
    let base = || OwnedAsdu::new(IEC104, TypeId::F_SG_NA_1, Cot::FILE_TRANSFER, 1);
    let long = base().with_segment(OwnedSegment::new(1, Nof(1), Nos(1), vec![0; 256]));
    assert_eq!(
        long.encode(&mut Vec::new()),
        Err(Error::ElementMismatch {
            offset: 12,
            type_id: 125,
            expected: "a segment of at most 255 octets (LOS)",
        })
    );
    let at_most = base().with_segment(OwnedSegment::new(1, Nof(1), Nos(1), vec![7; 255]));
    let wire = encode(&at_most);
    assert_eq!(wire.len(), 6 + 3 + 4 + 255);
    assert_eq!(wire[12], 0xFF);

    let far = base().with_segment(OwnedSegment::new(1 << 24, Nof(1), Nos(1), vec![]));
    assert_eq!(
        far.encode(&mut Vec::new()),
        Err(Error::FieldTooLarge {
            offset: 6,
            field: AsduField::Ioa,
            max: 0xFF_FFFF,
            found: 1 << 24,
        })
    );
    let broken = base()
        .sequence(true)
        .with_segment(OwnedSegment::new(5, Nof(1), Nos(1), vec![1]))
        .with_segment(OwnedSegment::new(7, Nof(1), Nos(1), vec![2]));
    assert_eq!(
        broken.encode(&mut Vec::new()),
        Err(Error::IoaNotSequential {
            offset: 14,
            expected: 6,
            found: 7,
        })
    );
    let mut miscounted = base().with_segment(OwnedSegment::default());
    miscounted.header.count = 2;
    assert_eq!(
        miscounted.encode(&mut Vec::new()),
        Err(Error::ObjectCount {
            offset: 1,
            expected: 2,
            found: 1,
        })
    );
    let raw = base().with_raw(1, vec![1, 0, 0, 1, 0, 1, 0]);
    assert_eq!(
        raw.encode(&mut Vec::new()),
        Err(Error::ElementMismatch {
            offset: 6,
            type_id: 125,
            expected: "segment",
        })
    );
    let objects = base().with(InformationObject::new(1, Element::Read));
    assert!(matches!(
        objects.encode(&mut Vec::new()),
        Err(Error::ElementMismatch { offset: 6, .. })
    ));
}

#[test]
fn file_times_that_do_not_fit_their_bits_are_refused_where_they_would_be() {
    let mut bad = Cp56Time2a::from_bytes(CREATED);
    bad.hour = 32;
    let directory =
        OwnedAsdu::new(IEC104, TypeId::F_DR_TA_1, Cot::REQUEST, 1).with(InformationObject::new(
            0,
            Element::Directory {
                nof: Nof(1),
                lof: Lof::default(),
                sof: Sof(0),
                created: bad,
            },
        ));
    // Header 6 | IOA 3 | NOF 2 LOF 3 SOF 1 | CP56 octet 3 holds the hour: 6 + 3 + 6 + 3.
    assert_eq!(
        directory.encode(&mut Vec::new()),
        Err(Error::TimeOutOfRange {
            offset: 18,
            field: TimeField::Hour,
            min: 0,
            max: 0x1F,
            found: 32,
        })
    );
    let query = |start, stop| {
        OwnedAsdu::new(IEC104, TypeId::F_SC_NB_1, Cot::REQUEST, 1).with(InformationObject::new(
            0,
            Element::QueryLog {
                nof: Nof(1),
                start,
                stop,
            },
        ))
    };
    let good = Cp56Time2a::from_bytes(CREATED);
    // NOF 2, then the start; the stop 7 octets later.
    assert_eq!(
        query(bad, good)
            .encode(&mut Vec::new())
            .map_err(|e| e.offset()),
        Err(6 + 3 + 2 + 3)
    );
    assert_eq!(
        query(good, bad)
            .encode(&mut Vec::new())
            .map_err(|e| e.offset()),
        Err(6 + 3 + 9 + 3)
    );
    assert!(query(good, good).encode(&mut Vec::new()).is_ok());
}
