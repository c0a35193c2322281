//! ACTION-Request and ACTION-Response.

use fieldbridge_dlms::apdu::action::{ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::get::{
    ActionResult, DataAccessResult, GetDataResult, InvokeIdAndPriority, MethodDescriptor,
};
use fieldbridge_dlms::axdr::Value;
use fieldbridge_dlms::Error;

/// u9n/dlms-cosem tests/test_xdlms/test_action.py, TestActionRequestNormal: the HLS reply to
/// the Association LN object (method 1, reply_to_HLS_authentication).
const ACTION_NORMAL: [u8; 32] = [
    0xC3, 0x01, 0xC0, // action-request-normal, invoke 0 confirmed high
    0x00, 0x0F, 0x00, 0x00, 0x28, 0x00, 0x00, 0xFF, 0x01, // Association LN 0.0.40.0.0.255 m1
    0x01, // parameters present
    0x09, 0x11, // octet-string(17)
    0x10, 0x00, 0x00, 0x1A, 0x90, 0xE6, 0xD2, 0x22, 0x1F, 0xA2, 0xFD, 0x85, 0xEE, 0xD6, 0x1A, 0xCC,
    0x22,
];

#[test]
fn an_action_request_normal_decodes_field_by_field_and_reencodes() {
    let request = ActionRequest::decode(&ACTION_NORMAL).unwrap();
    let ActionRequest::Normal {
        invoke,
        method,
        parameters: Some(parameters),
    } = &request
    else {
        panic!()
    };
    assert_eq!(*invoke, InvokeIdAndPriority::new(0, true, true));
    assert_eq!(*method, MethodDescriptor::new(15, [0, 0, 40, 0, 0, 255], 1));
    assert!(matches!(parameters.value(), Value::OctetString(s) if s.len() == 17 && s[0] == 0x10));
    assert_eq!(request.to_owned().to_vec(), ACTION_NORMAL);
}

#[test]
fn an_action_request_without_parameters_reencodes() {
    // u9n/dlms-cosem test_transform_bytes_without_data.
    let input = [
        0xC3, 0x01, 0xC0, 0x00, 0x0F, 0x00, 0x00, 0x28, 0x00, 0x00, 0xFF, 0x01, 0x00,
    ];
    let request = ActionRequest::decode(&input).unwrap();
    assert!(matches!(
        request,
        ActionRequest::Normal {
            parameters: None,
            ..
        }
    ));
    assert_eq!(request.to_owned().to_vec(), input);
}

#[test]
fn action_responses_decode_and_reencode() {
    // u9n/dlms-cosem TestActionResponseNormal, ...WithData, ...WithError.
    let plain = [0xC7, 0x01, 0xC0, 0x00, 0x00];
    let ActionResponse::Normal { response, .. } = ActionResponse::decode(&plain).unwrap() else {
        panic!()
    };
    assert_eq!(response.result, ActionResult::SUCCESS);
    assert_eq!(response.return_parameters, None);

    let mut with_data = vec![0xC7, 0x01, 0xC0, 0x00, 0x01, 0x00, 0x09, 0x11]; // success, data
    with_data.extend_from_slice(&[
        0x10, 0x00, 0x00, 0x1A, 0xFD, 0xE8, 0x85, 0x7B, 0x72, 0x8A, 0x34, 0x99, 0x10, 0x6A, 0xA6,
        0x65, 0xD1,
    ]);
    let ActionResponse::Normal { response, .. } = ActionResponse::decode(&with_data).unwrap()
    else {
        panic!()
    };
    assert!(matches!(
        response.return_parameters,
        Some(GetDataResult::Data(d)) if matches!(d.value(), Value::OctetString(s) if s.len() == 17)
    ));

    let with_error = [0xC7, 0x01, 0xC0, 0x00, 0x01, 0x01, 0xFA];
    let ActionResponse::Normal { response, .. } = ActionResponse::decode(&with_error).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        response.return_parameters,
        Some(GetDataResult::DataAccessResult(
            DataAccessResult::OTHER_REASON
        ))
    );
    for input in [&plain[..], &with_data, &with_error] {
        assert_eq!(
            ActionResponse::decode(input).unwrap().to_owned().to_vec(),
            input
        );
    }
}

#[test]
fn action_results_have_their_standard_names() {
    assert_eq!(
        ActionResult::LONG_ACTION_ABORTED.name(),
        "long-action-aborted"
    );
    assert_eq!(ActionResult(250).name(), "other-reason");
    assert_eq!(ActionResult(7).name(), "unknown");
    assert!(ActionResult::ALL.iter().all(|r| r.is_known()));
    assert!(DataAccessResult::ALL.iter().all(|r| r.is_known()));
}

#[test]
fn an_unknown_action_choice_is_refused() {
    assert_eq!(
        ActionRequest::decode(&[0xC3, 0x07, 0xC0]),
        Err(Error::UnknownChoice {
            offset: 1,
            what: "Action-Request choice",
            found: 7
        })
    );
    assert_eq!(
        ActionResponse::decode(&[0xC7, 0x05, 0xC0]),
        Err(Error::UnknownChoice {
            offset: 1,
            what: "Action-Response choice",
            found: 5
        })
    );
}

#[test]
fn every_prefix_of_every_action_vector_fails_without_panicking() {
    every_prefix_fails!(ACTION_NORMAL, ActionRequest::decode);
    every_prefix_fails!(
        [0xC7, 0x01, 0xC0, 0x00, 0x01, 0x01, 0xFA],
        ActionResponse::decode
    );
}
