//! The measuring subscriber: QoS 1 to `fieldbridge/#`, on a thread and runtime of its own so
//! that the outstations' work in this process does not delay its receive times.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One spontaneous sample received: which link, its change count, when (µs since the bench's
/// base instant).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rx {
    pub(crate) link: u32,
    pub(crate) count: u64,
    pub(crate) at_us: u64,
    /// The sample's `received` (the bridge's wall clock when it read the frame, whole
    /// milliseconds, truncated) in unix microseconds.
    pub(crate) received_unix_us: Option<i64>,
}

#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) samples: Mutex<Vec<Rx>>,
    /// Every message (samples, states, meta): to tell when the broker has gone quiet.
    pub(crate) all: AtomicU64,
    /// Samples that are not spontaneous changes (interrogation, comm_failure).
    pub(crate) other: AtomicU64,
    /// Samples of unknown topics or unreadable payloads.
    pub(crate) unreadable: AtomicU64,
    /// Device `$state` messages that are not online.
    pub(crate) offline: AtomicU64,
}

/// `fieldbridge/<site>/rtuNNNN/<point>`: the link index NNNN.
pub(crate) fn link_of(topic: &str) -> Option<u32> {
    let device = topic.split('/').nth(2)?;
    device.strip_prefix("rtu")?.parse().ok()
}

fn record(rec: &Recorded, topic: &str, payload: &[u8], at_us: u64) {
    rec.all.fetch_add(1, Ordering::Relaxed);
    if topic.ends_with("/$state") {
        if !payload.windows(8).any(|w| w == b"\"online\"") && topic.contains("/rtu") {
            rec.offline.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    if topic.contains('$') {
        return;
    }
    let Some(link) = link_of(topic) else {
        rec.unreadable.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let Ok(json) = serde_json::from_slice::<Value>(payload) else {
        rec.unreadable.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let count = json["value"]
        .as_f64()
        .filter(|v| *v >= 0.0 && v.fract() == 0.0);
    match (json["source"]["cot"].as_u64(), count) {
        (Some(3), Some(count)) => {
            if let Ok(mut s) = rec.samples.lock() {
                s.push(Rx {
                    link,
                    count: count as u64,
                    at_us,
                    received_unix_us: json["received"].as_str().and_then(unix_us),
                });
            }
        }
        _ => {
            rec.other.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// An RFC 3339 time as unix microseconds.
fn unix_us(text: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

/// Starts the subscriber on its own thread; returns once its SUBACK arrived.
pub(crate) fn start(
    port: u16,
    base: std::time::Instant,
    stopping: Arc<AtomicBool>,
) -> Arc<Recorded> {
    let rec = Arc::new(Recorded::default());
    let (tx, rx) = std::sync::mpsc::channel();
    let out = rec.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("subscriber runtime");
        runtime.block_on(async move {
            let mut options = MqttOptions::new(
                format!("iec104-scale-sub-{}", std::process::id()),
                "127.0.0.1",
                port,
            );
            options.set_keep_alive(Duration::from_secs(30));
            options.set_max_packet_size(1 << 20, 1 << 20);
            let (client, mut eventloop) = AsyncClient::new(options, 100);
            // The instrument must not wait for delayed ACKs (docs/performance.md, the nominal
            // tail): PUBACKs go out at once.
            let mut network = eventloop.network_options();
            network.set_tcp_nodelay(true);
            eventloop.set_network_options(network);
            let mut tx = Some(tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let at_us = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
                        record(
                            &out,
                            &String::from_utf8_lossy(p.topic.as_ref()),
                            &p.payload,
                            at_us,
                        );
                    }
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = client.try_subscribe("fieldbridge/#", QoS::AtLeastOnce);
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        if stopping.load(Ordering::Relaxed) {
                            return;
                        }
                        eprintln!("subscriber: {e}; retrying");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the subscriber's SUBACK within 10 s");
    rec
}

/// Waits until no message at all arrived for `quiet` (at most `limit`).
pub(crate) async fn wait_quiet(rec: &Recorded, quiet: Duration, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    let mut last = rec.all.load(Ordering::Relaxed);
    let mut since = std::time::Instant::now();
    while std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = rec.all.load(Ordering::Relaxed);
        if now != last {
            last = now;
            since = std::time::Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}
