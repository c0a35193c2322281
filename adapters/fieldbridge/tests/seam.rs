//! The source seam, end to end: a protocol that only tests know ([`driver::LineDriver`]) is
//! registered beside the built-in Modbus driver and runs in one bridge against mosquitto, and a
//! source that keeps a link alive keeps answering its keep-alives while the publisher is stalled.

mod seam {
    pub mod driver;
}

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fieldbridge::Bridge;
use fieldbridge_tests::{free_port, Mosquitto, Subscriber};
use seam::driver::LineDriver;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The bridge configuration: a Modbus source on the built-in simulator and a source of the test
/// protocol (configured as `iec104`, whose driver the test registers).
fn config(broker: u16, sim: &str, peer: &str, data_dir: &std::path::Path, extra: &str) -> String {
    format!(
        r#"
[bridge]
id = "gw"
site = "s"
data_dir = "{data_dir}"

[mqtt]
url = "mqtt://127.0.0.1:{broker}"
prefix = "fb"
keep_alive = "120s"
reconnect_max = "1s"
{extra}

[[source]]
name = "plc"
protocol = "modbus-tcp"
address = "{sim}"
poll = "200ms"

  [[source.point]]
  name = "ramp"
  register = "holding:0"
  type = "u16"

[[source]]
name = "rtu7"
protocol = "iec104"
address = "{peer}"
k = 12
w = 8

  [[source.point]]
  name = "feeder"
  ioa = 1001
  unit = "A"

  [[source.point]]
  name = "breaker"
  ioa = 2001
  command = "double"
  writable = true
"#,
        data_dir = data_dir.display()
    )
}

async fn simulator() -> String {
    let (addr, _task) = fieldbridge_sim::bind_tcp(
        ([127, 0, 0, 1], 0).into(),
        fieldbridge_sim::ModbusSim::default(),
    )
    .await
    .expect("simulator");
    addr.to_string()
}

/// Starts a bridge on the configuration `text`, with the test protocol's driver registered
/// beside the built-in ones.
async fn start_bridge(text: &str) -> Bridge {
    let config = fieldbridge_core::config::parse(text).unwrap_or_else(|e| panic!("{e}"));
    let registry = fieldbridge::protocols::registry().with(LineDriver);
    Bridge::start(config, &registry)
        .await
        .expect("bridge starts")
}

async fn http_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("metrics");
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut body = String::new();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line).await.unwrap_or(0) > 0 {
        body.push_str(&line);
        line.clear();
    }
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protocol_registered_through_the_seam_runs_beside_modbus_with_samples_state_meta_metrics_and_commands(
) {
    fieldbridge_tests::require(fieldbridge_tests::Peer::Mosquitto);
    let broker = Mosquitto::start();
    let subscriber = Subscriber::connect(broker.port(), "fb/s/#").await;
    let sim = simulator().await;
    let peer = TcpListener::bind("127.0.0.1:0").await.expect("peer");
    let peer_addr = peer.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = free_port();
    let extra = "";
    let mut text = config(broker.port(), &sim, &peer_addr, dir.path(), extra);
    text.push_str(&format!("\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n"));
    let bridge = start_bridge(&text).await;

    // The field side: one reading, then a command's confirmation.
    let (stream, _) = tokio::time::timeout(Duration::from_secs(10), peer.accept())
        .await
        .expect("the source connects")
        .expect("accept");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"DATA 1 1001 42\n").await.expect("send");
    let wait = Duration::from_secs(10);
    let sample = subscriber
        .wait_for(|m| m.topic == "fb/s/rtu7/feeder", wait)
        .await
        .expect("the test source's sample");
    let json = sample.json.expect("JSON");
    assert_eq!(json["value"], 42);
    assert_eq!(json["unit"], "A");
    assert_eq!(
        json["source"],
        serde_json::json!({"device":"rtu7","protocol":"iec104","common_address":1,"ioa":1001,"type_id":13,"cot":3})
    );
    let ack = lines.next_line().await.expect("read").expect("a line");
    assert_eq!(ack, "ACK 1", "acknowledged once in the point stream");
    let state = subscriber
        .wait_for(|m| m.topic == "fb/s/rtu7/$state", wait)
        .await
        .expect("$state");
    assert_eq!(state.json.expect("JSON")["state"], "online");
    let meta = subscriber
        .wait_for(|m| m.topic == "fb/s/rtu7/$meta", wait)
        .await
        .expect("$meta");
    let meta = meta.json.expect("JSON");
    assert_eq!(meta["protocol"], "iec104");
    assert_eq!(meta["points"][1]["name"], "breaker");
    assert_eq!(meta["points"][1]["writable"], true);
    assert_eq!(
        meta["points"][1]["source"],
        serde_json::json!({"protocol":"iec104","common_address":1,"ioa":2001})
    );
    // The Modbus source runs beside it.
    subscriber
        .wait_for(|m| m.topic == "fb/s/plc/ramp", wait)
        .await
        .expect("the Modbus source's sample");

    // A command with parameters reaches the test source, which confirms it.
    let client_id = format!("seam-cmd-{}", std::process::id());
    let mut options = rumqttc::MqttOptions::new(client_id, "127.0.0.1", broker.port());
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut eventloop) = rumqttc::AsyncClient::new(options, 10);
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    let command = r#"{"id":"c-7","value":"on","params":{"qualifier":"long-pulse"}}"#;
    client
        .publish(
            "fb/s/rtu7/breaker/set",
            rumqttc::QoS::AtLeastOnce,
            false,
            command,
        )
        .await
        .expect("publish");
    let cmd = tokio::time::timeout(wait, lines.next_line())
        .await
        .expect("the command reaches the field in time")
        .expect("read")
        .expect("a line");
    assert_eq!(cmd, r#"CMD c-7 2001 "on" {"qualifier":"long-pulse"}"#);
    write.write_all(b"DONE c-7\n").await.expect("send");
    let result = subscriber
        .wait_for(|m| m.topic == "fb/s/rtu7/breaker/set/result", wait)
        .await
        .expect("the command's result");
    let result = result.json.expect("JSON");
    assert_eq!(result["id"], "c-7");
    assert_eq!(result["outcome"], "success");
    // A parameter the test protocol does not know is refused before it reaches the field.
    client
        .publish(
            "fb/s/rtu7/breaker/set",
            rumqttc::QoS::AtLeastOnce,
            false,
            r#"{"id":"c-8","value":"on","params":{"duration":"5s"}}"#,
        )
        .await
        .expect("publish");
    let refused = subscriber
        .wait_for(
            |m| {
                m.topic == "fb/s/rtu7/breaker/set/result"
                    && m.json.as_ref().is_some_and(|j| j["id"] == "c-8")
            },
            wait,
        )
        .await
        .expect("the refusal");
    assert_eq!(refused.json.expect("JSON")["outcome"], "refused");

    // Metrics carry the test protocol's own label, and the Modbus source's.
    let body = http_get(metrics, "/metrics").await;
    for family in [
        "fieldbridge_source_requests_total",
        "fieldbridge_source_writes_total",
        "fieldbridge_source_dropped_total",
    ] {
        assert!(
            body.lines().any(|l| l.starts_with(family)
                && l.contains("device=\"rtu7\"")
                && l.contains("protocol=\"test-line\"")),
            "no {family} for rtu7 with protocol=\"test-line\" in:\n{body}"
        );
    }
    assert!(
        body.lines()
            .any(|l| l.contains("device=\"plc\"") && l.contains("protocol=\"modbus\"")),
        "{body}"
    );
    bridge.stop().await;
}

/// The outstation side of the stall test: sends numbered data while its window allows and a
/// keep-alive every 500 ms, and records how long each keep-alive took to be answered.
struct Outstation {
    acked: AtomicU64,
    pongs: Mutex<Vec<(Instant, Duration)>>,
}

async fn outstation(stream: TcpStream, total: u64, k: u64, state: Arc<Outstation>) {
    let (read, write) = stream.into_split();
    let write = Arc::new(tokio::sync::Mutex::new(write));
    let pings: Arc<Mutex<std::collections::HashMap<u64, Instant>>> = Arc::default();
    // Keep-alives.
    let (w, p) = (write.clone(), pings.clone());
    let keep_alive = tokio::spawn(async move {
        for n in 0.. {
            p.lock().expect("lock").insert(n, Instant::now());
            if w.lock()
                .await
                .write_all(format!("PING {n}\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    // Answers.
    let reader_state = state.clone();
    let reader = tokio::spawn(async move {
        let mut lines = BufReader::new(read).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut words = line.split_whitespace();
            match (
                words.next(),
                words.next().and_then(|n| n.parse::<u64>().ok()),
            ) {
                (Some("PONG"), Some(n)) => {
                    if let Some(sent) = pings.lock().expect("lock").remove(&n) {
                        reader_state
                            .pongs
                            .lock()
                            .expect("lock")
                            .push((sent, sent.elapsed()));
                    }
                }
                (Some("ACK"), Some(n)) => reader_state.acked.store(n, Ordering::SeqCst),
                _ => {}
            }
        }
    });
    // Data, within the window.
    let mut sent = 0u64;
    while sent < total {
        if sent - state.acked.load(Ordering::SeqCst) < k {
            sent += 1;
            let line = format!("DATA {sent} 1001 {sent}\n");
            if write.lock().await.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let _ = reader.await;
    keep_alive.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_keeping_source_answers_keep_alives_through_a_30_s_publisher_stall_and_loses_nothing(
) {
    fieldbridge_tests::require(fieldbridge_tests::Peer::Mosquitto);
    // A broker that keeps the subscriber's session and every message queued for it while it is
    // down, so that whoever reconnects first, nothing published is lost on the broker's side.
    let db = tempfile::tempdir().expect("tempdir");
    let _ = std::process::Command::new("chown")
        .arg("mosquitto:")
        .arg(db.path())
        .status();
    let mut broker = Mosquitto::builder()
        .extra(&format!(
            "persistence true\npersistence_location {}/\nautosave_interval 1\nmax_queued_messages 0\n",
            db.path().display()
        ))
        .start();
    let subscriber = Subscriber::connect_persistent(broker.port(), "fb/s/rtu7/feeder").await;
    let sim = simulator().await;
    let peer = TcpListener::bind("127.0.0.1:0").await.expect("peer");
    let peer_addr = peer.local_addr().expect("addr").to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    // The smallest outbox that refuses when full: with the broker down it fills within seconds,
    // and then the publisher stops taking from the point stream.
    let extra = "\n[outbox]\nmax_bytes = \"1MiB\"\nwhen_full = \"backpressure\"\n";
    let text = config(broker.port(), &sim, &peer_addr, dir.path(), extra);
    let bridge = start_bridge(&text).await;
    let (stream, _) = tokio::time::timeout(Duration::from_secs(10), peer.accept())
        .await
        .expect("the source connects")
        .expect("accept");
    let total = 8_000u64;
    let state = Arc::new(Outstation {
        acked: AtomicU64::new(0),
        pongs: Mutex::new(Vec::new()),
    });
    let field = tokio::spawn(outstation(stream, total, 12, state.clone()));
    // Some data flows, then the broker goes away.
    let deadline = Instant::now() + Duration::from_secs(20);
    while state.acked.load(Ordering::SeqCst) < 200 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    broker.stop();
    // The outbox fills and the publisher stalls: acknowledgements stop well short of the total.
    let mut last = state.acked.load(Ordering::SeqCst);
    let mut still_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(60);
    while still_since.elapsed() < Duration::from_secs(2) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = state.acked.load(Ordering::SeqCst);
        if now != last {
            last = now;
            still_since = Instant::now();
        }
    }
    let stalled_at = state.acked.load(Ordering::SeqCst);
    assert!(stalled_at < total, "the publisher never stalled");
    let stall_start = Instant::now();
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        state.acked.load(Ordering::SeqCst),
        stalled_at,
        "nothing was acknowledged while the point stream was full"
    );
    {
        let pongs = state.pongs.lock().expect("lock");
        let during: Vec<Duration> = pongs
            .iter()
            .filter(|(sent, _)| *sent >= stall_start)
            .map(|(_, took)| *took)
            .collect();
        // A keep-alive every 500 ms for 30 s, each answered well within an IEC 104 t1 (15 s).
        assert!(during.len() >= 55, "{} keep-alives answered", during.len());
        let slowest = during.iter().max().copied().unwrap_or_default();
        assert!(
            slowest < Duration::from_secs(1),
            "slowest answer {slowest:?}"
        );
    }
    // The broker returns: everything arrives, in order, nothing lost.
    broker.restart();
    let deadline = Instant::now() + Duration::from_secs(120);
    while state.acked.load(Ordering::SeqCst) < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        state.acked.load(Ordering::SeqCst),
        total,
        "all field data acknowledged"
    );
    let complete = |messages: &[fieldbridge_tests::Message]| {
        let mut values: Vec<u64> = messages
            .iter()
            .filter_map(|m| m.json.as_ref().and_then(|j| j["value"].as_u64()))
            .collect();
        values.sort_unstable();
        values.dedup();
        values.len() as u64 == total
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while !complete(&subscriber.messages()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let messages = subscriber.messages();
    let mut seen = std::collections::BTreeMap::new();
    for m in &messages {
        let json = m.json.as_ref().expect("JSON");
        let value = json["value"].as_u64().expect("a number");
        let seq = json["seq"].as_u64().expect("a seq");
        // A redelivery after the reconnect repeats a sample with its own seq; never another value.
        assert_eq!(*seen.entry(value).or_insert(seq), seq, "value {value}");
    }
    let values: Vec<u64> = seen.keys().copied().collect();
    assert_eq!(values, (1..=total).collect::<Vec<_>>(), "every value once");
    let seqs: Vec<u64> = seen.values().copied().collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in field order");
    field.abort();
    bridge.stop().await;
}
