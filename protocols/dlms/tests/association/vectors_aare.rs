//! AARE vectors: each decoded field by field, then re-encoded byte for byte.

use crate::common::bytes;
use fieldbridge_dlms::apdu::association::{
    AareView, AcseRequirements, AcseServiceUser, ApplicationContextName, AssociationResult,
    AuthenticationValue, MechanismName, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::initiate::{ConfirmedServiceError, InitiateResponse, VaaName};

/// Decodes, checks the view and its owned copy re-encode to `wire`, and returns the view.
fn decode_and_re_encode(wire: &[u8]) -> AareView<'_> {
    let aare = AareView::decode(wire).expect("the vector decodes");
    assert_eq!(aare.encoded_len(), wire.len());
    let mut out = Vec::new();
    aare.encode(&mut out);
    assert_eq!(out, wire, "the view re-encodes byte for byte");
    let mut out = Vec::new();
    aare.owned().encode(&mut out);
    assert_eq!(out, wire, "the owned value re-encodes byte for byte");
    aare
}

/// The InitiateResponse of the dlms-cosem vectors: conformance 0x00501F, 500 octets, LN.
fn initiate_response_501f() -> InitiateResponse {
    InitiateResponse {
        negotiated_quality_of_service: None,
        negotiated_dlms_version_number: 6,
        negotiated_conformance: Conformance::from_octets([0x00, 0x50, 0x1F]),
        server_max_receive_pdu_size: 500,
        vaa_name: VaaName::LN,
    }
}

#[test]
fn an_accepted_aare_decodes_field_by_field_and_re_encodes() {
    // u9n/dlms-cosem tests/test_asce/test_aare.py, test_no_ciphering_no_security_ok_association.
    let wire = bytes(&[
        "61 29",                            // AARE [APPLICATION 1], 41 octets
        "A1 09 06 07 60 85 74 05 08 01 01", // application-context-name LN
        "A2 03 02 01 00",                   // result: accepted
        "A3 05 A1 03 02 01 00",             // result-source-diagnostic: acse-service-user null
        "BE 10 04 0E",                      // user-information, OCTET STRING of 14
        "08",                               //   InitiateResponse
        "00",                               //   negotiated-quality-of-service absent
        "06",                               //   negotiated-dlms-version-number 6
        "5F 1F 04 00 00 50 1F",             //   negotiated-conformance 0x00501F
        "01 F4",                            //   server-max-receive-pdu-size 500
        "00 07",                            //   vaa-name: LN
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(
        aare.application_context_name,
        ApplicationContextName::LogicalName
    );
    assert_eq!(aare.result, AssociationResult::Accepted);
    assert_eq!(aare.result_source_diagnostic, SourceDiagnostic::NULL);
    assert_eq!(aare.result_source_diagnostic.name(), Some("null"));
    assert_eq!(aare.responding_ap_title, None);
    assert_eq!(aare.mechanism_name, None);
    assert_eq!(aare.responding_authentication_value, None);
    assert_eq!(
        aare.user_information,
        Some(UserInformation::InitiateResponse(initiate_response_501f()))
    );

    // Built from scratch, the same octets.
    let mut built = OwnedAare::new(
        ApplicationContextName::LogicalName,
        AssociationResult::Accepted,
        SourceDiagnostic::NULL,
    );
    built.user_information = Some(UserInformation::InitiateResponse(initiate_response_501f()));
    let mut out = Vec::new();
    built.encode(&mut out);
    assert_eq!(out, wire);
}

#[test]
fn an_aare_refusing_the_application_context_names_the_reason() {
    // u9n/dlms-cosem tests/test_asce/test_aare.py, test_no_ciphering_no_security_app_context_name_wrong.
    let wire = bytes(&[
        "61 29 A1 09 06 07 60 85 74 05 08 01 01",
        "A2 03 02 01 01",       // result: rejected-permanent
        "A3 05 A1 03 02 01 02", // acse-service-user: application-context-name-not-supported
        "BE 10 04 0E 08 00 06 5F 1F 04 00 00 50 1F 01 F4 00 07",
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(aare.result, AssociationResult::RejectedPermanent);
    assert_eq!(
        aare.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::APPLICATION_CONTEXT_NAME_NOT_SUPPORTED)
    );
    assert_eq!(
        aare.result_source_diagnostic.name(),
        Some("application-context-name-not-supported")
    );
}

#[test]
fn an_aare_with_a_confirmed_service_error_refuses_the_dlms_version() {
    // u9n/dlms-cosem tests/test_asce/test_aare.py, test_no_cipher_no_security_incorrect_dlms_version.
    let wire = bytes(&[
        "61 1F A1 09 06 07 60 85 74 05 08 01 01",
        "A2 03 02 01 01",       // result: rejected-permanent
        "A3 05 A1 03 02 01 01", // acse-service-user: no-reason-given
        "BE 06 04 04",          // user-information, OCTET STRING of 4
        "0E",                   //   ConfirmedServiceError
        "01",                   //   initiateError
        "06",                   //   ServiceError: initiate
        "01",                   //   dlms-version-too-low
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(
        aare.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::NO_REASON_GIVEN)
    );
    let Some(UserInformation::ConfirmedServiceError(error)) = aare.user_information else {
        panic!("a ConfirmedServiceError: {:?}", aare.user_information);
    };
    assert_eq!(
        error,
        ConfirmedServiceError::initiate(ConfirmedServiceError::DLMS_VERSION_TOO_LOW)
    );
    assert_eq!(error.error.kind.name(), "initiate");
}

#[test]
fn an_hls_gmac_aare_carries_the_server_challenge() {
    // u9n/dlms-cosem tests/test_asce/test_aare.py, test_no_ciher_hls_ok.
    let wire = bytes(&[
        "61 42 A1 09 06 07 60 85 74 05 08 01 01",
        "A2 03 02 01 00",                      // result: accepted
        "A3 05 A1 03 02 01 0E",                // acse-service-user: authentication-required
        "88 02 07 80",                         // responder-acse-requirements: authentication
        "89 07 60 85 74 05 08 02 05",          // mechanism-name HLS GMAC
        "AA 0A 80 08 50 36 77 52 4A 32 31 46", // responding-authentication-value StoC "P6wRJ21F"
        "BE 10 04 0E 08 00 06 5F 1F 04 00 00 50 1F 01 F4 00 07",
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(
        aare.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_REQUIRED)
    );
    assert_eq!(
        aare.responder_acse_requirements,
        Some(AcseRequirements::AUTHENTICATION)
    );
    assert_eq!(aare.mechanism_name, Some(MechanismName::HighGmac));
    assert_eq!(
        aare.responding_authentication_value,
        Some(AuthenticationValue::CharString(&b"P6wRJ21F"[..]))
    );
}

#[test]
fn an_aare_refusing_a_password_says_authentication_failure() {
    // Circutor/gosem pkg/dlmsclient tests, TestClient_InvalidPassword.
    let wire = bytes(&[
        "61 29 A1 09 06 07 60 85 74 05 08 01 01",
        "A2 03 02 01 01",       // result: rejected-permanent
        "A3 05 A1 03 02 01 0D", // acse-service-user: authentication-failure
        "BE 10 04 0E 08 00 06 5F 1F 04 00 00 10 14 00 80 00 07",
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(
        aare.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE)
    );
}

#[test]
fn a_ciphered_aare_carries_the_server_system_title_and_a_glo_initiate_response() {
    // Circutor/gosem pkg/dlms tests, TestDecodeAAREWithSecurity.
    let wire = bytes(&[
        "61 48",
        "A1 09 06 07 60 85 74 05 08 01 03", // application-context-name LN with ciphering
        "A2 03 02 01 00",                   // result: accepted
        "A3 05 A1 03 02 01 00",             // acse-service-user: null
        "A4 0A 04 08 4C 47 5A 20 22 60 48 28", // responding-AP-title: the server's system title
        "BE 23 04 21",                      // user-information, OCTET STRING of 33
        "28 1F",                            //   glo-initiate-response, 31 octets
        "30 00 00 00 31",                   //   security control, invocation counter 49
        "49 96 3E 23 D6 DA 82 4A 36 96 44 B6 6A 9A 17 C6 0C 3C A3 F6 3E 58 60 8F A1 92",
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(
        aare.application_context_name,
        ApplicationContextName::LogicalNameCiphered
    );
    assert_eq!(aare.responding_ap_title, Some(&b"LGZ \x22\x60\x48\x28"[..]));
    assert_eq!(aare.server_system_title(), Some(*b"LGZ \x22\x60\x48\x28"));
    assert_eq!(aare.user_information.map(|u| u.apdu_tag()), Some(0x28));
}

#[test]
fn a_ciphered_hls_gmac_aare_carries_title_challenge_and_ciphered_response() {
    // A Hexing DLMS front-end's TestAARE (com.hx.dlms.aa), a meter's answer to HLS GMAC.
    let wire = bytes(&[
        "61 69 A1 09 06 07 60 85 74 05 08 01 03",
        "A2 03 02 01 00",                      // result: accepted
        "A3 05 A1 03 02 01 0E",                // acse-service-user: authentication-required
        "A4 0A 04 08 48 58 45 01 35 3E C6 09", // responding-AP-title
        "88 02 07 80",                         // responder-acse-requirements
        "89 07 60 85 74 05 08 02 05",          // mechanism-name HLS GMAC
        "AA 12 80 10 44 37 36 43 42 33 33 31 37 32 39 33 43 41 39 31", // StoC, 16 octets
        "BE 23 04 21 28 1F 30 00 00 17 4B F4 56 A0 74 4E E1 A6 A4 51 CB 7E 80 7A 50 FC 94 D9",
        "B0 4D 93 BB B1 D3 88 52 8C",
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(aare.mechanism_name, Some(MechanismName::HighGmac));
    assert_eq!(
        aare.responding_authentication_value
            .map(|v| v.as_bytes().len()),
        Some(16)
    );
    assert_eq!(aare.responding_ap_title.map(<[u8]>::len), Some(8));
}

#[test]
fn a_rejected_ciphered_aare_carries_a_glo_confirmed_service_error() {
    // Circutor/gosem pkg/dlms tests, TestDecodeAAREWithSecurity (the reply with a ciphered
    // ConfirmedServiceError, tag 0x2E).
    let wire = bytes(&[
        "61 3E A1 09 06 07 60 85 74 05 08 01 03",
        "A2 03 02 01 01 A3 05 A1 03 02 01 01",
        "A4 0A 04 08 4B 46 4D 34 34 38 38 31",
        "BE 19 04 17 2E 15 30 00 00 01 09 C4 F6 45 4C C7 28 34 A2 86 BD D4 43 12 F0 66 17",
    ]);
    let aare = decode_and_re_encode(&wire);
    assert_eq!(aare.result, AssociationResult::RejectedPermanent);
    assert_eq!(aare.user_information.map(|u| u.apdu_tag()), Some(0x2E));
}
