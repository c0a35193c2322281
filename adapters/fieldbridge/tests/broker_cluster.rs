//! Broker clusters (issue 19): the bridge is given the three nodes of a broker cluster, publishes
//! about 1,000 samples per second, and the node it is connected to is killed with SIGKILL. It fails
//! over to another node with backoff, resumes its persistent session there, its `$bridge` state
//! names the new node, and a subscriber on the third node receives every sequence number.
//!
//! The cluster CI runs is RabbitMQ 3.10 with its MQTT plugin (the subscription queues mirrored, so
//! sessions outlive a node). NATS 2.9 is the other one PEERS.md names: it stalls CONNECTs and QoS 1
//! publishes for seconds while it re-elects the leaders of its streams, then may acknowledge QoS 1
//! at 80 to 400 a second for minutes (a plain paho publisher sees the same), so the 1,000/s backlog
//! may never drain while the load goes on; its run is `--ignored`.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{load_lock, next_seq, samples, simulator, BridgeProcess};
use fieldbridge_tests::{free_port, BrokerCluster, NatsCluster, RabbitCluster, Subscriber};

/// The bridge's state as it last published it (retained `$bridge/<id>/state`).
fn bridge_state(sub: &Subscriber) -> Option<serde_json::Value> {
    sub.messages()
        .into_iter()
        .rev()
        .find(|m| m.topic.contains("/$bridge/") && m.topic.ends_with("/state"))
        .and_then(|m| m.json)
}

#[tokio::test(flavor = "multi_thread")]
async fn rabbitmq_the_node_in_use_killed_under_load_loses_no_sequence_number() {
    let _load = load_lock().await;
    node_in_use_killed_under_load(RabbitCluster::start()).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "NATS 2.9 carries QoS 1 at 80-400/s for minutes after a node's death, so the 1,000/s backlog may not drain; run with --ignored"]
async fn nats_the_node_in_use_killed_under_load_loses_no_sequence_number() {
    let _load = load_lock().await;
    node_in_use_killed_under_load(NatsCluster::start()).await;
}

async fn node_in_use_killed_under_load(mut cluster: impl BrokerCluster) {
    for i in 0..3 {
        assert!(
            cluster.wait_ready(i, Duration::from_secs(60)),
            "{} node {i} never took a QoS 1 subscription:\n{}",
            cluster.name(),
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
        "{}: failed over {:.1} s after the kill",
        cluster.name(),
        killed_at.elapsed().as_secs_f64()
    );
    // The session the bridge made on the first node was there on the next one.
    assert!(
        bridge.log().contains("session_present=true"),
        "the bridge's persistent session was not resumed; log:\n{}",
        bridge.log()
    );
    let before = sub.messages().len();
    assert!(
        sub.wait_for_count(before + 10_000, Duration::from_secs(90))
            .await,
        "no load after the failover; log:\n{}",
        bridge.log()
    );
    // The backlog the outage left in the outbox drains while the load goes on.
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut last_report = Instant::now();
    loop {
        let (_, body) = common::get(metrics_port, "/metrics");
        let pending = common::metric(&body, "fieldbridge_outbox_pending").unwrap_or(f64::MAX);
        if pending <= 300.0 {
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(15) {
            last_report = Instant::now();
            let get = |name: &str| common::metric(&body, name).unwrap_or(-1.0);
            println!(
                "draining: pending {pending}, published {}, acked {}, connects {}",
                get("fieldbridge_samples_published_total{device=\"plc\"}"),
                get("fieldbridge_samples_acked_total"),
                get("fieldbridge_mqtt_connects_total"),
            );
        }
        if Instant::now() >= deadline {
            let log = bridge.log();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let counters: Vec<&str> = body
                .lines()
                .filter(|l| {
                    l.starts_with("fieldbridge_mqtt")
                        || l.starts_with("fieldbridge_samples")
                        || l.starts_with("fieldbridge_outbox")
                })
                .collect();
            panic!(
                "the outbox did not drain within 240 s ({pending} pending)\n{}\nbridge log (last 30, newest first):\n{}\n{}",
                counters.join("\n"),
                tail.join("\n"),
                cluster.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, body) = common::get(metrics_port, "/metrics");
    let stalls = common::metric(
        &body,
        "fieldbridge_mqtt_connect_errors_total{reason=\"ack-timeout\"}",
    )
    .unwrap_or(0.0);
    println!("connections dropped for want of a PUBACK: {stalls}");

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
        "{} failover: sent {} (seq 1..{}), received {}, distinct {}, duplicated {}, missing {}",
        cluster.name(),
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
