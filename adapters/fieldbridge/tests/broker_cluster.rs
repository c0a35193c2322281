//! Broker clusters (issue 19): the bridge is given the three nodes of a NATS cluster (JetStream
//! and MQTT, PEERS.md), publishes about 1,000 samples per second, and the node it is connected to
//! is killed with SIGKILL. It fails over to another node with backoff, its `$bridge` state names
//! the new node, and a subscriber on a third node receives every sequence number.
//!
//! NATS stalls CONNECTs and QoS 1 publishes for seconds while it re-elects the leaders of its
//! streams after a node dies (PEERS.md); the outbox carries the backlog meanwhile.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{load_lock, next_seq, samples, simulator, wait_drained_within, BridgeProcess};
use fieldbridge_tests::{free_port, NatsCluster, Subscriber};

/// The bridge's state as it last published it (retained `$bridge/<id>/state`).
fn bridge_state(sub: &Subscriber) -> Option<serde_json::Value> {
    sub.messages()
        .into_iter()
        .rev()
        .find(|m| m.topic.contains("/$bridge/") && m.topic.ends_with("/state"))
        .and_then(|m| m.json)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_node_in_use_killed_under_load_loses_no_sequence_number() {
    let _load = load_lock().await;
    let mut cluster = NatsCluster::start();
    for i in 0..3 {
        assert!(
            cluster.wait_ready(i, Duration::from_secs(60)),
            "node {i} never took a QoS 1 subscription:\n{}",
            cluster.logs()
        );
    }
    let modbus_port = free_port();
    let _sim = simulator(modbus_port);
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics_port = free_port();
    let mut config = common::header("load", &dir.path().join("var"), "CLUSTER")
        .replace(
            "url = \"CLUSTER\"",
            &format!("url = {}", cluster.url_list()),
        )
        .replace("reconnect_min = \"100ms\"", "reconnect_min = \"500ms\"")
        .replace("reconnect_max = \"1s\"", "reconnect_max = \"2s\"");
    config.push_str(&format!(
        "[outbox]\nreplay_rate = 5000\n\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n"
    ));
    config.push_str(&common::load_source(modbus_port));
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");

    // The subscriber sits on the third node: the messages it gets crossed the cluster.
    let sub = Subscriber::connect_persistent(cluster.mqtt_port(2), "fieldbridge/load/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());
    assert!(
        sub.wait_for_count(3000, Duration::from_secs(60)).await,
        "no load through the cluster; log:\n{}\n{}",
        bridge.log(),
        cluster.logs()
    );
    let first_node = format!("127.0.0.1:{}", cluster.mqtt_port(0));
    let state = bridge_state(&sub).expect("the bridge's state");
    assert_eq!(state["broker"], first_node.as_str(), "{state}");
    assert!(
        state["config"]
            .as_str()
            .is_some_and(|v| v.starts_with("sha256:")),
        "{state}"
    );

    cluster.kill(0);
    let killed_at = Instant::now();

    // The bridge moves to another node and says so; live data flows again.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let moved = bridge_state(&sub)
            .and_then(|s| s["broker"].as_str().map(str::to_owned))
            .is_some_and(|b| b != first_node);
        if moved {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the bridge did not fail over; log:\n{}\n{}",
            bridge.log(),
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "failed over {:.1} s after the kill",
        killed_at.elapsed().as_secs_f64()
    );
    let before = sub.messages().len();
    assert!(
        sub.wait_for_count(before + 3000, Duration::from_secs(90))
            .await,
        "no load after the failover; log:\n{}",
        bridge.log()
    );
    // After a node dies NATS may carry QoS 1 at a few hundred messages a second for up to a
    // minute (PEERS.md), less than the load: the backlog drains once it recovers.
    wait_drained_within(metrics_port, 300.0, Duration::from_secs(240)).await;

    let mut bridge = bridge;
    let status = bridge.terminate().expect("the bridge stops on SIGTERM");
    assert!(status.success(), "exit {status:?}; log:\n{}", bridge.log());
    let next = next_seq(&dir.path().join("var"), &bridge);
    // What the cluster acknowledged reaches the subscriber, late perhaps: wait for the last.
    let deadline = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let distinct: BTreeSet<u64> = samples(&sub).iter().map(|(s, _, _)| *s).collect();
        let missing: Vec<u64> = (1..next).filter(|s| !distinct.contains(s)).collect();
        if missing.is_empty() || Instant::now() >= deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let received = samples(&sub);
    let distinct: BTreeSet<u64> = received.iter().map(|(s, _, _)| *s).collect();
    println!(
        "cluster failover: sent {} (seq 1..{}), received {}, distinct {}, duplicated {}, missing {}",
        next - 1,
        next - 1,
        received.len(),
        distinct.len(),
        received.len() - distinct.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "{} sequence numbers missing, first {:?}; log:\n{}",
        missing.len(),
        &missing[..missing.len().min(10)],
        bridge.log()
    );
}
