//! The IEC 104 simulator driven by our own controlling station (`Link104` over TCP):
//! interrogations answer every point, commands with and without select-before-operate, refusals
//! with the standard's causes, and a spontaneous flood that stops at k while TESTFR is answered.

use std::time::Duration;

use fieldbridge_iec60870::link104::{Params, State};
use fieldbridge_iec60870::types::{Dco, Qcc, Qoi, Qos, Qu, Rco, Sco};
use fieldbridge_iec60870::{
    AsduConfig, CivilDateTime, Cot, Cp56Time2a, Element, InformationObject, OwnedAsdu, TimeTag,
    TypeId,
};
#[path = "common/master104.rs"]
mod master104;

use fieldbridge_sim::iec104::{Kind, POINTS};
use fieldbridge_sim::{bind_iec104, Iec104Config, Rate};
use master104::Master;

const CA: u16 = 1;

/// Starts a simulator with `config`, connects a master with `params`, starts data transfer
/// and takes the end of initialization, which comes first (and is then forgotten).
async fn start(config: Iec104Config, params: Params) -> Master {
    let (addr, _task) = bind_iec104("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("bind the simulator");
    let mut master = Master::connect(addr, params).await;
    master.pump_until(|m| !m.received.is_empty()).await;
    assert_end_of_init(&master.received[0]);
    master.received.remove(0);
    master
}

/// M_EI_NA_1, COT 4, IOA 0, COI 0 (local power on) from our common address.
fn assert_end_of_init(asdu: &OwnedAsdu) {
    assert_eq!(
        (asdu.header.type_id, asdu.header.cause, asdu.header.negative),
        (TypeId::M_EI_NA_1, Cot::INITIALIZED, false),
        "{asdu:?}"
    );
    assert_eq!(asdu.header.common_address, CA);
    assert_eq!(
        asdu.objects(),
        [InformationObject::new(
            0,
            Element::EndOfInitialization(fieldbridge_iec60870::types::Coi(0))
        )]
    );
}

/// A quiet simulator (no spontaneous changes) and a master with the standard's parameters.
async fn quiet() -> Master {
    let config = Iec104Config {
        rate: Rate::Off,
        select_timeout: Duration::from_millis(1000),
        ..Iec104Config::default()
    };
    start(config, Params::default()).await
}

/// An ASDU of `type_id` with `cause` (any P/N).
fn is(type_id: TypeId, cause: Cot) -> impl Fn(&OwnedAsdu) -> bool {
    move |a| a.header.type_id == type_id && a.header.cause == cause
}

/// A command ASDU with one object.
fn command(type_id: TypeId, cause: Cot, ca: u16, ioa: u32, element: Element) -> OwnedAsdu {
    OwnedAsdu::new(AsduConfig::IEC104, type_id, cause, ca)
        .with(InformationObject::new(ioa, element))
}

/// (type ID, cause, P/N) of each ASDU.
fn summary(asdus: &[OwnedAsdu]) -> Vec<(u8, u8, bool)> {
    asdus
        .iter()
        .map(|a| (a.header.type_id.0, a.header.cause.0, a.header.negative))
        .collect()
}

#[tokio::test]
async fn station_interrogation_answers_every_point_once_between_actcon_and_actterm() {
    let mut master = quiet().await;
    let gi = command(
        TypeId::C_IC_NA_1,
        Cot::ACTIVATION,
        CA,
        0,
        Element::Interrogation(Qoi::STATION),
    );
    let got = master
        .exchange(&gi, is(TypeId::C_IC_NA_1, Cot::ACTIVATION_TERMINATION))
        .await;
    assert_eq!(summary(&got[..1]), [(100, 7, false)]);
    let data = &got[1..got.len() - 1];
    let mut ioas: Vec<u32> = Vec::new();
    for asdu in data {
        assert_eq!(asdu.header.cause, Cot::INTERROGATED_BY_STATION, "{asdu:?}");
        assert_eq!(asdu.header.common_address, CA);
        assert!(
            !matches!(asdu.header.type_id.0, 30..=40),
            "no time-tagged types in GI: {asdu:?}"
        );
        for object in asdu.objects() {
            assert!(object.time.is_none());
            ioas.push(object.address);
        }
    }
    ioas.sort_unstable();
    let expected: Vec<u32> = POINTS
        .iter()
        .filter(|p| p.group != 0 && p.kind != Kind::Counter)
        .map(|p| p.ioa)
        .collect();
    assert_eq!(ioas, expected);
    // Spot checks of untagged forms: M_SP_TB_1 at 101 answers as M_SP_NA_1.
    let sp = data
        .iter()
        .find(|a| a.objects().iter().any(|o| o.address == 101))
        .unwrap();
    assert_eq!(sp.header.type_id, TypeId::M_SP_NA_1);
}

#[tokio::test]
async fn group_and_counter_interrogation_answer_their_points_with_their_causes() {
    let mut master = quiet().await;
    let group1 = command(
        TypeId::C_IC_NA_1,
        Cot::ACTIVATION,
        CA,
        0,
        Element::Interrogation(Qoi::group(1).unwrap()),
    );
    let got = master
        .exchange(&group1, is(TypeId::C_IC_NA_1, Cot::ACTIVATION_TERMINATION))
        .await;
    let mut ioas: Vec<u32> = got[1..got.len() - 1]
        .iter()
        .inspect(|a| assert_eq!(a.header.cause, Cot(21)))
        .flat_map(|a| a.objects().iter().map(|o| o.address).collect::<Vec<_>>())
        .collect();
    ioas.sort_unstable();
    assert_eq!(ioas, [100, 101, 110, 111]);

    let ci = command(
        TypeId::C_CI_NA_1,
        Cot::ACTIVATION,
        CA,
        0,
        Element::CounterInterrogation(Qcc::new(Qcc::GENERAL, Qcc::READ)),
    );
    let got = master
        .exchange(&ci, is(TypeId::C_CI_NA_1, Cot::ACTIVATION_TERMINATION))
        .await;
    assert_eq!(
        summary(&got),
        [
            (101, 7, false),
            (15, 37, false),
            (37, 37, false),
            (101, 10, false)
        ]
    );
    assert!(matches!(got[2].objects()[0].time, Some(TimeTag::Cp56(_))));

    // The broadcast address is answered with the station's own.
    let broadcast = command(
        TypeId::C_IC_NA_1,
        Cot::ACTIVATION,
        0xFFFF,
        0,
        Element::Interrogation(Qoi::STATION),
    );
    let got = master
        .exchange(
            &broadcast,
            is(TypeId::C_IC_NA_1, Cot::ACTIVATION_TERMINATION),
        )
        .await;
    assert!(got.iter().all(|a| a.header.common_address == CA));
}

#[tokio::test]
async fn clock_sync_is_confirmed_with_the_time_and_sets_the_time_tags() {
    let mut master = quiet().await;
    let civil = CivilDateTime {
        year: 2031,
        month: 7,
        day: 14,
        hour: 9,
        minute: 30,
        second: 0,
        millisecond: 0,
    };
    let time = Cp56Time2a::from_civil(&civil).unwrap();
    let sync = command(
        TypeId::C_CS_NA_1,
        Cot::ACTIVATION,
        CA,
        0,
        Element::ClockSync(time),
    );
    let got = master
        .exchange(&sync, is(TypeId::C_CS_NA_1, Cot::ACTIVATION_CON))
        .await;
    assert_eq!(summary(&got), [(103, 7, false)]);
    assert_eq!(got[0].objects()[0].element, Element::ClockSync(time));

    // A read of a time-tagged point now carries the new time (within a minute of it).
    let read = command(TypeId::C_RD_NA_1, Cot::REQUEST, CA, 101, Element::Read);
    let got = master
        .exchange(&read, is(TypeId::M_SP_TB_1, Cot::REQUEST))
        .await;
    let Some(TimeTag::Cp56(tag)) = got[0].objects()[0].time else {
        panic!("{got:?}")
    };
    let read_civil = tag.to_civil().unwrap();
    assert_eq!(
        (
            read_civil.year,
            read_civil.month,
            read_civil.day,
            read_civil.hour
        ),
        (2031, 7, 14, 9)
    );
    assert!(
        read_civil.minute == 30 || read_civil.minute == 31,
        "{read_civil:?}"
    );
}

#[tokio::test]
async fn select_before_operate_executes_a_selected_point_and_refuses_an_unselected_one() {
    let mut master = quiet().await;
    let select = command(
        TypeId::C_SC_NA_1,
        Cot::ACTIVATION,
        CA,
        1001,
        Element::SingleCommand(Sco::new(true, Qu::DEFAULT, true)),
    );
    let execute = command(
        TypeId::C_SC_NA_1,
        Cot::ACTIVATION,
        CA,
        1001,
        Element::SingleCommand(Sco::new(true, Qu::DEFAULT, false)),
    );

    // Execute without select: negative actcon, nothing applied.
    let got = master
        .exchange(&execute, is(TypeId::C_SC_NA_1, Cot::ACTIVATION_CON))
        .await;
    assert_eq!(summary(&got), [(45, 7, true)]);

    // Select, execute: actcon, actcon, the value with COT 11, actterm.
    let got = master
        .exchange(&select, is(TypeId::C_SC_NA_1, Cot::ACTIVATION_CON))
        .await;
    assert_eq!(summary(&got), [(45, 7, false)]);
    let got = master
        .exchange(&execute, is(TypeId::C_SC_NA_1, Cot::ACTIVATION_TERMINATION))
        .await;
    assert_eq!(
        summary(&got),
        [(45, 7, false), (1, 11, false), (45, 10, false)]
    );
    assert_eq!(got[1].objects()[0].address, 2001);
    assert_eq!(
        got[1].objects()[0].element,
        Element::SinglePoint(fieldbridge_iec60870::types::Siq::new(true))
    );

    // The selection is used up; and one that expired (1 s) is refused too.
    let got = master
        .exchange(&execute, is(TypeId::C_SC_NA_1, Cot::ACTIVATION_CON))
        .await;
    assert_eq!(summary(&got), [(45, 7, true)]);
    master
        .exchange(&select, is(TypeId::C_SC_NA_1, Cot::ACTIVATION_CON))
        .await;
    master.pump_for(Duration::from_millis(1500)).await;
    let got = master
        .exchange(&execute, is(TypeId::C_SC_NA_1, Cot::ACTIVATION_CON))
        .await;
    assert_eq!(summary(&got), [(45, 7, true)]);

    // Deactivating a selection: deactcon, then its execute is refused.
    let double_select = command(
        TypeId::C_DC_NA_1,
        Cot::ACTIVATION,
        CA,
        1011,
        Element::DoubleCommand(Dco::new(Dco::ON, Qu::DEFAULT, true)),
    );
    master
        .exchange(&double_select, is(TypeId::C_DC_NA_1, Cot::ACTIVATION_CON))
        .await;
    let cancel = command(
        TypeId::C_DC_NA_1,
        Cot::DEACTIVATION,
        CA,
        1011,
        Element::DoubleCommand(Dco::new(Dco::ON, Qu::DEFAULT, true)),
    );
    let got = master
        .exchange(&cancel, is(TypeId::C_DC_NA_1, Cot::DEACTIVATION_CON))
        .await;
    assert_eq!(summary(&got), [(46, 9, false)]);
}

#[tokio::test]
async fn every_command_type_sets_its_point_with_return_information() {
    let mut master = quiet().await;
    let qos = Qos::new(0, false);
    let cases = [
        (
            TypeId::C_SC_NA_1,
            1000,
            Element::SingleCommand(Sco::new(true, Qu::DEFAULT, false)),
            Element::SinglePoint(fieldbridge_iec60870::types::Siq::new(true)),
        ),
        (
            TypeId::C_DC_NA_1,
            1010,
            Element::DoubleCommand(Dco::new(Dco::ON, Qu::DEFAULT, false)),
            Element::DoublePoint(fieldbridge_iec60870::types::Diq::new(
                fieldbridge_iec60870::types::DoublePoint::On,
            )),
        ),
        (
            TypeId::C_RC_NA_1,
            1020,
            Element::RegulatingStep(Rco::new(Rco::HIGHER, Qu::DEFAULT, false)),
            Element::StepPosition {
                vti: fieldbridge_iec60870::types::Vti::new(-63, false).unwrap(),
                qds: Default::default(),
            },
        ),
        (
            TypeId::C_SE_NA_1,
            1030,
            Element::SetpointNormalized {
                nva: fieldbridge_iec60870::types::Nva(1234),
                qos,
            },
            Element::Normalized {
                nva: fieldbridge_iec60870::types::Nva(1234),
                qds: Default::default(),
            },
        ),
        (
            TypeId::C_SE_NB_1,
            1040,
            Element::SetpointScaled { sva: -321, qos },
            Element::Scaled {
                sva: -321,
                qds: Default::default(),
            },
        ),
        (
            TypeId::C_SE_NC_1,
            1050,
            Element::SetpointFloat { value: 12.5, qos },
            Element::Float {
                value: 12.5,
                qds: Default::default(),
            },
        ),
        (
            TypeId::C_BO_NA_1,
            1060,
            Element::BitstringCommand(0xDEAD_BEEF),
            Element::Bitstring {
                bsi: 0xDEAD_BEEF,
                qds: Default::default(),
            },
        ),
    ];
    for (type_id, ioa, element, feedback) in cases {
        let got = master
            .exchange(
                &command(type_id, Cot::ACTIVATION, CA, ioa, element),
                is(type_id, Cot::ACTIVATION_TERMINATION),
            )
            .await;
        assert_eq!(got.len(), 3, "{type_id:?}: {got:?}");
        assert_eq!(
            (got[0].header.cause, got[0].header.negative),
            (Cot::ACTIVATION_CON, false)
        );
        assert_eq!(got[1].header.cause, Cot::RETURN_REMOTE);
        assert_eq!(
            (got[1].objects()[0].address, got[1].objects()[0].element),
            (ioa + 1000, feedback),
            "{type_id:?}"
        );
    }
    // With a time tag (C_SC_TA_1) on the same point: taken when fresh, refused with a
    // negative actcon (and nothing set) when older than the maximum command age (10 s).
    let tagged = |tag: Cp56Time2a| {
        OwnedAsdu::new(AsduConfig::IEC104, TypeId::C_SC_TA_1, Cot::ACTIVATION, CA).with(
            InformationObject::with_time(
                1000,
                Element::SingleCommand(Sco::new(false, Qu::DEFAULT, false)),
                TimeTag::Cp56(tag),
            ),
        )
    };
    let stale = tag_at(now_ms() - 11_000);
    let got = master
        .exchange(&tagged(stale), is(TypeId::C_SC_TA_1, Cot::ACTIVATION_CON))
        .await;
    assert_eq!(summary(&got), [(58, 7, true)]);
    let got = master
        .exchange(
            &tagged(tag_at(now_ms())),
            is(TypeId::C_SC_TA_1, Cot::ACTIVATION_TERMINATION),
        )
        .await;
    assert_eq!(
        summary(&got),
        [(58, 7, false), (1, 11, false), (58, 10, false)]
    );
    // And the feedback point reads back what was set.
    let read = command(TypeId::C_RD_NA_1, Cot::REQUEST, CA, 2050, Element::Read);
    let got = master
        .exchange(&read, is(TypeId::M_ME_NC_1, Cot::REQUEST))
        .await;
    assert_eq!(
        got[0].objects()[0].element,
        Element::Float {
            value: 12.5,
            qds: Default::default()
        }
    );
}

#[tokio::test]
async fn unknown_type_cause_common_address_and_address_are_refused_with_44_to_47() {
    let mut master = quiet().await;
    let on = Element::SingleCommand(Sco::new(true, Qu::DEFAULT, false));
    let cases = [
        (
            command(
                TypeId::M_SP_NA_1,
                Cot::ACTIVATION,
                CA,
                100,
                Element::SinglePoint(Default::default()),
            ),
            44,
        ),
        (
            command(TypeId::C_SC_NA_1, Cot::SPONTANEOUS, CA, 1000, on),
            45,
        ),
        (command(TypeId::C_SC_NA_1, Cot::ACTIVATION, 9, 1000, on), 46),
        (
            command(TypeId::C_SC_NA_1, Cot::ACTIVATION, CA, 4242, on),
            47,
        ),
        (
            command(
                TypeId::C_DC_NA_1,
                Cot::ACTIVATION,
                CA,
                1000,
                Element::DoubleCommand(Dco::new(Dco::ON, Qu::DEFAULT, false)),
            ),
            47,
        ),
        (
            command(TypeId::C_RD_NA_1, Cot::REQUEST, CA, 4242, Element::Read),
            47,
        ),
    ];
    for (asdu, cause) in cases {
        let type_id = asdu.header.type_id;
        let got = master
            .exchange(&asdu, |a| a.header.type_id == type_id)
            .await;
        assert_eq!(summary(&got), [(type_id.0, cause, true)], "{asdu:?}");
    }
    // A type ID the codec keeps raw (a private one) is refused the same way.
    let mut private = Vec::new();
    command(TypeId::C_SC_NA_1, Cot::ACTIVATION, CA, 1000, on)
        .encode(&mut private)
        .unwrap();
    private[0] = 200;
    let from = master.received.len();
    master.send_raw(&private).await;
    master.pump_until(|m| m.received.len() > from).await;
    assert_eq!(summary(&master.received[from..]), [(200, 44, true)]);
    assert!(master.closed.is_none());
}

#[tokio::test]
async fn spontaneous_changes_cover_every_animated_point_with_time_tags() {
    let config = Iec104Config {
        rate: Rate::PerSecond(200),
        ..Iec104Config::default()
    };
    let mut master = start(config, Params::default()).await;
    let animated: Vec<u32> = POINTS
        .iter()
        .filter(|p| p.animated)
        .map(|p| p.ioa)
        .collect();
    master
        .pump_until(|m| m.received.len() >= animated.len())
        .await;
    for (asdu, point) in master
        .received
        .iter()
        .zip(POINTS.iter().filter(|p| p.animated))
    {
        assert_eq!(
            (asdu.header.type_id, asdu.header.cause),
            (point.type_id, Cot::SPONTANEOUS)
        );
        let object = &asdu.objects()[0];
        assert_eq!(object.address, point.ioa);
        assert_eq!(
            object.time.is_some(),
            matches!(point.type_id.0, 30..=40),
            "{point:?}"
        );
        assert_eq!(
            object.element,
            fieldbridge_sim::iec104::points::animated(point.kind, 1)
        );
    }
}

#[tokio::test]
async fn a_flood_stops_at_k_while_acks_are_held_answers_testfr_and_loses_nothing() {
    let config = Iec104Config {
        rate: Rate::Flood,
        points: Some(vec![320]),
        ..Iec104Config::default()
    };
    let k = config.params.k;
    // Our t3 of 1 s makes us test the idle link while we hold acknowledgements; our t1 of 2 s
    // closes it if no TESTFR con comes.
    let params = Params {
        t1: Duration::from_secs(2),
        t2: Duration::from_secs(1),
        t3: Duration::from_secs(1),
        ..Params::default()
    };
    let (addr, _task) = bind_iec104("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let mut master = Master::connect(addr, params).await;
    master.link.hold_acks(true);
    master
        .pump_until(|m| m.link.state() == State::Started)
        .await;
    master.pump_for(Duration::from_millis(3500)).await;
    assert_eq!(
        master.closed, None,
        "the link survived 3.5 s of held acks with t1 = 2 s: TESTFR answered"
    );
    assert_eq!(
        master.received.len(),
        usize::from(k),
        "the simulator stopped at k (end of initialization included)"
    );
    assert_end_of_init(&master.received[0]);
    master.received.remove(0);

    master.link.hold_acks(false);
    master.pump_until(|m| m.received.len() >= 3000).await;
    for (i, asdu) in master.received.iter().enumerate() {
        let Element::Float { value, .. } = asdu.objects()[0].element else {
            panic!("{asdu:?}")
        };
        assert_eq!(value, (i + 1) as f32, "change {} lost or repeated", i + 1);
    }
}

/// Milliseconds since 1970 by the system clock.
fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_millis()).unwrap()
}

/// A CP56Time2a (UTC) of `ms` since 1970.
fn tag_at(ms: i64) -> Cp56Time2a {
    Cp56Time2a::from_civil(&CivilDateTime::from_unix_millis(ms).unwrap()).unwrap()
}
