//! The oracle: the Gurux sessions recorded in `captures/dlms/` replayed through our session.
//! With the recording's keys, system titles, challenge, starting invocation counter, proposed
//! conformance and invoke-id (Gurux always uses 1), every APDU our session hands out must be
//! the Gurux client's, byte for byte (ciphered ones included: the same counter, IV and tag), and
//! every APDU the Gurux meter sent must be accepted.
//!
//! Which service call makes each request is read from the recorded request's plaintext (its
//! descriptor, selection, value or parameters); the bytes, the ciphering and the counters are
//! ours. Requests the session makes on its own (HLS pass 3, GET-Request-Next) come from
//! [`Received::Send`] and are compared the same way.

use std::path::PathBuf;
use std::time::Instant;

use fieldbridge_dlms::apdu::action::ActionRequest;
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, DataAccessResult, GetDataResult, GetRequest, GetResponse,
};
use fieldbridge_dlms::apdu::set::SetRequest;
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::security::{Keys, SecurityPolicy};

use crate::session::{
    Authentication, Challenge, InvokeIds, Received, Security, Session, SessionConfig,
};

/// One recorded APDU.
#[derive(Debug)]
struct Frame {
    /// Client to server.
    c2s: bool,
    /// The APDU as sent.
    apdu: Vec<u8>,
    /// The deciphered APDU, for a ciphered one other than an AARQ or AARE.
    plain: Option<Vec<u8>>,
}

fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../captures/dlms")
}

fn unhex(value: &serde_json::Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("a hex string")).expect("valid hex")
}

/// The APDUs of `captures/dlms/<scenario>.frames.jsonl`, in order.
fn frames(scenario: &str) -> Vec<Frame> {
    let path = captures().join(format!("{scenario}.frames.jsonl"));
    let text = std::fs::read_to_string(&path).expect("the capture is there");
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .filter(|frame| frame["apdu_hex"].is_string())
        .map(|frame| {
            let apdu = unhex(&frame["apdu_hex"]);
            let association = matches!(apdu.first(), Some(0x60 | 0x61));
            Frame {
                c2s: frame["dir"] == "c2s",
                plain: (!association && frame["plain_hex"].is_string())
                    .then(|| unhex(&frame["plain_hex"])),
                apdu,
            }
        })
        .collect()
}

/// keys.json.
fn keys() -> serde_json::Value {
    let text = std::fs::read_to_string(captures().join("keys.json")).expect("keys.json");
    serde_json::from_str(&text).expect("keys.json parses")
}

fn key(name: &str) -> [u8; 16] {
    unhex(&keys()[name]).try_into().expect("16 octets")
}

fn title(name: &str) -> [u8; 8] {
    unhex(&keys()[name]).try_into().expect("8 octets")
}

/// The Gurux client's setup: PDU size 512, invoke-id 1, its conformance.
fn gurux(authentication: Authentication, general_protection: bool) -> SessionConfig {
    SessionConfig {
        authentication,
        max_receive_pdu_size: 512,
        conformance: gurux_conformance(general_protection),
        invoke_ids: InvokeIds::Fixed(1),
        ..SessionConfig::default()
    }
}

/// HLS-GMAC with the recording's challenge, keys and titles.
fn gurux_hls(policy: Option<SecurityPolicy>, general: bool) -> SessionConfig {
    let challenge = unhex(&keys()["client_to_server_challenge"]);
    let mut config = gurux(
        Authentication::HighGmac {
            challenge: Challenge::Fixed(challenge),
        },
        policy.is_none() || general,
    );
    config.security = Some(Security {
        system_title: title("client_system_title"),
        keys: Keys::new(key("block_cipher_key"), key("authentication_key")),
        policy,
        general_ciphering: general,
    });
    config
}

/// Makes the request `frame` recorded with the session's service calls.
fn request(session: &mut Session, frame: &Frame, now: Instant) -> Vec<u8> {
    if frame.apdu.first() == Some(&0x60) {
        return session.try_associate(now).expect("the AARQ builds");
    }
    let plain = frame.plain.as_deref().unwrap_or(&frame.apdu);
    let made = match Apdu::decode(plain).expect("the recorded request decodes") {
        Apdu::GetRequest(GetRequest::Normal {
            attribute,
            selection,
            ..
        }) => session.get_with_selection(attribute, selection.map(|s| s.to_owned()), now),
        Apdu::SetRequest(SetRequest::Normal {
            attribute,
            selection,
            value,
            ..
        }) => session.set_with_selection(
            attribute,
            selection.map(|s| s.to_owned()),
            value.to_owned(),
            now,
        ),
        Apdu::ActionRequest(ActionRequest::Normal {
            method, parameters, ..
        }) => session.action(method, parameters.map(|p| p.to_owned()), now),
        Apdu::ReleaseRequest(_) => Ok(session.release(now)),
        other => panic!("no service call makes {}", other.name()),
    };
    made.expect("the session is ready for it")
}

/// The value of a recorded get-response-normal.
fn recorded_value(frame: &Frame) -> Option<Data> {
    let plain = frame.plain.as_deref().unwrap_or(&frame.apdu);
    match Apdu::decode(plain) {
        Ok(Apdu::GetResponse(GetResponse::Normal {
            result: GetDataResult::Data(data),
            ..
        })) => Some(data.to_owned()),
        _ => None,
    }
}

/// Replays `captures/dlms/wrapper-<scenario>` and returns what the session received.
fn replay(scenario: &str, config: SessionConfig, first_counter: u32) -> (Session, Vec<Received>) {
    let now = Instant::now();
    let recorded = frames(&format!("wrapper-{scenario}"));
    let mut session = Session::with_invocation_counter(config, first_counter);
    let mut received = Vec::new();
    let mut pending: Option<Vec<u8>> = None;
    let mut frames = recorded.iter().enumerate();
    while let Some((index, asked)) = frames.next() {
        assert!(
            asked.c2s,
            "{scenario} frame {index}: a request was expected"
        );
        let ours = match pending.take() {
            Some(sent) => sent,
            None => request(&mut session, asked, now),
        };
        assert_eq!(
            hex::encode_upper(&ours),
            hex::encode_upper(&asked.apdu),
            "{scenario} frame {index}: our request differs from Gurux's"
        );
        let (index, answer) = frames.next().expect("every request has an answer");
        assert!(
            !answer.c2s,
            "{scenario} frame {index}: an answer was expected"
        );
        let got = session
            .receive(&answer.apdu, now)
            .unwrap_or_else(|e| panic!("{scenario} frame {index}: the meter's answer: {e}"));
        match &got {
            Received::Send(next) => pending = Some(next.clone()),
            Received::Value(value) => {
                if let Some(expected) = recorded_value(answer) {
                    assert_eq!(value, &expected, "{scenario} frame {index}");
                }
            }
            Received::Written(result) => assert_eq!(*result, DataAccessResult::SUCCESS),
            Received::Invoked { result, .. } => assert_eq!(*result, ActionResult::SUCCESS),
            Received::Associated(_) => assert!(session.is_ready()),
            Received::Released => assert!(!session.is_associated()),
            Received::Refused(result) => panic!("{scenario} frame {index}: refused {result}"),
        }
        received.push(got);
    }
    assert!(
        pending.is_none(),
        "{scenario}: the session wanted to send more"
    );
    (session, received)
}

fn count(received: &[Received], what: fn(&Received) -> bool) -> usize {
    received.iter().filter(|r| what(r)).count()
}

#[test]
fn the_recorded_session_without_authentication_replays_byte_for_byte() {
    let (_, received) = replay("none", gurux(Authentication::None, true), 0);
    assert_eq!(count(&received, |r| matches!(r, Received::Value(_))), 6);
}

#[test]
fn the_recorded_low_level_session_with_a_range_read_and_blocks_replays_byte_for_byte() {
    let password = keys()["low_level_password"]
        .as_str()
        .expect("a password")
        .as_bytes()
        .to_vec();
    let (_, received) = replay("low", gurux(Authentication::Low { password }, true), 0);
    // The whole buffer: 96 entries joined from 5 blocks, after 4 GET-Request-Next.
    assert_eq!(count(&received, |r| matches!(r, Received::Send(_))), 4);
    assert!(received
        .iter()
        .any(|r| matches!(r, Received::Value(Data::Array(entries)) if entries.len() == 96)));
    assert_eq!(count(&received, |r| matches!(r, Received::Written(_))), 1);
}

#[test]
fn the_recorded_hls_gmac_session_replays_byte_for_byte() {
    let (session, received) = replay("hls", gurux_hls(None, false), 16);
    // f(StoC) used 16.
    assert_eq!(session.invocation_counter(), 17);
    assert!(matches!(received.first(), Some(Received::Send(_))));
    assert!(matches!(received.get(1), Some(Received::Associated(_))));
    assert_eq!(
        count(&received, |r| matches!(r, Received::Invoked { .. })),
        2
    );
    assert_eq!(count(&received, |r| matches!(r, Received::Written(_))), 1);
}

#[test]
fn the_recorded_ciphered_session_replays_byte_for_byte() {
    let policy = Some(SecurityPolicy::AuthenticatedEncrypted);
    let (session, received) = replay("ciphered", gurux_hls(policy, false), 16);
    // AARQ 16, f(StoC) 17, pass 3 18, then 19..=24 for six requests.
    assert_eq!(session.invocation_counter(), 25);
    assert!(received
        .iter()
        .any(|r| matches!(r, Received::Value(Data::Array(entries)) if entries.len() == 2)));
}

#[test]
fn the_recorded_general_ciphering_session_replays_byte_for_byte() {
    let policy = Some(SecurityPolicy::AuthenticatedEncrypted);
    let (session, received) = replay("ciphered-general", gurux_hls(policy, true), 16);
    assert_eq!(session.invocation_counter(), 25);
    assert_eq!(
        count(&received, |r| matches!(r, Received::Invoked { .. })),
        1
    );
}

/// The conformance Gurux proposes, with general-protection.
fn gurux_conformance(general_protection: bool) -> Conformance {
    let base = Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ
        | Conformance::BLOCK_TRANSFER_WITH_SET_OR_WRITE
        | Conformance::BLOCK_TRANSFER_WITH_ACTION
        | Conformance::MULTIPLE_REFERENCES
        | Conformance::ACCESS
        | Conformance::GET
        | Conformance::SET
        | Conformance::SELECTIVE_ACCESS
        | Conformance::ACTION;
    if general_protection {
        base | Conformance::GENERAL_PROTECTION
    } else {
        base
    }
}
