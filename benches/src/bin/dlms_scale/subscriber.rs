//! The counting subscriber: QoS 1 to `fieldbridge/#`, on a thread and runtime of its own. It
//! records each sample's device, kind, quality and receive time, and when each device's
//! `$state` first said online.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::config::CLOCK_POINT;

/// What a sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A register value (energy import or export).
    Register,
    /// The clock's time: one per completed read of a meter.
    Clock,
    /// The clock's offset from the bridge's clock.
    Offset,
    /// A column of a load profile entry (its `source` names the profile).
    Profile,
}

/// One sample received.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rx {
    pub(crate) device: u32,
    pub(crate) kind: Kind,
    /// Its quality was not `good`.
    pub(crate) bad: bool,
    /// When it arrived, µs since the bench's base instant.
    pub(crate) at_us: u64,
}

/// Everything received.
#[derive(Debug, Default)]
pub(crate) struct Recorded {
    pub(crate) samples: Mutex<Vec<Rx>>,
    /// When each device's `$state` first said online (µs since the base).
    pub(crate) online: Mutex<HashMap<u32, u64>>,
    /// Device `$state` messages that did not say online.
    pub(crate) offline: AtomicU64,
    /// Every message (samples, `$state`, `$meta`): to tell when the broker has gone quiet.
    pub(crate) all: AtomicU64,
    /// Messages of topics that name no meter.
    pub(crate) unreadable: AtomicU64,
}

/// `fieldbridge/<site>/meterNNNN/<point>`: NNNN and the point.
fn split(topic: &str) -> Option<(u32, &str)> {
    let mut levels = topic.split('/').skip(2);
    let device = levels.next()?.strip_prefix("meter")?.parse().ok()?;
    Some((device, levels.next()?))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn record(rec: &Recorded, base: Instant, topic: &str, payload: &[u8]) {
    let at_us = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
    rec.all.fetch_add(1, Ordering::Relaxed);
    let Some((device, point)) = split(topic) else {
        if !topic.contains("/$bridge/") {
            rec.unreadable.fetch_add(1, Ordering::Relaxed);
        }
        return;
    };
    if point == "$state" {
        if contains(payload, b"\"online\"") {
            if let Ok(mut online) = rec.online.lock() {
                online.entry(device).or_insert(at_us);
            }
        } else {
            rec.offline.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    if point.starts_with('$') {
        return;
    }
    let kind = if point == CLOCK_POINT {
        Kind::Clock
    } else if point.strip_prefix(CLOCK_POINT) == Some("_offset") {
        Kind::Offset
    } else if contains(payload, b"\"profile\":") {
        Kind::Profile
    } else {
        Kind::Register
    };
    let bad = !contains(payload, b"\"quality\":\"good\"");
    if let Ok(mut s) = rec.samples.lock() {
        s.push(Rx {
            device,
            kind,
            bad,
            at_us,
        });
    }
}

/// Starts the subscriber on its own thread; returns once its SUBACK arrived.
///
/// # Panics
/// When no SUBACK arrives within 10 s.
pub(crate) fn start(port: u16, base: Instant, stopping: Arc<AtomicBool>) -> Arc<Recorded> {
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
                format!("dlms-scale-sub-{}", std::process::id()),
                "127.0.0.1",
                port,
            );
            options.set_keep_alive(Duration::from_secs(30));
            options.set_max_packet_size(1 << 20, 1 << 20);
            let (client, mut eventloop) = AsyncClient::new(options, 100);
            let mut network = eventloop.network_options();
            network.set_tcp_nodelay(true);
            eventloop.set_network_options(network);
            let mut tx = Some(tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => record(
                        &out,
                        base,
                        &String::from_utf8_lossy(p.topic.as_ref()),
                        &p.payload,
                    ),
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
    let deadline = Instant::now() + limit;
    let mut last = rec.all.load(Ordering::Relaxed);
    let mut since = Instant::now();
    while Instant::now() < deadline {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_sorted_into_clock_offset_register_and_profile() {
        let rec = Recorded::default();
        let base = Instant::now();
        let good = br#"{"seq":1,"value":1.5,"quality":"good","source":{"obis":"1.0.1.8.0.255"}}"#;
        let column =
            br#"{"seq":2,"value":2,"quality":"good","source":{"profile":"1.0.99.1.0.255"}}"#;
        let bad = br#"{"seq":3,"value":null,"quality":"bad","flags":["comm_failure"]}"#;
        record(
            &rec,
            base,
            "fieldbridge/bench/meter0007/energy_import",
            good,
        );
        record(&rec, base, "fieldbridge/bench/meter0007/clock", good);
        record(&rec, base, "fieldbridge/bench/meter0007/clock_offset", good);
        record(
            &rec,
            base,
            "fieldbridge/bench/meter0007/load_profile.1.0.1.8.0.255",
            column,
        );
        record(&rec, base, "fieldbridge/bench/meter0012/energy_export", bad);
        record(
            &rec,
            base,
            "fieldbridge/bench/meter0012/$state",
            br#"{"state":"online"}"#,
        );
        let s = rec.samples.lock().expect("samples");
        let kinds: Vec<(u32, Kind, bool)> = s.iter().map(|r| (r.device, r.kind, r.bad)).collect();
        assert_eq!(
            kinds,
            [
                (7, Kind::Register, false),
                (7, Kind::Clock, false),
                (7, Kind::Offset, false),
                (7, Kind::Profile, false),
                (12, Kind::Register, true),
            ]
        );
        assert!(rec.online.lock().expect("online").contains_key(&12));
    }
}
