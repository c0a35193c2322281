//! GET with selective access, SET and ACTION (normal and in blocks) against canned answers.

use std::time::Instant;

use fieldbridge_dlms::apdu::action::{ActionRequest, OwnedActionOutcome, OwnedActionResponse};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, GetRequest, InvokeIdAndPriority,
    MethodDescriptor, OwnedGetDataResult,
};
use fieldbridge_dlms::apdu::initiate::{InitiateResponse, VaaName};
use fieldbridge_dlms::apdu::selective::{
    CaptureObject, OwnedSelectiveAccess, RangeDescriptor, RangeValue,
};
use fieldbridge_dlms::apdu::set::{OwnedSetResponse, SetRequest};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{Data, DateTime};

use super::{associated_with, block};
use crate::session::{Received, Session, SessionConfig, SessionError};

fn invoke(id: u8) -> InvokeIdAndPriority {
    InvokeIdAndPriority::new(id, true, true)
}

/// Granted everything the client proposes, with a meter that takes at most `max` octets.
fn granting(max: u16, conformance: Conformance) -> InitiateResponse {
    InitiateResponse {
        negotiated_quality_of_service: None,
        negotiated_dlms_version_number: 6,
        negotiated_conformance: conformance,
        server_max_receive_pdu_size: max,
        vaa_name: VaaName::LN,
    }
}

fn ready(max: u16) -> Session {
    associated_with(
        SessionConfig::default(),
        granting(max, SessionConfig::DEFAULT_CONFORMANCE),
        Instant::now(),
    )
}

fn disconnector() -> MethodDescriptor {
    MethodDescriptor::new(70, [0, 0, 96, 3, 10, 255], 1)
}

fn export() -> AttributeDescriptor {
    AttributeDescriptor::new(3, [1, 0, 2, 8, 0, 255], 2)
}

fn set_result(id: u8, result: DataAccessResult) -> Vec<u8> {
    OwnedSetResponse::Normal {
        invoke: invoke(id),
        result,
    }
    .to_vec()
}

#[test]
fn a_profile_range_read_sends_selector_one_and_joins_the_blocks() {
    let now = Instant::now();
    let mut session = ready(512);
    let from = DateTime::from_bytes([0x07, 0xE8, 6, 1, 0xFF, 1, 0, 0, 0, 0, 0, 0]);
    let to = DateTime::from_bytes([0x07, 0xE8, 6, 1, 0xFF, 1, 45, 0, 0, 0, 0, 0]);
    let range = RangeDescriptor {
        restricting_object: CaptureObject::new(8, [0, 0, 1, 0, 0, 255], 2, 0),
        from_value: RangeValue::DateTime(from),
        to_value: RangeValue::DateTime(to),
        selected_values: Vec::new(),
    };
    let buffer = AttributeDescriptor::new(7, [1, 0, 99, 1, 0, 255], 2);
    let request = session
        .get_with_selection(buffer, Some(OwnedSelectiveAccess::range(&range)), now)
        .expect("ready");
    let Ok(Apdu::GetRequest(GetRequest::Normal {
        attribute,
        selection: Some(selection),
        ..
    })) = Apdu::decode(&request)
    else {
        panic!("no selective get-request-normal: {request:02X?}");
    };
    assert_eq!(attribute, buffer);
    assert_eq!(selection.selector, 1);
    assert_eq!(selection.range_descriptor().ok(), Some(range));
    // An empty array in two blocks.
    let Ok(Received::Send(_next)) = session.receive(&block(1, 1, false, &[0x01]), now) else {
        panic!("no GET-Request-Next");
    };
    assert_eq!(
        session.receive(&block(1, 2, true, &[0x00]), now).ok(),
        Some(Received::Value(Data::Array(Vec::new())))
    );
}

#[test]
fn a_set_returns_its_data_access_result_and_keeps_the_association() {
    let now = Instant::now();
    let mut session = ready(512);
    let request = session
        .set(export(), Data::DoubleLongUnsigned(5000), now)
        .expect("ready");
    assert_eq!(
        request,
        [0xC1, 0x01, 0xC1, 0x00, 0x03, 1, 0, 2, 8, 0, 255, 0x02, 0x00, 0x06, 0, 0, 0x13, 0x88]
    );
    assert_eq!(
        session
            .receive(&set_result(1, DataAccessResult::SUCCESS), now)
            .ok(),
        Some(Received::Written(DataAccessResult::SUCCESS))
    );
    let _again = session
        .set(export(), Data::DoubleLongUnsigned(1), now)
        .expect("ready");
    assert_eq!(
        session
            .receive(&set_result(2, DataAccessResult::READ_WRITE_DENIED), now)
            .ok(),
        Some(Received::Written(DataAccessResult::READ_WRITE_DENIED))
    );
    assert!(session.is_ready());
}

#[test]
fn a_set_answer_with_another_invoke_id_is_an_error() {
    let now = Instant::now();
    let mut session = ready(512);
    let _request = session
        .set(export(), Data::Unsigned(1), now)
        .expect("ready");
    let error = session
        .receive(&set_result(9, DataAccessResult::SUCCESS), now)
        .expect_err("wrong invoke-id");
    assert!(
        matches!(
            error,
            SessionError::InvokeId {
                expected: 1,
                found: 9
            }
        ),
        "{error}"
    );
}

#[test]
fn an_action_returns_its_result_and_return_parameters() {
    let now = Instant::now();
    let mut session = ready(512);
    let request = session
        .action(disconnector(), Some(Data::Integer(0)), now)
        .expect("ready");
    assert_eq!(
        request,
        [0xC3, 0x01, 0xC1, 0x00, 0x46, 0, 0, 96, 3, 10, 255, 0x01, 0x01, 0x0F, 0x00]
    );
    let answer = OwnedActionResponse::Normal {
        invoke: invoke(1),
        response: OwnedActionOutcome {
            result: ActionResult::SUCCESS,
            return_parameters: Some(OwnedGetDataResult::Data(Data::Boolean(false))),
        },
    }
    .to_vec();
    assert_eq!(
        session.receive(&answer, now).ok(),
        Some(Received::Invoked {
            result: ActionResult::SUCCESS,
            returned: Some(OwnedGetDataResult::Data(Data::Boolean(false))),
        })
    );
    assert!(session.is_ready());
}

#[test]
fn a_refused_action_names_its_result() {
    let now = Instant::now();
    let mut session = ready(512);
    let _request = session.action(disconnector(), None, now).expect("ready");
    let answer = OwnedActionResponse::Normal {
        invoke: invoke(1),
        response: OwnedActionOutcome {
            result: ActionResult::TEMPORARY_FAILURE,
            return_parameters: None,
        },
    }
    .to_vec();
    assert_eq!(
        session.receive(&answer, now).ok(),
        Some(Received::Invoked {
            result: ActionResult::TEMPORARY_FAILURE,
            returned: None,
        })
    );
}

#[test]
fn a_set_longer_than_the_meter_takes_goes_in_acknowledged_blocks() {
    let now = Instant::now();
    let mut session = ready(64);
    let value = Data::OctetString((0u8..100).collect());
    let first = session.set(export(), value.clone(), now).expect("ready");
    assert!(first.len() <= 64, "{} octets", first.len());
    let mut raw = Vec::new();
    let mut request = first;
    let mut number = 1u32;
    loop {
        let (block, last) = match Apdu::decode(&request) {
            Ok(Apdu::SetRequest(SetRequest::WithFirstDatablock { block, .. }))
            | Ok(Apdu::SetRequest(SetRequest::WithDatablock { block, .. })) => {
                assert_eq!(block.block_number, number);
                (block.raw_data.to_vec(), block.last_block)
            }
            other => panic!("not a datablock: {other:?}"),
        };
        raw.extend_from_slice(&block);
        if last {
            break;
        }
        let ack = OwnedSetResponse::Datablock {
            invoke: invoke(1),
            block_number: number,
        }
        .to_vec();
        let Ok(Received::Send(next)) = session.receive(&ack, now) else {
            panic!("block {number} acknowledged, no next block");
        };
        assert!(next.len() <= 64);
        request = next;
        number += 1;
    }
    assert!(number > 1);
    assert_eq!(raw, value.to_vec());
    let done = OwnedSetResponse::LastDatablock {
        invoke: invoke(1),
        result: DataAccessResult::SUCCESS,
        block_number: number,
    }
    .to_vec();
    assert_eq!(
        session.receive(&done, now).ok(),
        Some(Received::Written(DataAccessResult::SUCCESS))
    );
}

#[test]
fn an_action_longer_than_the_meter_takes_goes_in_pblocks() {
    let now = Instant::now();
    let mut session = ready(48);
    let parameters = Data::OctetString(vec![0x55; 60]);
    let first = session
        .action(disconnector(), Some(parameters.clone()), now)
        .expect("ready");
    let Ok(Apdu::ActionRequest(ActionRequest::WithFirstPblock { block, .. })) =
        Apdu::decode(&first)
    else {
        panic!("not a with-first-pblock");
    };
    let mut raw = block.raw_data.to_vec();
    let ack = OwnedActionResponse::NextPblock {
        invoke: invoke(1),
        block_number: 1,
    }
    .to_vec();
    let Ok(Received::Send(second)) = session.receive(&ack, now) else {
        panic!("no second block");
    };
    let Ok(Apdu::ActionRequest(ActionRequest::WithPblock { block, .. })) = Apdu::decode(&second)
    else {
        panic!("not a with-pblock");
    };
    assert_eq!(block.block_number, 2);
    raw.extend_from_slice(block.raw_data);
    if block.last_block {
        assert_eq!(raw, parameters.to_vec());
    }
    let wrong = OwnedActionResponse::NextPblock {
        invoke: invoke(1),
        block_number: 1,
    }
    .to_vec();
    let error = session.receive(&wrong, now).expect_err("block 1 again");
    assert!(matches!(error, SessionError::Unexpected { .. }), "{error}");
}

#[test]
fn a_long_set_without_block_transfer_granted_is_refused_before_sending() {
    let mut session = associated_with(
        SessionConfig::default(),
        granting(32, Conformance::GET | Conformance::SET),
        Instant::now(),
    );
    let error = session
        .set(export(), Data::OctetString(vec![0; 40]), Instant::now())
        .expect_err("too long");
    assert!(
        matches!(error, SessionError::TooLong { max: 32, .. }),
        "{error}"
    );
}

#[test]
fn a_set_before_the_association_is_refused() {
    let mut session = Session::new(SessionConfig::default());
    let error = session
        .set(export(), Data::Unsigned(1), Instant::now())
        .expect_err("idle");
    assert!(matches!(error, SessionError::State { .. }), "{error}");
}
