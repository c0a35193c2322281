//! HLS-GMAC (mechanism 5) in clear: the four passes against the canned meter.

use std::time::Instant;

use fieldbridge_dlms::apdu::association::{AarqView, AcseRequirements, MechanismName};
use fieldbridge_dlms::apdu::get::{ActionResult, InvokeIdAndPriority};
use fieldbridge_dlms::security::{hls_gmac, Keys};

use super::meter::{action_result, hls_config, Meter, AK, CLIENT, CTOS, EK, SERVER};
use crate::session::{Authentication, Challenge, Received, Session, SessionConfig, SessionError};

#[test]
fn an_hls_association_is_ready_only_after_pass_four_verifies() {
    let now = Instant::now();
    let mut meter = Meter::new(None);
    let mut session = Session::with_invocation_counter(hls_config(None), 16);
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let view = AarqView::decode(&aarq).expect("our AARQ decodes");
    assert_eq!(view.client_system_title(), Some(CLIENT));
    assert_eq!(view.mechanism_name, Some(MechanismName::HighGmac));
    assert_eq!(
        view.sender_acse_requirements,
        Some(AcseRequirements::AUTHENTICATION)
    );
    assert_eq!(
        view.calling_authentication_value
            .map(|v| v.bytes().to_vec()),
        Some(CTOS.to_vec())
    );
    let Ok(Received::Send(pass3)) = session.receive(&meter.aare(&aarq), now) else {
        panic!("the AARE did not lead to pass 3");
    };
    assert!(!session.is_associated());
    assert!(!session.is_ready());
    assert!(session.get(super::energy(), now).is_err());
    assert_eq!(session.server_system_title(), Some(SERVER));
    // f(StoC) used the counter given: the next one is 17.
    assert_eq!(session.invocation_counter(), 17);
    let pass4 = meter.pass4(&pass3, &CTOS);
    assert_eq!(
        session.receive(&pass4, now).ok(),
        Some(Received::Associated(meter.granted))
    );
    assert!(session.is_ready());
    assert_eq!(session.deadline(), None);
}

#[test]
fn a_wrong_f_ctos_in_pass_four_fails_the_association() {
    let now = Instant::now();
    let mut meter = Meter::new(None);
    let mut session = Session::new(hls_config(None));
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let Ok(Received::Send(pass3)) = session.receive(&meter.aare(&aarq), now) else {
        panic!("no pass 3");
    };
    // The meter answers another challenge than ours.
    let pass4 = meter.pass4(&pass3, b"another challenge");
    let error = session.receive(&pass4, now).expect_err("f(CtoS) is wrong");
    assert!(
        matches!(
            error,
            SessionError::HlsReply {
                problem: "does not verify"
            }
        ),
        "{error}"
    );
    assert!(error.is_security());
    assert!(!session.is_associated());
}

#[test]
fn an_f_ctos_made_with_another_key_fails_the_association() {
    let now = Instant::now();
    let mut meter = Meter::new(None);
    let mut session = Session::new(hls_config(None));
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let Ok(Received::Send(_pass3)) = session.receive(&meter.aare(&aarq), now) else {
        panic!("no pass 3");
    };
    let mut other = EK;
    other[0] ^= 1;
    let f_ctos = hls_gmac(&other, &AK, &SERVER, 256, &CTOS).expect("f(CtoS)");
    let pass4 = action_result(
        InvokeIdAndPriority::new(1, true, true),
        ActionResult::SUCCESS,
        Some(f_ctos.to_vec()),
    );
    let error = session.receive(&pass4, now).expect_err("another key");
    assert!(matches!(error, SessionError::HlsReply { .. }), "{error}");
}

#[test]
fn a_meter_that_refuses_our_f_stoc_names_its_action_result() {
    let now = Instant::now();
    let mut meter = Meter::new(None);
    let mut session = Session::new(hls_config(None));
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let _pass3 = session.receive(&meter.aare(&aarq), now).expect("pass 3");
    let pass4 = action_result(
        InvokeIdAndPriority::new(1, true, true),
        ActionResult::OTHER_REASON,
        None,
    );
    let error = session.receive(&pass4, now).expect_err("refused");
    assert!(
        matches!(
            error,
            SessionError::HlsRefused {
                result: ActionResult::OTHER_REASON
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("other-reason"), "{error}");
}

#[test]
fn a_pass_four_without_f_ctos_fails_the_association() {
    let now = Instant::now();
    let mut meter = Meter::new(None);
    let mut session = Session::new(hls_config(None));
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let _pass3 = session.receive(&meter.aare(&aarq), now).expect("pass 3");
    let pass4 = action_result(
        InvokeIdAndPriority::new(1, true, true),
        ActionResult::SUCCESS,
        None,
    );
    let error = session.receive(&pass4, now).expect_err("no f(CtoS)");
    assert!(
        matches!(
            error,
            SessionError::HlsReply {
                problem: "is missing"
            }
        ),
        "{error}"
    );
}

#[test]
fn an_aare_without_the_meter_system_title_fails() {
    let now = Instant::now();
    let mut meter = Meter::new(None);
    let mut session = Session::new(hls_config(None));
    let aarq = session.try_associate(now).expect("the AARQ builds");
    let wire = meter.aare(&aarq);
    let mut aare = fieldbridge_dlms::apdu::association::AareView::decode(&wire)
        .expect("decodes")
        .owned();
    aare.responding_ap_title = None;
    let mut wire = Vec::new();
    aare.encode(&mut wire);
    let error = session.receive(&wire, now).expect_err("no title");
    assert!(matches!(error, SessionError::Unexpected { .. }), "{error}");
    assert!(error.to_string().contains("system title"), "{error}");
}

#[test]
fn a_random_challenge_is_fresh_for_every_association() {
    let now = Instant::now();
    let mut config = hls_config(None);
    config.authentication = Authentication::high_gmac();
    let mut session = Session::new(config);
    let challenge = |aarq: &[u8]| {
        AarqView::decode(aarq)
            .expect("decodes")
            .calling_authentication_value
            .map(|v| v.bytes().to_vec())
            .expect("a challenge")
    };
    let first = challenge(&session.try_associate(now).expect("AARQ"));
    let second = challenge(&session.try_associate(now).expect("AARQ"));
    assert_eq!(first.len(), Challenge::DEFAULT_LEN);
    assert_eq!(second.len(), Challenge::DEFAULT_LEN);
    assert_ne!(first, second);
}

#[test]
fn hls_without_keys_or_with_a_short_challenge_is_a_configuration_error() {
    let now = Instant::now();
    let mut no_keys = hls_config(None);
    no_keys.security = None;
    let error = Session::new(no_keys)
        .try_associate(now)
        .expect_err("no keys");
    assert!(matches!(error, SessionError::Config { .. }), "{error}");

    let mut no_ak = hls_config(None);
    if let Some(security) = no_ak.security.as_mut() {
        security.keys = Keys {
            authentication: None,
            ..Keys::new(EK, AK)
        };
    }
    let error = Session::new(no_ak).try_associate(now).expect_err("no AK");
    assert!(matches!(error, SessionError::Config { .. }), "{error}");

    let short = SessionConfig {
        authentication: Authentication::HighGmac {
            challenge: Challenge::Fixed(vec![1, 2, 3, 4, 5, 6, 7]),
        },
        ..hls_config(None)
    };
    let error = Session::new(short)
        .try_associate(now)
        .expect_err("7 octets");
    assert!(matches!(error, SessionError::Config { .. }), "{error}");
}

#[test]
fn associate_with_an_unusable_configuration_reports_why_at_once() {
    let now = Instant::now();
    let mut config = hls_config(None);
    config.security = None;
    let mut session = Session::new(config);
    assert!(session.associate(now).is_empty());
    assert_eq!(session.deadline(), Some(now));
    let error = session.check_timeout(now).expect_err("the reason");
    assert!(matches!(error, SessionError::Config { .. }), "{error}");
    assert!(session.check_timeout(now).is_ok());
}
