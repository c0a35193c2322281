//! Short name referencing against the canned SN meter of [`super::sn_meter`].

use std::time::Instant;

use fieldbridge_dlms::apdu::association::{
    AarqView, ApplicationContextName, AssociationResult, MechanismName, OwnedAare,
    SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, DataAccessResult, InvokeIdAndPriority, MethodDescriptor, OwnedGetDataResult,
    OwnedGetResponse,
};
use fieldbridge_dlms::apdu::selective::OwnedSelectiveAccess;
use fieldbridge_dlms::apdu::sn::{OwnedReadResult, OwnedVariableAccess, WriteResult};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::obis::ObisCode;
use fieldbridge_dlms::security::SecurityPolicy;

use super::meter::{self as hls_meter, Meter, CLIENT, SERVER};
use super::sn_meter::{
    aare, associated, attribute, blocks, encoded_object_list, granted, object_list, objects,
    read_of, read_response, refused, value, write_of, write_response, CLOCK, DISCONNECT, ENERGY,
    PROFILE, SECURITY_SETUP,
};
use crate::session::{
    Authentication, Received, Referencing, Security, Session, SessionConfig, SessionError,
};

fn sn() -> SessionConfig {
    SessionConfig::short_names()
}

#[test]
fn an_sn_session_proposes_the_sn_context_and_conformance() {
    let mut session = Session::new(sn());
    let aarq = session.associate(Instant::now());
    let view = AarqView::decode(&aarq).expect("our AARQ decodes");
    assert_eq!(
        view.application_context_name,
        ApplicationContextName::ShortName
    );
    let Some(UserInformation::InitiateRequest(initiate)) = view.user_information else {
        panic!("no InitiateRequest in clear");
    };
    assert_eq!(
        initiate.proposed_conformance,
        Conformance::READ
            | Conformance::WRITE
            | Conformance::UNCONFIRMED_WRITE
            | Conformance::MULTIPLE_REFERENCES
            | Conformance::INFORMATION_REPORT
            | Conformance::PARAMETERIZED_ACCESS
    );
}

#[test]
fn the_ln_default_conformance_becomes_the_sn_one_under_short_names() {
    let config = SessionConfig {
        referencing: Referencing::ShortNames,
        ..SessionConfig::default()
    };
    assert_eq!(
        config.proposed_conformance(),
        SessionConfig::DEFAULT_SN_CONFORMANCE
    );
    let chosen = SessionConfig {
        conformance: SessionConfig::DEFAULT_SN_CONFORMANCE
            | Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ,
        ..config
    };
    assert_eq!(chosen.proposed_conformance(), chosen.conformance);
    assert_eq!(
        SessionConfig::default().proposed_conformance(),
        SessionConfig::DEFAULT_CONFORMANCE
    );
}

#[test]
fn the_association_counts_as_up_only_once_the_object_list_is_in() {
    let now = Instant::now();
    let mut session = Session::new(sn());
    let _aarq = session.associate(now);
    let Ok(Received::Send(request)) = session.receive(&aare(granted()), now) else {
        panic!("the AARE should lead to the object list read");
    };
    assert_eq!(request, [0x05, 0x01, 0x02, 0xFA, 0x08]);
    assert!(!session.is_associated());
    assert!(session.get(attribute(3, ENERGY, 2), now).is_err());
    assert!(session.deadline().is_some());
    let answer = value(object_list(&objects()));
    assert_eq!(
        session.receive(&answer, now).ok(),
        Some(Received::Associated(granted()))
    );
    assert!(session.is_ready());
    assert_eq!(session.granted(), Some(&granted()));
    assert_eq!(session.short_names().len(), objects().len());
    let energy = session.short_names().object(3, ENERGY).copied();
    assert_eq!(energy.map(|o| o.base_name), Some(0x2000));
}

#[test]
fn the_object_list_in_blocks_is_acknowledged_block_by_block_and_joined() {
    let now = Instant::now();
    let mut session = Session::new(sn());
    let _aarq = session.associate(now);
    let _list = session.receive(&aare(granted()), now);
    let parts = blocks(&encoded_object_list(), 30);
    assert!(parts.len() >= 3);
    let (last, first) = parts.split_last().expect("blocks");
    for (number, part) in (1u16..).zip(first) {
        let Ok(Received::Send(next)) = session.receive(part, now) else {
            panic!("block {number} did not ask for the next");
        };
        // ReadRequest, one variable, block-number-access of the block just received.
        assert_eq!(next, [0x05, 0x01, 0x05, 0x00, number as u8]);
    }
    assert_eq!(
        session.receive(last, now).ok(),
        Some(Received::Associated(granted()))
    );
    assert_eq!(session.short_names().len(), objects().len());
}

#[test]
fn blocks_that_join_into_the_result_sequence_are_taken_too() {
    let now = Instant::now();
    let mut session = Session::new(sn());
    let _aarq = session.associate(now);
    let _list = session.receive(&aare(granted()), now);
    // The raw-data as jDLMS reads it: the ReadResponse's SEQUENCE OF results, tag dropped.
    let whole = value(object_list(&objects()));
    let parts = blocks(&whole[1..], 40);
    let (last, first) = parts.split_last().expect("blocks");
    for part in first {
        assert!(matches!(session.receive(part, now), Ok(Received::Send(_))));
    }
    assert!(matches!(
        session.receive(last, now),
        Ok(Received::Associated(_))
    ));
    assert_eq!(session.short_names().len(), objects().len());
}

#[test]
fn a_register_value_and_its_scaler_unit_are_read_by_their_short_names() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    assert_eq!(read_of(&request), OwnedVariableAccess::VariableName(0x2008));
    assert_eq!(
        session
            .receive(&value(Data::DoubleLongUnsigned(12_345_678)), now)
            .ok(),
        Some(Received::Value(Data::DoubleLongUnsigned(12_345_678)))
    );
    let request = session.get(attribute(3, ENERGY, 3), now).expect("ready");
    assert_eq!(read_of(&request), OwnedVariableAccess::VariableName(0x2010));
    let scaler_unit = Data::Structure(vec![Data::Integer(-3), Data::Enum(30)]);
    assert_eq!(
        session.receive(&value(scaler_unit.clone()), now).ok(),
        Some(Received::Value(scaler_unit))
    );
    assert!(session.is_ready());
}

#[test]
fn the_clock_time_is_read_by_its_short_name() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let request = session.get(attribute(8, CLOCK, 2), now).expect("ready");
    assert_eq!(read_of(&request), OwnedVariableAccess::VariableName(0x2108));
    let time = Data::OctetString(vec![
        0x07, 0xE8, 0x06, 0x0F, 0x06, 0x0C, 0x00, 0x00, 0x00, 0xFF, 0x88, 0x00,
    ]);
    assert_eq!(
        session.receive(&value(time.clone()), now).ok(),
        Some(Received::Value(time))
    );
}

#[test]
fn a_value_in_blocks_is_joined_and_a_selection_goes_as_parameterized_access() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let entries = Data::Structure(vec![
        Data::DoubleLongUnsigned(1),
        Data::DoubleLongUnsigned(96),
        Data::LongUnsigned(1),
        Data::LongUnsigned(0),
    ]);
    let selection = OwnedSelectiveAccess {
        selector: 2,
        parameters: entries.clone(),
    };
    let request = session
        .get_with_selection(attribute(7, PROFILE, 2), Some(selection), now)
        .expect("ready");
    assert_eq!(
        read_of(&request),
        OwnedVariableAccess::ParameterizedAccess {
            variable_name: 0x2408,
            selector: 2,
            parameter: entries,
        }
    );
    let buffer = Data::Array((0..40u32).map(Data::DoubleLongUnsigned).collect());
    let mut encoded = Vec::new();
    buffer.encode(&mut encoded);
    let parts = blocks(&encoded, 64);
    let (last, first) = parts.split_last().expect("blocks");
    for part in first {
        assert!(matches!(session.receive(part, now), Ok(Received::Send(_))));
    }
    assert_eq!(
        session.receive(last, now).ok(),
        Some(Received::Value(buffer))
    );
    assert!(session.is_ready());
}

#[test]
fn a_data_access_error_is_a_refusal_and_keeps_the_association() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let _request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    assert_eq!(
        session
            .receive(&refused(DataAccessResult::READ_WRITE_DENIED), now)
            .ok(),
        Some(Received::Refused(DataAccessResult::READ_WRITE_DENIED))
    );
    assert!(session.is_ready());
}

#[test]
fn an_object_not_in_the_list_is_refused_before_sending_and_the_session_stays_ready() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let error = session
        .get(attribute(3, [1, 0, 2, 8, 0, 255], 2), now)
        .expect_err("not listed");
    assert!(
        matches!(error, SessionError::UnknownObject { class_id: 3, logical_name }
            if logical_name == ObisCode::new(1, 0, 2, 8, 0, 255)),
        "{error}"
    );
    assert_eq!(
        error.object_undefined(),
        Some(DataAccessResult::OBJECT_UNDEFINED)
    );
    assert!(error.to_string().contains("1-0:2.8.0*255"), "{error}");
    // Listed under another class is not the same object.
    assert!(session.get(attribute(4, ENERGY, 2), now).is_err());
    assert!(session.is_ready());
    assert!(session.get(attribute(3, ENERGY, 2), now).is_ok());
}

#[test]
fn a_write_goes_as_a_write_request_and_comes_back_as_written() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let time = Data::OctetString(vec![0x07, 0xE8, 6, 15, 0xFF, 6, 0, 0, 0, 0, 0, 0]);
    let request = session
        .set(attribute(8, CLOCK, 2), time.clone(), now)
        .expect("ready");
    assert_eq!(
        write_of(&request),
        (OwnedVariableAccess::VariableName(0x2108), time)
    );
    assert_eq!(
        session
            .receive(&write_response(WriteResult::Success), now)
            .ok(),
        Some(Received::Written(DataAccessResult::SUCCESS))
    );
    let _request = session
        .set(attribute(3, ENERGY, 2), Data::DoubleLongUnsigned(0), now)
        .expect("ready");
    let denied = WriteResult::DataAccessError(DataAccessResult::READ_WRITE_DENIED);
    assert_eq!(
        session.receive(&write_response(denied), now).ok(),
        Some(Received::Written(DataAccessResult::READ_WRITE_DENIED))
    );
    assert!(session.is_ready());
}

#[test]
fn a_method_goes_as_a_write_request_on_its_short_name() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    // remote_reconnect, method 2 of the disconnect control: x + 0x20 + 8.
    let reconnect = MethodDescriptor::new(70, DISCONNECT, 2);
    let request = session
        .action(reconnect, Some(Data::Integer(0)), now)
        .expect("ready");
    assert_eq!(
        write_of(&request),
        (OwnedVariableAccess::VariableName(0x2328), Data::Integer(0))
    );
    assert_eq!(
        session
            .receive(&write_response(WriteResult::Success), now)
            .ok(),
        Some(Received::Invoked {
            result: ActionResult::SUCCESS,
            returned: None
        })
    );
    // reset of the profile, without parameters: null-data, at x + 0x58.
    let reset = MethodDescriptor::new(7, PROFILE, 1);
    let request = session.action(reset, None, now).expect("ready");
    assert_eq!(
        write_of(&request),
        (OwnedVariableAccess::VariableName(0x2458), Data::Null)
    );
    let denied = WriteResult::DataAccessError(DataAccessResult::READ_WRITE_DENIED);
    assert_eq!(
        session.receive(&write_response(denied), now).ok(),
        Some(Received::Invoked {
            result: ActionResult::READ_WRITE_DENIED,
            returned: None
        })
    );
}

#[test]
fn a_method_without_a_known_short_name_is_refused_before_sending() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let activate = MethodDescriptor::new(64, SECURITY_SETUP, 1);
    let error = session.action(activate, None, now).expect_err("no offset");
    assert!(
        matches!(error, SessionError::NoShortName { class_id: 64, .. }),
        "{error}"
    );
    let third = MethodDescriptor::new(70, DISCONNECT, 3);
    let error = session.action(third, None, now).expect_err("no method 3");
    assert_eq!(
        error.object_undefined(),
        Some(DataAccessResult::OBJECT_UNDEFINED)
    );
    assert!(session.is_ready());
}

#[test]
fn an_ln_get_response_to_an_sn_read_is_unexpected_and_ends_the_association() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let _request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    let ln = OwnedGetResponse::Normal {
        invoke: InvokeIdAndPriority::new(1, true, true),
        result: OwnedGetDataResult::Data(Data::DoubleLongUnsigned(1)),
    }
    .to_vec();
    let error = session.receive(&ln, now).expect_err("LN answer to SN");
    assert!(
        matches!(
            error,
            SessionError::Unexpected {
                expected: "a ReadResponse",
                found: "get-response"
            }
        ),
        "{error}"
    );
    assert!(!session.is_associated());
}

#[test]
fn a_refused_object_list_ends_the_association_with_its_reason() {
    let now = Instant::now();
    let mut session = Session::new(sn());
    let _aarq = session.associate(now);
    let _list = session.receive(&aare(granted()), now);
    let error = session
        .receive(&refused(DataAccessResult::READ_WRITE_DENIED), now)
        .expect_err("no list");
    assert!(
        matches!(
            error,
            SessionError::ObjectListRefused(DataAccessResult::READ_WRITE_DENIED)
        ),
        "{error}"
    );
    assert!(!session.is_associated());
}

#[test]
fn a_malformed_object_list_is_unexpected() {
    let now = Instant::now();
    for list in [
        Data::Structure(vec![]),
        Data::Array(vec![Data::Structure(vec![
            Data::Long(0x2000),
            Data::LongUnsigned(3),
            Data::Unsigned(0),
            Data::OctetString(vec![1, 0, 1, 8, 0]),
        ])]),
        Data::Array(vec![Data::Unsigned(3)]),
    ] {
        let mut session = Session::new(sn());
        let _aarq = session.associate(now);
        let _list = session.receive(&aare(granted()), now);
        let error = session.receive(&value(list), now).expect_err("malformed");
        assert!(matches!(error, SessionError::Unexpected { .. }), "{error}");
        assert!(!session.is_associated());
    }
}

#[test]
fn a_block_out_of_sequence_or_past_the_limit_ends_the_association() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let _request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    let parts = blocks(&[0x09, 0x06, 1, 2, 3, 4, 5, 6], 3);
    let error = session.receive(&parts[1], now).expect_err("block 2 first");
    assert!(matches!(error, SessionError::Codec(_)), "{error}");
    assert!(!session.is_associated());

    let config = SessionConfig {
        max_value_len: 4,
        ..sn()
    };
    let mut session = associated(config, now);
    let _request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    assert!(session.receive(&parts[0], now).is_ok());
    let error = session.receive(&parts[1], now).expect_err("past 4 octets");
    assert!(matches!(error, SessionError::Codec(_)), "{error}");
}

#[test]
fn a_response_with_two_results_or_a_block_number_is_unexpected() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let _request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    let mut two = Vec::new();
    fieldbridge_dlms::apdu::sn::encode_read_response(
        &[
            OwnedReadResult::Data(Data::Unsigned(1)),
            OwnedReadResult::Data(Data::Unsigned(2)),
        ],
        &mut two,
    );
    let error = session.receive(&two, now).expect_err("two results");
    assert!(matches!(error, SessionError::Unexpected { .. }), "{error}");

    let mut session = associated(sn(), now);
    let _request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    let ack = read_response(OwnedReadResult::BlockNumber(1));
    let error = session.receive(&ack, now).expect_err("a block-number");
    assert!(matches!(error, SessionError::Unexpected { .. }), "{error}");
}

#[test]
fn a_write_longer_than_the_meter_takes_is_refused_before_sending() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    let long = Data::OctetString(vec![0x55; 600]);
    let error = session
        .set(attribute(3, ENERGY, 2), long, now)
        .expect_err("600 octets for a 512-octet meter");
    assert!(
        matches!(error, SessionError::TooLong { max: 512, .. }),
        "{error}"
    );
    assert!(session.is_ready());
}

#[test]
fn hls_gmac_with_short_names_is_refused_with_a_clear_error() {
    let config = SessionConfig {
        referencing: Referencing::ShortNames,
        ..hls_meter::hls_config(None)
    };
    let mut session = Session::new(config);
    let error = session
        .try_associate(Instant::now())
        .expect_err("HLS over SN");
    assert!(matches!(error, SessionError::Config { .. }), "{error}");
    assert!(error.to_string().contains("0xFA58"), "{error}");
}

#[test]
fn a_release_of_an_sn_association_is_the_same_rlrq() {
    let now = Instant::now();
    let mut session = associated(sn(), now);
    assert_eq!(session.release(now), [0x62, 0x03, 0x80, 0x01, 0x00]);
    assert!(session.short_names().len() == objects().len());
}

/// A ciphered SN association with low-level security: the AARE with the meter's title and a
/// glo-initiate-response, then glo-read-requests and glo-read-responses.
#[test]
fn a_ciphered_sn_session_reads_with_glo_read_requests() {
    let now = Instant::now();
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let config = SessionConfig {
        authentication: Authentication::Low {
            password: b"12345678".to_vec(),
        },
        security: Some(Security {
            system_title: CLIENT,
            keys: fieldbridge_dlms::security::Keys::new(hls_meter::EK, hls_meter::AK),
            policy: Some(policy),
            general_ciphering: false,
        }),
        ..sn()
    };
    let mut session = Session::with_invocation_counter(config, 100);
    let mut meter = Meter::new(Some(policy));
    let aarq = session.associate(now);
    let view = AarqView::decode(&aarq).expect("our AARQ decodes");
    assert_eq!(
        view.application_context_name,
        ApplicationContextName::ShortNameCiphered
    );
    assert_eq!(view.mechanism_name, Some(MechanismName::Low));
    assert_eq!(view.client_system_title(), Some(CLIENT));
    let Some(UserInformation::Ciphered(initiate)) = view.user_information else {
        panic!("the InitiateRequest is not ciphered");
    };
    assert!(matches!(
        Apdu::decode(&meter.open(initiate)),
        Ok(Apdu::InitiateRequest(_))
    ));
    let mut plain_initiate = Vec::new();
    granted().encode(&mut plain_initiate);
    let mut accepted = OwnedAare::new(
        ApplicationContextName::ShortNameCiphered,
        AssociationResult::Accepted,
        SourceDiagnostic::NULL,
    );
    accepted.responding_ap_title = Some(SERVER.to_vec());
    accepted.mechanism_name = Some(MechanismName::Low);
    accepted.user_information = Some(UserInformation::Ciphered(meter.seal(&plain_initiate)));
    let mut wire = Vec::new();
    accepted.encode(&mut wire);
    let Ok(Received::Send(list_request)) = session.receive(&wire, now) else {
        panic!("the AARE did not lead to the object list read");
    };
    // glo-read-request (37) around the ReadRequest of 0xFA08.
    assert_eq!(list_request.first(), Some(&37));
    assert_eq!(meter.open(&list_request), [0x05, 0x01, 0x02, 0xFA, 0x08]);
    let list = meter.seal(&value(object_list(&objects())));
    assert_eq!(list.first(), Some(&44), "glo-read-response");
    assert!(matches!(
        session.receive(&list, now),
        Ok(Received::Associated(_))
    ));
    let request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    assert_eq!(
        read_of(&meter.open(&request)),
        OwnedVariableAccess::VariableName(0x2008)
    );
    let answer = meter.seal(&value(Data::DoubleLongUnsigned(7)));
    assert_eq!(
        session.receive(&answer, now).ok(),
        Some(Received::Value(Data::DoubleLongUnsigned(7)))
    );
    // A ReadResponse in clear is refused under the policy.
    let _request = session.get(attribute(3, ENERGY, 2), now).expect("ready");
    let error = session
        .receive(&value(Data::DoubleLongUnsigned(7)), now)
        .expect_err("in clear");
    assert!(matches!(error, SessionError::Unprotected { .. }), "{error}");
    // The AARQ took 100, then the object list, the read and the second read.
    assert_eq!(session.invocation_counter(), 104);
}
