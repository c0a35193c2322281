//! The session against canned meter answers built with the codec.

mod ciphering;
mod commands;
mod hls;
mod meter;
mod oracle;
mod sn;
mod sn_meter;
mod sn_oracle;

use super::*;
use std::time::Duration;

use fieldbridge_dlms::apdu::association::{
    AarqView, AcseRequirements, AcseServiceUser, ApplicationContextName, AssociationResult,
    MechanismName, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, GetRequest, OwnedBlockResult, OwnedDataBlockG, OwnedGetDataResult,
    OwnedGetResponse,
};
use fieldbridge_dlms::apdu::initiate::VaaName;
use fieldbridge_dlms::apdu::release::{
    OwnedReleaseResponse, ReleaseRequest, ReleaseResponseReason,
};

/// The energy register 1-0:1.8.0*255, attribute 2.
fn energy() -> AttributeDescriptor {
    AttributeDescriptor::new(3, [1, 0, 1, 8, 0, 255], 2)
}

fn granted() -> InitiateResponse {
    InitiateResponse {
        negotiated_quality_of_service: None,
        negotiated_dlms_version_number: 6,
        negotiated_conformance: Conformance::GET | Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ,
        server_max_receive_pdu_size: 512,
        vaa_name: VaaName::LN,
    }
}

fn aare_accepted() -> Vec<u8> {
    let mut aare = OwnedAare::new(
        ApplicationContextName::LogicalName,
        AssociationResult::Accepted,
        SourceDiagnostic::NULL,
    );
    aare.user_information = Some(UserInformation::InitiateResponse(granted()));
    let mut out = Vec::new();
    aare.encode(&mut out);
    out
}

fn get_normal(invoke: u8, result: OwnedGetDataResult) -> Vec<u8> {
    OwnedGetResponse::Normal {
        invoke: InvokeIdAndPriority::new(invoke, true, true),
        result,
    }
    .to_vec()
}

fn block(invoke: u8, number: u32, last: bool, raw: &[u8]) -> Vec<u8> {
    OwnedGetResponse::WithDatablock {
        invoke: InvokeIdAndPriority::new(invoke, true, true),
        block: OwnedDataBlockG {
            last_block: last,
            block_number: number,
            result: OwnedBlockResult::RawData(raw.to_vec()),
        },
    }
    .to_vec()
}

/// A session associated (no authentication) with a meter that granted `granted`.
fn associated_with(config: SessionConfig, granted: InitiateResponse, now: Instant) -> Session {
    let mut session = Session::new(config);
    let _aarq = session.associate(now);
    let mut aare = OwnedAare::new(
        ApplicationContextName::LogicalName,
        AssociationResult::Accepted,
        SourceDiagnostic::NULL,
    );
    aare.user_information = Some(UserInformation::InitiateResponse(granted));
    let mut wire = Vec::new();
    aare.encode(&mut wire);
    assert_eq!(
        session.receive(&wire, now).ok(),
        Some(Received::Associated(granted))
    );
    session
}

fn associated(config: SessionConfig, now: Instant) -> Session {
    let mut session = Session::new(config);
    let _aarq = session.associate(now);
    let received = session.receive(&aare_accepted(), now);
    assert_eq!(received.ok(), Some(Received::Associated(granted())));
    session
}

#[test]
fn an_association_without_authentication_sends_a_plain_aarq_and_takes_the_aare() {
    let now = Instant::now();
    let mut session = Session::new(SessionConfig::default());
    let aarq = session.associate(now);
    let view = AarqView::decode(&aarq).expect("our AARQ decodes");
    assert_eq!(view.mechanism_name, None);
    assert!(matches!(
        view.user_information,
        Some(UserInformation::InitiateRequest(_))
    ));
    assert!(!session.is_associated());
    assert!(matches!(
        session.receive(&aare_accepted(), now),
        Ok(Received::Associated(_))
    ));
    assert!(session.is_ready());
    assert_eq!(session.granted(), Some(&granted()));
    assert_eq!(session.deadline(), None);
}

#[test]
fn a_low_level_association_sends_the_password() {
    let config = SessionConfig {
        authentication: Authentication::Low {
            password: b"12345678".to_vec(),
        },
        ..SessionConfig::default()
    };
    let mut session = Session::new(config);
    let aarq = session.associate(Instant::now());
    let view = AarqView::decode(&aarq).expect("our AARQ decodes");
    assert_eq!(view.mechanism_name, Some(MechanismName::Low));
    assert_eq!(
        view.sender_acse_requirements,
        Some(AcseRequirements::AUTHENTICATION)
    );
    assert_eq!(
        view.calling_authentication_value
            .map(|v| v.bytes().to_vec()),
        Some(b"12345678".to_vec())
    );
    assert!(!format!("{:?}", session).contains("12345678"));
}

#[test]
fn a_refused_association_names_the_diagnostic_and_leaves_the_session_idle() {
    let now = Instant::now();
    let mut session = Session::new(SessionConfig::default());
    let _aarq = session.associate(now);
    let mut aare = OwnedAare::new(
        ApplicationContextName::LogicalName,
        AssociationResult::RejectedPermanent,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE),
    );
    aare.user_information = Some(UserInformation::InitiateResponse(granted()));
    let mut wire = Vec::new();
    aare.encode(&mut wire);
    let error = session.receive(&wire, now).expect_err("refused");
    assert!(matches!(error, SessionError::Rejected { .. }), "{error}");
    assert!(
        error.to_string().contains("authentication-failure"),
        "{error}"
    );
    assert!(!session.is_associated());
}

#[test]
fn a_get_normal_returns_the_value_and_the_invoke_id_moves_on() {
    let now = Instant::now();
    let mut session = associated(SessionConfig::default(), now);
    let request = session.get(energy(), now).expect("associated");
    let Ok(Apdu::GetRequest(GetRequest::Normal {
        invoke, attribute, ..
    })) = Apdu::decode(&request)
    else {
        panic!("not a get-request-normal: {request:02X?}");
    };
    assert_eq!(attribute, energy());
    let first = invoke.invoke_id();
    let answer = get_normal(
        first,
        OwnedGetDataResult::Data(Data::DoubleLongUnsigned(12_345)),
    );
    assert_eq!(
        session.receive(&answer, now).ok(),
        Some(Received::Value(Data::DoubleLongUnsigned(12_345)))
    );
    let again = session.get(energy(), now).expect("ready again");
    let Ok(Apdu::GetRequest(GetRequest::Normal { invoke, .. })) = Apdu::decode(&again) else {
        panic!("not a get-request-normal");
    };
    assert_ne!(invoke.invoke_id(), first);
}

#[test]
fn a_refused_get_keeps_the_association() {
    let now = Instant::now();
    let mut session = associated(SessionConfig::default(), now);
    let _request = session.get(energy(), now).expect("associated");
    let answer = get_normal(
        1,
        OwnedGetDataResult::DataAccessResult(DataAccessResult::OBJECT_UNDEFINED),
    );
    assert_eq!(
        session.receive(&answer, now).ok(),
        Some(Received::Refused(DataAccessResult::OBJECT_UNDEFINED))
    );
    assert!(session.is_ready());
}

#[test]
fn a_value_in_three_blocks_asks_for_the_next_two_and_joins_them() {
    let now = Instant::now();
    let mut session = associated(SessionConfig::default(), now);
    let _request = session.get(energy(), now).expect("associated");
    // An octet-string of 6 octets (09 06 ...) cut in three blocks.
    let whole = [0x09, 0x06, 1, 2, 3, 4, 5, 6];
    let parts: [&[u8]; 3] = [&whole[..3], &whole[3..6], &whole[6..]];
    for (number, part) in (1u32..).zip(parts.iter().take(2)) {
        let Ok(Received::Send(next)) = session.receive(&block(1, number, false, part), now) else {
            panic!("block {number} did not ask for the next");
        };
        let Ok(Apdu::GetRequest(GetRequest::Next { block_number, .. })) = Apdu::decode(&next)
        else {
            panic!("not a get-request-next");
        };
        assert_eq!(block_number, number);
    }
    assert_eq!(
        session.receive(&block(1, 3, true, parts[2]), now).ok(),
        Some(Received::Value(Data::OctetString(vec![1, 2, 3, 4, 5, 6])))
    );
    assert!(session.is_ready());
}

#[test]
fn a_block_out_of_sequence_is_an_error_and_ends_the_association() {
    let now = Instant::now();
    let mut session = associated(SessionConfig::default(), now);
    let _request = session.get(energy(), now).expect("associated");
    let error = session
        .receive(&block(1, 2, false, &[0x09]), now)
        .expect_err("block 2 first");
    assert!(matches!(error, SessionError::Codec(_)), "{error}");
    assert!(!session.is_associated());
}

#[test]
fn blocks_past_the_limit_are_refused() {
    let now = Instant::now();
    let config = SessionConfig {
        max_value_len: 4,
        ..SessionConfig::default()
    };
    let mut session = associated(config, now);
    let _request = session.get(energy(), now).expect("associated");
    let error = session
        .receive(&block(1, 1, false, &[0x09, 0x06, 1, 2, 3]), now)
        .expect_err("too long");
    assert!(matches!(error, SessionError::Codec(_)), "{error}");
}

#[test]
fn an_answer_with_another_invoke_id_is_an_error() {
    let now = Instant::now();
    let mut session = associated(SessionConfig::default(), now);
    let _request = session.get(energy(), now).expect("associated");
    let answer = get_normal(7, OwnedGetDataResult::Data(Data::Unsigned(1)));
    let error = session.receive(&answer, now).expect_err("wrong invoke-id");
    assert!(
        matches!(
            error,
            SessionError::InvokeId {
                expected: 1,
                found: 7
            }
        ),
        "{error}"
    );
    assert!(!session.is_associated());
}

#[test]
fn garbage_from_the_meter_is_a_codec_error_and_ends_the_association() {
    let now = Instant::now();
    let mut session = associated(SessionConfig::default(), now);
    let _request = session.get(energy(), now).expect("associated");
    let error = session
        .receive(&[0xC4, 0x01, 0xC1, 0x00, 0x06, 0x00], now)
        .expect_err("cut short");
    assert!(matches!(error, SessionError::Codec(_)), "{error}");
    assert!(!session.is_associated());
}

#[test]
fn an_apdu_out_of_turn_is_unexpected() {
    let now = Instant::now();
    let mut session = Session::new(SessionConfig::default());
    let _aarq = session.associate(now);
    let answer = get_normal(1, OwnedGetDataResult::Data(Data::Unsigned(1)));
    let error = session.receive(&answer, now).expect_err("GET before AARE");
    assert!(matches!(error, SessionError::Unexpected { .. }), "{error}");
}

#[test]
fn a_get_before_the_association_is_refused() {
    let mut session = Session::new(SessionConfig::default());
    let error = session
        .get(energy(), Instant::now())
        .expect_err("not associated");
    assert!(matches!(error, SessionError::State { .. }), "{error}");
}

#[test]
fn a_late_answer_times_out_and_the_session_associates_again() {
    let now = Instant::now();
    let config = SessionConfig {
        timeout: Duration::from_secs(5),
        ..SessionConfig::default()
    };
    let mut session = associated(config, now);
    let _request = session.get(energy(), now).expect("associated");
    assert!(session.check_timeout(now + Duration::from_secs(4)).is_ok());
    let error = session
        .check_timeout(now + Duration::from_secs(5))
        .expect_err("late");
    assert!(matches!(error, SessionError::Timeout(_)), "{error}");
    assert!(!session.is_associated());
    let later = now + Duration::from_secs(6);
    let _aarq = session.associate(later);
    assert!(session.receive(&aare_accepted(), later).is_ok());
    assert!(session.is_ready());
}

#[test]
fn a_release_sends_an_rlrq_and_the_rlre_ends_the_association() {
    let now = Instant::now();
    let mut session = associated(SessionConfig::default(), now);
    let rlrq = session.release(now);
    assert!(matches!(
        Apdu::decode(&rlrq),
        Ok(Apdu::ReleaseRequest(ReleaseRequest {
            reason: Some(ReleaseRequestReason::NORMAL),
            ..
        }))
    ));
    let rlre = OwnedReleaseResponse {
        reason: Some(ReleaseResponseReason::NORMAL),
        user_information: None,
    };
    let mut wire = Vec::new();
    rlre.encode(&mut wire);
    assert_eq!(session.receive(&wire, now).ok(), Some(Received::Released));
    assert!(!session.is_associated());
}
