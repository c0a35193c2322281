//! One test per ASDU error variant, asserting the exact error and its offset from the ASDU's
//! first octet.

use crate::asdu_vectors::{IEC101, IEC104};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, CaLen, Cot, CotLen, Element, InformationObject, IoaLen, OwnedAsdu, TimeTag,
    TypeId,
};
use fieldbridge_iec60870::types::{Bcr, Cp24Time2a, Cp56Time2a, Qoi, Siq};
use fieldbridge_iec60870::{AsduField, Error};

fn interrogation(config: AsduConfig) -> OwnedAsdu {
    OwnedAsdu::new(config, TypeId::C_IC_NA_1, Cot::ACTIVATION, 1).with(InformationObject::new(
        0,
        Element::Interrogation(Qoi::STATION),
    ))
}

#[test]
fn a_header_shorter_than_its_configured_length_is_truncated() {
    // 104: 6 octets of data unit identifier; 101 (1/1/2): 4.
    assert_eq!(
        Asdu::decode(&[0x64, 0x01, 0x06, 0x00, 0x01], &IEC104),
        Err(Error::Truncated {
            offset: 5,
            expected_len: 6
        })
    );
    assert_eq!(
        Asdu::decode(&[], &IEC101),
        Err(Error::Truncated {
            offset: 0,
            expected_len: 4
        })
    );
}

#[test]
fn objects_that_do_not_fill_the_body_exactly_are_refused_with_both_lengths() {
    // C_IC_NA_1, two objects announced, one sent: 2 × (3 + 1) = 8 expected, 4 found.
    let two = [0x64, 0x02, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14];
    assert_eq!(
        Asdu::decode(&two, &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 100,
            count: 2,
            expected: 8,
            found: 4
        })
    );
    // One object and a stray octet.
    let long = [
        0x64, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00,
    ];
    assert_eq!(
        Asdu::decode(&long, &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 100,
            count: 1,
            expected: 4,
            found: 5
        })
    );
    // A count of 0 means no octet after the data unit identifier.
    let zero = [0x64, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00];
    assert_eq!(
        Asdu::decode(&zero, &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 100,
            count: 0,
            expected: 0,
            found: 1
        })
    );
    // SQ = 1, three floats: 3 + 3 × 5 = 18 expected; sent as SQ = 0 objects of 8 octets × 2.
    let mut sq = vec![0x0D, 0x83, 0x03, 0x00, 0x01, 0x00];
    sq.extend_from_slice(&[0; 16]);
    assert_eq!(
        Asdu::decode(&sq, &IEC104),
        Err(Error::ObjectLength {
            offset: 6,
            type_id: 13,
            count: 3,
            expected: 18,
            found: 16
        })
    );
}

#[test]
fn header_fields_too_large_for_their_octets_are_refused_on_encode() {
    let small = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::One);
    let mut asdu = interrogation(small);
    asdu.header.originator = 1;
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::FieldTooLarge {
            offset: 3,
            field: AsduField::Originator,
            max: 0,
            found: 1
        })
    );
    let mut asdu = interrogation(small);
    asdu.header.common_address = 256;
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::FieldTooLarge {
            offset: 3,
            field: AsduField::CommonAddress,
            max: 255,
            found: 256
        })
    );
    let mut asdu = interrogation(IEC104);
    asdu.header.cause = Cot(64);
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::FieldTooLarge {
            offset: 2,
            field: AsduField::Cause,
            max: 63,
            found: 64
        })
    );
    let mut asdu = OwnedAsdu::new(IEC104, TypeId::C_RD_NA_1, Cot::REQUEST, 1);
    for ioa in 0..128 {
        asdu.push(InformationObject::new(ioa, Element::Read));
    }
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::FieldTooLarge {
            offset: 1,
            field: AsduField::ObjectCount,
            max: 127,
            found: 128
        })
    );
}

#[test]
fn addresses_and_counter_sequence_numbers_too_large_are_refused_at_their_offset() {
    let one = AsduConfig::new(CotLen::Two, CaLen::Two, IoaLen::One);
    let asdu = OwnedAsdu::new(one, TypeId::C_RD_NA_1, Cot::REQUEST, 1)
        .with(InformationObject::new(255, Element::Read))
        .with(InformationObject::new(256, Element::Read));
    // The second object's address is at 6 + 1.
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::FieldTooLarge {
            offset: 7,
            field: AsduField::Ioa,
            max: 255,
            found: 256
        })
    );
    let bcr = Bcr {
        sequence: 32,
        ..Bcr::default()
    };
    let asdu = OwnedAsdu::new(IEC104, TypeId::M_IT_NA_1, Cot::SPONTANEOUS, 1)
        .with(InformationObject::new(1, Element::Counter(bcr)));
    // Header 6, IOA 3, the sequence octet is the fifth of the BCR: 6 + 3 + 4.
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::FieldTooLarge {
            offset: 13,
            field: AsduField::CounterSequence,
            max: 31,
            found: 32
        })
    );
}

#[test]
fn a_header_count_other_than_the_number_of_objects_is_refused() {
    let mut asdu = interrogation(IEC104);
    asdu.header.count = 2;
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::ObjectCount {
            offset: 1,
            expected: 2,
            found: 1
        })
    );
}

#[test]
fn an_element_or_time_tag_not_of_the_type_id_is_refused() {
    let wrong_element = OwnedAsdu::new(IEC104, TypeId::C_IC_NA_1, Cot::ACTIVATION, 1)
        .with(InformationObject::new(0, Element::SinglePoint(Siq(1))));
    assert_eq!(
        wrong_element.encode(&mut Vec::new()),
        Err(Error::ElementMismatch {
            offset: 9,
            type_id: 100,
            expected: "interrogation command"
        })
    );
    let wrong_time = OwnedAsdu::new(IEC104, TypeId::M_SP_TB_1, Cot::SPONTANEOUS, 1).with(
        InformationObject::with_time(
            0,
            Element::SinglePoint(Siq(1)),
            TimeTag::Cp24(Cp24Time2a::default()),
        ),
    );
    assert_eq!(
        wrong_time.encode(&mut Vec::new()),
        Err(Error::ElementMismatch {
            offset: 9,
            type_id: 30,
            expected: "single-point information with CP56Time2a"
        })
    );
    let raw_for_known = OwnedAsdu::new(IEC104, TypeId::M_SP_NA_1, Cot::SPONTANEOUS, 1)
        .with_raw(1, vec![0, 0, 0, 1]);
    assert_eq!(
        raw_for_known.encode(&mut Vec::new()),
        Err(Error::ElementMismatch {
            offset: 6,
            type_id: 1,
            expected: "single-point information"
        })
    );
    let objects_for_private = OwnedAsdu::new(IEC104, TypeId(200), Cot::SPONTANEOUS, 1)
        .with(InformationObject::new(0, Element::Read));
    assert_eq!(
        objects_for_private.encode(&mut Vec::new()),
        Err(Error::ElementMismatch {
            offset: 6,
            type_id: 200,
            expected: "raw bytes"
        })
    );
}

#[test]
fn sq_1_objects_must_count_up_by_one() {
    let asdu = OwnedAsdu::new(IEC104, TypeId::M_SP_NA_1, Cot::SPONTANEOUS, 1)
        .sequence(true)
        .with(InformationObject::new(10, Element::SinglePoint(Siq(0))))
        .with(InformationObject::new(11, Element::SinglePoint(Siq(0))))
        .with(InformationObject::new(13, Element::SinglePoint(Siq(0))));
    // Header 6, IOA 3, two elements of one octet: the third element is at 11.
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::IoaNotSequential {
            offset: 11,
            expected: 12,
            found: 13
        })
    );
}

#[test]
fn a_time_field_that_does_not_fit_its_bits_is_refused_at_its_octet() {
    let bad = Cp56Time2a {
        minute: 64,
        ..Cp56Time2a::default()
    };
    let asdu = OwnedAsdu::new(IEC104, TypeId::M_SP_TB_1, Cot::SPONTANEOUS, 1).with(
        InformationObject::with_time(0, Element::SinglePoint(Siq(0)), TimeTag::Cp56(bad)),
    );
    // Header 6, IOA 3, SIQ 1: the tag starts at 10, its minute octet at 12.
    assert_eq!(
        asdu.encode(&mut Vec::new()),
        Err(Error::TimeOutOfRange {
            offset: 12,
            field: fieldbridge_iec60870::TimeField::Minute,
            min: 0,
            max: 63,
            found: 64
        })
    );
}

#[test]
fn an_output_buffer_too_small_for_the_asdu_is_refused_and_left_untouched() {
    let asdu = interrogation(IEC104);
    let mut out = [0u8; 9];
    let mut buf = &mut out[..];
    assert_eq!(
        asdu.encode(&mut buf),
        Err(Error::BufferTooSmall {
            offset: 0,
            needed: 10,
            available: 9
        })
    );
    assert_eq!(out, [0; 9]);
}

#[test]
fn asdu_errors_name_offset_and_expectation_in_their_message() {
    let error = Error::ObjectLength {
        offset: 6,
        type_id: 100,
        count: 2,
        expected: 8,
        found: 4,
    };
    assert_eq!(
        error.to_string(),
        "ASDU type 100 with 2 objects has 4 octets of objects at byte 6: expected 8"
    );
    assert_eq!(error.clone().shifted(6).offset(), 12);
    let error = Error::FieldTooLarge {
        offset: 3,
        field: AsduField::Originator,
        max: 0,
        found: 1,
    };
    assert_eq!(
        error.to_string(),
        "originator address 1 at byte 3 does not fit: expected 0..=0"
    );
}
