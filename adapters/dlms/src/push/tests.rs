use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fieldbridge_core::config::{DeviceTime, DlmsPoint, DlmsWrite};
use fieldbridge_core::point::{QualityFlag, QualityLevel, Value};
use fieldbridge_core::source::SourceStats;
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::apdu::get::{AttributeDescriptor, LongInvokeIdAndPriority};
use fieldbridge_dlms::apdu::notification::{
    NotificationTime, OwnedDataNotification, OwnedEventNotificationRequest,
};
use fieldbridge_dlms::axdr::{ClockStatus, Data, DateTime};
use fieldbridge_dlms::hdlc::{Address, Control, Frame};
use fieldbridge_dlms::security::{
    encrypt, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
};
use fieldbridge_dlms::wrapper::OwnedWrapperPdu;

use super::*;
use crate::keys::SourceKeys;

const CLOCK: [u8; 6] = [0, 0, 1, 0, 0, 255];
const ENERGY: [u8; 6] = [1, 0, 1, 8, 0, 255];
const EK: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
];
const AK: [u8; 16] = [
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
];
const METER: [u8; 8] = *b"GRX12345";

fn point(name: &str, class: u16, obis: [u8; 6], attribute: i8) -> DlmsPoint {
    DlmsPoint {
        name: Arc::from(name),
        obis,
        class,
        attribute,
        write: DlmsWrite::None,
        unit: None,
        command_timeout: None,
    }
}

/// The push setup of the tests: the clock, a register's value and its scaler_unit.
fn points() -> Vec<DlmsPoint> {
    vec![
        point("clock", 8, CLOCK, 2),
        point("energy", 3, ENERGY, 2),
        point("energy_scaler", 3, ENERGY, 3),
    ]
}

/// 2026-12-07 10:15:00 UTC, deviation 0, status 0.
fn clock_octets(status: u8) -> Vec<u8> {
    vec![0x07, 0xEA, 12, 7, 0xFF, 10, 15, 0, 0, 0x00, 0x00, status]
}

fn notification(body: Data, time: Option<NotificationTime>) -> Vec<u8> {
    let n = OwnedDataNotification {
        long_invoke: LongInvokeIdAndPriority(7),
        date_time: time,
        body,
    };
    let mut out = Vec::new();
    n.encode(&mut out);
    out
}

fn push_body(status: u8) -> Data {
    Data::Structure(vec![
        Data::OctetString(clock_octets(status)),
        Data::DoubleLongUnsigned(123_456),
        Data::Structure(vec![Data::Integer(-3), Data::Enum(30)]),
    ])
}

fn mapper(only_listed: bool) -> Mapper {
    Mapper::new(Arc::from("han"), points(), only_listed, DeviceTime::Utc)
}

fn now() -> Timestamp {
    Timestamp::now()
}

#[test]
fn a_data_notification_maps_onto_the_push_object_list_with_the_scaler_applied() {
    let apdu = notification(push_body(0), None);
    let mapped = mapper(false).map(&apdu, now()).unwrap();
    assert_eq!(mapped.dropped, 0);
    assert!(mapped.unreadable.is_empty());
    let names: Vec<&str> = mapped.readings.iter().map(|r| &*r.point).collect();
    assert_eq!(
        names,
        ["clock", "energy"],
        "the scaler_unit is not a point of its own"
    );
    let energy = &mapped.readings[1];
    assert_eq!(energy.value, Value::Float(123.456));
    assert_eq!(energy.unit.as_deref(), Some("Wh"));
    assert_eq!(energy.facts.raw, Some(123_456));
    assert_eq!(energy.facts.scaler, Some(-3));
    let ts = Timestamp::from_unix_millis(1_796_638_500_000);
    assert_eq!(
        energy.ts, ts,
        "the push's clock is every value's device time"
    );
    assert_eq!(mapped.readings[0].value, Value::DateTime(ts.unwrap()));
}

#[test]
fn the_notifications_own_date_time_wins_over_the_clock_element() {
    let mut octets = [0u8; 12];
    octets.copy_from_slice(&clock_octets(0));
    octets[5] = 11; // 11:15
    let apdu = notification(
        push_body(0),
        Some(NotificationTime::DateTime(DateTime::from_bytes(octets))),
    );
    let mapped = mapper(false).map(&apdu, now()).unwrap();
    assert_eq!(
        mapped.readings[1].ts,
        Timestamp::from_unix_millis(1_796_638_500_000 + 3_600_000)
    );
}

#[test]
fn a_clock_marked_invalid_or_doubtful_says_so_in_its_quality() {
    let invalid = mapper(false)
        .map(&notification(push_body(ClockStatus::INVALID), None), now())
        .unwrap();
    assert_eq!(invalid.readings[0].quality.level, QualityLevel::Bad);
    assert!(invalid.readings[0]
        .quality
        .flags
        .contains(QualityFlag::Invalid));
    let doubtful = mapper(false)
        .map(&notification(push_body(ClockStatus::DOUBTFUL), None), now())
        .unwrap();
    assert_eq!(doubtful.readings[0].quality.level, QualityLevel::Uncertain);
    let unspecified = mapper(false)
        .map(&notification(push_body(0xFF), None), now())
        .unwrap();
    assert_eq!(
        unspecified.readings[0].quality.level,
        QualityLevel::Good,
        "0xFF is 'not specified', not every bit set"
    );
}

#[test]
fn elements_beyond_the_list_are_published_by_place_or_dropped_when_only_listed() {
    let Data::Structure(mut items) = push_body(0) else {
        unreachable!()
    };
    items.push(Data::LongUnsigned(2301));
    let apdu = notification(Data::Structure(items), None);
    let open = mapper(false).map(&apdu, now()).unwrap();
    let extra = open.readings.last().unwrap();
    assert_eq!(&*extra.point, "element-3");
    assert_eq!(extra.value, Value::Int(2301));
    let closed = mapper(true).map(&apdu, now()).unwrap();
    assert_eq!(closed.dropped, 1);
    assert_eq!(closed.readings.len(), 2);
}

#[test]
fn an_event_notification_is_mapped_by_its_attribute_descriptor() {
    let event = |obis: [u8; 6]| {
        let n = OwnedEventNotificationRequest {
            time: Some(clock_octets(0)),
            attribute: AttributeDescriptor {
                class_id: 1,
                instance_id: obis,
                attribute_id: 2,
            },
            value: Data::Unsigned(5),
        };
        let mut out = Vec::new();
        n.encode(&mut out);
        out
    };
    let mut listed = points();
    listed.push(point("events", 1, [0, 0, 96, 11, 0, 255], 2));
    let m = Mapper::new(Arc::from("han"), listed, false, DeviceTime::Utc);
    let mapped = m.map(&event([0, 0, 96, 11, 0, 255]), now()).unwrap();
    assert_eq!(&*mapped.readings[0].point, "events");
    assert_eq!(mapped.readings[0].value, Value::Int(5));
    let other = m.map(&event([0, 0, 96, 11, 1, 255]), now()).unwrap();
    assert_eq!(&*other.readings[0].point, "0-0-96-11-1-255-a2");
    assert_eq!(
        mapper(true)
            .map(&event([0, 0, 96, 11, 1, 255]), now())
            .unwrap()
            .dropped,
        1
    );
}

#[test]
fn an_apdu_that_is_no_notification_or_does_not_decode_is_an_error() {
    assert_eq!(
        mapper(false).map(&[0xC4, 0x01], now()).unwrap_err(),
        MapError::NotANotification(0xC4)
    );
    assert!(matches!(
        mapper(false).map(&[0x0F, 0x00, 0x00], now()),
        Err(MapError::Decode {
            apdu: "DataNotification",
            ..
        })
    ));
}

fn shared(policy: Option<SecurityPolicy>) -> (Shared, tokio::sync::mpsc::Receiver<SourceEvent>) {
    let (events, rx) = fieldbridge_core::event::channel(64);
    let shared = Shared {
        device: Arc::from("han"),
        mapper: mapper(false),
        keys: SourceKeys {
            policy,
            keys: Keys::new(EK, AK),
            system_title: Some(*b"FLB00001"),
        },
        guards: Mutex::new(HashMap::new()),
        events,
        stats: Arc::new(SourceStats::new()),
    };
    (shared, rx)
}

fn ciphered(counter: u32, keys: &Keys, plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(
        Envelope::General(KeyKind::Global),
        SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
        counter,
        &METER,
        keys,
        plain,
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn a_ciphered_push_is_deciphered_and_a_replay_or_a_wrong_key_is_refused() {
    let (s, _rx) = shared(Some(SecurityPolicy::AuthenticatedEncrypted));
    let plain = notification(push_body(0), None);
    assert_eq!(
        s.plaintext(&ciphered(5, &Keys::new(EK, AK), &plain))
            .unwrap(),
        plain
    );
    assert!(matches!(
        s.plaintext(&ciphered(5, &Keys::new(EK, AK), &plain)),
        Err(PushError::Security(fieldbridge_dlms::Error::Replay { .. }))
    ));
    let wrong = Keys::new([0x55; 16], AK);
    assert!(matches!(
        s.plaintext(&ciphered(6, &wrong, &plain)),
        Err(PushError::Security(
            fieldbridge_dlms::Error::AuthenticationFailed { .. }
        ))
    ));
    // The failed one did not move the guard: the genuine 6 still goes through.
    assert!(s
        .plaintext(&ciphered(6, &Keys::new(EK, AK), &plain))
        .is_ok());
    let mut tampered = ciphered(7, &Keys::new(EK, AK), &plain);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(s.plaintext(&tampered).is_err());
    assert!(
        matches!(s.plaintext(&plain), Err(PushError::Policy(_))),
        "no downgrade"
    );
}

#[test]
fn a_ciphered_push_without_keys_is_refused() {
    let (s, _rx) = shared(None);
    let plain = notification(push_body(0), None);
    assert!(matches!(
        s.plaintext(&ciphered(1, &Keys::new(EK, AK), &plain)),
        Err(PushError::Policy(_))
    ));
    assert_eq!(s.plaintext(&plain).unwrap(), plain);
}

#[tokio::test]
async fn a_refused_push_is_counted_and_the_next_one_goes_through() {
    let (s, mut rx) = shared(None);
    s.push(&[0x0F, 0x00], "test").await.unwrap();
    assert_eq!(s.stats.snapshot().decode_errors, 1);
    s.push(&notification(push_body(0), None), "test")
        .await
        .unwrap();
    let SourceEvent::Reading(first) = rx.recv().await.unwrap() else {
        panic!("a reading")
    };
    assert_eq!(&*first.point, "clock");
    assert_eq!(s.stats.snapshot().responses, 2);
}

#[test]
fn wrapper_framing_cuts_pdus_across_reads_and_stops_on_a_bad_header() {
    let pdu = |apdu: Vec<u8>| {
        let mut out = Vec::new();
        OwnedWrapperPdu::new(1, 0x10, apdu)
            .encode(&mut out)
            .unwrap();
        out
    };
    let a = pdu(notification(push_body(0), None));
    let b = pdu(vec![0x0F, 1, 2]);
    let mut stream = a.clone();
    stream.extend_from_slice(&b);
    let mut f = Framing::new(false);
    let (first, errors) = f.feed(&stream[..a.len() + 3]);
    assert_eq!(first.len(), 1);
    assert!(errors.is_empty());
    let (second, _) = f.feed(&stream[a.len() + 3..]);
    assert_eq!(second, [vec![0x0F, 1, 2]]);
    let (none, errors) = f.feed(&[0x00, 0x02, 0, 1, 0, 1, 0, 1, 0]);
    assert!(none.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(f.failed(), "a wrapper stream out of step is closed");
}

#[test]
fn hdlc_framing_takes_ui_frames_with_or_without_llc_and_counts_the_rest() {
    let frame = |control: Control, info: &[u8]| {
        let mut out = Vec::new();
        Frame {
            segmented: false,
            destination: Address::client(0x10).unwrap(),
            source: Address::server(1, Some(17)).unwrap(),
            control,
            info,
        }
        .encode(&mut out)
        .unwrap();
        out
    };
    let apdu = notification(push_body(0), None);
    let mut with_llc = vec![0xE6, 0xE7, 0x00];
    with_llc.extend_from_slice(&apdu);
    let mut stream = frame(Control::Ui { pf: false }, &with_llc);
    stream.extend(frame(Control::Ui { pf: false }, &apdu));
    stream.extend(frame(Control::Snrm { pf: true }, &[]));
    let mut bad = frame(Control::Ui { pf: false }, &apdu);
    let at = bad.len() - 3;
    bad[at] ^= 0xFF; // the FCS
    stream.extend(bad);
    let mut f = Framing::new(true);
    let (apdus, errors) = f.feed(&stream);
    assert_eq!(apdus, [apdu.clone(), apdu]);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(!f.failed());
}
