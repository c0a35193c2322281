//! One test per error variant, asserting the exact error and its offset.

use crate::common::{ONE, TWO, ZERO};
use fieldbridge_iec60870::apci::{self, Apci, Apdu, SeqNo, StreamSplitter};
use fieldbridge_iec60870::ft12::{self, Control, Frame};
use fieldbridge_iec60870::{Cp24Time2a, Cp56Time2a, Error, PrimaryFunction, TimeField};

#[test]
fn truncated_time_tags_say_where_they_ended_and_the_length_they_need() {
    assert_eq!(
        Cp56Time2a::decode(&[0x00, 0x00, 0x00]),
        Err(Error::Truncated {
            offset: 3,
            expected_len: 7
        })
    );
    assert_eq!(
        Cp24Time2a::decode(&[]),
        Err(Error::Truncated {
            offset: 0,
            expected_len: 3
        })
    );
}

#[test]
fn an_apdu_not_starting_with_0x68_is_refused_at_its_first_byte() {
    assert_eq!(
        apci::decode(&[0x67]),
        Err(Error::BadStartByte {
            offset: 0,
            expected: 0x68,
            found: 0x67
        })
    );
}

#[test]
fn an_ft12_variable_frame_without_its_second_0x68_is_refused_at_byte_3() {
    // 68 | 03 | 03 | 69 (should be 68)
    assert_eq!(
        ft12::decode(&[0x68, 0x03, 0x03, 0x69], &ONE),
        Err(Error::BadStartByte {
            offset: 3,
            expected: 0x68,
            found: 0x69
        })
    );
}

#[test]
fn an_ft12_frame_with_an_unknown_start_character_is_refused() {
    assert_eq!(
        ft12::decode(&[0xA2], &ONE),
        Err(Error::BadStartChar {
            offset: 0,
            found: 0xA2
        })
    );
}

#[test]
fn apdu_lengths_outside_4_to_253_are_refused_at_byte_1() {
    for found in [0, 3, 254, 255] {
        assert_eq!(
            apci::decode(&[0x68, found]),
            Err(Error::BadApduLength {
                offset: 1,
                min: 4,
                max: 253,
                found
            })
        );
    }
}

#[test]
fn s_and_u_frames_must_have_length_4_and_i_frames_an_asdu() {
    // 68 | 05 | 01 00 0A 00 S format | one extra byte
    assert_eq!(
        apci::decode(&[0x68, 0x05, 0x01, 0x00, 0x0A, 0x00, 0x00]),
        Err(Error::BadApduLength {
            offset: 1,
            min: 4,
            max: 4,
            found: 5
        })
    );
    // 68 | 05 | 43 00 00 00 TESTFR act | ...
    assert_eq!(
        apci::decode(&[0x68, 0x05, 0x43, 0x00, 0x00, 0x00]),
        Err(Error::BadApduLength {
            offset: 1,
            min: 4,
            max: 4,
            found: 5
        })
    );
    // 68 | 04 | 00 00 00 00 I format without ASDU
    assert_eq!(
        apci::decode(&[0x68, 0x04, 0x00, 0x00, 0x00, 0x00]),
        Err(Error::BadApduLength {
            offset: 1,
            min: 5,
            max: 253,
            found: 4
        })
    );
}

#[test]
fn a_u_frame_must_set_exactly_one_function_bit() {
    for found in [0x03, 0x0F, 0xC3] {
        assert_eq!(
            apci::decode(&[0x68, 0x04, found, 0x00, 0x00, 0x00]),
            Err(Error::BadUFunction { offset: 2, found })
        );
    }
}

#[test]
fn reserved_control_bits_are_refused_with_their_mask() {
    let cases: [(&[u8], usize, u8, u8); 5] = [
        // S frame, first octet 05: bit 0x04 is reserved
        (&[0x68, 0x04, 0x05, 0x00, 0x00, 0x00], 2, 0xFC, 0x05),
        // S frame, second octet 01
        (&[0x68, 0x04, 0x01, 0x01, 0x00, 0x00], 3, 0xFF, 0x01),
        // S frame, low bit of the third octet
        (&[0x68, 0x04, 0x01, 0x00, 0x03, 0x00], 4, 0x01, 0x03),
        // I frame, low bit of the third octet
        (&[0x68, 0x05, 0x00, 0x00, 0x01, 0x00, 0x64], 4, 0x01, 0x01),
        // U frame STARTDT act, fourth octet 80
        (&[0x68, 0x04, 0x07, 0x00, 0x00, 0x80], 5, 0xFF, 0x80),
    ];
    for (bytes, offset, mask, found) in cases {
        assert_eq!(
            apci::decode(bytes),
            Err(Error::ReservedBitsSet {
                offset,
                mask,
                found
            }),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn ft12_length_octets_that_differ_are_refused_at_byte_2() {
    assert_eq!(
        ft12::decode(&[0x68, 0x05, 0x06], &ONE),
        Err(Error::LengthMismatch {
            offset: 2,
            expected: 5,
            found: 6
        })
    );
}

#[test]
fn ft12_lengths_too_short_for_control_and_address_are_refused() {
    assert_eq!(
        ft12::decode(&[0x68, 0x01], &ONE),
        Err(Error::BadFrameLength {
            offset: 1,
            min: 2,
            max: 255,
            found: 1
        })
    );
    assert_eq!(
        ft12::decode(&[0x68, 0x02], &TWO),
        Err(Error::BadFrameLength {
            offset: 1,
            min: 3,
            max: 255,
            found: 2
        })
    );
    assert_eq!(
        ft12::decode(&[0x68, 0x00], &ZERO),
        Err(Error::BadFrameLength {
            offset: 1,
            min: 1,
            max: 255,
            found: 0
        })
    );
}

#[test]
fn a_wrong_ft12_checksum_is_refused_with_the_computed_one() {
    // 10 | 49 | 01 | 4B (should be 4A) | 16
    assert_eq!(
        ft12::decode(&[0x10, 0x49, 0x01, 0x4B, 0x16], &ONE),
        Err(Error::BadChecksum {
            offset: 3,
            expected: 0x4A,
            found: 0x4B
        })
    );
    // 68 04 04 68 | 08 01 AA BB | 00 (should be 6E) | 16
    assert_eq!(
        ft12::decode(
            &[0x68, 0x04, 0x04, 0x68, 0x08, 0x01, 0xAA, 0xBB, 0x00, 0x16],
            &ONE
        ),
        Err(Error::BadChecksum {
            offset: 8,
            expected: 0x6E,
            found: 0x00
        })
    );
}

#[test]
fn a_wrong_ft12_end_character_is_refused() {
    assert_eq!(
        ft12::decode(&[0x10, 0x49, 0x01, 0x4A, 0x17], &ONE),
        Err(Error::BadEndChar {
            offset: 4,
            expected: 0x16,
            found: 0x17
        })
    );
}

#[test]
fn time_fields_out_of_range_name_the_field_and_its_range() {
    let tag = Cp56Time2a {
        millisecond: 1000,
        minute: 60,
        hour: 1,
        day: 1,
        month: 1,
        ..Cp56Time2a::default()
    };
    let minute = Err(Error::TimeOutOfRange {
        offset: 2,
        field: TimeField::Minute,
        min: 0,
        max: 59,
        found: 60,
    });
    assert_eq!(tag.check_range(), minute);
    assert_eq!(tag.to_civil().map(|_| ()), minute);
    assert!(!tag.in_range());
    // A minute of 64 cannot be written in six bits at all.
    assert_eq!(
        Cp56Time2a { minute: 64, ..tag }.to_bytes(),
        Err(Error::TimeOutOfRange {
            offset: 2,
            field: TimeField::Minute,
            min: 0,
            max: 63,
            found: 64
        })
    );
    // 29 February 2023 does not exist.
    let feb29 = Cp56Time2a {
        minute: 0,
        day: 29,
        month: 2,
        year: 23,
        ..tag
    };
    assert!(feb29.in_range());
    assert_eq!(
        feb29.to_civil(),
        Err(Error::TimeOutOfRange {
            offset: 4,
            field: TimeField::Day,
            min: 1,
            max: 28,
            found: 29
        })
    );
    assert_eq!(
        Cp24Time2a {
            millisecond: 60_000,
            ..Cp24Time2a::default()
        }
        .check_range(),
        Err(Error::TimeOutOfRange {
            offset: 0,
            field: TimeField::Millisecond,
            min: 0,
            max: 59_999,
            found: 60_000
        })
    );
}

#[test]
fn user_data_an_apdu_or_ft12_frame_cannot_carry_is_refused_on_encode() {
    let encode = |apdu: Apdu| apdu.encode(&mut Vec::new());
    assert_eq!(
        encode(Apdu::i(SeqNo::ZERO, SeqNo::ZERO, &[])),
        Err(Error::UserDataLength {
            offset: 6,
            min: 1,
            max: 249,
            found: 0
        })
    );
    assert_eq!(
        encode(Apdu::i(SeqNo::ZERO, SeqNo::ZERO, &[0; 250])),
        Err(Error::UserDataLength {
            offset: 6,
            min: 1,
            max: 249,
            found: 250
        })
    );
    assert_eq!(
        encode(Apdu {
            apci: Apci::S { recv: SeqNo::ZERO },
            asdu: &[1]
        }),
        Err(Error::UserDataLength {
            offset: 6,
            min: 0,
            max: 0,
            found: 1
        })
    );
    let frame = Frame::Variable {
        control: Control::primary(PrimaryFunction::USER_DATA_CONFIRM, false, true),
        address: 1,
        asdu: &[0; 254],
    };
    assert_eq!(
        frame.encode(&ONE, &mut Vec::new()),
        Err(Error::UserDataLength {
            offset: 6,
            min: 0,
            max: 253,
            found: 254
        })
    );
}

#[test]
fn a_link_address_too_large_for_its_field_is_refused_on_encode() {
    let fixed = |address| Frame::Fixed {
        control: Control::primary(PrimaryFunction::REQUEST_LINK_STATUS, false, false),
        address,
    };
    assert_eq!(
        fixed(256).encode(&ONE, &mut Vec::new()),
        Err(Error::AddressTooLarge {
            offset: 2,
            max: 255,
            found: 256
        })
    );
    assert_eq!(
        fixed(1).encode(&ZERO, &mut Vec::new()),
        Err(Error::AddressTooLarge {
            offset: 2,
            max: 0,
            found: 1
        })
    );
}

#[test]
fn an_output_buffer_too_small_is_refused_and_left_untouched() {
    let mut buf = [0u8; 5];
    assert_eq!(
        Apdu::s(SeqNo::ZERO).encode(&mut &mut buf[..]),
        Err(Error::BufferTooSmall {
            offset: 0,
            needed: 6,
            available: 5
        })
    );
    assert_eq!(buf, [0; 5]);
    assert_eq!(
        Cp56Time2a::default().encode(&mut &mut buf[..]),
        Err(Error::BufferTooSmall {
            offset: 0,
            needed: 7,
            available: 5
        })
    );
}

#[test]
fn errors_name_offset_and_expectation_in_their_message() {
    let error = apci::decode(&[0x68, 0xFE]).unwrap_err();
    assert_eq!(error.offset(), 1);
    assert_eq!(
        error.to_string(),
        "bad APDU length 254 at byte 1: expected 4..=253"
    );
}

#[test]
fn the_stream_splitter_names_the_offset_in_the_whole_stream_and_stays_failed() {
    let mut splitter = StreamSplitter::new();
    splitter.push(&[0x68, 0x04, 0x43, 0x00, 0x00, 0x00, 0x68]);
    assert!(splitter.next_apdu().unwrap().is_some());
    assert_eq!(splitter.next_apdu(), Ok(None));
    // The next read's first byte is a second length octet of 0xFF.
    splitter.push(&[0xFF]);
    let error = Error::BadApduLength {
        offset: 7,
        min: 4,
        max: 253,
        found: 0xFF,
    };
    assert_eq!(splitter.next_apdu(), Err(error.clone()));
    splitter.push(&[0x68, 0x04, 0x43, 0x00, 0x00, 0x00]);
    assert_eq!(splitter.next_apdu(), Err(error));
}
