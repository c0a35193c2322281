//! Nothing lost in Sparkplug B mode (design brief §4, issue 19): the broker is stopped for an
//! outage while the bridge publishes about 1,000 samples per second as DDATA, and restarted;
//! every sequence number the bridge gave out (the `seq` property of each DDATA metric) reaches a
//! subscriber, and those held back by the outage carry `is_historical`.
//!
//! The payloads are decoded here with the protobuf schema of `fieldbridge-sparkplug`: the host
//! peer (pysparkplug) drops metric properties, and `seq` is one.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{load_lock, next_seq, simulator, wait_drained, BridgeProcess};
use fieldbridge_sparkplug::proto::{property_value, Payload};
use fieldbridge_tests::{free_port, Mosquitto, Subscriber};
use prost::Message as _;

/// (bridge seq, historical) of every DDATA metric received, in arrival order.
fn ddata_samples(sub: &Subscriber) -> Vec<(u64, bool)> {
    let mut out = Vec::new();
    for m in sub.messages() {
        if !m.topic.contains("/DDATA/") {
            continue;
        }
        let Ok(payload) = Payload::decode(&m.payload[..]) else {
            continue;
        };
        for metric in payload.metrics {
            let seq = metric.properties.as_ref().and_then(|p| {
                let i = p.keys.iter().position(|k| k == "seq")?;
                match p.values.get(i)?.value {
                    Some(property_value::Value::LongValue(v)) => Some(v),
                    _ => None,
                }
            });
            if let Some(seq) = seq {
                out.push((seq, metric.is_historical == Some(true)));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_outage_under_load_loses_no_sparkplug_sample() {
    let _load = load_lock().await;
    let outage = Duration::from_secs(10);
    let mut broker = Mosquitto::start_persistent();
    let modbus_port = free_port();
    let _sim = simulator(modbus_port);
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics_port = free_port();
    let mut config = common::header("load", &dir.path().join("var"), &broker.url())
        .replace(
            "prefix = \"fieldbridge\"",
            "prefix = \"fieldbridge\"\nformat = \"sparkplug\"",
        )
        .replace("reconnect_min = \"100ms\"", "reconnect_min = \"2s\"")
        .replace("reconnect_max = \"1s\"", "reconnect_max = \"2s\"");
    config.push_str(&format!(
        "[outbox]\nreplay_rate = 5000\n\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n"
    ));
    config.push_str(&common::load_source(modbus_port));
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");

    let sub = Subscriber::connect_persistent(broker.port(), "spBv1.0/load/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());
    assert!(
        sub.wait_for_count(2000, Duration::from_secs(15)).await,
        "no load; log:\n{}",
        bridge.log()
    );

    broker.stop();
    tokio::time::sleep(outage).await;
    broker.restart();
    // Live data again (after the backlog, in order), then the drain.
    let before = sub.messages().len();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !sub
        .messages()
        .iter()
        .skip(before)
        .any(|m| m.topic.contains("/NBIRTH/"))
    {
        assert!(
            Instant::now() < deadline,
            "no NBIRTH after the restart; log:\n{}",
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_drained(metrics_port, 300.0).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut bridge = bridge;
    let status = bridge.terminate().expect("the bridge stops on SIGTERM");
    assert!(status.success(), "exit {status:?}; log:\n{}", bridge.log());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let next = next_seq(&dir.path().join("var"), &bridge);
    let received = ddata_samples(&sub);
    let distinct: BTreeSet<u64> = received.iter().map(|(s, _)| *s).collect();
    let missing: Vec<u64> = (1..next).filter(|s| !distinct.contains(s)).collect();
    let historical = received.iter().filter(|(_, h)| *h).count();
    println!(
        "sparkplug outage of {outage:?}: sent {} (seq 1..{}), received {}, distinct {}, duplicated {}, historical {historical}, missing {}",
        next - 1,
        next - 1,
        received.len(),
        distinct.len(),
        received.len() - distinct.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "{} sequence numbers missing, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let expected = outage.as_secs() as usize * 800;
    assert!(
        historical >= expected,
        "the outage's samples ({historical}) arrive marked is_historical (expected ≥ {expected})"
    );
    // Within a session (from an NBIRTH on) every message's `seq` is the one before plus one,
    // 255 wrapping to 0: a host asks for a rebirth at any gap. A message the broker delivered
    // twice to this subscriber (QoS 1 redelivery of what it had in flight when it stopped) is
    // the same bytes again: counted once.
    let (mut sessions, mut last, mut gaps) = (0, None::<u64>, Vec::new());
    let mut seen = std::collections::HashSet::new();
    let messages = sub.messages();
    let unique = messages
        .iter()
        .filter(|m| m.topic.starts_with("spBv1.0/"))
        .filter(|m| seen.insert((m.topic.clone(), m.payload.clone())));
    for m in unique {
        let payload = Payload::decode(&m.payload[..]).expect("every payload decodes");
        if m.topic.contains("/NDEATH/") {
            continue;
        }
        let seq = payload.seq.expect("a seq on every message but NDEATH");
        if m.topic.contains("/NBIRTH/") {
            sessions += 1;
            assert_eq!(seq, 0, "an NBIRTH starts at seq 0");
        } else if let Some(prev) = last {
            if seq != (prev + 1) % 256 {
                gaps.push((prev, seq, m.topic.clone()));
            }
        }
        last = Some(seq);
    }
    println!("sparkplug sessions: {sessions}, seq gaps: {}", gaps.len());
    assert!(sessions >= 2, "a birth before and after the outage");
    assert!(
        gaps.is_empty(),
        "seq gaps: {:?}",
        &gaps[..gaps.len().min(5)]
    );
}
