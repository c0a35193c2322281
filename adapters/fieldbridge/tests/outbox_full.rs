//! The outbox at its bound, under each policy, with the metrics endpoint checked against what the
//! subscriber saw: `drop-oldest` loses only samples it counts as dropped (the count exceeds the loss
//! by at most what was in flight when the broker died), and `backpressure` loses none (the sources
//! are slowed instead).

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{get, metric, next_seq, samples, BridgeProcess};
use fieldbridge_tests::{Mosquitto, Subscriber};

struct Run {
    broker: Mosquitto,
    sub: Subscriber,
    bridge: BridgeProcess,
    metrics_port: u16,
    _sim: common::Simulator,
    dir: tempfile::TempDir,
}

/// A bridge at 1,000 samples/s with a 1 MiB outbox and the given policy, metrics on a free port.
async fn start(policy: &str) -> Run {
    let broker = Mosquitto::start_persistent();
    let dir = tempfile::tempdir().expect("tempdir");
    let load = common::start_load(
        &broker,
        dir.path(),
        &format!("max_bytes = \"1MiB\"\nwhen_full = \"{policy}\"\nreplay_rate = 20000"),
        1000,
    )
    .await;
    Run {
        broker,
        sub: load.sub,
        bridge: load.bridge,
        metrics_port: load.metrics_port,
        _sim: load.sim,
        dir,
    }
}

/// Kills the broker for `outage`, checks the endpoint during it, restarts it and waits until the
/// outbox is empty again; returns the metrics at the end.
async fn outage(run: &mut Run, outage: Duration) -> String {
    let (status, _) = get(run.metrics_port, "/ready");
    assert!(
        status.contains("200"),
        "/ready with the broker up: {status}"
    );
    run.broker.stop(); // SIGTERM with persistence: the broker keeps what it acknowledged
    tokio::time::sleep(outage).await;
    let (status, _) = get(run.metrics_port, "/ready");
    assert!(
        status.contains("503"),
        "/ready with the broker down: {status}"
    );
    let (status, body) = get(run.metrics_port, "/metrics");
    assert!(status.contains("200"), "{status}");
    assert_eq!(
        metric(&body, "fieldbridge_mqtt_connected"),
        Some(0.0),
        "{body}"
    );
    assert!(
        metric(&body, "fieldbridge_outbox_pending").is_some_and(|p| p > 1000.0),
        "{body}"
    );
    assert!(
        metric(&body, "fieldbridge_outbox_oldest_age_seconds").is_some_and(|a| a > 1.0),
        "{body}"
    );
    let (health, _) = get(run.metrics_port, "/health");
    assert!(
        health.contains("200"),
        "/health while the broker is down: {health}"
    );
    run.broker.restart();
    for _ in 0..300 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, body) = get(run.metrics_port, "/metrics");
        if metric(&body, "fieldbridge_mqtt_connected") == Some(1.0)
            && metric(&body, "fieldbridge_outbox_pending").is_some_and(|p| p < 300.0)
        {
            return body;
        }
    }
    panic!(
        "the outbox did not drain after the restart; log:\n{}",
        run.bridge.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn drop_oldest_loses_exactly_what_the_metrics_count_as_dropped() {
    let _load = common::load_lock().await;
    let mut run = start("drop-oldest").await;
    // 1 MiB holds about 3,000 samples: 8 s at 1,000/s overflows it.
    let body = outage(&mut run, Duration::from_secs(8)).await;
    let dropped = metric(&body, "fieldbridge_outbox_dropped_total").unwrap_or(0.0) as u64;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = run.bridge.terminate().expect("the bridge stops");
    assert!(status.success(), "log:\n{}", run.bridge.log());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let next = next_seq(&run.dir.path().join("var"), &run.bridge);
    let received = samples(&run.sub);
    let distinct: BTreeSet<u64> = received.iter().map(|(s, _, _)| *s).collect();
    let missing_seqs: Vec<u64> = (1..next).filter(|s| !distinct.contains(s)).collect();
    let missing = missing_seqs.len() as u64;
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for &s in &missing_seqs {
        match ranges.last_mut() {
            Some(r) if r.1 + 1 == s => r.1 = s,
            _ => ranges.push((s, s)),
        }
    }
    println!("missing ranges: {ranges:?}");
    println!(
        "drop-oldest: sent {}, received {}, duplicated {}, dropped (metrics) {dropped}, missing at the subscriber {missing}",
        next - 1,
        received.len(),
        received.len() - distinct.len()
    );
    assert!(dropped > 1000, "the bound was reached: {dropped}");
    // Every sample the subscriber misses was counted as dropped. The count may exceed it by what
    // was in flight when the broker was killed: a dying broker can forward a sample whose PUBACK
    // never reaches the bridge, which then drops it, unacknowledged, with its segment. At most one
    // delivery window (256) of them.
    assert!(
        missing <= dropped,
        "{missing} missing but only {dropped} counted as dropped"
    );
    assert!(
        dropped - missing <= 256,
        "{dropped} counted as dropped but only {missing} missing"
    );
    let log = run.bridge.log();
    assert!(
        log.contains("oldest samples dropped"),
        "a log line says so:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn backpressure_loses_nothing_and_slows_the_sources() {
    let _load = common::load_lock().await;
    let mut run = start("backpressure").await;
    let body = outage(&mut run, Duration::from_secs(8)).await;
    assert_eq!(
        metric(&body, "fieldbridge_outbox_dropped_total"),
        Some(0.0),
        "{body}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = run.bridge.terminate().expect("the bridge stops");
    assert!(status.success(), "log:\n{}", run.bridge.log());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let next = next_seq(&run.dir.path().join("var"), &run.bridge);
    let received = samples(&run.sub);
    let distinct: BTreeSet<u64> = received.iter().map(|(s, _, _)| *s).collect();
    let missing = (1..next).filter(|s| !distinct.contains(s)).count();
    println!(
        "backpressure: sent {}, received {}, duplicated {}, missing {missing}",
        next - 1,
        received.len(),
        received.len() - distinct.len()
    );
    assert_eq!(missing, 0);
    // 8 s at 1,000/s would be ~8,000 more; the bound (~3,000 samples) held the sources back.
    assert!(
        next - 1 < 1000 + 8000,
        "the sources were slowed down: {} samples",
        next - 1
    );
}
