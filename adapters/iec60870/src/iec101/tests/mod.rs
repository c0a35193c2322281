//! The source against outstations made of the codec's own link layers (unbalanced secondaries
//! sharing one line, a balanced station B) on an in-memory pipe: ACD-driven class 1 polling of
//! two link addresses, a silent link address down while the other stays up, a stalled point
//! stream that loses no reading, and commands to one link address with select before operate.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant as StdInstant};

use fieldbridge_core::command::{
    CommandRequest, CommandSender, CommandValue, FieldCommand, FieldReply, Outcome,
};
use fieldbridge_core::config::{
    DeviceTime, Iec101Mode, Iec101Sizes, IecCommand, IecCommandKind, IecMaster, IecPoint,
    PulseQualifier, SerialSettings,
};
use fieldbridge_core::event::{self, EventReceiver};
use fieldbridge_core::point::{QualityFlag, Value};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, CaLen, Cot, CotLen, Element, InformationObject, IoaLen, OwnedAsdu, TimeTag,
    TypeId,
};
use fieldbridge_iec60870::ft12::{self, Control, Frame, LinkConfig};
use fieldbridge_iec60870::link101::{
    Balanced, Event, Params, Refusal, Service, Station as LinkStation, UnbalancedSecondary,
};
use fieldbridge_iec60870::types::Qds;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::{mpsc, oneshot};

use super::*;

mod commands;
mod outstations;

use outstations::{balanced_outstation, encode, float, party_line, Ask, Seen};

const SIZES: AsduConfig = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two);
const LIMIT: Duration = Duration::from_secs(20);

fn point(link: u16, ca: u16, ioa: u32, name: &str) -> (IecPoint, u16) {
    let p = IecPoint {
        name: name.into(),
        common_address: ca,
        ioa,
        unit: None,
        command: None,
        writable: false,
        min: None,
        max: None,
        command_timeout: None,
    };
    (p, link)
}

fn source(mode: Iec101Mode, links: &[u16], ca: u16, points: Vec<(IecPoint, u16)>) -> Iec101Source {
    let (points, point_links) = points.into_iter().unzip();
    Iec101Source {
        serial: SerialSettings {
            path: "pipe".into(),
            baud: 9600,
            parity: Parity::Even,
            data_bits: 8,
            stop_bits: 1,
        },
        link_addresses: links.to_vec(),
        point_links,
        own_link_address: links.first().copied().unwrap_or(0),
        mode,
        sizes: Iec101Sizes {
            link_address: 1,
            cot: 1,
            common_address: 1,
            ioa: 2,
        },
        timeout: Duration::from_millis(250),
        poll: Duration::from_millis(20),
        master: IecMaster {
            common_address: ca,
            originator_address: 0,
            interrogation: None,
            counter_interrogation: None,
            clock_sync: false,
            device_time: DeviceTime::Utc,
            only_listed: false,
            command_timeout: None,
            points,
        },
    }
}

/// The source on one end of a pipe, the outstations on the other.
struct Rig {
    events: EventReceiver,
    commands: CommandSender,
    asks: mpsc::UnboundedSender<Ask>,
    seen: Arc<Mutex<Seen>>,
    stats: Arc<SourceStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn unbalanced_rig(config: Iec101Source, stations: Vec<(u16, u16, f32)>, capacity: usize) -> Rig {
    let (ours, theirs) = tokio::io::duplex(4096);
    let (asks, asked) = mpsc::unbounded_channel();
    let seen = Arc::new(Mutex::new(Seen::default()));
    tokio::spawn(party_line(theirs, stations, asked, seen.clone()));
    let (tx, events) = event::channel(capacity);
    let stats = Arc::new(SourceStats::new());
    let mut port = Some(ours);
    let (commands, queue) = mpsc::channel(8);
    let task = tokio::spawn(run_on(
        Arc::from("rtu"),
        config,
        tx,
        stats.clone(),
        queue,
        BUSY_AT,
        move || port.take().ok_or_else(|| "the pipe is gone".to_owned()),
    ));
    Rig {
        events,
        commands,
        asks,
        seen,
        stats,
        task,
    }
}

/// What the point stream carried, in order.
#[derive(Debug, Default)]
struct Got {
    /// (point, value, comm_failure)
    readings: Vec<(String, Value, bool)>,
    /// (online, reason)
    states: Vec<(bool, Option<String>)>,
    /// The device time and flags of each point's last reading.
    last: HashMap<String, (Option<fieldbridge_core::time::Timestamp>, Vec<QualityFlag>)>,
}

impl Got {
    fn take(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Reading(r) => {
                assert_eq!(r.source.protocol(), "iec101", "{r:?}");
                self.last.insert(
                    r.point.to_string(),
                    (r.ts, r.quality.flags.iter().collect()),
                );
                self.readings.push((
                    r.point.to_string(),
                    r.value,
                    r.quality.flags.contains(QualityFlag::CommFailure),
                ));
            }
            SourceEvent::DeviceState(s) => self.states.push((s.online, s.reason)),
            _ => {}
        }
    }

    fn has(&self, point: &str, value: f64, failed: bool) -> bool {
        self.readings
            .iter()
            .any(|(p, v, f)| p == point && v.as_f64() == Some(value) && *f == failed)
    }
}

/// Reads the point stream into `got` until `done` holds; fails after [`LIMIT`].
async fn until(rig: &mut Rig, got: &mut Got, what: &str, done: impl Fn(&Got) -> bool) {
    let end = tokio::time::Instant::now() + LIMIT;
    while !done(got) {
        match tokio::time::timeout_at(end, rig.events.recv()).await {
            Ok(Some(e)) => got.take(e),
            _ => panic!("no {what} within {LIMIT:?}: {got:#?}"),
        }
    }
}

#[tokio::test]
async fn two_link_addresses_on_one_line_are_interrogated_and_polled_for_class_1_on_acd() {
    // Link 3 holds station 3, link 4 station 4; the default station 3 is asked at both.
    let config = source(
        Iec101Mode::Unbalanced,
        &[3, 4],
        3,
        vec![point(4, 4, 200, "feeder4")],
    );
    let mut rig = unbalanced_rig(config, vec![(3, 3, 12.5), (4, 4, 40.0)], 64);
    let mut got = Got::default();
    until(&mut rig, &mut got, "both interrogations", |g| {
        g.has("ca3-ioa200", 12.5, false) && g.has("feeder4", 40.0, false)
    })
    .await;
    assert_eq!(
        got.states.first(),
        Some(&(true, None)),
        "every link address answers"
    );
    // Spontaneous data in class 1 and class 2 of both.
    let _ = rig
        .asks
        .send(Ask::Push(3, true, float(3, 200, 13.5, Cot::SPONTANEOUS)));
    let _ = rig
        .asks
        .send(Ask::Push(4, false, float(4, 200, 41.0, Cot::SPONTANEOUS)));
    // A float with a CP24Time2a (M_ME_TC_1), its IV set: completed with the current hour.
    let tagged = encode(
        &OwnedAsdu::new(SIZES, TypeId(14), Cot::SPONTANEOUS, 3).with(InformationObject::with_time(
            201,
            Element::Float {
                value: 5.0,
                qds: Qds(0),
            },
            TimeTag::Cp24(fieldbridge_iec60870::Cp24Time2a {
                millisecond: 1_000,
                minute: 0,
                res1: false,
                invalid: true,
            }),
        )),
    );
    let _ = rig.asks.send(Ask::Push(3, true, tagged));
    until(&mut rig, &mut got, "the spontaneous values", |g| {
        g.has("ca3-ioa200", 13.5, false)
            && g.has("feeder4", 41.0, false)
            && g.has("ca3-ioa201", 5.0, false)
    })
    .await;
    let (ts, flags) = got.last.get("ca3-ioa201").cloned().unwrap_or_default();
    let ts = ts.map(|t| t.unix_millis()).unwrap_or_default();
    let now = fieldbridge_core::time::Timestamp::now().unix_millis();
    assert!(
        now - ts <= 3_600_000 && ts.rem_euclid(3_600_000) == 1_000,
        "{ts} {now}"
    );
    assert!(flags.contains(&QualityFlag::TimeInvalid), "{flags:?}");
    let requests = rig
        .seen
        .lock()
        .map(|s| s.requests.clone())
        .unwrap_or_default();
    for link in [3u16, 4] {
        let functions: Vec<u8> = requests
            .iter()
            .filter(|(a, _)| *a == link)
            .map(|(_, f)| *f)
            .collect();
        // Status of link, reset of remote link, then the interrogation(s) sent with FC 3, and
        // class 1 requests (FC 10) while ACD was set: the answers were class 1 data only.
        assert_eq!(
            functions.get(..2),
            Some(&[9u8, 0][..]),
            "link {link}: {functions:?}"
        );
        assert!(functions.contains(&3), "link {link}: {functions:?}");
        assert!(functions.contains(&10), "link {link}: {functions:?}");
        assert!(functions.contains(&11), "link {link}: {functions:?}");
    }
    // The default station at link 4 is not there: refused (cause 46), counted, no value.
    assert!(rig.stats.snapshot().exceptions >= 1);
    assert!(!got.has("feeder4", 12.5, false) && !got.has("ca3-ioa200", 40.0, false));
}

#[tokio::test]
async fn a_silent_link_address_goes_down_and_comes_back_while_the_other_stays_up() {
    let config = source(
        Iec101Mode::Unbalanced,
        &[3, 4],
        3,
        vec![point(4, 4, 200, "feeder4")],
    );
    let mut rig = unbalanced_rig(config, vec![(3, 3, 12.5), (4, 4, 40.0)], 64);
    let mut got = Got::default();
    until(&mut rig, &mut got, "both interrogations", |g| {
        g.has("ca3-ioa200", 12.5, false) && g.has("feeder4", 40.0, false)
    })
    .await;
    let _ = rig.asks.send(Ask::Silent(4, true));
    until(&mut rig, &mut got, "link 4 down", |g| {
        g.states
            .contains(&(true, Some("link address 4 not answering".into())))
    })
    .await;
    until(
        &mut rig,
        &mut got,
        "link 4's point with comm_failure",
        |g| g.has("feeder4", 40.0, true),
    )
    .await;
    assert!(
        !got.has("ca3-ioa200", 12.5, true),
        "link 3's point is not lost: {got:#?}"
    );
    // Link 3 goes on: its spontaneous value arrives while 4 is silent.
    let _ = rig
        .asks
        .send(Ask::Push(3, true, float(3, 200, 14.5, Cot::SPONTANEOUS)));
    until(&mut rig, &mut got, "link 3's spontaneous value", |g| {
        g.has("ca3-ioa200", 14.5, false)
    })
    .await;
    // Link 4 answers again: started with a backoff, interrogated, online with no reason.
    let _ = rig.asks.send(Ask::Silent(4, false));
    let readings_before = got.readings.len();
    until(&mut rig, &mut got, "link 4 back", |g| {
        g.states.last() == Some(&(true, None))
            && g.readings[readings_before..]
                .iter()
                .any(|(p, v, f)| p == "feeder4" && v.as_f64() == Some(40.0) && !f)
    })
    .await;
    // Both silent: offline, naming both.
    let _ = rig.asks.send(Ask::Silent(3, true));
    let _ = rig.asks.send(Ask::Silent(4, true));
    until(&mut rig, &mut got, "offline", |g| {
        g.states.last() == Some(&(false, Some("link addresses 3, 4 not answering".into())))
    })
    .await;
    assert!(rig.stats.snapshot().reconnects >= 1);
}

#[tokio::test]
async fn a_stalled_point_stream_holds_the_polls_and_loses_no_reading() {
    let mut config = source(Iec101Mode::Unbalanced, &[3], 3, vec![]);
    // Class 2 as fast as the pipe allows, so the drain is quick.
    config.poll = Duration::from_millis(1);
    let mut rig = unbalanced_rig(config, vec![(3, 3, 12.5)], 4);
    let mut got = Got::default();
    until(&mut rig, &mut got, "the interrogation", |g| {
        g.has("ca3-ioa200", 12.5, false)
    })
    .await;
    let total = 2000u32;
    for i in 0..total {
        let class1 = i % 2 == 0;
        let _ = rig.asks.send(Ask::Push(
            3,
            class1,
            float(3, 1000 + i % 7, i as f32, Cot::SPONTANEOUS),
        ));
    }
    // Nobody reads the point stream for a while: the source stops polling, the outstation
    // keeps the rest.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = |rig: &Rig| {
        rig.seen
            .lock()
            .ok()
            .and_then(|s| s.queued.get(&3).copied())
            .map_or(0, |(c1, c2)| c1 + c2)
    };
    let held = waiting(&rig);
    let bound = total as usize - HANDOFF - 4 - 2;
    assert!(
        held >= bound,
        "only {held} of {total} still wait at the outstation"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        waiting(&rig),
        held,
        "no poll while the point stream is full"
    );
    // The stream drains: every value arrives, in order.
    until(&mut rig, &mut got, "every value", |g| {
        g.readings
            .iter()
            .filter(|(p, _, _)| p.starts_with("ca3-ioa10"))
            .count()
            == total as usize
    })
    .await;
    let values: Vec<f64> = got
        .readings
        .iter()
        .filter(|(p, _, _)| p.starts_with("ca3-ioa10"))
        .filter_map(|(_, v, _)| v.as_f64())
        .collect();
    // Class 1 goes first while ACD is set, so the two classes interleave differently, but each
    // class keeps its order and nothing is missing.
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(sorted, (0..total).map(f64::from).collect::<Vec<_>>());
    for class in [0u32, 1] {
        let of_class: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| (*v as u32) % 2 == class)
            .collect();
        assert!(of_class.windows(2).all(|w| w[0] < w[1]), "class order kept");
    }
}

/// A balanced outstation sending `total` spontaneous floats to the source with `busy_at`, whose
/// point stream stalls for a second after the interrogation: the values received, in order, and
/// how many of its FC 3 frames were confirmed and refused busy.
async fn balanced_through_a_stall(total: u32, busy_at: usize) -> (Vec<f64>, u32, u32) {
    let config = source(Iec101Mode::Balanced, &[5], 5, vec![]);
    let (ours, theirs) = tokio::io::duplex(4096);
    let sent = Arc::new(Mutex::new((0u32, 0u32)));
    tokio::spawn(balanced_outstation(theirs, total, sent.clone()));
    let (tx, events) = event::channel(4);
    let stats = Arc::new(SourceStats::new());
    let mut port = Some(ours);
    let (commands, queue) = mpsc::channel(8);
    let task = tokio::spawn(run_on(
        Arc::from("rtu"),
        config,
        tx,
        stats.clone(),
        queue,
        busy_at,
        move || port.take().ok_or_else(|| "the pipe is gone".to_owned()),
    ));
    let (asks, _) = mpsc::unbounded_channel();
    let mut rig = Rig {
        events,
        commands,
        asks,
        seen: Arc::default(),
        stats,
        task,
    };
    let mut got = Got::default();
    until(&mut rig, &mut got, "the interrogation", |g| {
        g.has("ca5-ioa200", 7.5, false)
    })
    .await;
    assert_eq!(got.states.first(), Some(&(true, None)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    until(&mut rig, &mut got, "every spontaneous value", |g| {
        g.readings
            .iter()
            .filter(|(p, _, _)| p == "ca5-ioa300")
            .count()
            == total as usize
    })
    .await;
    let values: Vec<f64> = got
        .readings
        .iter()
        .filter(|(p, _, _)| p == "ca5-ioa300")
        .filter_map(|(_, v, _)| v.as_f64())
        .collect();
    let (confirmed, refused) = sent.lock().map(|s| *s).unwrap_or_default();
    (values, confirmed, refused)
}

#[tokio::test]
async fn a_balanced_outstation_is_interrogated_and_its_data_all_arrive_through_a_stall() {
    // Below BUSY_AT the source takes and acknowledges everything: nothing refused, nothing lost.
    let total = 300u32;
    let (values, confirmed, refused) = balanced_through_a_stall(total, BUSY_AT).await;
    assert_eq!(values, (0..total).map(f64::from).collect::<Vec<_>>());
    assert_eq!(refused, 0);
    assert!(confirmed >= total);
}

#[tokio::test]
async fn a_balanced_outstation_is_answered_busy_past_the_bound_and_loses_nothing() {
    // Past the bound its user data are refused (NACK, DFC = 1); the outstation keeps them,
    // asks for the link status until DFC clears, and sends them again: all arrive, in order.
    let total = 300u32;
    let (values, confirmed, refused) = balanced_through_a_stall(total, 20).await;
    assert_eq!(values, (0..total).map(f64::from).collect::<Vec<_>>());
    assert!(refused >= 1, "nothing was refused busy");
    assert!(confirmed >= total);
}

/// Sends a single command `on` for `point` and returns where its reply comes.
async fn command(
    rig: &Rig,
    point: &str,
    on: bool,
    within: Duration,
) -> oneshot::Receiver<FieldReply> {
    let (reply, rx) = oneshot::channel();
    let command = FieldCommand {
        id: Arc::from(format!("{point}-{on}")),
        point: Arc::from(point),
        value: CommandValue::Bool(on),
        params: Default::default(),
        deadline: tokio::time::Instant::now() + within,
        deadline_is_expiry: false,
    };
    let sent = rig.commands.send(CommandRequest { command, reply }).await;
    assert!(sent.is_ok(), "the source takes commands");
    rx
}

async fn reply(rx: oneshot::Receiver<FieldReply>) -> FieldReply {
    match tokio::time::timeout(LIMIT, rx).await {
        Ok(Ok(reply)) => reply,
        other => panic!("no reply within {LIMIT:?}: {other:?}"),
    }
}

#[tokio::test]
async fn a_command_goes_to_its_points_link_address_with_select_before_operate() {
    let (mut breaker, _) = point(4, 4, 300, "breaker4");
    breaker.writable = true;
    breaker.command = Some(IecCommand {
        kind: IecCommandKind::Single,
        time_tag: false,
        select_before_operate: true,
        qualifier: PulseQualifier::None,
    });
    let config = source(
        Iec101Mode::Unbalanced,
        &[3, 4],
        3,
        vec![(breaker, 4), point(4, 4, 200, "feeder4")],
    );
    let mut rig = unbalanced_rig(config, vec![(3, 3, 12.5), (4, 4, 40.0)], 64);
    let mut got = Got::default();
    // Sent before link 4 is up: it waits for it.
    let early = command(&rig, "breaker4", true, Duration::from_secs(10)).await;
    until(&mut rig, &mut got, "both interrogations", |g| {
        g.has("ca3-ioa200", 12.5, false) && g.has("feeder4", 40.0, false)
    })
    .await;
    let answer = reply(early).await;
    assert_eq!(answer.outcome, Outcome::Success, "{answer:?}");
    assert_eq!(answer.method.as_deref(), Some("C_SC_NA_1 select+execute"));
    // The select and the execute went to link address 4 only, each with SEND/CONFIRM.
    let requests = rig
        .seen
        .lock()
        .map(|s| s.requests.clone())
        .unwrap_or_default();
    let sends = |link: u16| {
        requests
            .iter()
            .filter(|(a, f)| *a == link && *f == 3)
            .count()
    };
    // Link 3: its station's interrogation; link 4: two interrogations (stations 3 and 4) and
    // the two steps of the command.
    assert_eq!((sends(3), sends(4)), (1, 4), "{requests:?}");
    // Link 4 silent: a command waits for it, then times out naming it.
    let _ = rig.asks.send(Ask::Silent(4, true));
    until(&mut rig, &mut got, "link 4 down", |g| {
        g.states
            .contains(&(true, Some("link address 4 not answering".into())))
    })
    .await;
    let late = reply(command(&rig, "breaker4", false, Duration::from_millis(300)).await).await;
    assert_eq!(late.outcome, Outcome::Timeout, "{late:?}");
    assert_eq!(
        late.reason.as_deref(),
        Some("not sent to the field: link address 4 not answering before the deadline")
    );
    // An unknown point is refused.
    let unknown = reply(command(&rig, "feeder4", true, Duration::from_secs(1)).await).await;
    assert_eq!(unknown.outcome, Outcome::Refused, "{unknown:?}");
    // One command reached the field and succeeded; the others never left the bridge.
    let stats = rig.stats.snapshot();
    assert_eq!((stats.writes, stats.write_failures), (1, 0));
}

#[test]
fn a_cp24_time_tag_is_completed_with_the_hour_it_arrived_in() {
    use crate::convert::cp24_instant;
    use fieldbridge_core::time::{Timestamp, Zone};
    use fieldbridge_iec60870::Cp24Time2a;

    let received = Timestamp::from_unix_millis(1_767_323_045_678); // 2026-01-02T03:04:05.678Z
    let received = received.expect("a date");
    let tag = |minute: u8, millisecond: u16| Cp24Time2a {
        millisecond,
        minute,
        res1: false,
        invalid: false,
    };
    let at = |t: &Cp24Time2a, device_time: &DeviceTime| {
        cp24_instant(t, device_time, received).map(Timestamp::to_rfc3339_millis)
    };
    let utc = DeviceTime::Utc;
    assert_eq!(
        at(&tag(3, 59_000), &utc).as_deref(),
        Some("2026-01-02T03:03:59.000Z")
    );
    // A minute not reached yet in this hour belongs to the hour before.
    assert_eq!(
        at(&tag(50, 0), &utc).as_deref(),
        Some("2026-01-02T02:50:00.000Z")
    );
    // A device clock slightly ahead stays in this hour.
    assert_eq!(
        at(&tag(4, 30_000), &utc).as_deref(),
        Some("2026-01-02T03:04:30.000Z")
    );
    // In a zone half an hour off the hour: 08:34:05 local, so minute 30 is 08:30 local.
    let kolkata = DeviceTime::Local(Zone::named("Asia/Kolkata").expect("the zone"));
    assert_eq!(
        at(&tag(30, 0), &kolkata).as_deref(),
        Some("2026-01-02T03:00:00.000Z")
    );
    let berlin = DeviceTime::Local(Zone::named("Europe/Berlin").expect("the zone"));
    assert_eq!(
        at(&tag(3, 59_000), &berlin).as_deref(),
        Some("2026-01-02T03:03:59.000Z")
    );
}

#[tokio::test]
async fn a_link_address_that_is_down_has_no_timer_left_to_run() {
    // An interrogation left unfinished by the loss would otherwise be due at once, again and
    // again, while nothing may be asked of the link address.
    let config = source(Iec101Mode::Unbalanced, &[3], 3, vec![]);
    let asdu = station::asdu_config(&config);
    let device: Arc<str> = Arc::from("rtu");
    let stats = SourceStats::new();
    let cx = station::Context {
        config: &config,
        asdu: &asdu,
        device: &device,
        stats: &stats,
    };
    let mut s = Station::new(device.clone(), &config, 3);
    s.on_up(&cx, tokio::time::Instant::now());
    assert!(
        s.next_deadline().is_some(),
        "the interrogation waits for its ACTCON"
    );
    assert_eq!(s.pending.len(), 1, "one station interrogation queued");
    s.on_down();
    assert_eq!(s.next_deadline(), None);
    assert!(s.pending.is_empty());
}
