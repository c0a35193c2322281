//! One test per error the frame decoder and encoder return, with its exact offset.

use crate::common::*;
use fieldbridge_dlms::hdlc::{self, Address, Control, Frame};
use fieldbridge_dlms::{Checksum, Error};

/// A frame with its HCS and FCS recomputed after a change.
fn fix(mut bytes: Vec<u8>, header_end: usize) -> Vec<u8> {
    let n = bytes.len();
    if header_end + 2 < n - 3 {
        let hcs = fieldbridge_dlms::crc::crc16(&bytes[1..header_end]).to_le_bytes();
        bytes[header_end..header_end + 2].copy_from_slice(&hcs);
    }
    let fcs = fieldbridge_dlms::crc::crc16(&bytes[1..n - 3]).to_le_bytes();
    bytes[n - 3..n - 1].copy_from_slice(&fcs);
    bytes
}

#[test]
fn a_frame_not_opening_with_a_flag_is_refused_at_byte_0() {
    assert_eq!(
        hdlc::decode(&[0x7F, 0xA0]),
        Err(Error::BadByte {
            offset: 0,
            what: "HDLC opening flag",
            expected: "0x7E",
            found: 0x7F
        })
    );
}

#[test]
fn a_frame_format_other_than_type_3_is_refused_at_byte_1() {
    assert_eq!(
        hdlc::decode(&[0x7E, 0x80, 0x07]),
        Err(Error::BadByte {
            offset: 1,
            what: "HDLC frame format",
            expected: "frame format type 3 (0xA0..=0xAF)",
            found: 0x80
        })
    );
}

#[test]
fn a_length_below_the_shortest_frame_is_refused() {
    assert_eq!(
        hdlc::decode(&[0x7E, 0xA0, 0x06]),
        Err(Error::BadLength {
            offset: 1,
            what: "HDLC frame length",
            min: 7,
            max: 2047,
            found: 6
        })
    );
}

#[test]
fn a_length_too_short_for_four_octet_addresses_is_refused() {
    // 7E A0 08 | 02 04 06 09: four-octet destination | 02 04 06 09: source. Refused once the
    // destination's second octet says it has four: with a one-octet source, 10 are needed.
    let frame = [
        0x7E, 0xA0, 0x08, 0x02, 0x04, 0x06, 0x09, 0x02, 0x04, 0x06, 0x09,
    ];
    let refused = Err(Error::BadLength {
        offset: 1,
        what: "HDLC frame length",
        min: 10,
        max: 2047,
        found: 8,
    });
    assert_eq!(hdlc::decode(&frame), refused);
    assert_eq!(hdlc::decode(&frame[..5]), refused);
    assert_eq!(hdlc::decode(&frame[..4]), Ok(None));
}

#[test]
fn a_length_is_refused_as_soon_as_the_address_octets_seen_leave_no_room() {
    // 7E A0 08 | 36 28: a destination without its low bit set on two octets has four, and a
    // length of 8 leaves room for 3 + 4 + 1 + 1 at most before the FCS.
    assert_eq!(
        hdlc::decode(&[0x7E, 0xA0, 0x08, 0x36, 0x28]),
        Err(Error::BadLength {
            offset: 1,
            what: "HDLC frame length",
            min: 10,
            max: 2047,
            found: 8
        })
    );
    // 7E A0 08 | 03 | 02: a one-octet destination and a source of two octets or four: the
    // FCS at 7 follows a header of 3 + 1 + 2 + 1 exactly; the third source octet 04 makes it
    // four, which needs a length of 10.
    assert_eq!(hdlc::decode(&[0x7E, 0xA0, 0x08, 0x03, 0x02]), Ok(None));
    assert_eq!(
        hdlc::decode(&[0x7E, 0xA0, 0x08, 0x03, 0x02, 0x04]),
        Err(Error::BadLength {
            offset: 1,
            what: "HDLC frame length",
            min: 10,
            max: 2047,
            found: 8
        })
    );
}

#[test]
fn a_length_that_leaves_an_hcs_but_no_information_for_any_address_size_is_refused() {
    // 7E A0 09: the FCS at 8. 02: a destination of two octets or four, and with two octets
    // on each side the header ends at 8, right before the FCS: still possible.
    assert_eq!(hdlc::decode(&[0x7E, 0xA0, 0x09, 0x02]), Ok(None));
    // 03: a one-octet destination; the header ends at 6, 7 or 9 for sources of 1, 2 or 4
    // octets: room for an HCS but no information, or too short. Refused before the source.
    assert_eq!(
        hdlc::decode(&[0x7E, 0xA0, 0x09, 0x03]),
        Err(Error::BadValue {
            offset: 1,
            what: "HDLC frame length",
            expected: "the header and FCS alone, or with an HCS and an information field",
            found: 9
        })
    );
}

#[test]
fn a_length_with_room_for_an_hcs_but_no_information_is_refused() {
    // 7E A0 09 | 03 | 21 | 10: format, addresses and control take 5, the FCS 2, so 2 octets are
    // left: an HCS and no information
    assert_eq!(
        hdlc::decode(&[0x7E, 0xA0, 0x09, 0x03, 0x21, 0x10]),
        Err(Error::BadValue {
            offset: 1,
            what: "HDLC frame length",
            expected: "the header and FCS alone, or with an HCS and an information field",
            found: 9
        })
    );
}

#[test]
fn a_destination_address_of_three_octets_is_refused_at_its_third_octet() {
    assert_eq!(
        // 7E A0 20 | 02 04 07: the low bit set on the third octet
        hdlc::decode(&[0x7E, 0xA0, 0x20, 0x02, 0x04, 0x07]),
        Err(Error::BadByte {
            offset: 5,
            what: "HDLC destination address",
            expected: "an address of 1, 2 or 4 octets",
            found: 0x07
        })
    );
}

#[test]
fn a_source_address_not_ending_within_four_octets_is_refused() {
    assert_eq!(
        hdlc::decode(&[0x7E, 0xA0, 0x0F, 0x03, 0x02, 0x04, 0x06, 0x08]),
        Err(Error::BadByte {
            offset: 7,
            what: "HDLC source address",
            expected: "the low bit set on the 1st, 2nd or 4th octet",
            found: 0x08
        })
    );
}

#[test]
fn a_bad_hcs_is_refused_before_the_rest_of_the_frame_arrives() {
    let mut bytes = bytes(I_AARQ);
    bytes[7] ^= 0xFF; // the HCS's low byte: AF -> 50
    assert_eq!(
        hdlc::decode(&bytes[..10]),
        Err(Error::BadChecksum {
            offset: 7,
            which: Checksum::Hcs,
            computed: 0x9FAF,
            found: 0x9F50
        })
    );
}

#[test]
fn a_bad_fcs_is_refused_at_the_fcs() {
    let mut bytes = bytes(SNRM);
    bytes[7] = 0x00; // FCS BD 64 -> 00 64
    assert_eq!(
        hdlc::decode(&bytes),
        Err(Error::BadChecksum {
            offset: 7,
            which: Checksum::Fcs,
            computed: 0x64BD,
            found: 0x6400
        })
    );
}

#[test]
fn a_changed_information_octet_fails_the_fcs() {
    let mut bytes = bytes(I_AARE);
    bytes[20] ^= 0x01;
    assert!(matches!(
        hdlc::decode(&bytes),
        Err(Error::BadChecksum {
            which: Checksum::Fcs,
            offset: 55,
            ..
        })
    ));
}

#[test]
fn a_missing_closing_flag_is_refused() {
    let mut bytes = bytes(RR);
    bytes[8] = 0x00;
    assert_eq!(
        hdlc::decode(&bytes),
        Err(Error::BadByte {
            offset: 8,
            what: "HDLC closing flag",
            expected: "0x7E",
            found: 0x00
        })
    );
}

#[test]
fn a_frame_with_the_s_bit_and_all_its_checks_fixed_still_decodes() {
    let mut bytes = bytes(I_AARQ);
    bytes[1] |= 0x08;
    let bytes = fix(bytes, 7);
    assert!(whole(&bytes).segmented);
}

#[test]
fn encoding_a_frame_longer_than_the_length_field_is_refused_with_nothing_written() {
    let info = vec![0u8; 2039];
    let frame = Frame {
        segmented: false,
        destination: Address::one(1).unwrap(),
        source: Address::PUBLIC_CLIENT,
        control: Control::Ui { pf: false },
        info: &info,
    };
    let mut out = vec![0xAA];
    assert_eq!(
        frame.encode(&mut out),
        Err(Error::BadLength {
            offset: 2,
            what: "HDLC frame length",
            min: 7,
            max: 2047,
            found: 2048
        })
    );
    assert_eq!(out, [0xAA]);
}

#[test]
fn an_frmr_information_field_cut_short_is_truncated() {
    use fieldbridge_dlms::hdlc::FrameReject;
    assert_eq!(
        FrameReject::decode(&[0x19, 0x00]),
        Err(Error::Truncated {
            offset: 0,
            what: "FRMR information field",
            needed: 1
        })
    );
}

#[test]
fn an_frmr_information_field_with_extra_octets_is_refused() {
    use fieldbridge_dlms::hdlc::FrameReject;
    assert_eq!(
        FrameReject::decode(&[0x19, 0x00, 0x01, 0x00]),
        Err(Error::TrailingBytes {
            offset: 3,
            what: "FRMR information field",
            count: 1
        })
    );
}
