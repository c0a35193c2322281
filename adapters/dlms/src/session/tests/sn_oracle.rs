//! The SN oracle: the requests of Gurux's SN client (gurux-dlms 1.0.203, `GXDLMSClient` with
//! `useLogicalNameReferencing=False`) and the ReadResponses and WriteResponses of Gurux's own SN
//! encoder, from `sn_gurux.json`, made by `tests/peers/dlms/sn_vectors.py` (which says which
//! Gurux bugs it works around, and that the data-block-results are built by hand because
//! Gurux's encoder of them is broken). The AAREs are built here with the codec: Gurux's server
//! side is not used.
//!
//! With Gurux's PDU size, conformance, password, keys and first invocation counter, every
//! request our session makes for the same calls must be Gurux's, byte for byte (the ciphered
//! ones too: the same counter, IV and tag), and every Gurux-built answer must give back the
//! value or the result Gurux encoded in it.

use std::time::Instant;

use fieldbridge_dlms::apdu::association::{
    ApplicationContextName, AssociationResult, MechanismName, OwnedAare, SourceDiagnostic,
    UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, MethodDescriptor,
};
use fieldbridge_dlms::apdu::sn::{WriteResponse, WriteResult};
use fieldbridge_dlms::axdr::DataRef;
use fieldbridge_dlms::security::{Keys, SecurityPolicy};
use serde_json::Value;

use super::meter::{Meter, AK, CLIENT, EK, SERVER};
use super::sn_meter::{aare, granted, write_of};
use crate::session::{Authentication, Received, Security, Session, SessionConfig, SessionError};

/// Made by `tests/peers/dlms/sn_vectors.py > adapters/dlms/src/session/tests/sn_gurux.json`.
const VECTORS: &str = include_str!("sn_gurux.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("sn_gurux.json parses")
}

fn unhex(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().expect("a hex string")).expect("valid hex")
}

fn obis(value: &Value) -> [u8; 6] {
    let parts: Vec<u8> = value
        .as_str()
        .expect("an OBIS code")
        .split('.')
        .map(|p| p.parse().expect("a number"))
        .collect();
    parts.try_into().expect("six numbers")
}

fn number<T: TryFrom<u64>>(value: &Value) -> T {
    value
        .as_u64()
        .and_then(|n| T::try_from(n).ok())
        .expect("a number in range")
}

/// Gurux's setup of a scenario, as a session configuration, and the first invocation counter.
fn config(all: &Value, scenario: &Value) -> (SessionConfig, u32) {
    assert_eq!(
        SessionConfig::short_names().conformance,
        Conformance::READ
            | Conformance::WRITE
            | Conformance::UNCONFIRMED_WRITE
            | Conformance::MULTIPLE_REFERENCES
            | Conformance::INFORMATION_REPORT
            | Conformance::PARAMETERIZED_ACCESS
    );
    let authentication = match scenario["password"].as_str() {
        Some(password) => Authentication::Low {
            password: password.as_bytes().to_vec(),
        },
        None => Authentication::None,
    };
    let security = scenario["security"].is_string().then(|| Security {
        system_title: CLIENT,
        keys: Keys::new(EK, AK),
        policy: Some(SecurityPolicy::AuthenticatedEncrypted),
        general_ciphering: false,
    });
    let config = SessionConfig {
        authentication,
        max_receive_pdu_size: number(&all["max_receive_pdu_size"]),
        security,
        // The default SN conformance: the AARQs being Gurux's shows it is Gurux's (the JSON's
        // "conformance" is Gurux's own flag value, in another bit order than the wire's).
        ..SessionConfig::short_names()
    };
    let counter = scenario["first_invocation_counter"].as_u64().unwrap_or(0);
    (config, u32::try_from(counter).expect("a u32"))
}

/// The AARE of a ciphering meter: its title and a glo-initiate-response.
fn ciphered_aare(meter: &mut Meter) -> Vec<u8> {
    let mut initiate = Vec::new();
    granted().encode(&mut initiate);
    let mut accepted = OwnedAare::new(
        ApplicationContextName::ShortNameCiphered,
        AssociationResult::Accepted,
        SourceDiagnostic::NULL,
    );
    accepted.responding_ap_title = Some(SERVER.to_vec());
    accepted.mechanism_name = Some(MechanismName::Low);
    accepted.user_information = Some(UserInformation::Ciphered(meter.seal(&initiate)));
    let mut out = Vec::new();
    accepted.encode(&mut out);
    out
}

fn attribute(exchange: &Value) -> AttributeDescriptor {
    AttributeDescriptor::new(
        number(&exchange["class"]),
        obis(&exchange["obis"]),
        number(&exchange["attribute"]),
    )
}

/// The result a Gurux-built WriteResponse carries.
fn written(answer: &[u8]) -> DataAccessResult {
    let response = WriteResponse::decode(answer).expect("Gurux's WriteResponse decodes");
    match response.results.clone().next() {
        Some(WriteResult::Success) => DataAccessResult::SUCCESS,
        Some(WriteResult::DataAccessError(result)) => result,
        other => panic!("not a write result: {other:?}"),
    }
}

/// Replays one scenario; returns the session and what it received.
fn replay(name: &str) -> (Session, Vec<Received>) {
    let now = Instant::now();
    let all = vectors();
    let scenario = &all["scenarios"][name];
    let (config, counter) = config(&all, scenario);
    let ciphered = config.security.is_some();
    let mut meter = Meter::new(Some(SecurityPolicy::AuthenticatedEncrypted));
    let mut session = Session::with_invocation_counter(config, counter);
    let mut pending: Option<Vec<u8>> = None;
    let mut received = Vec::new();
    let exchanges = scenario["exchanges"].as_array().expect("exchanges");
    for (index, exchange) in exchanges.iter().enumerate() {
        let call = exchange["call"].as_str().expect("a call");
        let gurux = unhex(&exchange["request"]);
        let plain = if ciphered && call != "associate" {
            meter.open(&gurux)
        } else {
            gurux.clone()
        };
        let ours = match call {
            "associate" => session.try_associate(now).expect("the AARQ builds"),
            "object_list" | "next" => pending.take().expect("the session asked for it"),
            "get" => session.get(attribute(exchange), now).expect("ready"),
            "set" => {
                let (_, value) = write_of(&plain);
                session.set(attribute(exchange), value, now).expect("ready")
            }
            "action" => {
                let method = MethodDescriptor::new(
                    number(&exchange["class"]),
                    obis(&exchange["obis"]),
                    number(&exchange["method"]),
                );
                let parameters = DataRef::decode_all(&unhex(&exchange["parameters"]))
                    .expect("parameters")
                    .to_owned();
                session
                    .action(method, Some(parameters), now)
                    .expect("ready")
            }
            "release" => session.release(now),
            "raw_read" => {
                // Gurux reads any short name; the session reads only listed objects, so it
                // refuses this one, and Gurux's data-access-error answers a listed one here.
                let ghost = AttributeDescriptor::new(3, [1, 0, 99, 99, 0, 255], 2);
                let error = session.get(ghost, now).expect_err("not listed");
                assert!(matches!(error, SessionError::UnknownObject { .. }));
                assert!(session.is_ready());
                let energy = AttributeDescriptor::new(3, [1, 0, 1, 8, 0, 255], 2);
                let _ours = session.get(energy, now).expect("ready");
                gurux.clone()
            }
            other => panic!("no call {other}"),
        };
        assert_eq!(
            hex::encode_upper(&ours),
            hex::encode_upper(&gurux),
            "{name} exchange {index} ({call}): our request differs from Gurux's"
        );
        let answer = match (call, &exchange["answer"], &exchange["plain_answer"]) {
            ("associate", _, _) if ciphered => ciphered_aare(&mut meter),
            ("associate", _, _) => aare(granted()),
            (_, Value::String(_), _) => unhex(&exchange["answer"]),
            (_, _, Value::String(_)) => meter.seal(&unhex(&exchange["plain_answer"])),
            _ => continue,
        };
        let got = session
            .receive(&answer, now)
            .unwrap_or_else(|e| panic!("{name} exchange {index} ({call}): {e}"));
        let plain_answer = match &exchange["plain_answer"] {
            Value::String(_) => unhex(&exchange["plain_answer"]),
            _ => answer.clone(),
        };
        match (call, &got) {
            (_, Received::Send(next)) => pending = Some(next.clone()),
            ("get", Received::Value(value)) => {
                let expected = DataRef::decode_all(&unhex(&exchange["value"]))
                    .expect("Gurux's value")
                    .to_owned();
                assert_eq!(value, &expected, "{name} exchange {index}");
            }
            ("raw_read", Received::Refused(result)) => {
                assert_eq!(*result, DataAccessResult::OBJECT_UNDEFINED)
            }
            ("set", Received::Written(result)) => assert_eq!(*result, written(&plain_answer)),
            ("action", Received::Invoked { result, returned }) => {
                assert_eq!((*result, returned), (ActionResult::SUCCESS, &None))
            }
            ("object_list" | "next", Received::Associated(_)) => assert!(session.is_ready()),
            (call, other) => panic!("{name} exchange {index} ({call}): {other:?}"),
        }
        received.push(got);
    }
    assert!(pending.is_none(), "{name}: the session wanted to send more");
    (session, received)
}

/// The short names of the JSON's objects, as the session mapped them.
fn check_objects(session: &Session) {
    let all = vectors();
    let objects = all["objects"].as_array().expect("objects");
    assert_eq!(session.short_names().len(), objects.len());
    for object in objects {
        let found = session
            .short_names()
            .object(number(&object["class"]), obis(&object["obis"]))
            .map(|o| o.base_name);
        assert_eq!(found, Some(number(&object["base_name"])), "{object}");
    }
}

#[test]
fn gurux_sn_requests_for_reads_writes_and_a_method_are_ours_byte_for_byte() {
    let (_, received) = replay("none");
    let values = received
        .iter()
        .filter(|r| matches!(r, Received::Value(_)))
        .count();
    assert_eq!(values, 6);
    assert!(received.contains(&Received::Written(DataAccessResult::READ_WRITE_DENIED)));
    assert!(received.contains(&Received::Refused(DataAccessResult::OBJECT_UNDEFINED)));
}

#[test]
fn gurux_sn_block_acknowledgements_of_the_object_list_are_ours() {
    let (session, received) = replay("low");
    check_objects(&session);
    let sends = received
        .iter()
        .filter(|r| matches!(r, Received::Send(_)))
        .count();
    // The AARE asks for the list, then two of the three blocks ask for the next.
    assert_eq!(sends, 3);
}

#[test]
fn gurux_ciphered_sn_requests_are_ours_with_the_same_counters() {
    let (session, received) = replay("ciphered");
    check_objects(&session);
    // The AARQ took 16, then the object list, the read and the write.
    assert_eq!(session.invocation_counter(), 20);
    assert!(received.contains(&Received::Written(DataAccessResult::SUCCESS)));
}

#[test]
fn the_gurux_object_list_maps_every_object_to_its_base_name() {
    let (session, _) = replay("none");
    check_objects(&session);
    let clock = session.short_names().object(8, [0, 0, 1, 0, 0, 255]);
    assert_eq!(clock.map(|o| (o.base_name, o.version)), Some((0x2100, 0)));
    assert_eq!(
        session.short_names().iter().map(|o| o.base_name).max(),
        Some(0xFA00)
    );
}

/// The peers' python (`FIELDBRIDGE_PYTHON`, else the repository's `.venv`), if it has
/// gurux-dlms.
fn gurux_python() -> Option<std::path::PathBuf> {
    let python = match std::env::var_os("FIELDBRIDGE_PYTHON") {
        Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
        _ => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"),
    };
    let imports = std::process::Command::new(&python)
        .args(["-c", "import gurux_dlms"])
        .output()
        .is_ok_and(|o| o.status.success());
    imports.then_some(python)
}

#[test]
fn the_checked_in_vectors_are_what_gurux_makes_today() {
    let Some(python) = gurux_python() else {
        eprintln!("skipped: no python with gurux_dlms (set FIELDBRIDGE_PYTHON)");
        return;
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers/dlms/sn_vectors.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .output()
        .expect("the script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    assert_eq!(made, vectors());
}
