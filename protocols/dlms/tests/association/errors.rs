//! One test per error the association layer returns, each asserting the exact error.

use crate::common::bytes;
use fieldbridge_dlms::apdu::association::{AareView, AarqView};
use fieldbridge_dlms::apdu::ber::Tlv;
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::initiate::InitiateRequest;
use fieldbridge_dlms::apdu::release::{ReleaseRequestView, ReleaseResponseView};
use fieldbridge_dlms::Error;

/// The AARQ without authentication of u9n/dlms-cosem (offsets below count from its tag).
fn plain_aarq() -> Vec<u8> {
    bytes(&[
        "60 1D",                            // 0, 1
        "A1 09 06 07 60 85 74 05 08 01 01", // 2..=12, the OID's contents at 6..=12
        "BE 10 04 0E",                      // 13..=16
        "01 00 00 00 06",                   // 17..=21
        "5F 1F 04 00 00 7E 1F",             // 22..=28
        "04 B0",                            // 29, 30
    ])
}

/// The LLS AARQ of the Green Book (mechanism-name's OID contents at 19..=25).
fn lls_aarq() -> Vec<u8> {
    bytes(&[
        "60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80",
        "8B 07 60 85 74 05 08 02 01", // 17..=25
        "AC 0A 80 08 31 32 33 34 35 36 37 38",
        "BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 1E 1D FF FF",
    ])
}

/// The accepted AARE of u9n/dlms-cosem.
fn plain_aare() -> Vec<u8> {
    bytes(&[
        "61 29 A1 09 06 07 60 85 74 05 08 01 01", // 0..=12
        "A2 03 02 01 00",                         // 13..=17
        "A3 05 A1 03 02 01 00",                   // 18..=24
        "BE 10 04 0E 08 00 06 5F 1F 04 00 00 50 1F 01 F4 00 07",
    ])
}

#[test]
fn another_apdu_tag_is_a_bad_byte_at_offset_0() {
    let mut wire = plain_aarq();
    wire[0] = 0x64;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadByte {
            offset: 0,
            what: "AARQ tag",
            expected: "0x60 (AARQ, [APPLICATION 0])",
            found: 0x64
        })
    );
    assert!(matches!(
        AareView::decode(&plain_aarq()),
        Err(Error::BadByte {
            offset: 0,
            what: "AARE tag",
            found: 0x60,
            ..
        })
    ));
}

#[test]
fn a_component_tag_the_aarq_does_not_have_is_a_bad_byte() {
    let mut wire = plain_aarq();
    wire[13] = 0x9E; // [30] primitive: user-information is constructed
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadByte {
            offset: 13,
            what: "AARQ component tag",
            expected:
                "an AARQ component, in order: 0x80, 0xA1..=0xA9, 0x8A, 0x8B, 0xAC, 0x9D, 0xBE",
            found: 0x9E
        })
    );
    wire[13] = 0x30; // a universal SEQUENCE
    assert!(matches!(
        AarqView::decode(&wire),
        Err(Error::BadByte {
            offset: 13,
            what: "AARQ component tag",
            found: 0x30,
            ..
        })
    ));
}

#[test]
fn components_out_of_order_are_a_bad_byte() {
    let wire = bytes(&[
        "60 18 A1 09 06 07 60 85 74 05 08 01 01",
        "8B 07 60 85 74 05 08 02 01", // mechanism-name [11]
        "8A 02 07 80",                // sender-acse-requirements [10]: comes too late
    ]);
    assert!(matches!(
        AarqView::decode(&wire),
        Err(Error::BadByte {
            offset: 22,
            what: "AARQ component tag",
            found: 0x8A,
            ..
        })
    ));
}

#[test]
fn a_ber_length_past_the_end_is_a_bad_length() {
    let mut wire = plain_aarq();
    wire[1] = 0x1E;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadLength {
            offset: 1,
            what: "BER length",
            min: 0,
            max: 29,
            found: 30
        })
    );
    // The same inside a component: the OBJECT IDENTIFIER claims 8 octets of the 7 left.
    let mut wire = plain_aarq();
    wire[5] = 0x08;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadLength {
            offset: 5,
            what: "application-context-name",
            min: 0,
            max: 7,
            found: 8
        })
    );
}

#[test]
fn a_4_gib_ber_length_is_refused_before_anything_is_read() {
    let wire = bytes(&["60 84 FF FF FF FF", "A1 09 06"]);
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadLength {
            offset: 1,
            what: "BER length",
            min: 0,
            max: 3,
            found: 0xFFFF_FFFF
        })
    );
    assert!(matches!(
        Tlv::decode(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
        Err(Error::BadLength {
            offset: 1,
            found: 0xFFFF_FFFF,
            max: 0,
            ..
        })
    ));
}

#[test]
fn an_indefinite_or_over_long_ber_length_is_a_bad_byte() {
    let wire = bytes(&["60 80 A1 09 06 07 60 85 74 05 08 01 01 00 00"]);
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadByte {
            offset: 1,
            what: "BER length",
            expected: "a definite length: below 0x80, or 0x81..=0x84 and that many octets",
            found: 0x80
        })
    );
    assert!(matches!(
        Tlv::decode(&[0x04, 0x85, 0, 0, 0, 0, 1, 0]),
        Err(Error::BadByte {
            offset: 1,
            found: 0x85,
            ..
        })
    ));
}

#[test]
fn a_high_tag_number_with_a_leading_0x80_is_a_bad_byte() {
    assert_eq!(
        Tlv::decode(&[0x5F, 0x80, 0x1F, 0x00]),
        Err(Error::BadByte {
            offset: 1,
            what: "BER identifier",
            expected: "a high tag number in at most 4 octets, without a leading 0x80",
            found: 0x80
        })
    );
    assert!(matches!(
        Tlv::decode(&[0x5F, 0x05, 0x00]),
        Err(Error::BadByte {
            offset: 1,
            what: "BER identifier",
            found: 0x05,
            ..
        })
    ));
}

#[test]
fn a_truncated_object_identifier_is_truncated() {
    let mut wire = plain_aarq();
    wire[12] = 0x81; // the last subidentifier says more octets follow
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::Truncated {
            offset: 13,
            what: "OBJECT IDENTIFIER",
            needed: 1
        })
    );
}

#[test]
fn an_unknown_mechanism_is_an_unknown_choice() {
    let mut wire = lls_aarq();
    wire[25] = 0x08;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::UnknownChoice {
            offset: 25,
            what: "mechanism-name",
            found: 8
        })
    );
}

#[test]
fn a_mechanism_outside_the_dlms_arc_is_unsupported() {
    let mut wire = lls_aarq();
    wire[24] = 0x03; // 2.16.756.5.8.3.1
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::Unsupported {
            offset: 19,
            what: "mechanism-name"
        })
    );
}

#[test]
fn an_unknown_application_context_is_an_unknown_choice() {
    let mut wire = plain_aarq();
    wire[12] = 0x05;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::UnknownChoice {
            offset: 12,
            what: "application-context-name",
            found: 5
        })
    );
}

#[test]
fn a_missing_application_context_name_is_reported_where_it_should_be() {
    assert_eq!(
        AarqView::decode(&bytes(&["60 04 8A 02 07 80"])),
        Err(Error::BadByte {
            offset: 2,
            what: "application-context-name",
            expected: "the application-context-name 0xA1 before this component",
            found: 0x8A
        })
    );
    assert_eq!(
        AarqView::decode(&[0x60, 0x00]),
        Err(Error::Truncated {
            offset: 2,
            what: "application-context-name",
            needed: 2
        })
    );
    assert_eq!(
        AareView::decode(&bytes(&["61 0B A1 09 06 07 60 85 74 05 08 01 01"])),
        Err(Error::Truncated {
            offset: 13,
            what: "result",
            needed: 2
        })
    );
}

#[test]
fn bytes_after_the_apdu_are_trailing_bytes() {
    let mut wire = plain_aarq();
    wire.push(0x00);
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::TrailingBytes {
            offset: 31,
            what: "AARQ",
            count: 1
        })
    );
}

#[test]
fn bytes_after_the_initiate_request_are_trailing_bytes() {
    let wire = bytes(&[
        "60 1E A1 09 06 07 60 85 74 05 08 01 01",
        "BE 11 04 0F 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0",
        "00", // one octet too many inside the OCTET STRING
    ]);
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::TrailingBytes {
            offset: 31,
            what: "InitiateRequest",
            count: 1
        })
    );
}

#[test]
fn an_unknown_xdlms_apdu_in_user_information_is_an_unknown_choice() {
    let mut wire = plain_aarq();
    wire[17] = 0xC0;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::UnknownChoice {
            offset: 17,
            what: "user-information xDLMS APDU",
            found: 0xC0
        })
    );
}

#[test]
fn a_usage_flag_other_than_0_or_1_is_a_bad_byte() {
    let mut wire = plain_aarq();
    wire[18] = 0x02;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadByte {
            offset: 18,
            what: "dedicated-key",
            expected: "a usage flag: 0x00 (absent) or 0x01 (present)",
            found: 0x02
        })
    );
}

#[test]
fn a_conformance_block_with_another_header_is_a_bad_byte() {
    let mut wire = plain_aarq();
    wire[22] = 0x5E;
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadByte {
            offset: 22,
            what: "proposed-conformance",
            expected: "0x5F 0x1F ([APPLICATION 31])",
            found: 0x5E
        })
    );
    assert!(matches!(
        Conformance::decode(&[0x5F, 0x1F, 0x04, 0x01, 0, 0, 0]),
        Err(Error::BadByte {
            offset: 3,
            what: "conformance",
            found: 0x01,
            ..
        })
    ));
    assert_eq!(
        Conformance::decode(&[0x5F, 0x1F, 0x04, 0x00, 0, 0, 0, 0]),
        Err(Error::TrailingBytes {
            offset: 7,
            what: "conformance",
            count: 1
        })
    );
}

#[test]
fn a_dedicated_key_over_32_octets_is_a_bad_length() {
    let mut wire = vec![0x01, 0x01, 33];
    wire.extend_from_slice(&[0xAA; 33]);
    wire.extend_from_slice(&bytes(&["00 00 06 5F 1F 04 00 00 00 01 04 00"]));
    assert_eq!(
        InitiateRequest::decode(&wire),
        Err(Error::BadLength {
            offset: 2,
            what: "dedicated-key",
            min: 0,
            max: 32,
            found: 33
        })
    );
}

#[test]
fn a_ciphered_apdu_shorter_than_its_security_header_is_a_bad_length() {
    let wire = bytes(&["62 08 BE 06 04 04", "21 02 30 00"]);
    assert_eq!(
        ReleaseRequestView::decode(&wire),
        Err(Error::BadLength {
            offset: 7,
            what: "ciphered-content",
            min: 5,
            max: 2,
            found: 2
        })
    );
}

#[test]
fn an_association_result_outside_0_to_2_is_a_bad_value() {
    let mut wire = plain_aare();
    wire[17] = 0x03;
    assert_eq!(
        AareView::decode(&wire),
        Err(Error::BadValue {
            offset: 13 + 2,
            what: "result",
            expected: "accepted (0), rejected-permanent (1) or rejected-transient (2)",
            found: 3
        })
    );
}

#[test]
fn an_integer_not_in_the_fewest_octets_is_a_bad_byte() {
    let wire = bytes(&[
        "61 2A A1 09 06 07 60 85 74 05 08 01 01",
        "A2 04 02 02 00 01", // result 1 in two octets
        "A3 05 A1 03 02 01 00",
        "BE 10 04 0E 08 00 06 5F 1F 04 00 00 50 1F 01 F4 00 07",
    ]);
    assert_eq!(
        AareView::decode(&wire),
        Err(Error::BadByte {
            offset: 17,
            what: "result",
            expected: "an INTEGER in the fewest octets (X.690 8.3.2)",
            found: 0x00
        })
    );
}

#[test]
fn a_diagnostic_that_is_neither_user_nor_provider_is_a_bad_byte() {
    let mut wire = plain_aare();
    wire[20] = 0xA4;
    assert_eq!(
        AareView::decode(&wire),
        Err(Error::BadByte {
            offset: 20,
            what: "result-source-diagnostic",
            expected: "acse-service-user 0xA1 or acse-service-provider 0xA2",
            found: 0xA4
        })
    );
}

#[test]
fn a_protocol_version_other_than_version1_is_a_bad_value() {
    let wire = bytes(&["60 0F 80 02 07 00 A1 09 06 07 60 85 74 05 08 01 01"]);
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadValue {
            offset: 4,
            what: "protocol-version",
            expected: "version1: 07 80",
            found: 0
        })
    );
    let wire = bytes(&["60 0F 80 02 08 80 A1 09 06 07 60 85 74 05 08 01 01"]);
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::BadValue {
            offset: 4,
            what: "BIT STRING unused bits",
            expected: "0..=7, and 0 for an empty string",
            found: 8
        })
    );
}

#[test]
fn an_external_authentication_value_is_unsupported() {
    let wire = bytes(&["60 0F A1 09 06 07 60 85 74 05 08 01 01", "AC 02 82 00"]);
    assert_eq!(
        AarqView::decode(&wire),
        Err(Error::Unsupported {
            offset: 15,
            what: "authentication-value external or other"
        })
    );
}

#[test]
fn a_release_reason_above_255_is_a_bad_value() {
    assert_eq!(
        ReleaseRequestView::decode(&bytes(&["62 04 80 02 01 00"])),
        Err(Error::BadValue {
            offset: 4,
            what: "reason",
            expected: "0..=255",
            found: 256
        })
    );
    assert!(matches!(
        ReleaseResponseView::decode(&bytes(&["63 03 81 01 00"])),
        Err(Error::BadByte {
            offset: 2,
            what: "RLRE component tag",
            found: 0x81,
            ..
        })
    ));
}
