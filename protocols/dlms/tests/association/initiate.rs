//! The xDLMS InitiateRequest, InitiateResponse and ConfirmedServiceError on their own.

use crate::common::bytes;
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::initiate::{
    ConfirmedServiceError, DedicatedKey, InitiateRequest, InitiateResponse, VaaName,
};

#[test]
fn an_initiate_request_with_a_dedicated_key_decodes_and_re_encodes() {
    // u9n/dlms-cosem tests/test_xdlms/test_initiate.py, test_decode_with_dedicated_key.
    let wire = bytes(&[
        "01",                                                    // InitiateRequest
        "01 10 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF", // dedicated-key, 16 octets
        "00",                                                    // response-allowed: default
        "00",                   // proposed-quality-of-service absent
        "06",                   // version 6
        "5F 1F 04 00 00 7E 1F", // proposed-conformance
        "04 B0",                // client-max-receive-pdu-size 1200
    ]);
    let request = InitiateRequest::decode(&wire).unwrap();
    let key = request.dedicated_key.expect("a dedicated key");
    assert_eq!(key.as_bytes(), &wire[3..19]);
    assert_eq!(
        format!("{key:?}"),
        "DedicatedKey(16 octets)",
        "a key never shows in a log"
    );
    assert_eq!(request.proposed_conformance.bits(), 0x00_7E1F);
    assert_eq!(request.encoded_len(), wire.len());
    let mut out = Vec::new();
    request.encode(&mut out);
    assert_eq!(out, wire);
}

#[test]
fn an_explicit_response_allowed_and_quality_of_service_survive_a_round_trip() {
    let wire = bytes(&[
        "01 00", // InitiateRequest, no dedicated key
        "01 00", // response-allowed sent explicitly: FALSE
        "01 FE", // proposed-quality-of-service: -2
        "06 5F 1F 04 00 00 00 01 00 00",
    ]);
    let request = InitiateRequest::decode(&wire).unwrap();
    assert_eq!(request.response_allowed, Some(false));
    assert!(!request.is_response_allowed());
    assert_eq!(request.proposed_quality_of_service, Some(-2));
    assert_eq!(request.proposed_conformance, Conformance::ACTION);
    assert_eq!(request.client_max_receive_pdu_size, 0);
    let mut out = Vec::new();
    request.encode(&mut out);
    assert_eq!(out, wire);
}

#[test]
fn an_initiate_response_decodes_and_re_encodes() {
    // u9n/dlms-cosem tests/test_xdlms/test_initiate.py, TestInitiateResponse.test_parse_simple.
    let wire = bytes(&["08", "00", "06", "5F 1F 04 00 00 50 1F", "01 F4", "00 07"]);
    let response = InitiateResponse::decode(&wire).unwrap();
    assert_eq!(response.negotiated_quality_of_service, None);
    assert_eq!(response.negotiated_dlms_version_number, 6);
    assert_eq!(response.server_max_receive_pdu_size, 500);
    assert_eq!(response.vaa_name, VaaName::LN);
    assert_eq!(response.encoded_len(), wire.len());
    let mut out = Vec::new();
    response.encode(&mut out);
    assert_eq!(out, wire);
}

#[test]
fn a_short_name_initiate_response_names_the_association_sn_object() {
    // Built here: an SN server's answer granting read, write, unconfirmed-write,
    // multiple-references, information-report and parameterized-access, 250 octets, vaa-name
    // 0xFA00.
    let wire = bytes(&["08 00 06 5F 1F 04 00 1C 03 20 00 FA FA 00"]);
    let response = InitiateResponse::decode(&wire).unwrap();
    assert_eq!(response.vaa_name, VaaName::SN);
    assert!(response
        .negotiated_conformance
        .contains(Conformance::READ | Conformance::WRITE));
}

#[test]
fn a_confirmed_service_error_decodes_and_re_encodes() {
    // Circutor/gosem pkg/dlms tests, TestDecodeRejectedAARE: initiateError, initiate, other.
    let wire = bytes(&["0E 01 06 00"]);
    let error = ConfirmedServiceError::decode(&wire).unwrap();
    assert_eq!(
        error,
        ConfirmedServiceError::initiate(ConfirmedServiceError::OTHER)
    );
    let mut out = Vec::new();
    error.encode(&mut out);
    assert_eq!(out, wire);
}

#[test]
fn dedicated_keys_hold_up_to_32_octets() {
    assert!(DedicatedKey::new(&[7; 32]).is_some());
    assert!(DedicatedKey::new(&[7; 33]).is_none());
    assert_eq!(DedicatedKey::new(&[]).map(|k| k.as_bytes().len()), Some(0));
}
