//! Security suite 0 against the canned meter: the ciphered AARQ, glo- and general-glo-
//! requests with growing counters, and every way an answer is refused.

use std::time::Instant;

use fieldbridge_dlms::apdu::association::{AarqView, ApplicationContextName, UserInformation};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    GetRequest, InvokeIdAndPriority, OwnedGetDataResult, OwnedGetResponse,
};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, CipheredTag, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
};

use super::energy;
use super::meter::{hls_config, Meter, AK, CTOS, EK, SERVER};
use crate::session::{Received, Session, SessionConfig, SessionError};

const POLICY: Option<SecurityPolicy> = Some(SecurityPolicy::AuthenticatedEncrypted);

/// An HLS-GMAC association with authenticated encryption, counter from 16.
fn associated(config: SessionConfig, meter: &mut Meter, now: Instant) -> Session {
    let mut session = Session::with_invocation_counter(config, 16);
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let Ok(Received::Send(pass3)) = session.receive(&meter.aare(&aarq), now) else {
        panic!("no pass 3");
    };
    let pass4 = meter.pass4(&pass3, &CTOS);
    assert!(matches!(
        session.receive(&pass4, now),
        Ok(Received::Associated(_))
    ));
    session
}

fn value(invoke: u8, data: Data) -> Vec<u8> {
    OwnedGetResponse::Normal {
        invoke: InvokeIdAndPriority::new(invoke, true, true),
        result: OwnedGetDataResult::Data(data),
    }
    .to_vec()
}

#[test]
fn the_aarq_carries_a_glo_initiate_request_with_the_first_counter() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = Session::with_invocation_counter(hls_config(POLICY), 16);
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let view = AarqView::decode(&aarq).expect("decodes");
    assert_eq!(
        view.application_context_name,
        ApplicationContextName::LogicalNameCiphered
    );
    let Some(UserInformation::Ciphered(initiate)) = view.user_information else {
        panic!("the InitiateRequest is in clear");
    };
    let ciphered = CipheredApdu::decode(initiate).expect("a ciphered APDU");
    assert_eq!(ciphered.tag(), CipheredTag::GLO_INITIATE_REQUEST);
    assert_eq!(ciphered.frame_counter(), 16);
    assert_eq!(ciphered.security_control(), SecurityControl(0x30));
    // The meter deciphers it with our title and keys.
    let _aare = meter.aare(&aarq);
    assert_eq!(session.invocation_counter(), 17);
}

#[test]
fn every_request_is_glo_ciphered_with_the_next_counter_and_answers_are_deciphered() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    // AARQ 16, f(StoC) 17, pass 3 18.
    assert_eq!(session.invocation_counter(), 19);
    for (round, expected) in (19u32..22).enumerate() {
        let request = session.get(energy(), now).expect("ready");
        let ciphered = CipheredApdu::decode(&request).expect("ciphered");
        assert_eq!(ciphered.tag(), CipheredTag::GLO_GET_REQUEST);
        assert_eq!(ciphered.frame_counter(), expected);
        assert_eq!(session.invocation_counter(), expected + 1);
        let plain = meter.open(&request);
        assert!(matches!(
            Apdu::decode(&plain),
            Ok(Apdu::GetRequest(GetRequest::Normal { .. }))
        ));
        let answer = meter.seal(&value(1, Data::DoubleLongUnsigned(round as u32)));
        assert_eq!(
            session.receive(&answer, now).ok(),
            Some(Received::Value(Data::DoubleLongUnsigned(round as u32)))
        );
    }
    assert_eq!(session.server_invocation_counter(), Some(meter.counter - 1));
}

#[test]
fn the_invocation_counter_survives_a_re_association() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    let _rlrq = session.release(now);
    session.reset();
    let aarq = session.try_associate(now).expect("AARQ");
    let view = AarqView::decode(&aarq).expect("decodes");
    let Some(UserInformation::Ciphered(initiate)) = view.user_information else {
        panic!("in clear");
    };
    assert_eq!(
        CipheredApdu::decode(initiate)
            .expect("ciphered")
            .frame_counter(),
        19
    );
}

#[test]
fn general_ciphering_once_granted_sends_the_system_title() {
    let now = Instant::now();
    let mut config = hls_config(POLICY);
    config.conformance |= Conformance::GENERAL_PROTECTION;
    if let Some(security) = config.security.as_mut() {
        security.general_ciphering = true;
    }
    let mut meter = Meter::new(POLICY);
    meter.granted.negotiated_conformance |= Conformance::GENERAL_PROTECTION;
    let mut session = associated(config, &mut meter, now);
    let request = session.get(energy(), now).expect("ready");
    let ciphered = CipheredApdu::decode(&request).expect("ciphered");
    assert_eq!(ciphered.tag(), CipheredTag::GENERAL_GLO_CIPHERING);
    assert_eq!(ciphered.system_title(), Some(&super::meter::CLIENT));
    meter.general = true;
    let answer = meter.seal(&value(1, Data::Unsigned(7)));
    assert_eq!(
        session.receive(&answer, now).ok(),
        Some(Received::Value(Data::Unsigned(7)))
    );
}

#[test]
fn an_answer_with_an_altered_tag_fails_its_tag_check() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    let _request = session.get(energy(), now).expect("ready");
    let mut answer = meter.seal(&value(1, Data::Unsigned(1)));
    if let Some(last) = answer.last_mut() {
        *last ^= 0x01;
    }
    let error = session.receive(&answer, now).expect_err("altered");
    assert!(
        matches!(
            error,
            SessionError::Tag {
                apdu: "glo-get-response"
            }
        ),
        "{error}"
    );
    assert!(error.is_security());
    assert!(!session.is_associated());
}

#[test]
fn an_answer_ciphered_with_another_key_fails_its_tag_check() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    let _request = session.get(energy(), now).expect("ready");
    let mut other = EK;
    other[15] ^= 0x80;
    meter.keys = Keys::new(other, AK);
    let answer = meter.seal(&value(1, Data::Unsigned(1)));
    let error = session.receive(&answer, now).expect_err("another key");
    // AES-GCM cannot tell another key from altered bytes: the same tag failure.
    assert!(matches!(error, SessionError::Tag { .. }), "{error}");
}

#[test]
fn an_answer_with_a_replayed_counter_is_refused() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    let _request = session.get(energy(), now).expect("ready");
    let answer = meter.seal(&value(1, Data::Unsigned(1)));
    assert!(session.receive(&answer, now).is_ok());
    let _again = session.get(energy(), now).expect("ready");
    let error = session.receive(&answer, now).expect_err("replayed");
    let last = meter.counter - 1;
    assert!(
        matches!(error, SessionError::Replay { last: l, found: f } if l == last && f == last),
        "{error}"
    );
}

#[test]
fn an_answer_in_clear_under_a_policy_is_refused() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    let _request = session.get(energy(), now).expect("ready");
    let error = session
        .receive(&value(1, Data::Unsigned(1)), now)
        .expect_err("in clear");
    assert!(
        matches!(
            error,
            SessionError::Unprotected {
                found: "get-response"
            }
        ),
        "{error}"
    );
}

#[test]
fn an_answer_with_a_weaker_policy_is_refused() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    let _request = session.get(energy(), now).expect("ready");
    meter.policy = Some(SecurityPolicy::Authenticated);
    let answer = meter.seal(&value(1, Data::Unsigned(1)));
    let error = session
        .receive(&answer, now)
        .expect_err("authenticated only");
    assert!(
        matches!(
            error,
            SessionError::Security(fieldbridge_dlms::Error::BadByte {
                what: "security control",
                ..
            })
        ),
        "{error}"
    );
}

#[test]
fn a_general_answer_from_another_system_title_is_refused() {
    let now = Instant::now();
    let mut meter = Meter::new(POLICY);
    let mut session = associated(hls_config(POLICY), &mut meter, now);
    let _request = session.get(energy(), now).expect("ready");
    let mut title = SERVER;
    title[7] ^= 1;
    let mut answer = Vec::new();
    encrypt(
        Envelope::General(KeyKind::Global),
        SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
        999,
        &title,
        &Keys::new(EK, AK),
        &value(1, Data::Unsigned(1)),
        &mut answer,
    )
    .expect("ciphers");
    let error = session.receive(&answer, now).expect_err("another title");
    assert!(
        matches!(
            error,
            SessionError::Security(fieldbridge_dlms::Error::AuthenticationFailed {
                what: "system title",
                ..
            })
        ),
        "{error}"
    );
}

#[test]
fn an_aare_with_the_initiate_response_in_clear_is_refused() {
    let now = Instant::now();
    let mut meter = Meter::new(None);
    let mut session = Session::new(hls_config(POLICY));
    let aarq = session.try_associate(now).expect("AARQ");
    // A meter without a policy answers the ciphered AARQ in clear.
    let error = session
        .receive(&meter.aare(&aarq), now)
        .expect_err("in clear");
    assert!(matches!(error, SessionError::Unprotected { .. }), "{error}");
}

#[test]
fn a_used_up_invocation_counter_stops_ciphering() {
    let now = Instant::now();
    let mut session = Session::with_invocation_counter(hls_config(POLICY), u32::MAX);
    let error = session.try_associate(now).expect_err("no counter left");
    assert!(matches!(error, SessionError::CounterExhausted), "{error}");
}
