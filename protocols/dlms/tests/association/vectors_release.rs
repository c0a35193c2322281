//! RLRQ and RLRE vectors: each decoded field by field, then re-encoded byte for byte.

use crate::common::bytes;
use fieldbridge_dlms::apdu::association::UserInformation;
use fieldbridge_dlms::apdu::release::{
    ReleaseRequestReason, ReleaseRequestView, ReleaseResponseReason, ReleaseResponseView,
};

fn rlrq(wire: &[u8]) -> ReleaseRequestView<'_> {
    let rlrq = ReleaseRequestView::decode(wire).expect("the vector decodes");
    assert_eq!(rlrq.encoded_len(), wire.len());
    let mut out = Vec::new();
    rlrq.owned().encode(&mut out);
    assert_eq!(out, wire, "re-encodes byte for byte");
    rlrq
}

fn rlre(wire: &[u8]) -> ReleaseResponseView<'_> {
    let rlre = ReleaseResponseView::decode(wire).expect("the vector decodes");
    assert_eq!(rlre.encoded_len(), wire.len());
    let mut out = Vec::new();
    rlre.owned().encode(&mut out);
    assert_eq!(out, wire, "re-encodes byte for byte");
    rlre
}

#[test]
fn a_normal_rlrq_without_user_information_decodes_and_re_encodes() {
    // u9n/dlms-cosem tests/test_asce/test_rlrq.py, test_simple.
    let wire = bytes(&[
        "62 03",    // RLRQ [APPLICATION 2], 3 octets
        "80 01 00", // reason: normal
    ]);
    let rlrq = rlrq(&wire);
    assert_eq!(rlrq.reason, Some(ReleaseRequestReason::NORMAL));
    assert_eq!(
        rlrq.reason.and_then(ReleaseRequestReason::name),
        Some("normal")
    );
    assert_eq!(rlrq.user_information, None);
}

#[test]
fn an_rlrq_with_a_ciphered_initiate_request_keeps_it_as_octets() {
    // u9n/dlms-cosem tests/test_asce/test_rlrq.py, test_with_ciphered_initiate_request.
    let wire = bytes(&[
        "62 39",                // RLRQ, 57 octets
        "80 01 00",             // reason: normal
        "BE 34 04 32",          // user-information, OCTET STRING of 50
        "21 30 30 01 23 45 67", // glo-initiate-request, 48 octets, SC 0x30, IC 0x01234567
        "80 13 02 FF 8A 78 74 13 3D 41 4C ED 25 B4 25 34 D2 8D B0 04 77 20 60 6B 17 5B D5 22",
        "11 BE 68 41 DB 20 4D 39 EE 6F DB 8E 35 68 55",
    ]);
    let rlrq = rlrq(&wire);
    let Some(UserInformation::Ciphered(apdu)) = rlrq.user_information else {
        panic!("a ciphered InitiateRequest: {:?}", rlrq.user_information);
    };
    assert_eq!(apdu, &wire[9..]);
}

#[test]
fn an_empty_rlrq_and_rlre_decode_and_re_encode() {
    // Circutor/gosem pkg/dlmsclient tests, TestClient_CloseAssociation: no component at all.
    assert_eq!(rlrq(&[0x62, 0x00]).reason, None);
    assert_eq!(rlre(&[0x63, 0x00]).reason, None);
}

#[test]
fn a_normal_rlre_decodes_and_re_encodes() {
    // u9n/dlms-cosem tests/test_asce/test_rlre.py, test_simple.
    let wire = bytes(&["63 03", "80 01 00"]);
    let rlre = rlre(&wire);
    assert_eq!(rlre.reason, Some(ReleaseResponseReason::NORMAL));
    assert_eq!(rlre.user_information, None);
}

#[test]
fn an_rlre_with_an_initiate_response_carries_its_quality_of_service() {
    // u9n/dlms-cosem tests/test_asce/test_rlre.py, test_with_initiate_response.
    let wire = bytes(&[
        "63 16",                // RLRE, 22 octets
        "80 01 00",             // reason: normal
        "BE 11 04 0F",          // user-information, OCTET STRING of 15
        "08",                   //   InitiateResponse
        "01 00",                //   negotiated-quality-of-service present: 0
        "06",                   //   negotiated-dlms-version-number 6
        "5F 1F 04 00 00 1E 1D", //   negotiated-conformance 0x001E1D
        "04 C8",                //   server-max-receive-pdu-size 1224
        "00 07",                //   vaa-name LN
    ]);
    let rlre = rlre(&wire);
    let Some(UserInformation::InitiateResponse(response)) = rlre.user_information else {
        panic!("an InitiateResponse: {:?}", rlre.user_information);
    };
    assert_eq!(response.negotiated_quality_of_service, Some(0));
    assert_eq!(response.server_max_receive_pdu_size, 1224);
}

#[test]
fn an_rlre_with_a_ciphered_initiate_response_keeps_it_as_octets() {
    // u9n/dlms-cosem tests/test_asce/test_rlre.py, test_with_ciphered_initiate_response.
    let wire = bytes(&[
        "63 28 80 01 00",
        "BE 23 04 21",             // user-information, OCTET STRING of 33
        "28 1F 30 01 23 45 67 89", // glo-initiate-response, 31 octets, SC 0x30, IC 0x01234567
        "12 14 A0 84 5E 47 57 14 38 3F 65 BC 19 74 5C A2 35 90 65 25 E4 F3 E1 C8 93",
    ]);
    let rlre = rlre(&wire);
    assert_eq!(rlre.user_information.map(|u| u.apdu_tag()), Some(0x28));
}
