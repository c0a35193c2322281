//! ExceptionResponse and ConfirmedServiceError.

use fieldbridge_dlms::apdu::exception::{
    ConfirmedService, ConfirmedServiceError, ExceptionResponse, ExceptionServiceError,
    ServiceError, ServiceErrorKind, StateError,
};
use fieldbridge_dlms::strategy::services as s;
use fieldbridge_dlms::Error;
use proptest::prelude::*;

#[test]
fn an_exception_response_decodes_and_reencodes() {
    // u9n/dlms-cosem tests/conftest.py exception_response: service-not-allowed,
    // operation-not-possible.
    let input = [0xD8, 0x01, 0x01];
    let exception = ExceptionResponse::decode(&input).unwrap();
    assert_eq!(exception.state_error, StateError::SERVICE_NOT_ALLOWED);
    assert_eq!(exception.state_error.name(), "service-not-allowed");
    assert_eq!(
        exception.service_error,
        ExceptionServiceError::OperationNotPossible
    );
    assert_eq!(exception.service_error.name(), "operation-not-possible");
    assert_eq!(exception.to_vec(), input);
}

#[test]
fn an_invocation_counter_error_carries_the_expected_counter() {
    let input = [
        0xD8, // exception-response
        0x01, // service-not-allowed
        0x06, // invocation-counter-error
        0x00, 0x00, 0x01, 0x2C, // the server expects at least 300
    ];
    let exception = ExceptionResponse::decode(&input).unwrap();
    assert_eq!(
        exception.service_error,
        ExceptionServiceError::InvocationCounterError(300)
    );
    assert_eq!(exception.to_vec(), input);
    assert_eq!(exception.encoded_len(), 7);
}

#[test]
fn an_unknown_state_error_still_decodes_and_an_unknown_service_error_does_not() {
    let exception = ExceptionResponse::decode(&[0xD8, 0x09, 0x02]).unwrap();
    assert_eq!(exception.state_error.name(), "unknown");
    assert_eq!(
        ExceptionResponse::decode(&[0xD8, 0x01, 0x07]),
        Err(Error::UnknownChoice {
            offset: 2,
            what: "service-error",
            found: 7
        })
    );
}

#[test]
fn a_confirmed_service_error_names_service_kind_and_value() {
    // u9n/dlms-cosem tests/test_asce/test_aare.py: the AARE's user-information carries
    // 0E 01 06 01, initiateError / initiate / dlms-version-too-low.
    let input = [0x0E, 0x01, 0x06, 0x01];
    let error = ConfirmedServiceError::decode(&input).unwrap();
    assert_eq!(error.service, ConfirmedService::InitiateError);
    assert_eq!(error.service.name(), "initiateError");
    assert_eq!(error.error.kind, ServiceErrorKind::Initiate);
    assert_eq!(error.error.name(), "dlms-version-too-low");
    assert_eq!(
        error.error.to_string(),
        "initiate: dlms-version-too-low (1)"
    );
    assert_eq!(error.to_vec(), input);
}

#[test]
fn every_service_error_value_the_standard_lists_has_a_name() {
    let named = |kind, value| ServiceError { kind, value }.name();
    assert_eq!(
        named(ServiceErrorKind::ApplicationReference, 6),
        "deciphering-error"
    );
    assert_eq!(
        named(ServiceErrorKind::HardwareResource, 4),
        "other-resource-unavailable"
    );
    assert_eq!(
        named(ServiceErrorKind::VdeStateError, 4),
        "status-inoperable"
    );
    assert_eq!(named(ServiceErrorKind::Service, 2), "service-unsupported");
    assert_eq!(
        named(ServiceErrorKind::Definition, 3),
        "object-attribute-inconsistent"
    );
    assert_eq!(named(ServiceErrorKind::Access, 4), "object-unavailable");
    assert_eq!(
        named(ServiceErrorKind::Initiate, 4),
        "refused-by-the-VDE-Handler"
    );
    assert_eq!(
        named(ServiceErrorKind::LoadDataSet, 7),
        "data-set-not-ready"
    );
    assert_eq!(named(ServiceErrorKind::Task, 4), "ti-unusable");
    assert_eq!(named(ServiceErrorKind::Service, 3), "unknown");
    assert_eq!(ConfirmedService::ALL.len(), 19);
    assert_eq!(ConfirmedService::TerminateUpLoad.tag(), 19);
}

#[test]
fn unknown_confirmed_service_error_choices_are_refused_with_their_offsets() {
    assert_eq!(
        ConfirmedServiceError::decode(&[0x0E, 0x00, 0x06, 0x01]),
        Err(Error::UnknownChoice {
            offset: 1,
            what: "ConfirmedServiceError choice",
            found: 0
        })
    );
    assert_eq!(
        ConfirmedServiceError::decode(&[0x0E, 0x01, 0x08, 0x01]),
        Err(Error::UnknownChoice {
            offset: 2,
            what: "ServiceError choice",
            found: 8
        })
    );
    assert!(matches!(
        ConfirmedServiceError::decode(&[0x0D, 0x01, 0x06, 0x01]),
        Err(Error::BadByte { offset: 0, .. })
    ));
}

#[test]
fn every_prefix_of_the_error_vectors_fails_without_panicking() {
    every_prefix_fails!(
        [0xD8, 0x01, 0x06, 0x00, 0x00, 0x01, 0x2C],
        ExceptionResponse::decode
    );
    every_prefix_fails!([0x0E, 0x01, 0x06, 0x01], ConfirmedServiceError::decode);
}

proptest! {
    #[test]
    fn exception_responses_round_trip(x in s::exception_response()) {
        let bytes = x.to_vec();
        prop_assert_eq!(bytes.len(), x.encoded_len());
        prop_assert_eq!(ExceptionResponse::decode(&bytes).unwrap(), x);
    }

    #[test]
    fn confirmed_service_errors_round_trip(x in s::confirmed_service_error()) {
        let bytes = x.to_vec();
        prop_assert_eq!(bytes.len(), x.encoded_len());
        prop_assert_eq!(ConfirmedServiceError::decode(&bytes).unwrap(), x);
    }
}
