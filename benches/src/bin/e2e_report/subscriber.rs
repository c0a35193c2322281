//! The subscriber that measures every phase, and the `received` timestamps of the payloads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const RECEIVED_KEY: &[u8] = b"\"received\":\"";

/// One sample received: when (since the bench started), its latency, its sequence number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rx {
    pub(crate) at: Duration,
    /// Microseconds from `received` to the subscriber; `None` when the payload has none.
    pub(crate) latency_us: Option<i64>,
    /// The sample's `received`, unix microseconds (whole milliseconds).
    pub(crate) received_us: Option<i64>,
}

#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) samples: Mutex<Vec<Rx>>,
    /// One payload per sample topic, while `capture` is set.
    pub(crate) captured: Mutex<HashMap<String, Vec<u8>>>,
    pub(crate) capture: AtomicBool,
    /// Every message, samples or not (state, meta): to tell when the broker has gone quiet.
    pub(crate) all: AtomicU64,
    /// The report is done: the broker going away is expected.
    pub(crate) stopping: AtomicBool,
}

pub(crate) fn unix_micros_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Offset of the 24-character `received` timestamp in a payload.
pub(crate) fn received_at(payload: &[u8]) -> Option<usize> {
    payload
        .windows(RECEIVED_KEY.len())
        .position(|w| w == RECEIVED_KEY)
        .map(|p| p + RECEIVED_KEY.len())
        .filter(|&p| payload.len() >= p + 24)
}

/// The `received` timestamp of a payload, in unix microseconds.
fn received_micros(payload: &[u8]) -> Option<i64> {
    let p = received_at(payload)?;
    let text = std::str::from_utf8(payload.get(p..p + 24)?).ok()?;
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

/// `2026-11-24T21:00:00.123Z`: the bridge's format, always 24 characters.
pub(crate) fn rfc3339_millis(unix_micros: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_micros) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Connects a QoS 1 subscriber to `fieldbridge/#` and records every sample until the process
/// ends. Returns once the SUBACK arrived.
pub(crate) async fn subscribe(port: u16, start: Instant, rec: Arc<Recorded>) {
    let mut options =
        MqttOptions::new(format!("e2e-sub-{}", std::process::id()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    // The subscriber is the measuring instrument: Nagle's algorithm on its socket holds each
    // PUBACK behind the broker's delayed ACK (40 ms), and mosquitto stops sending at 20 QoS 1
    // messages in flight to one client (`max_inflight_messages`), so a 100-sample burst would
    // stall for 40 ms on the instrument, not on the bridge (docs/performance.md, "Nominal
    // latency: where the tail came from").
    let mut network = eventloop.network_options();
    network.set_tcp_nodelay(true);
    eventloop.set_network_options(network);
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut tx = Some(tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe("fieldbridge/#", QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let now_us = unix_micros_now();
                    let at = start.elapsed();
                    rec.all.fetch_add(1, Ordering::Relaxed);
                    if p.topic.contains('$') {
                        continue;
                    }
                    let received_us = received_micros(&p.payload);
                    let latency_us = received_us.map(|r| now_us - r);
                    rec.samples.lock().expect("samples lock").push(Rx {
                        at,
                        latency_us,
                        received_us,
                    });
                    if rec.capture.load(Ordering::Relaxed) {
                        let mut cap = rec.captured.lock().expect("capture lock");
                        if !cap.contains_key(&p.topic) {
                            cap.insert(p.topic.clone(), p.payload.to_vec());
                        }
                    }
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
        .expect("SUBACK within 10 s")
        .expect("subscriber task alive");
}

/// Waits until no message at all arrived for `quiet`.
pub(crate) async fn wait_quiet(rec: &Recorded, quiet: Duration) {
    let mut last = rec.all.load(Ordering::Relaxed);
    let mut since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = rec.all.load(Ordering::Relaxed);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}
