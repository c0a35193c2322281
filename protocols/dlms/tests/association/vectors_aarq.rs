//! AARQ vectors: each decoded field by field, then re-encoded byte for byte.

use crate::common::bytes;
use fieldbridge_dlms::apdu::association::{
    AarqView, AcseRequirements, ApplicationContextName, AuthenticationValue, MechanismName,
    OwnedAarq, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::initiate::InitiateRequest;

/// Decodes, checks the view and its owned copy re-encode to `wire`, and returns the view.
fn decode_and_re_encode(wire: &[u8]) -> AarqView<'_> {
    let aarq = AarqView::decode(wire).expect("the vector decodes");
    assert_eq!(aarq.encoded_len(), wire.len());
    let mut out = Vec::new();
    aarq.encode(&mut out);
    assert_eq!(out, wire, "the view re-encodes byte for byte");
    let mut out = Vec::new();
    aarq.owned().encode(&mut out);
    assert_eq!(out, wire, "the owned value re-encodes byte for byte");
    aarq
}

/// The conformance most clients propose: 0x007E1F.
const CLIENT_CONFORMANCE: Conformance = Conformance::from_octets([0x00, 0x7E, 0x1F]);

#[test]
fn the_green_book_lls_aarq_decodes_field_by_field_and_re_encodes() {
    // The AARQ with a password given in the brief as the Green Book's worked example. Its
    // lengths add up (0x36 = 54 octets of components); its InitiateRequest proposes 0x001E1D
    // with a client-max-receive-pdu-size of 0xFFFF.
    let wire = bytes(&[
        "60 36",                               // AARQ [APPLICATION 0], 54 octets
        "A1 09 06 07 60 85 74 05 08 01 01",    // application-context-name 2.16.756.5.8.1.1 (LN)
        "8A 02 07 80",                         // sender-acse-requirements: authentication
        "8B 07 60 85 74 05 08 02 01",          // mechanism-name 2.16.756.5.8.2.1 (low)
        "AC 0A 80 08 31 32 33 34 35 36 37 38", // calling-authentication-value "12345678"
        "BE 10 04 0E",                         // user-information, OCTET STRING of 14
        "01",                                  //   InitiateRequest
        "00",                                  //   dedicated-key absent
        "00",                                  //   response-allowed: default (TRUE)
        "00",                                  //   proposed-quality-of-service absent
        "06",                                  //   proposed-dlms-version-number 6
        "5F 1F 04 00 00 1E 1D",                //   proposed-conformance 0x001E1D
        "FF FF",                               //   client-max-receive-pdu-size 65535
    ]);
    let aarq = decode_and_re_encode(&wire);
    assert!(!aarq.protocol_version);
    assert_eq!(
        aarq.application_context_name,
        ApplicationContextName::LogicalName
    );
    assert!(!aarq.application_context_name.is_ciphered());
    assert_eq!(aarq.called_ap_title, None);
    assert_eq!(aarq.calling_ap_title, None);
    assert_eq!(
        aarq.sender_acse_requirements,
        Some(AcseRequirements::AUTHENTICATION)
    );
    assert_eq!(aarq.mechanism_name, Some(MechanismName::Low));
    assert_eq!(
        aarq.calling_authentication_value,
        Some(AuthenticationValue::CharString(&b"12345678"[..]))
    );
    assert_eq!(aarq.implementation_information, None);
    let Some(UserInformation::InitiateRequest(request)) = aarq.user_information else {
        panic!("an InitiateRequest in clear: {:?}", aarq.user_information);
    };
    assert_eq!(request.dedicated_key, None);
    assert!(request.is_response_allowed());
    assert_eq!(request.response_allowed, None);
    assert_eq!(request.proposed_quality_of_service, None);
    assert_eq!(request.proposed_dlms_version_number, 6);
    assert_eq!(
        request.proposed_conformance,
        Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ
            | Conformance::BLOCK_TRANSFER_WITH_SET_OR_WRITE
            | Conformance::BLOCK_TRANSFER_WITH_ACTION
            | Conformance::MULTIPLE_REFERENCES
            | Conformance::GET
            | Conformance::SET
            | Conformance::SELECTIVE_ACCESS
            | Conformance::ACTION
    );
    assert_eq!(request.client_max_receive_pdu_size, 0xFFFF);
}

#[test]
fn an_aarq_without_authentication_decodes_and_re_encodes() {
    // u9n/dlms-cosem tests/test_asce/test_aarq.py, test_parse_no_ciphering_no_sercurity
    // (the Green Book's "LN referencing, no ciphering, lowest level security").
    let wire = bytes(&[
        "60 1D",                            // AARQ, 29 octets
        "A1 09 06 07 60 85 74 05 08 01 01", // application-context-name LN, no ciphering
        "BE 10 04 0E",                      // user-information
        "01 00 00 00 06",                   //   InitiateRequest, no key, default, no QoS, v6
        "5F 1F 04 00 00 7E 1F",             //   proposed-conformance 0x007E1F
        "04 B0",                            //   client-max-receive-pdu-size 1200
    ]);
    let aarq = decode_and_re_encode(&wire);
    assert_eq!(aarq.mechanism_name, None);
    assert_eq!(aarq.sender_acse_requirements, None);
    assert_eq!(aarq.calling_authentication_value, None);
    assert_eq!(
        aarq.user_information,
        Some(UserInformation::InitiateRequest(InitiateRequest::new(
            CLIENT_CONFORMANCE,
            1200
        )))
    );

    // Built from scratch, the same octets.
    let mut built = OwnedAarq::new(ApplicationContextName::LogicalName);
    built.user_information = Some(UserInformation::InitiateRequest(InitiateRequest::new(
        CLIENT_CONFORMANCE,
        1200,
    )));
    let mut out = Vec::new();
    built.encode(&mut out);
    assert_eq!(out, wire);
}

#[test]
fn an_hls_gmac_aarq_carries_the_client_challenge() {
    // u9n/dlms-cosem tests/test_asce/test_aarq.py, test_parse_no_ciphering_high_security.
    let wire = bytes(&[
        "60 36",                                                 // AARQ, 54 octets
        "A1 09 06 07 60 85 74 05 08 01 01", // application-context-name LN, no ciphering
        "8A 02 07 80",                      // sender-acse-requirements: authentication
        "8B 07 60 85 74 05 08 02 05",       // mechanism-name 2.16.756.5.8.2.5 (HLS GMAC)
        "AC 0A 80 08 4B 35 36 69 56 61 67 59", // calling-authentication-value CtoS "K56iVagY"
        "BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F 04 B0", // InitiateRequest
    ]);
    let aarq = decode_and_re_encode(&wire);
    let mechanism = aarq.mechanism_name.expect("a mechanism");
    assert_eq!(mechanism, MechanismName::HighGmac);
    assert!(mechanism.is_high_level());
    assert_eq!(
        aarq.calling_authentication_value.map(|v| v.bytes()),
        Some(&b"K56iVagY"[..])
    );
}

#[test]
fn a_ciphered_aarq_carries_the_system_title_and_a_glo_initiate_request() {
    // u9n/dlms-cosem tests/test_asce/test_aarq.py, test_parse_ciphered_low_security2.
    let wire = bytes(&[
        "60 66",                               // AARQ, 102 octets
        "A1 09 06 07 60 85 74 05 08 01 03",    // application-context-name LN with ciphering
        "A6 0A 04 08 4D 4D 4D 00 00 BC 61 4E", // calling-AP-title: system title "MMM" 12345678
        "8A 02 07 80",                         // sender-acse-requirements: authentication
        "8B 07 60 85 74 05 08 02 01",          // mechanism-name low
        "AC 0A 80 08 31 32 33 34 35 36 37 38", // calling-authentication-value "12345678"
        "BE 34 04 32",                         // user-information, OCTET STRING of 50
        "21 30",                               //   glo-initiate-request, 48 octets
        "30",                                  //   security control: suite 0, A + E
        "01 23 45 67",                         //   invocation counter
        "80 13 02 FF 8A 78 74 13 3D 41 4C ED 25 B4 25 34 D2 8D B0 04 77 20 60 6B 17 5B D5 22",
        "11 BE 68 41 DB 20 4D 39 EE 6F DB 8E 35 68 55", // ciphertext and tag
    ]);
    let aarq = decode_and_re_encode(&wire);
    assert_eq!(
        aarq.application_context_name,
        ApplicationContextName::LogicalNameCiphered
    );
    assert!(aarq.application_context_name.is_ciphered());
    assert_eq!(aarq.calling_ap_title, Some(&wire[17..25]));
    assert_eq!(aarq.calling_ap_title, Some(&b"MMM\x00\x00\xBC\x61\x4E"[..]));
    assert_eq!(
        aarq.client_system_title(),
        Some(*b"MMM\x00\x00\xBC\x61\x4E")
    );
    let Some(UserInformation::Ciphered(apdu)) = aarq.user_information else {
        panic!("a ciphered InitiateRequest: {:?}", aarq.user_information);
    };
    assert_eq!(apdu.len(), 50);
    assert_eq!(apdu[0], 0x21);
    assert_eq!(aarq.user_information.map(|u| u.apdu_tag()), Some(0x21));
    assert_eq!(apdu, &wire[wire.len() - 50..]);
}

#[test]
fn a_password_aarq_of_a_field_capture_decodes_and_re_encodes() {
    // Circutor/gosem pkg/dlmsclient tests, TestClient_InvalidPassword: a client's LLS AARQ
    // with password "00000001" and conformance 0x00181F, max PDU 256.
    let wire = bytes(&[
        "60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85 74 05 08 02 01",
        "AC 0A 80 08 30 30 30 30 30 30 30 31", // calling-authentication-value "00000001"
        "BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 18 1F 01 00",
    ]);
    let aarq = decode_and_re_encode(&wire);
    let Some(UserInformation::InitiateRequest(request)) = aarq.user_information else {
        panic!("an InitiateRequest");
    };
    assert_eq!(request.proposed_conformance.bits(), 0x00_181F);
    assert_eq!(request.client_max_receive_pdu_size, 256);
}

#[test]
fn debug_output_hides_an_authentication_value() {
    // The same LLS AARQ as above: calling-authentication-value "00000001" (0x30 .. 0x31).
    let wire = bytes(&[
        "60 36 A1 09 06 07 60 85 74 05 08 01 01 8A 02 07 80 8B 07 60 85 74 05 08 02 01",
        "AC 0A 80 08 30 30 30 30 30 30 30 31", // calling-authentication-value "00000001"
        "BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 18 1F 01 00",
    ]);
    let aarq = AarqView::decode(&wire).unwrap();
    for shown in [
        format!("{aarq:?}"),
        format!("{aarq:#?}"),
        format!("{:?}", aarq.owned()),
    ] {
        assert!(shown.contains("CharString(hidden)"), "{shown}");
        assert!(!shown.contains("48, 48"), "the password's octets: {shown}");
        assert!(!shown.contains("00000001"), "the password: {shown}");
    }
    let password = AuthenticationValue::CharString(b"s3cr3t!!".to_vec());
    assert_eq!(format!("{password:?}"), "CharString(hidden)");
    let empty = AuthenticationValue::CharString(&b""[..]);
    assert_eq!(format!("{empty:?}"), "CharString(hidden)");
    let bits = AuthenticationValue::BitString(&[0x00, 0x12, 0x34, 0x56][..]);
    assert_eq!(format!("{bits:#?}"), "BitString(hidden)");
}
