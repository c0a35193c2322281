//! Issue 16, acceptance: an IEC 104 outstation floods the bridge with spontaneous changes for
//! 60 s while the broker is stopped for 20 s of it and the outbox applies backpressure. The link
//! is paced (acknowledgements at t2), never held long enough for the outstation's t1, so it is
//! never closed; and every change the outstation made reaches the subscriber, in order.
//!
//! `fieldbridge simulate iec104 --rate flood --points 320,321,210` sends as fast as its window
//! (k) allows, in turn, the float at 320, the float with a CP56Time2a at 321 and the bitstring at
//! 210; each point's value is its own change count (1, 2, 3, ...). The outbox is at its minimum
//! (1 MiB) with `when_full = "backpressure"`: it is full whenever the flood outpaces the broker,
//! and while the broker is down the point stream takes no reading at all for 20 s, longer than
//! the outstation's t1 (15 s). Only pacing (an acknowledgement every t2, 2 s) keeps the link.
//!
//! Nothing here depends on the broker's queue: the broker runs with persistence and is stopped
//! with SIGTERM (it saves what it acknowledged), and the subscriber keeps a persistent session
//! (clean session off, QoS 1), so what the bridge published before the stop reaches it after the
//! restart. What it then misses, the bridge lost.
//!
//! At the end the simulator is frozen (SIGSTOP: its connection stays open, it just stops
//! sending) so that the bridge can deliver everything it received; then every count from 1 to
//! the last one that arrived must have arrived (a loss anywhere before the last arrival is a
//! gap), first arrivals in order, and every `seq` the bridge gave out between the first and the
//! last one received.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{get, header, metric, BridgeProcess};
use fieldbridge_tests::{free_port, Mosquitto};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

/// The flooded points: (IOA, name in the configuration).
const POINTS: [(u32, &str); 3] = [(320, "float"), (321, "float_time"), (210, "bits")];
/// Each phase of the flood: broker up, broker stopped, broker up again.
const PHASE: Duration = Duration::from_secs(20);
const SITE: &str = "flood";
const DEVICE: &str = "rtu";

/// The simulator process (`fieldbridge simulate iec104`), its log in a file; killed on drop.
struct Simulator {
    child: Child,
    log: std::path::PathBuf,
}

impl Simulator {
    fn start(port: u16, dir: &Path) -> Simulator {
        let log = dir.join("simulator.log");
        let stderr = std::fs::File::create(&log).expect("simulator log");
        let points: Vec<String> = POINTS.iter().map(|(ioa, _)| ioa.to_string()).collect();
        let child = Command::new(common::binary())
            .args(["simulate", "iec104", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--rate", "flood", "--points", &points.join(",")])
            // The bridge's t2 (2 s) paces the flood; the outstation's t1 is the standard's 15 s.
            .args(["--t1", "15", "--t2", "2", "--t3", "20"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start fieldbridge simulate iec104");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "simulator not listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        Simulator { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGSTOP: the process stops sending but its sockets stay open (killed on drop).
    fn freeze(&self) {
        let status = Command::new("kill")
            .args(["-STOP", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -STOP the simulator");
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One sample as received: which point, its change count, cause of transmission, `seq`.
#[derive(Debug, Clone, Copy)]
struct Sample {
    point: usize,
    count: u64,
    cot: u64,
    seq: u64,
}

#[derive(Debug, Default)]
struct Received {
    samples: Vec<Sample>,
    /// Payloads of the device's `$state`.
    states: Vec<String>,
    /// Samples of other topics or that could not be read (should stay empty).
    unexpected: Vec<String>,
    /// Connections of the subscriber (a reconnect after the broker's restart is expected).
    connects: usize,
}

/// The change count a sample's `value` carries: a float that is a whole number, or the
/// bitstring's four octets in wire (little-endian) order as hex.
fn count_of(value: &Value) -> Option<u64> {
    if let Some(f) = value.as_f64() {
        return (f >= 0.0 && f.fract() == 0.0).then_some(f as u64);
    }
    let hex = value.as_str()?;
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect::<Option<_>>()?;
    let octets: [u8; 4] = bytes.try_into().ok()?;
    Some(u64::from(u32::from_le_bytes(octets)))
}

fn record(received: &Mutex<Received>, topic: &str, payload: &[u8]) {
    let mut r = received.lock().expect("received lock");
    let Some(point) = topic.strip_prefix(&format!("fieldbridge/{SITE}/{DEVICE}/")) else {
        return; // the bridge's own state
    };
    if point == "$state" {
        r.states.push(String::from_utf8_lossy(payload).into_owned());
        return;
    }
    if point.starts_with('$') {
        return; // $meta
    }
    let sample = serde_json::from_slice::<Value>(payload).ok().and_then(|j| {
        Some(Sample {
            point: POINTS.iter().position(|(_, name)| *name == point)?,
            count: count_of(&j["value"])?,
            cot: j["source"]["cot"].as_u64()?,
            seq: j["seq"].as_u64()?,
        })
    });
    match sample {
        Some(s) => r.samples.push(s),
        None => r
            .unexpected
            .push(format!("{topic}: {}", String::from_utf8_lossy(payload))),
    }
}

/// A QoS 1 subscriber with a persistent session (clean session off) to the site's topics. It
/// keeps only what the checks need: the harness's subscriber keeps every message whole, too
/// much for the hundreds of thousands of samples of a flood.
async fn subscribe(port: u16) -> Arc<Mutex<Received>> {
    let mut options = MqttOptions::new(
        format!("fb-flood-sub-{}", std::process::id()),
        "127.0.0.1",
        port,
    );
    options.set_clean_session(false);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    let received = Arc::new(Mutex::new(Received::default()));
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    let out = received.clone();
    tokio::spawn(async move {
        let mut subscribed_tx = Some(subscribed_tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    out.lock().expect("received lock").connects += 1;
                    let _ = client.try_subscribe(format!("fieldbridge/{SITE}/#"), QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(tx) = subscribed_tx.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    record(&out, &String::from_utf8_lossy(p.topic.as_ref()), &p.payload);
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), subscribed)
        .await
        .expect("SUBACK within 10 s")
        .expect("subscriber task alive");
    received
}

/// A broker with persistence (as `Mosquitto::start_persistent`) that logs connections but not
/// every message: at flood rates `log_type all` would make the broker's log the bottleneck.
fn persistent_broker() -> Mosquitto {
    let db = tempfile::Builder::new()
        .prefix("fb-mosquitto-db-")
        .tempdir()
        .expect("tempdir")
        .keep();
    let _ = Command::new("chown").arg("mosquitto:").arg(&db).status();
    Mosquitto::start_with(&format!(
        "persistence true\npersistence_location {}/\nautosave_interval 1\n\
         log_type none\nlog_type error\nlog_type warning\nlog_type notice\n",
        db.display()
    ))
}

fn write_config(
    dir: &Path,
    broker: &Mosquitto,
    iec_port: u16,
    metrics_port: u16,
) -> std::path::PathBuf {
    let mut config = header(SITE, &dir.join("var"), &broker.url());
    config.push_str(&format!(
        "[outbox]\nmax_bytes = \"1MiB\"\nwhen_full = \"backpressure\"\n\n\
         [metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n\
         [[source]]\nname = \"{DEVICE}\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:{iec_port}\"\n\
         only_listed = true\nt1 = \"15s\"\nt2 = \"2s\"\nt3 = \"20s\"\n\n"
    ));
    for (ioa, name) in POINTS {
        config.push_str(&format!(
            "  [[source.point]]\n  name = \"{name}\"\n  ioa = {ioa}\n\n"
        ));
    }
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

/// The value of the metric `name` for the device (the first line of that name naming it).
fn device_metric(body: &str, name: &str, kind: Option<&str>) -> Option<f64> {
    body.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| l.contains(&format!("device=\"{DEVICE}\"")))
        .find(|l| kind.is_none_or(|k| l.contains(&format!("kind=\"{k}\""))))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

fn metrics(port: u16) -> String {
    let (status, body) = get(port, "/metrics");
    assert!(status.contains("200"), "/metrics: {status}");
    body
}

/// What is wrong with one point's spontaneous counts in arrival order: each count from 1 to the
/// last one must arrive, the first arrival of each in order (a repeat is a QoS 1 duplicate).
/// Returns (last count, duplicates, problems).
fn check_counts(counts: &[u64]) -> (u64, usize, Vec<String>) {
    let distinct: BTreeSet<u64> = counts.iter().copied().collect();
    let last = distinct.last().copied().unwrap_or(0);
    let mut problems = Vec::new();
    let missing: Vec<u64> = (1..=last).filter(|c| !distinct.contains(c)).collect();
    if !missing.is_empty() {
        problems.push(format!(
            "{} counts missing, first {:?}",
            missing.len(),
            &missing[..missing.len().min(10)]
        ));
    }
    let mut seen = BTreeSet::new();
    let mut highest = 0;
    let mut out_of_order = 0;
    for &c in counts {
        if seen.insert(c) {
            if c < highest {
                out_of_order += 1;
            }
            highest = highest.max(c);
        }
    }
    if out_of_order > 0 {
        problems.push(format!(
            "{out_of_order} counts first arrived after a higher one"
        ));
    }
    (last, counts.len() - distinct.len(), problems)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_through_a_broker_outage_under_backpressure_keeps_the_link_and_loses_nothing() {
    let _load = common::load_lock().await;
    let mut broker = persistent_broker();
    let dir = tempfile::tempdir().expect("tempdir");
    let iec_port = free_port();
    let sim = Simulator::start(iec_port, dir.path());
    let metrics_port = free_port();
    let config = write_config(dir.path(), &broker, iec_port, metrics_port);
    let received = subscribe(broker.port()).await;
    let bridge = BridgeProcess::run(&config, dir.path());

    // The flood reaches the subscriber.
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.lock().expect("lock").samples.len() < 1000 {
        assert!(
            Instant::now() < deadline,
            "no flood at the subscriber; bridge log:\n{}\nsimulator log:\n{}",
            bridge.log(),
            sim.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let flood_start = Instant::now();
    tokio::time::sleep(PHASE).await;
    let before_outage = received.lock().expect("lock").samples.len();
    let in_before = device_metric(&metrics(metrics_port), "fieldbridge_samples_in_total", None)
        .unwrap_or(f64::NAN);

    // The broker goes away for 20 s: the 1 MiB outbox fills, backpressure holds the point
    // stream, the source paces the outstation.
    broker.stop();
    tokio::time::sleep(PHASE - Duration::from_secs(5)).await;
    let body = metrics(metrics_port);
    let in_held = device_metric(&body, "fieldbridge_samples_in_total", None).unwrap_or(f64::NAN);
    let pending_bytes = plain_metric(&body, "fieldbridge_outbox_pending_bytes");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let body = metrics(metrics_port);
    let in_held_later =
        device_metric(&body, "fieldbridge_samples_in_total", None).unwrap_or(f64::NAN);
    assert_eq!(
        plain_metric(&body, "fieldbridge_mqtt_connected"),
        0.0,
        "{body}"
    );
    broker.restart();

    tokio::time::sleep(PHASE).await;
    // Freeze the outstation (its connection stays open) so the bridge can deliver everything.
    // The link idles from here: the bridge tests it after t3 (20 s) and would close it t1 later
    // (15 s), far beyond the few seconds the delivery takes.
    sim.freeze();
    let flood = flood_start.elapsed();
    let mut last = (0, Instant::now());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let n = received.lock().expect("lock").samples.len();
        let pending = metric(&metrics(metrics_port), "fieldbridge_outbox_pending");
        if n != last.0 {
            last = (n, Instant::now());
        } else if pending == Some(0.0) && last.1.elapsed() > Duration::from_secs(2) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the bridge did not deliver its backlog within 60 s; log:\n{}",
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let body = metrics(metrics_port);
    let bridge_log = bridge.log();
    let sim_log = sim.log();
    drop(bridge);
    drop(sim);

    let r = std::mem::take(&mut *received.lock().expect("lock"));
    let dropped = plain_metric(&body, "fieldbridge_outbox_dropped_total");
    let reconnects = device_metric(&body, "fieldbridge_source_reconnects_total", None);
    let timeouts = device_metric(&body, "fieldbridge_protocol_errors_total", Some("timeout"));
    let seqs: BTreeSet<u64> = r.samples.iter().map(|s| s.seq).collect();
    let (first_seq, last_seq) = (
        seqs.first().copied().unwrap_or(0),
        seqs.last().copied().unwrap_or(0),
    );
    let missing_seqs = (first_seq..=last_seq).filter(|s| !seqs.contains(s)).count();
    println!(
        "flood of {flood:?} (broker stopped for {PHASE:?} after {PHASE:?}): {} samples \
         received ({before_outage} before the outage), seq {first_seq}..={last_seq}, \
         {missing_seqs} seq missing; subscriber connections {}",
        r.samples.len(),
        r.connects
    );
    println!(
        "  samples into the outbox: {in_before} at the broker's stop, {in_held} and \
         {in_held_later} 15 and 20 s later (outbox pending {pending_bytes} bytes); dropped \
         {dropped}; source reconnects {reconnects:?}, t1 timeouts {timeouts:?}"
    );
    let mut lasts = Vec::new();
    let mut problems = Vec::new();
    for (index, (ioa, name)) in POINTS.iter().enumerate() {
        let counts: Vec<u64> = r
            .samples
            .iter()
            .filter(|s| s.point == index && s.cot == 3)
            .map(|s| s.count)
            .collect();
        let (last, duplicates, point_problems) = check_counts(&counts);
        println!(
            "  {name} (IOA {ioa}): counts 1..={last} all received: {}, {duplicates} duplicates",
            point_problems.is_empty()
        );
        problems.extend(point_problems.into_iter().map(|p| format!("{name}: {p}")));
        lasts.push(last);
    }

    // Never disconnected: one data transfer, no close, no reconnect, no t1.
    let started = bridge_log.matches("data transfer started").count();
    assert_eq!(
        started, 1,
        "the link started {started} times; log:\n{bridge_log}"
    );
    assert!(
        !bridge_log.contains("connection closed"),
        "the link was closed; log:\n{bridge_log}"
    );
    assert_eq!(reconnects, Some(0.0), "source reconnects; metrics:\n{body}");
    assert_eq!(timeouts, Some(0.0), "t1 timeouts; metrics:\n{body}");
    assert!(!r.states.is_empty(), "no $state received");
    for state in &r.states {
        assert!(
            state.contains("\"online\"") && !state.contains("offline"),
            "$state {state}"
        );
    }
    // The simulator logs each connection's start and end; the first connection it saw was the
    // test's own check that it listens.
    let starts: Vec<&str> = sim_log
        .lines()
        .filter(|l| l.contains("data transfer started"))
        .collect();
    assert_eq!(
        starts.len(),
        1,
        "data transfer started {} times:\n{sim_log}",
        starts.len()
    );
    let peer = starts[0].rsplit("peer=").next().unwrap_or_default().trim();
    for close in [
        "closing",
        "link closed",
        "peer closed the connection",
        "connection ended",
    ] {
        let closed = sim_log.lines().any(|l| {
            l.contains(close) && l.split_whitespace().any(|f| f == format!("peer={peer}"))
        });
        assert!(
            !closed,
            "the simulator logged {close:?} for {peer}:\n{sim_log}"
        );
    }

    // Backpressure engaged: while the broker was down, the outbox stopped taking samples.
    assert!(
        in_held_later - in_held < 1000.0,
        "the outbox took {} samples in 5 s with the broker down",
        in_held_later - in_held
    );
    assert_eq!(dropped, 0.0, "backpressure drops nothing");

    // Nothing lost: every count of every point, in order; every seq between the first and last.
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        r.unexpected.is_empty(),
        "unreadable samples: {:?}",
        &r.unexpected[..r.unexpected.len().min(5)]
    );
    assert_eq!(
        missing_seqs, 0,
        "seq missing between {first_seq} and {last_seq}"
    );
    assert!(
        first_seq <= 10,
        "the stream starts at the first numbers: {first_seq}"
    );
    // The points change in turn, so the last counts differ by at most one.
    let (lo, hi) = (
        lasts.iter().min().copied().unwrap_or(0),
        lasts.iter().max().copied().unwrap_or(0),
    );
    assert!(hi - lo <= 1, "last counts {lasts:?}");
    assert!(
        lo > 10_000,
        "a flood: at least 10,000 changes of each point ({lasts:?})"
    );
}

/// The value of a metric without labels; NaN when absent.
fn plain_metric(body: &str, name: &str) -> f64 {
    metric(body, name).unwrap_or(f64::NAN)
}
