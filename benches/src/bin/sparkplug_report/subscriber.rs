//! The subscriber that measures every phase: it counts samples of both formats (JSON sample
//! messages; the metrics of Sparkplug DDATA, decoded with the Sparkplug crate's schema) and their
//! bytes, and keeps the first payloads of a window for the bare publisher.
//!
//! It runs in a child process of its own (`sparkplug_report --subscriber PORT`, [`child_main`]),
//! so that it can be pinned to the broker's core: the report asks it for its running totals over
//! its stdin and stdout, one line each way ([`crate::sub_client`] is the other end).

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fieldbridge_sparkplug::proto::Payload;
use prost::Message as _;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{json, Value};

/// The JSON topics' first level (`[mqtt] prefix`).
pub(crate) const PREFIX: &str = "fieldbridge";
/// The Sparkplug B namespace (Sparkplug 3.0, 4.1.1).
const NAMESPACE: &str = "spBv1.0";

/// The two output formats of the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Sparkplug,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Sparkplug => "Sparkplug",
        }
    }
}

/// Running totals of what the subscriber received; a phase is the difference of two snapshots.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    /// JSON sample messages (`fieldbridge/<site>/<device>/<point>`, one sample each).
    pub(crate) json_messages: u64,
    pub(crate) json_payload: u64,
    pub(crate) json_topic: u64,
    /// MQTT PUBLISH bytes of the JSON samples (fixed header, topic, packet id, payload).
    pub(crate) json_wire: u64,
    /// Sparkplug DDATA messages, their metrics (the samples) and their bytes.
    pub(crate) ddata_messages: u64,
    pub(crate) ddata_metrics: u64,
    pub(crate) ddata_payload: u64,
    pub(crate) ddata_topic: u64,
    pub(crate) ddata_wire: u64,
    /// NBIRTH and DBIRTH messages (not samples).
    pub(crate) births: u64,
    /// DDATA payloads that did not decode as a Sparkplug B payload.
    pub(crate) undecodable: u64,
    /// Arrival (since the bench started) of the first sample message after [`Recorded::mark`],
    /// and of the last one.
    pub(crate) first_at: Option<Duration>,
    pub(crate) last_at: Duration,
}

impl Counts {
    pub(crate) fn samples(&self) -> u64 {
        self.json_messages + self.ddata_metrics
    }

    pub(crate) fn sample_messages(&self) -> u64 {
        self.json_messages + self.ddata_messages
    }

    /// What arrived between `earlier` and `self`; the arrival times are `self`'s.
    pub(crate) fn since(&self, earlier: &Counts) -> Counts {
        Counts {
            json_messages: self.json_messages - earlier.json_messages,
            json_payload: self.json_payload - earlier.json_payload,
            json_topic: self.json_topic - earlier.json_topic,
            json_wire: self.json_wire - earlier.json_wire,
            ddata_messages: self.ddata_messages - earlier.ddata_messages,
            ddata_metrics: self.ddata_metrics - earlier.ddata_metrics,
            ddata_payload: self.ddata_payload - earlier.ddata_payload,
            ddata_topic: self.ddata_topic - earlier.ddata_topic,
            ddata_wire: self.ddata_wire - earlier.ddata_wire,
            births: self.births - earlier.births,
            undecodable: self.undecodable - earlier.undecodable,
            first_at: self.first_at,
            last_at: self.last_at,
        }
    }

    /// The counts as a JSON object (arrival times in µs since the subscriber started).
    pub(crate) fn to_json(self) -> Value {
        let us = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        json!({
            "json_messages": self.json_messages,
            "json_payload": self.json_payload,
            "json_topic": self.json_topic,
            "json_wire": self.json_wire,
            "ddata_messages": self.ddata_messages,
            "ddata_metrics": self.ddata_metrics,
            "ddata_payload": self.ddata_payload,
            "ddata_topic": self.ddata_topic,
            "ddata_wire": self.ddata_wire,
            "births": self.births,
            "undecodable": self.undecodable,
            "first_at_us": self.first_at.map(us),
            "last_at_us": us(self.last_at),
        })
    }

    /// The counts of [`Counts::to_json`]'s object; a missing field reads as zero.
    pub(crate) fn from_json(v: &Value) -> Counts {
        let n = |key: &str| v.get(key).and_then(Value::as_u64).unwrap_or(0);
        Counts {
            json_messages: n("json_messages"),
            json_payload: n("json_payload"),
            json_topic: n("json_topic"),
            json_wire: n("json_wire"),
            ddata_messages: n("ddata_messages"),
            ddata_metrics: n("ddata_metrics"),
            ddata_payload: n("ddata_payload"),
            ddata_topic: n("ddata_topic"),
            ddata_wire: n("ddata_wire"),
            births: n("births"),
            undecodable: n("undecodable"),
            first_at: v
                .get("first_at_us")
                .and_then(Value::as_u64)
                .map(Duration::from_micros),
            last_at: Duration::from_micros(n("last_at_us")),
        }
    }
}

/// Payloads kept for the bare publisher: the first `limit` sample messages of one format.
#[derive(Debug)]
struct Capture {
    format: Format,
    limit: usize,
    got: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Default)]
struct State {
    counts: Counts,
    capture: Option<Capture>,
}

#[derive(Debug, Default)]
struct Recorded {
    state: Mutex<State>,
    /// Every message, samples or not: to tell when the broker has gone quiet.
    all: AtomicU64,
    /// The report is done: the broker going away is expected.
    stopping: AtomicBool,
}

impl Recorded {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn snapshot(&self) -> Counts {
        self.lock().counts
    }

    /// Forgets the first arrival: the next sample message sets it again.
    fn mark(&self) {
        self.lock().counts.first_at = None;
    }

    /// Starts keeping the next `limit` sample messages of `format`.
    fn start_capture(&self, format: Format, limit: usize) {
        self.lock().capture = Some(Capture {
            format,
            limit,
            got: Vec::with_capacity(limit),
        });
    }

    /// Stops keeping payloads; returns those kept.
    fn take_capture(&self) -> Vec<(String, Vec<u8>)> {
        self.lock()
            .capture
            .take()
            .map(|c| c.got)
            .unwrap_or_default()
    }
}

/// The metrics of a Sparkplug payload; `None` when it does not decode.
pub(crate) fn metrics_in(payload: &[u8]) -> Option<usize> {
    Payload::decode(payload).ok().map(|p| p.metrics.len())
}

/// Bytes of an MQTT 3.1.1 QoS 1 PUBLISH (3.3): fixed header (type byte and remaining length,
/// 1 to 4 bytes), topic (2-byte length and the name), packet identifier, payload.
pub(crate) fn publish_bytes(topic: usize, payload: usize) -> u64 {
    let remaining = 2 + topic + 2 + payload;
    let length_bytes = match remaining {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    };
    (1 + length_bytes + remaining) as u64
}

/// What a received message is.
enum Kind {
    Json,
    Ddata(usize),
    Birth,
    Undecodable,
    Other,
}

fn classify(topic: &str, payload: &[u8]) -> Kind {
    if let Some(rest) = topic
        .strip_prefix(NAMESPACE)
        .and_then(|r| r.strip_prefix('/'))
    {
        // <group>/<type>/<edge node>[/<device>]
        return match rest.split('/').nth(1) {
            Some("DDATA") => metrics_in(payload).map_or(Kind::Undecodable, Kind::Ddata),
            Some("NBIRTH" | "DBIRTH") => Kind::Birth,
            _ => Kind::Other,
        };
    }
    // A record the edge node cannot express goes out in its JSON form, also in Sparkplug mode.
    if topic.starts_with(PREFIX) && !topic.contains('$') {
        return Kind::Json;
    }
    Kind::Other
}

fn record(rec: &Recorded, at: Duration, topic: &str, payload: &[u8]) {
    rec.all.fetch_add(1, Ordering::Relaxed);
    let kind = classify(topic, payload);
    let mut state = rec.lock();
    let c = &mut state.counts;
    let (len, tlen) = (payload.len() as u64, topic.len() as u64);
    let format = match kind {
        Kind::Json => {
            c.json_messages += 1;
            c.json_payload += len;
            c.json_topic += tlen;
            c.json_wire += publish_bytes(topic.len(), payload.len());
            Format::Json
        }
        Kind::Ddata(metrics) => {
            c.ddata_messages += 1;
            c.ddata_metrics += metrics as u64;
            c.ddata_payload += len;
            c.ddata_topic += tlen;
            c.ddata_wire += publish_bytes(topic.len(), payload.len());
            Format::Sparkplug
        }
        Kind::Birth => {
            c.births += 1;
            return;
        }
        Kind::Undecodable => {
            c.undecodable += 1;
            return;
        }
        Kind::Other => return,
    };
    c.first_at.get_or_insert(at);
    c.last_at = at;
    if let Some(cap) = state.capture.as_mut() {
        if cap.format == format && cap.got.len() < cap.limit {
            cap.got.push((topic.to_owned(), payload.to_vec()));
        }
    }
}

/// Connects a QoS 1 subscriber to the JSON topics and the Sparkplug namespace, and records every
/// message until the process ends. Returns once the SUBACK arrived.
async fn subscribe(port: u16, start: Instant, rec: Arc<Recorded>) {
    let mut options = MqttOptions::new(
        format!("spb-report-sub-{}", std::process::id()),
        "127.0.0.1",
        port,
    );
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    // The instrument must not hold PUBACKs behind Nagle's algorithm (e2e_report's subscriber).
    let mut network = eventloop.network_options();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut tx = Some(tx);
        let mut subacks = 0;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe(format!("{PREFIX}/#"), QoS::AtLeastOnce);
                    let _ = client.try_subscribe(format!("{NAMESPACE}/#"), QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    subacks += 1;
                    if subacks == 2 {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(());
                        }
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    record(&rec, start.elapsed(), &p.topic, &p.payload);
                }
                Ok(_) => {}
                Err(e) => {
                    if rec.stopping.load(Ordering::Relaxed) {
                        return;
                    }
                    eprintln!("subscriber: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("SUBACKs within 10 s")
        .expect("subscriber task alive");
}

/// Lowercase hexadecimal of `bytes` (captured payloads travel to the report as JSON strings).
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of [`to_hex`]'s string; `None` when it is not one.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    let t = text.as_bytes();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    t.chunks(2)
        .map(|p| {
            let d = |c: u8| char::from(c).to_digit(16);
            Some(u8::try_from(d(p[0])? * 16 + d(p[1])?).unwrap_or(0))
        })
        .collect()
}

/// The answer to one command line of the report (see [`crate::sub_client`]); `None` ends the
/// process.
fn answer(rec: &Recorded, command: &str) -> Option<Value> {
    let words: Vec<&str> = command.split_whitespace().collect();
    Some(match words.as_slice() {
        ["counts"] => rec.snapshot().to_json(),
        ["all"] => json!(rec.all.load(Ordering::Relaxed)),
        ["mark"] => {
            rec.mark();
            json!("ok")
        }
        ["capture", format, limit] => {
            let format = if *format == "json" {
                Format::Json
            } else {
                Format::Sparkplug
            };
            rec.start_capture(format, limit.parse().unwrap_or(0));
            json!("ok")
        }
        ["take"] => Value::Array(
            rec.take_capture()
                .into_iter()
                .map(|(topic, payload)| json!([topic, to_hex(&payload)]))
                .collect(),
        ),
        ["stop"] => {
            rec.stopping.store(true, Ordering::Relaxed);
            return None;
        }
        _ => json!({ "error": format!("unknown command {command:?}") }),
    })
}

/// The subscriber process: subscribes to the broker on loopback `port`, says `ready` on stdout,
/// then answers the report's commands (one line in, one JSON line out) until `stop` or the end of
/// its stdin. Single-threaded: the MQTT client on the main thread, the commands on another.
pub(crate) fn child_main(port: u16) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let rec = Arc::new(Recorded::default());
    runtime.block_on(subscribe(port, Instant::now(), rec.clone()));
    let server = rec.clone();
    std::thread::spawn(move || {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "\"ready\"");
        let _ = out.flush();
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let Some(reply) = answer(&server, &line) else {
                break;
            };
            if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
                break;
            }
        }
        server.stopping.store(true, Ordering::Relaxed);
        std::process::exit(0);
    });
    runtime.block_on(std::future::pending::<()>());
    std::process::exit(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_publish_counts_its_fixed_header_topic_packet_id_and_payload() {
        // 0x32, remaining length 1 byte, 2 + 26 topic, 2 packet id, 60 payload.
        assert_eq!(publish_bytes(26, 60), 1 + 1 + 2 + 26 + 2 + 60);
        // Remaining length 128 needs two bytes.
        assert_eq!(publish_bytes(0, 124), 1 + 2 + 128);
    }

    #[test]
    fn ddata_metrics_are_counted_and_births_and_state_are_not_samples() {
        let payload = Payload {
            seq: Some(3),
            metrics: vec![Default::default(), Default::default()],
            ..Default::default()
        }
        .encode_to_vec();
        assert!(matches!(
            classify("spBv1.0/bench/DDATA/e2e/plc0", &payload),
            Kind::Ddata(2)
        ));
        assert!(matches!(
            classify("spBv1.0/bench/DBIRTH/e2e/plc0", &payload),
            Kind::Birth
        ));
        assert!(matches!(
            classify("spBv1.0/bench/DDATA/e2e/plc0", b"\xff\xff\xff"),
            Kind::Undecodable
        ));
        assert!(matches!(
            classify("fieldbridge/bench/plc0/r1", b"{}"),
            Kind::Json
        ));
        assert!(matches!(
            classify("fieldbridge/bench/plc0/$state", b"{}"),
            Kind::Other
        ));
    }

    #[test]
    fn counts_and_payloads_survive_the_trip_to_the_report() {
        let c = Counts {
            json_messages: 7,
            ddata_metrics: 3,
            ddata_wire: 1 << 40,
            first_at: Some(Duration::from_micros(1_234_567)),
            last_at: Duration::from_micros(9_876_543),
            ..Default::default()
        };
        let back = Counts::from_json(&serde_json::from_str(&c.to_json().to_string()).unwrap());
        assert_eq!(back.json_messages, 7);
        assert_eq!(back.ddata_metrics, 3);
        assert_eq!(back.ddata_wire, 1 << 40);
        assert_eq!(back.first_at, c.first_at);
        assert_eq!(back.last_at, c.last_at);
        let payload = [0x00, 0x7f, 0x80, 0xff, 0x12];
        assert_eq!(to_hex(&payload), "007f80ff12");
        assert_eq!(from_hex(&to_hex(&payload)).as_deref(), Some(&payload[..]));
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
    }

    #[test]
    fn the_subscriber_answers_the_reports_commands_and_stops_on_stop() {
        let rec = Recorded::default();
        record(
            &rec,
            Duration::from_millis(5),
            "fieldbridge/bench/plc0/r1",
            b"{}",
        );
        assert_eq!(answer(&rec, "all"), Some(json!(1)));
        assert_eq!(answer(&rec, "counts").unwrap()["json_messages"], json!(1));
        assert_eq!(answer(&rec, "capture json 2"), Some(json!("ok")));
        record(
            &rec,
            Duration::from_millis(6),
            "fieldbridge/bench/plc0/r2",
            b"{\"v\":1}",
        );
        let taken = answer(&rec, "take").unwrap();
        assert_eq!(
            taken,
            json!([["fieldbridge/bench/plc0/r2", "7b2276223a317d"]])
        );
        assert!(answer(&rec, "nonsense").unwrap().get("error").is_some());
        assert_eq!(answer(&rec, "stop"), None);
        assert!(rec.stopping.load(Ordering::Relaxed));
    }
}
