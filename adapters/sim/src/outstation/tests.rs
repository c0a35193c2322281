//! The station without a transport: ASDUs in, replies out.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use fieldbridge_iec60870::asdu::{CaLen, CotLen, IoaLen};
use fieldbridge_iec60870::types::{Coi, Qoi, Qos, Qu, Sco};
use fieldbridge_iec60870::{
    AsduConfig, Cot, Cp56Time2a, Element, InformationObject, OwnedAsdu, TimeTag, TypeId,
};

use super::clock::to_cp56;
use super::{Settings, Station};

const CA: u16 = 7;

fn station(asdu: AsduConfig, max_command_age: Duration) -> Station {
    Station::new(Settings {
        asdu,
        max_asdu: 249,
        common_address: CA,
        select_timeout: Duration::from_secs(10),
        max_command_age,
        points: None,
    })
}

fn iec104() -> Station {
    station(AsduConfig::IEC104, Duration::from_secs(10))
}

/// Sends one command object to `station`, returns (type ID, cause, P/N) of each reply.
fn send(
    station: &mut Station,
    type_id: TypeId,
    cause: Cot,
    object: InformationObject,
) -> Vec<(u8, u8, bool)> {
    let config = station.settings.asdu;
    let mut bytes = Vec::new();
    OwnedAsdu::new(config, type_id, cause, CA)
        .with(object)
        .encode(&mut bytes)
        .unwrap();
    let mut out = VecDeque::new();
    station.handle(&bytes, Instant::now(), &mut out);
    out.iter()
        .map(|reply| {
            let a = OwnedAsdu::decode(reply, &config).unwrap();
            (a.header.type_id.0, a.header.cause.0, a.header.negative)
        })
        .collect()
}

fn single(ioa: u32, on: bool, select: bool) -> InformationObject {
    InformationObject::new(
        ioa,
        Element::SingleCommand(Sco::new(on, Qu::DEFAULT, select)),
    )
}

fn float(ioa: u32, value: f32, select: bool) -> InformationObject {
    let qos = Qos::new(0, select);
    InformationObject::new(ioa, Element::SetpointFloat { value, qos })
}

fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

const ACTCON: (u8, u8, bool) = (45, 7, false);
const REFUSED: (u8, u8, bool) = (45, 7, true);
const EXECUTED: [(u8, u8, bool); 3] = [(45, 7, false), (1, 11, false), (45, 10, false)];

#[test]
fn an_execute_with_another_value_than_its_select_is_refused_and_uses_the_select_up() {
    let mut s = iec104();
    let (act, sc) = (Cot::ACTIVATION, TypeId::C_SC_NA_1);
    assert_eq!(send(&mut s, sc, act, single(1001, true, true)), [ACTCON]);
    assert_eq!(send(&mut s, sc, act, single(1001, false, false)), [REFUSED]);
    // The refused execute dropped the selection: the right value is refused now too.
    assert_eq!(send(&mut s, sc, act, single(1001, true, false)), [REFUSED]);
    assert_eq!(send(&mut s, sc, act, single(1001, true, true)), [ACTCON]);
    assert_eq!(send(&mut s, sc, act, single(1001, true, false)), EXECUTED);
}

#[test]
fn an_execute_of_another_type_than_its_select_is_refused() {
    let mut s = iec104();
    let act = Cot::ACTIVATION;
    assert_eq!(
        send(&mut s, TypeId::C_SC_NA_1, act, single(1001, true, true)),
        [ACTCON]
    );
    let tag = TimeTag::Cp56(to_cp56(now_ms()));
    let tagged = InformationObject::with_time(
        1001,
        Element::SingleCommand(Sco::new(true, Qu::DEFAULT, false)),
        tag,
    );
    assert_eq!(
        send(&mut s, TypeId::C_SC_TA_1, act, tagged),
        [(58, 7, true)]
    );
}

#[test]
fn a_set_point_executes_only_with_the_value_selected() {
    let mut s = iec104();
    let (act, se) = (Cot::ACTIVATION, TypeId::C_SE_NC_1);
    let refused = [(50, 7, true)];
    let executed = [(50, 7, false), (13, 11, false), (50, 10, false)];
    assert_eq!(
        send(&mut s, se, act, float(1051, 12.5, true)),
        [(50, 7, false)]
    );
    assert_eq!(send(&mut s, se, act, float(1051, 13.0, false)), refused);
    assert_eq!(
        send(&mut s, se, act, float(1051, 12.5, true)),
        [(50, 7, false)]
    );
    assert_eq!(send(&mut s, se, act, float(1051, 12.5, false)), executed);
}

fn tagged_at(ms: i64, invalid: bool) -> InformationObject {
    let tag = Cp56Time2a {
        invalid,
        ..to_cp56(ms)
    };
    InformationObject::with_time(
        1000,
        Element::SingleCommand(Sco::new(true, Qu::DEFAULT, false)),
        TimeTag::Cp56(tag),
    )
}

#[test]
fn a_time_tagged_command_older_than_the_maximum_age_is_refused() {
    let mut s = iec104();
    let (act, sc) = (Cot::ACTIVATION, TypeId::C_SC_TA_1);
    let executed = [(58, 7, false), (1, 11, false), (58, 10, false)];
    assert_eq!(send(&mut s, sc, act, tagged_at(now_ms(), false)), executed);
    assert_eq!(
        send(&mut s, sc, act, tagged_at(now_ms() - 5_000, false)),
        executed
    );
    assert_eq!(
        send(&mut s, sc, act, tagged_at(now_ms() - 11_000, false)),
        [(58, 7, true)]
    );
    // A tag marked invalid says nothing about when it was sent: refused.
    assert_eq!(
        send(&mut s, sc, act, tagged_at(now_ms(), true)),
        [(58, 7, true)]
    );
    // The age is the station's setting.
    let mut patient = station(AsduConfig::IEC104, Duration::from_secs(60));
    assert_eq!(
        send(&mut patient, sc, act, tagged_at(now_ms() - 11_000, false)),
        executed
    );
}

#[test]
fn the_age_of_a_command_goes_by_the_synchronized_clock() {
    let mut s = iec104();
    // Set the station's clock one hour back: a command tagged an hour back is current, one
    // tagged an hour and 11 s back is too old, though the system clock would call both older.
    let hour = 3_600_000;
    let sync = InformationObject::new(0, Element::ClockSync(to_cp56(now_ms() - hour)));
    assert_eq!(
        send(&mut s, TypeId::C_CS_NA_1, Cot::ACTIVATION, sync),
        [(103, 7, false)]
    );
    let (act, sc) = (Cot::ACTIVATION, TypeId::C_SC_TA_1);
    let executed = [(58, 7, false), (1, 11, false), (58, 10, false)];
    assert_eq!(
        send(&mut s, sc, act, tagged_at(now_ms() - hour, false)),
        executed
    );
    assert_eq!(
        send(&mut s, sc, act, tagged_at(now_ms() - hour - 11_000, false)),
        [(58, 7, true)]
    );
}

#[test]
fn end_of_initialization_follows_the_profile_sizes() {
    let config = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two);
    let s = station(config, Duration::from_secs(10));
    // type 70, one object, COT 4, CA 7, IOA 0 in two octets, COI 0.
    assert_eq!(s.end_of_init().unwrap(), [70, 0x01, 0x04, 7, 0, 0, 0]);
    let decoded = OwnedAsdu::decode(&iec104().end_of_init().unwrap(), &AsduConfig::IEC104);
    assert_eq!(
        decoded.unwrap().objects(),
        [InformationObject::new(
            0,
            Element::EndOfInitialization(Coi(0))
        )]
    );
}

#[test]
fn a_broadcast_interrogation_with_a_one_octet_common_address_is_answered_with_ours() {
    let config = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two);
    let mut s = station(config, Duration::from_secs(10));
    let mut bytes = Vec::new();
    OwnedAsdu::new(config, TypeId::C_IC_NA_1, Cot::ACTIVATION, 255)
        .with(InformationObject::new(
            0,
            Element::Interrogation(Qoi::STATION),
        ))
        .encode(&mut bytes)
        .unwrap();
    let mut out = VecDeque::new();
    s.handle(&bytes, Instant::now(), &mut out);
    assert!(out.len() > 2);
    for reply in &out {
        let a = OwnedAsdu::decode(reply, &config).unwrap();
        assert_eq!(a.header.common_address, CA, "{a:?}");
        assert!(!a.header.negative);
    }
    let last = OwnedAsdu::decode(out.back().unwrap(), &config).unwrap();
    assert_eq!(last.header.cause, Cot::ACTIVATION_TERMINATION);
}
