//! The source against an outstation made of the codec's own controlled-station link, on loopback:
//! interrogation of every station, a protocol violation, and a stalled point stream.

use std::time::{Duration, Instant as StdInstant};

use fieldbridge_core::config::{Iec104Link, IecMaster, IecPoint};
use fieldbridge_core::event::EventReceiver;
use fieldbridge_core::point::Value;
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, Cot, Element, InformationObject, OwnedAsdu, TypeId,
};
use fieldbridge_iec60870::link104::{AckTimeout, Event, Link104, Params, Role};
use fieldbridge_iec60870::types::{Coi, Qds};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use std::sync::atomic::{AtomicU32, Ordering};

use super::*;

fn link(k: u16, w: u16, t1: u64, t2: u64) -> Iec104Link {
    Iec104Link {
        k,
        w,
        t0: Duration::from_secs(2),
        t1: Duration::from_millis(t1),
        t2: Duration::from_millis(t2),
        t3: Duration::from_secs(20),
    }
}

pub(super) fn source(port: u16, link: Iec104Link, points: Vec<IecPoint>) -> Iec104Source {
    Iec104Source {
        addresses: vec![format!("127.0.0.1:{port}")],
        link,
        master: IecMaster {
            common_address: 1,
            originator_address: 0,
            interrogation: None,
            counter_interrogation: None,
            clock_sync: false,
            device_time: Default::default(),
            only_listed: false,
            command_timeout: None,
            points,
        },
    }
}

fn point(ca: u16, ioa: u32, name: &str) -> IecPoint {
    IecPoint {
        name: name.into(),
        common_address: ca,
        ioa,
        unit: None,
        command: None,
        writable: false,
        min: None,
        max: None,
        command_timeout: None,
    }
}

fn float_asdu(ca: u16, ioa: u32, value: f32, cot: Cot) -> Vec<u8> {
    let asdu = OwnedAsdu::new(AsduConfig::IEC104, TypeId(13), cot, ca).with(
        InformationObject::new(ioa, Element::Float { value, qds: Qds(0) }),
    );
    let mut out = Vec::new();
    asdu.encode(&mut out).unwrap_or_default();
    out
}

/// A controlled station on one accepted connection, strict about t1 (clause 5.1): it sends
/// `floats` spontaneous floats as fast as k allows, answers each C_IC_NA_1 with ACTCON, and
/// returns the interrogated common addresses and why it stopped.
async fn outstation(
    stream: TcpStream,
    params: Params,
    floats: u32,
    stop_after: Duration,
) -> (Vec<u16>, Option<String>) {
    outstation_counting(
        stream,
        params,
        floats,
        stop_after,
        Arc::default(),
        false,
        false,
    )
    .await
}

/// [`outstation`], counting the floats sent in `count` (and going on from it); with
/// `end_of_init`, it answers the first interrogation with an end of initialization (M_EI_NA_1)
/// as well, as after a restart; with `refuse_first`, the first with a negative ACTCON. A
/// positive ACTCON is followed by ACTTERM.
async fn outstation_counting(
    stream: TcpStream,
    params: Params,
    floats: u32,
    stop_after: Duration,
    count: Arc<AtomicU32>,
    mut end_of_init: bool,
    mut refuse_first: bool,
) -> (Vec<u16>, Option<String>) {
    let (mut rd, mut wr) = stream.into_split();
    let mut link = match Link104::new(Role::Controlled, params, StdInstant::now()) {
        Ok(link) => link,
        Err(e) => return (vec![], Some(e.to_string())),
    };
    let mut interrogated = Vec::new();
    let mut sent = count.load(Ordering::SeqCst);
    let mut buf = vec![0u8; 4096];
    let end = tokio::time::Instant::now() + stop_after;
    loop {
        while sent < floats && link.can_send() {
            let asdu = float_asdu(1, 1000, sent as f32, Cot::SPONTANEOUS);
            if link.send_asdu(&asdu, StdInstant::now()).is_err() {
                break;
            }
            sent += 1;
            count.store(sent, Ordering::SeqCst);
        }
        while let Some(frame) = link.poll_transmit() {
            if wr.write_all(frame.as_bytes()).await.is_err() {
                return (interrogated, Some("write failed".into()));
            }
        }
        let timer = link
            .poll_timeout()
            .map(tokio::time::Instant::from_std)
            .unwrap_or(end);
        tokio::select! {
            read = rd.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => return (interrogated, Some("the master closed".into())),
                    Ok(n) => n,
                };
                let mut asdus = Vec::new();
                let mut closed = None;
                link.on_bytes(buf.get(..n).unwrap_or_default(), StdInstant::now(), |e| match e {
                    Event::Received(a) => asdus.push(a.to_vec()),
                    Event::Closed(r) => closed = Some(format!("{r:?}")),
                    _ => {}
                });
                if closed.is_some() {
                    return (interrogated, closed);
                }
                for bytes in asdus {
                    let Ok(asdu) = Asdu::decode(&bytes, &AsduConfig::IEC104) else { continue };
                    if asdu.header.type_id == TypeId::C_IC_NA_1 {
                        interrogated.push(asdu.header.common_address);
                        let mut con = bytes.clone();
                        let negative = std::mem::take(&mut refuse_first);
                        if let Some(cot) = con.get_mut(2) {
                            *cot = Cot::ACTIVATION_CON.0 | if negative { 0x40 } else { 0 };
                        }
                        let _ = link.send_asdu(&con, StdInstant::now());
                        if !negative {
                            if let Some(cot) = con.get_mut(2) {
                                *cot = Cot::ACTIVATION_TERMINATION.0;
                            }
                            let _ = link.send_asdu(&con, StdInstant::now());
                        }
                        if std::mem::take(&mut end_of_init) {
                            let ei = OwnedAsdu::new(AsduConfig::IEC104, TypeId::M_EI_NA_1, Cot::INITIALIZED, 1)
                                .with(InformationObject::new(0, Element::EndOfInitialization(Coi(0))));
                            let mut out = Vec::new();
                            if ei.encode(&mut out).is_ok() {
                                let _ = link.send_asdu(&out, StdInstant::now());
                            }
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(timer) => {
                if let Some(Event::Closed(r)) = link.on_timeout(StdInstant::now()) {
                    return (interrogated, Some(format!("{r:?}")));
                }
            }
            _ = tokio::time::sleep_until(end) => return (interrogated, None),
        }
    }
}

/// A command queue whose router is gone: the source takes no command.
pub(super) fn no_commands() -> fieldbridge_core::command::CommandReceiver {
    fieldbridge_core::command::channel().1
}

async fn next_reading(rx: &mut EventReceiver) -> Option<fieldbridge_core::point::Reading> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(SourceEvent::Reading(r))) => return Some(r),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

#[test]
fn the_source_future_can_be_spawned_on_a_multi_threaded_runtime() {
    fn is_send<T: Send + 'static>(_: &T) {}
    let (tx, _rx) = fieldbridge_core::event::channel(1);
    is_send(&run(
        "d".into(),
        source(1, Iec104Link::default(), vec![]),
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
}

#[tokio::test]
async fn every_station_is_interrogated_and_unlisted_objects_get_default_names() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = source(
        port,
        Iec104Link::default(),
        vec![point(1, 7, "named"), point(3, 9, "other_station")],
    );
    let (tx, mut rx) = fieldbridge_core::event::channel(64);
    let task = tokio::spawn(run(
        "d".into(),
        config,
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
    let (stream, _) = listener.accept().await.expect("accept");
    let station = tokio::spawn(outstation(
        stream,
        Params::default(),
        1,
        Duration::from_secs(1),
    ));
    let reading = next_reading(&mut rx).await.expect("a reading");
    assert_eq!(&*reading.point, "ca1-ioa1000");
    assert_eq!(reading.value, Value::Float(0.0));
    assert_eq!(reading.facts.type_id, Some(13));
    assert_eq!(reading.facts.cot, Some(3));
    let (interrogated, end) = station.await.expect("outstation");
    assert_eq!(interrogated, [1, 3], "one C_IC_NA_1 per station");
    assert_eq!(end, None);
    task.abort();
}

/// The point stream stalls for longer than the outstation's t1: the source paces its
/// acknowledgements to t2, the strict outstation never times out, and every value arrives in
/// order once the stream drains.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_point_stream_slows_the_outstation_without_losing_the_link_or_a_value() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (k, w, t1, t2) = (4, 2, 1500, 500);
    let config = source(port, link(k, w, t1, t2), vec![]);
    let params = Params {
        k,
        w,
        t1: Duration::from_millis(t1),
        t2: Duration::from_millis(t2),
        on_ack_timeout: AckTimeout::Close,
        // The outstation tests the link whenever it hears nothing for 0.3 s: those TESTFR act
        // must be answered within its t1 during the stall too.
        t3: Duration::from_millis(300),
        ..Params::default()
    };
    let floats = 60;
    let (tx, mut rx) = fieldbridge_core::event::channel(2);
    let stats = Arc::new(SourceStats::new());
    let task = tokio::spawn(run("d".into(), config, tx, stats.clone(), no_commands()));
    let (stream, _) = listener.accept().await.expect("accept");
    // The outstation runs 6 s: the stall below lasts twice its t1.
    let sent = Arc::new(AtomicU32::new(0));
    let station = tokio::spawn(outstation_counting(
        stream,
        params,
        floats,
        Duration::from_secs(6),
        sent.clone(),
        false,
        false,
    ));
    let stall = Duration::from_millis(2 * t1);
    tokio::time::sleep(stall).await;
    // Paced: at most k I frames per t2 (and the first k at once) went out during the stall;
    // acknowledging promptly would have let all of them through.
    let during_stall = sent.load(Ordering::SeqCst);
    let bound = u32::from(k) * (stall.as_millis() as u32 / t2 as u32 + 2);
    assert!(
        during_stall <= bound && during_stall < floats,
        "{during_stall} frames sent during the stall, at most {bound} expected"
    );
    let mut values = Vec::new();
    while values.len() < floats as usize {
        let Some(reading) = next_reading(&mut rx).await else {
            break;
        };
        if let Value::Float(v) = reading.value {
            values.push(v as u32);
        }
    }
    assert_eq!(
        values,
        (0..floats).collect::<Vec<_>>(),
        "every value, in order"
    );
    let (_, end) = station.await.expect("outstation");
    assert_eq!(end, None, "the outstation never closed the link");
    assert_eq!(stats.snapshot().reconnects, 0);
    task.abort();
}

/// An I frame out of sequence is a protocol violation: the source closes, counts it, reconnects
/// and interrogates again.
#[tokio::test]
async fn a_protocol_violation_closes_counts_and_reconnects() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = source(port, Iec104Link::default(), vec![]);
    let (tx, mut rx) = fieldbridge_core::event::channel(64);
    let stats = Arc::new(SourceStats::new());
    let task = tokio::spawn(run("d".into(), config, tx, stats.clone(), no_commands()));
    let (mut stream, _) = listener.accept().await.expect("accept");
    // STARTDT act in, STARTDT con out, then an I frame with N(S) = 5 where 0 is expected.
    let mut act = [0u8; 6];
    stream.read_exact(&mut act).await.expect("STARTDT act");
    assert_eq!(act, [0x68, 4, 0x07, 0, 0, 0]);
    stream
        .write_all(&[0x68, 4, 0x0B, 0, 0, 0])
        .await
        .expect("con");
    let asdu = float_asdu(1, 1, 1.0, Cot::SPONTANEOUS);
    let mut frame = vec![0x68, (asdu.len() + 4) as u8, 10, 0, 0, 0];
    frame.extend_from_slice(&asdu);
    stream.write_all(&frame).await.expect("I frame");
    // The source closes the connection.
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    // And comes back: a new connection, interrogated again.
    let (stream, _) = tokio::time::timeout(Duration::from_secs(5), listener.accept())
        .await
        .expect("a reconnection")
        .expect("accept");
    let station = tokio::spawn(outstation(
        stream,
        Params::default(),
        0,
        Duration::from_millis(500),
    ));
    let (interrogated, _) = station.await.expect("outstation");
    assert_eq!(interrogated, [1]);
    let s = stats.snapshot();
    assert_eq!((s.decode_errors, s.reconnects), (1, 1));
    // $state went offline with the reason, then online again.
    let mut states = Vec::new();
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
        if let SourceEvent::DeviceState(s) = e {
            states.push((s.online, s.reason.unwrap_or_default()));
        }
    }
    assert!(states.len() >= 3, "{states:?}");
    assert!(states[1].1.contains("SequenceError"), "{states:?}");
    assert!(states[2].0 && states[2].1.contains("offline"), "{states:?}");
    task.abort();
}

#[tokio::test]
async fn an_end_of_initialization_is_followed_by_a_new_interrogation() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = source(port, Iec104Link::default(), vec![]);
    let (tx, _rx) = fieldbridge_core::event::channel(64);
    let task = tokio::spawn(run(
        "d".into(),
        config,
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
    let (stream, _) = listener.accept().await.expect("accept");
    let (interrogated, end) = outstation_counting(
        stream,
        Params::default(),
        0,
        Duration::from_millis(800),
        Arc::default(),
        true,
        false,
    )
    .await;
    assert_eq!(interrogated, [1, 1], "after connect, and after M_EI_NA_1");
    assert_eq!(end, None);
    task.abort();
}

#[test]
fn only_listed_drops_objects_that_are_not_configured() {
    let mut config = source(1, Iec104Link::default(), vec![point(1, 1000, "listed")]);
    config.master.only_listed = true;
    let mut points =
        crate::points::Points::new("d".into(), &config.master, crate::points::Profile::Iec104);
    let stats = SourceStats::new();
    let mut bytes = Vec::new();
    let asdu = OwnedAsdu::new(AsduConfig::IEC104, TypeId(13), Cot::SPONTANEOUS, 1)
        .with(InformationObject::new(
            1000,
            Element::Float {
                value: 1.5,
                qds: Qds(0),
            },
        ))
        .with(InformationObject::new(
            1001,
            Element::Float {
                value: 2.5,
                qds: Qds(0),
            },
        ));
    asdu.encode(&mut bytes).unwrap_or_default();
    let asdu = Asdu::decode(&bytes, &AsduConfig::IEC104).expect("decode");
    let mut names = Vec::new();
    points.readings(&asdu, &Default::default(), &stats, |r| {
        names.push(r.point.to_string())
    });
    assert_eq!(names, ["listed"]);
    assert_eq!(stats.snapshot().dropped, 1);
}

#[test]
fn check_accepts_writable_points_and_refuses_timers_the_link_cannot_run() {
    use fieldbridge_core::source::Driver as _;
    let mut writable = point(1, 5, "breaker");
    writable.writable = true;
    let config = source(
        1,
        link(12, 8, 1000, 1000),
        vec![point(1, 4, "ok"), writable],
    );
    let source = SourceConfig {
        name: "d".into(),
        kind: SourceKind::Iec104(config),
        lines: Default::default(),
    };
    let keys: Vec<String> = Iec104Driver
        .unsupported(&source)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["t2"]);
    assert_eq!(Iec104Driver.command_params(), ["qualifier", "select"]);
}

/// The point stream stalls for several t1 with a handoff bound of 8 readings: the link paces,
/// then holds; the strict outstation closes at its t1 and the source does not reconnect before
/// the backlog is below the bound. The outstation never gets more than the bound, k and the
/// stream's capacity ahead of the reader, and every value arrives once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_stall_holds_the_outstation_at_the_bound_and_loses_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (k, w, t1, t2) = (4, 2, 1000, 300);
    let hold_at = 8;
    let capacity = 2;
    let config = source(port, link(k, w, t1, t2), vec![]);
    let params = Params {
        k,
        w,
        t1: Duration::from_millis(t1),
        t2: Duration::from_millis(t2),
        on_ack_timeout: AckTimeout::Close,
        ..Params::default()
    };
    let floats = 40;
    let (tx, mut rx) = fieldbridge_core::event::channel(capacity);
    let stats = Arc::new(SourceStats::new());
    let task = tokio::spawn(run_holding(
        "d".into(),
        config,
        tx,
        stats.clone(),
        no_commands(),
        hold_at,
    ));
    let sent = Arc::new(AtomicU32::new(0));
    let counter = sent.clone();
    // An outstation that accepts again after each close, going on with the next value.
    let station = tokio::spawn(async move {
        let mut ends = Vec::new();
        while let Ok(Ok((stream, _))) =
            tokio::time::timeout(Duration::from_secs(8), listener.accept()).await
        {
            let (_, end) = outstation_counting(
                stream,
                params,
                floats,
                Duration::from_secs(8),
                counter.clone(),
                false,
                false,
            )
            .await;
            ends.push(end);
            if counter.load(Ordering::SeqCst) >= floats {
                break;
            }
        }
        ends
    });
    // The stall: more than three t1, ten t2.
    let bound = (hold_at + usize::from(k) + capacity) as u32;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let during = sent.load(Ordering::SeqCst);
        assert!(
            during <= bound,
            "{during} frames ahead of a stalled reader, at most {bound}"
        );
    }
    assert!(sent.load(Ordering::SeqCst) < floats);
    let mut values = Vec::new();
    while values.len() < floats as usize {
        let Some(reading) = next_reading(&mut rx).await else {
            break;
        };
        if let Value::Float(v) = reading.value {
            if reading.quality.level == fieldbridge_core::point::QualityLevel::Good {
                values.push(v as u32);
            }
        }
    }
    assert_eq!(
        values,
        (0..floats).collect::<Vec<_>>(),
        "every value once, in order"
    );
    let ends = station.await.expect("outstation");
    assert!(
        ends.first()
            .is_some_and(|e| e.as_deref().is_some_and(|e| e.contains("AckTimeout"))),
        "the strict outstation closed at t1 while held: {ends:?}"
    );
    task.abort();
}

/// An outstation that confirms STARTDT and closes at once: the source backs off further on
/// each attempt instead of starting over after every short-lived connection.
#[tokio::test]
async fn a_flapping_outstation_is_reconnected_with_growing_delays() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = source(port, Iec104Link::default(), vec![]);
    let (tx, mut rx) = fieldbridge_core::event::channel(64);
    let task = tokio::spawn(run(
        "d".into(),
        config,
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let mut accepted = Vec::new();
    for _ in 0..4 {
        let (mut stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("a connection")
            .expect("accept");
        accepted.push(tokio::time::Instant::now());
        let mut act = [0u8; 6];
        stream.read_exact(&mut act).await.expect("STARTDT act");
        stream
            .write_all(&[0x68, 4, 0x0B, 0, 0, 0])
            .await
            .expect("con");
        drop(stream);
    }
    // Backoff from 0.5 s doubling, each delay in the upper half of its step: the third wait
    // is at least 1 s (it was 0.25-0.5 s when every started connection reset the backoff).
    let third = accepted[3] - accepted[2];
    assert!(third >= Duration::from_millis(950), "third wait {third:?}");
    assert!(accepted[1] - accepted[0] >= Duration::from_millis(200));
    task.abort();
    drain.abort();
}

/// A negative ACTCON to the station interrogation: the source asks again t1 later, and stops
/// once an interrogation is confirmed and terminated.
#[tokio::test]
async fn a_refused_interrogation_is_asked_again_after_t1() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = source(port, link(12, 8, 500, 200), vec![]);
    let (tx, _rx) = fieldbridge_core::event::channel(64);
    let task = tokio::spawn(run(
        "d".into(),
        config,
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
    let (stream, _) = listener.accept().await.expect("accept");
    let params = Params {
        t1: Duration::from_millis(500),
        t2: Duration::from_millis(200),
        ..Params::default()
    };
    let (interrogated, end) = outstation_counting(
        stream,
        params,
        0,
        Duration::from_millis(2500),
        Arc::default(),
        false,
        true,
    )
    .await;
    assert_eq!(interrogated, [1, 1], "refused, asked again, then completed");
    assert_eq!(end, None);
    task.abort();
}

#[test]
fn clock_sync_is_refused_for_a_device_on_local_time() {
    use fieldbridge_core::source::Driver as _;
    let mut config = source(1, Iec104Link::default(), vec![]);
    config.master.clock_sync = true;
    config.master.device_time = fieldbridge_core::config::DeviceTime::Local(
        fieldbridge_core::time::Zone::named("Europe/Vienna").expect("zone"),
    );
    let source = SourceConfig {
        name: "d".into(),
        kind: SourceKind::Iec104(config),
        lines: Default::default(),
    };
    let refused = Iec104Driver.unsupported(&source);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].0, "clock_sync");
    assert!(refused[0].1.contains("local:Europe/Vienna"), "{refused:?}");
}

#[test]
fn the_ack_mode_paces_from_a_full_handoff_and_holds_at_the_bound() {
    use fieldbridge_iec60870::link104::AckMode::{Held, Paced, Prompt};
    let mode = |current, waiting| session::ack_mode(current, waiting, 4, 100);
    assert_eq!(
        mode(Prompt, 3),
        Prompt,
        "a few waiting readings do not pace"
    );
    assert_eq!(mode(Prompt, 4), Paced);
    assert_eq!(mode(Paced, 1), Paced, "pacing ends only once empty");
    assert_eq!(mode(Paced, 0), Prompt);
    assert_eq!(mode(Paced, 100), Held);
    assert_eq!(mode(Held, 51), Held, "holding ends below half the bound");
    assert_eq!(mode(Held, 50), Paced);
    assert_eq!(mode(Held, 0), Prompt);
}

/// The first endpoint sends k values and closes while the point stream is stalled: the source
/// connects to the second endpoint at once with the backlog still waiting, and the reader then
/// gets the first endpoint's values, the loss, and the second's, in that order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_is_not_delayed_by_a_backlog() {
    let first = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let second = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut config = source(0, link(4, 2, 1000, 300), vec![]);
    config.addresses = vec![
        first.local_addr().expect("addr").to_string(),
        second.local_addr().expect("addr").to_string(),
    ];
    let (tx, mut rx) = fieldbridge_core::event::channel(1);
    let task = tokio::spawn(run(
        "d".into(),
        config,
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
    let count = Arc::new(AtomicU32::new(0));
    let (stream, _) = first.accept().await.expect("accept");
    // Four values, then the first endpoint goes away.
    let _ = outstation_counting(
        stream,
        Params::default(),
        4,
        Duration::from_millis(400),
        count.clone(),
        false,
        false,
    )
    .await;
    // Nothing read yet: the meta fills the stream, the values, states and the loss wait.
    let (stream, _) = tokio::time::timeout(Duration::from_secs(3), second.accept())
        .await
        .expect("the second endpoint is tried while the backlog waits")
        .expect("accept");
    let station = tokio::spawn(outstation_counting(
        stream,
        Params::default(),
        8,
        Duration::from_secs(2),
        count,
        false,
        false,
    ));
    let mut good = Vec::new();
    let mut bad = 0;
    while good.len() < 8 {
        let Some(reading) = next_reading(&mut rx).await else {
            break;
        };
        if let Value::Float(v) = reading.value {
            if reading.quality.level == fieldbridge_core::point::QualityLevel::Good {
                good.push(v as u32);
            } else {
                assert_eq!(
                    good,
                    [0, 1, 2, 3],
                    "the loss comes after the first endpoint's values"
                );
                bad += 1;
            }
        }
    }
    assert_eq!(
        good,
        (0..8).collect::<Vec<_>>(),
        "every value once, in order"
    );
    assert_eq!(bad, 1, "one comm_failure for the one point");
    let _ = station.await;
    task.abort();
}

/// An ASDU with the T (test) bit set is no live value: it is not published.
#[tokio::test]
async fn a_test_asdu_is_not_published() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let config = source(port, Iec104Link::default(), vec![]);
    let (tx, mut rx) = fieldbridge_core::event::channel(64);
    let task = tokio::spawn(run(
        "d".into(),
        config,
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
    let (mut stream, _) = listener.accept().await.expect("accept");
    let mut act = [0u8; 6];
    stream.read_exact(&mut act).await.expect("STARTDT act");
    stream
        .write_all(&[0x68, 4, 0x0B, 0, 0, 0])
        .await
        .expect("con");
    // N(S) 0: value 1.0 with T set (cause 3 | 0x80); N(S) 1: value 2.0, a live one.
    for (ns, value, cot) in [(0u8, 1.0, 0x83u8), (1, 2.0, 3)] {
        let mut asdu = float_asdu(1, 1, value, Cot::SPONTANEOUS);
        if let Some(c) = asdu.get_mut(2) {
            *c = cot;
        }
        let mut frame = vec![0x68, (asdu.len() + 4) as u8, ns << 1, 0, 0, 0];
        frame.extend_from_slice(&asdu);
        stream.write_all(&frame).await.expect("I frame");
    }
    let reading = next_reading(&mut rx).await.expect("a reading");
    assert_eq!(
        reading.value,
        Value::Float(2.0),
        "the test ASDU was skipped"
    );
    task.abort();
}
