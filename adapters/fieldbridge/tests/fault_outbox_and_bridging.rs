//! Fault injection (issue 3, item 4); each test prints sent / received / duplicated.
//!
//! 1. **A torn last record.** The bridge runs with its broker unreachable, so about 3,000 samples
//!    pile up in the outbox; it is killed with SIGKILL and the newest segment file loses its last
//!    7 bytes (a torn write). The restarted bridge must log "outbox damage skipped" with
//!    `truncated=true` at the torn record's offset, deliver every record before it, never publish
//!    the torn record, and number new samples right after the last record the outbox recovered.
//!
//!    Observed: the outbox's `last_seq` is the larger of the cursor file's (written every 200 ms)
//!    and the last whole record on disk. The cursor usually lags the last append, so numbering
//!    resumes at the torn record's own number, which then goes to a new sample (harmless here:
//!    the torn record was never published). When the cursor had recorded it, the number is
//!    skipped. The test accepts both and prints which one happened. After a real power cut a torn
//!    record may already have been published, and its number would then name two different
//!    samples: see the outbox README on taking the maximum with `SeqStore`.
//!
//! 2. **An edge broker bridged to a cloud broker.** Two mosquitto 2.0.11 instances; the edge has
//!    a bridge `connection cloud` with `topic fieldbridge/# out 1` and `cleansession false`; the
//!    bridge publishes 1,000 samples/s to the edge; a subscriber on the cloud. The cloud broker
//!    stops for 10 s and restarts on the same port; the cloud subscriber must then have every
//!    sequence number from the first it saw to the last the bridge gave out before its clean stop.
//!
//!    What mosquitto does with the edge's queue for the link while it is down (measured with
//!    3,000 QoS 1 messages published to the edge during the outage):
//!    - `cleansession false` (which makes `local_cleansession` false too) and
//!      `max_queued_messages 0`: all 3,000 arrive. This is the configuration used here.
//!    - `cleansession true` (so `local_cleansession` true): **none** arrive; the edge keeps no
//!      queue for a clean local session. `cleansession true` with `local_cleansession false`
//!      keeps them all; `cleansession false` with `local_cleansession true` loses them all.
//!      `local_cleansession` is what matters for the edge's own queue.
//!    - The default `max_queued_messages` (1000): 1,000 arrive and the edge logs "Outgoing
//!      messages are being dropped for client local.HOST.cloud"; the test fails on that line.
//!    - `queue_qos0_messages` only matters for QoS 0; everything here is QoS 1.
//!
//!    mosquitto does not keep per-point order across the outage: while the edge drains its queue
//!    to the cloud, a new message is sent at once whenever the link's in-flight window has room,
//!    ahead of older queued ones (seen in the logs: seq 16631 was forwarded between 2057 and 2058).
//!    About one run in three has such a jump, so the test counts and prints them but asserts
//!    only completeness; consumers that need order must sort by `seq` (the bridge's own order
//!    guarantee ends at the first broker).
//!
//!    The cloud subscriber has a persistent session (clean session false, a fixed client id) and
//!    the cloud has `persistence true`, so the cloud keeps its subscription and queues for it
//!    whichever of the subscriber and the edge reconnects first. A clean-session subscriber that
//!    must win the race against the edge's `restart_timeout` is not deterministic: the edge's next
//!    attempt can fall right after the cloud's port opens.
//!
//!    The cloud is stopped with SIGTERM, so it writes its persistence file on the way out (the
//!    subscriber's session with the messages it had acknowledged to the edge but not delivered
//!    yet). `FIELDBRIDGE_CLOUD_STOP=KILL` crashes it with SIGKILL instead: then only what the
//!    last autosave (`autosave_interval 1`) held survives; messages it acknowledged to the edge
//!    after that save and had not delivered are lost by the cloud broker, a window no bridge can
//!    close. In 7 runs with SIGKILL none was lost, so that variant is not the default only
//!    because its guarantee is statistical.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{header, next_seq, simulator, BridgeProcess, POINTS};
use fieldbridge_tests::{free_port, Mosquitto, Subscriber};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

/// How many bytes the torn write leaves off the end of the newest segment file.
const TEAR: u64 = 7;

/// The outbox record header (`adapters/outbox/src/record.rs`): magic, length, CRC, seq, appended-at.
const RECORD_HEADER: usize = 25;
const RECORD_MAGIC: u8 = 0xF1;

/// A bridge configuration polling `POINTS` registers of the simulator every 100 ms, logging JSON
/// lines (so the tests can read fields without ANSI colours in the way).
fn write_config(dir: &Path, site: &str, mqtt_url: &str, modbus_port: u16) -> PathBuf {
    let mut config = header(site, &dir.join("var"), mqtt_url);
    config.push_str(&format!(
        "[log]\nformat = \"json\"\n\n[outbox]\nreplay_rate = 5000\nreplay_order = \"in-order\"\n\n[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{modbus_port}\"\npoll = \"100ms\"\nheartbeat = \"0s\"\n\n"
    ));
    for i in 0..POINTS {
        config.push_str(&format!(
            "  [[source.point]]\n  name = \"r{i}\"\n  register = \"holding:{}\"\n\n",
            200 + i
        ));
    }
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

/// Stops the bridge with SIGTERM and checks that it exited successfully.
fn stop_cleanly(bridge: &mut BridgeProcess) {
    let status = bridge.terminate().expect("the bridge stops on SIGTERM");
    assert!(status.success(), "exit {status:?}; log:\n{}", bridge.log());
}

/// The bridge's JSON log lines whose message starts with `message`: their `fields` objects.
fn log_events(bridge: &BridgeProcess, message: &str) -> Vec<Value> {
    bridge
        .log()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|j| {
            j["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message))
        })
        .map(|j| j["fields"].clone())
        .collect()
}

/// One sample as received: its seq, its point (the topic's last level), whether it is marked
/// historical.
#[derive(Debug, Clone)]
struct Sample {
    seq: u64,
    point: String,
    historical: bool,
}

/// Every message on a sample topic (any topic without `$`) as a [`Sample`]; a message there that
/// is not a JSON object with a `u64` seq, or whose point is not configured, fails the test: the
/// bridge must never publish garbage.
fn samples<'a>(messages: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<Sample> {
    messages
        .into_iter()
        .filter(|(topic, _)| !topic.contains('$'))
        .map(|(topic, payload)| {
            let text = String::from_utf8_lossy(payload);
            let json: Value = serde_json::from_slice(payload)
                .unwrap_or_else(|e| panic!("garbage on {topic}: {e}: {text:?}"));
            let seq = json["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("no seq on {topic}: {text}"));
            let point = topic.rsplit('/').next().unwrap_or_default().to_owned();
            let known = point
                .strip_prefix('r')
                .and_then(|n| n.parse::<u16>().ok())
                .is_some_and(|n| n < POINTS);
            assert!(known, "a sample on an unknown topic {topic}: {text}");
            Sample {
                seq,
                point,
                historical: json["historical"] == true,
            }
        })
        .collect()
}

/// The samples that arrived (for the first time) after a later sample of the same point:
/// `(point, seq, the later seq that came first)`.
fn out_of_order_per_point(received: &[Sample]) -> Vec<(String, u64, u64)> {
    let mut seen = BTreeSet::new();
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    let mut late = Vec::new();
    for s in received {
        if seen.insert(s.seq) {
            match last.get(s.point.as_str()) {
                Some(&prev) if prev > s.seq => late.push((s.point.clone(), s.seq, prev)),
                _ => {
                    last.insert(&s.point, s.seq);
                }
            }
        }
    }
    late
}

/// One record read back from a segment file.
#[derive(Debug, Clone)]
struct Record {
    offset: u64,
    seq: u64,
    /// The publisher's record: topic length (u16 LE), topic, JSON payload.
    body: Vec<u8>,
}

impl Record {
    /// The topic and JSON payload the publisher stored.
    fn topic_and_json(&self) -> (String, Vec<u8>) {
        let len = usize::from(u16::from_le_bytes([self.body[0], self.body[1]]));
        (
            String::from_utf8_lossy(&self.body[2..2 + len]).into_owned(),
            self.body[2 + len..].to_vec(),
        )
    }
}

/// The complete records of a segment file from its start, and the offset where they end. The
/// bridge was killed with SIGKILL, not by a power cut, so every record it wrote is whole.
fn read_segment(bytes: &[u8]) -> (Vec<Record>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + RECORD_HEADER) {
        assert_eq!(header[0], RECORD_MAGIC, "record at {at} has no magic byte");
        let len = u32::from_le_bytes(header[1..5].try_into().expect("4 bytes")) as usize;
        let seq = u64::from_le_bytes(header[9..17].try_into().expect("8 bytes"));
        let Some(body) = bytes.get(at + RECORD_HEADER..at + RECORD_HEADER + len) else {
            break;
        };
        records.push(Record {
            offset: at as u64,
            seq,
            body: body.to_vec(),
        });
        at += RECORD_HEADER + len;
    }
    (records, at)
}

/// The newest segment file (the highest first seq in its name) of `outbox`.
fn newest_segment(outbox: &Path) -> Option<PathBuf> {
    std::fs::read_dir(outbox)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .max()
}

/// The highest seq in the outbox's newest segment, 0 when there is none yet.
fn outbox_last_seq(outbox: &Path) -> u64 {
    newest_segment(outbox)
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| read_segment(&b).0.last().map(|r| r.seq))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_last_record_is_skipped_and_everything_before_it_arrives() {
    // The broker's port is reserved, and nobody listens on it until the broker is restarted.
    let mut broker = Mosquitto::start();
    broker.kill();
    let modbus_port = free_port();
    let _sim = simulator(modbus_port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = write_config(dir.path(), "torn", &broker.url(), modbus_port);
    let data_dir = dir.path().join("var");
    let outbox = data_dir.join("outbox");

    // A few seconds of samples pile up in the outbox while the broker is unreachable.
    let mut bridge = BridgeProcess::run(&config_path, dir.path());
    let deadline = Instant::now() + Duration::from_secs(15);
    while outbox_last_seq(&outbox) < 3000 {
        assert!(
            Instant::now() < deadline,
            "the outbox does not fill; log:\n{}",
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bridge.kill();

    // The torn write: the newest segment loses its last TEAR bytes, inside its last record.
    let segment = newest_segment(&outbox).expect("a segment file");
    let bytes = std::fs::read(&segment).expect("read the segment");
    let (records, end) = read_segment(&bytes);
    assert_eq!(end, bytes.len(), "the segment ends with a whole record");
    let torn = records.last().expect("records in the segment").clone();
    let last_good = records.len().checked_sub(2).map(|i| records[i].seq);
    let new_len = bytes.len() as u64 - TEAR;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .and_then(|f| f.set_len(new_len))
        .expect("truncate the segment");
    let (torn_topic, torn_json) = torn.topic_and_json();
    println!(
        "torn record: seq {} at offset {} of {} ({} of its {} bytes left), topic {torn_topic}",
        torn.seq,
        torn.offset,
        segment.display(),
        new_len - torn.offset,
        RECORD_HEADER + torn.body.len()
    );
    assert_eq!(
        last_good,
        Some(torn.seq - 1),
        "the segment holds the records just before the torn one"
    );

    // The broker comes back on the port the configuration names; then the subscriber; then the
    // bridge, so the subscriber sees everything the bridge ever publishes.
    broker.restart();
    let sub = Subscriber::connect(broker.port(), "fieldbridge/torn/#").await;
    let mut bridge = BridgeProcess::run(&config_path, dir.path());

    // The damage is reported: file, offset, bytes, truncated, reason.
    let deadline = Instant::now() + Duration::from_secs(10);
    let damage = loop {
        if let Some(d) = log_events(&bridge, "outbox damage skipped").pop() {
            break d;
        }
        assert!(
            Instant::now() < deadline,
            "no \"outbox damage skipped\" line; log:\n{}",
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!("bridge log: outbox damage skipped {damage}");
    assert_eq!(damage["truncated"], true, "{damage}");
    assert_eq!(damage["offset"], torn.offset, "{damage}");
    assert_eq!(
        damage["bytes"],
        new_len - torn.offset,
        "the damage covers what is left of the torn record: {damage}"
    );
    assert_eq!(
        damage["file"].as_str(),
        Some(segment.display().to_string().as_str()),
        "{damage}"
    );
    let opened = log_events(&bridge, "outbox opened")
        .pop()
        .unwrap_or_else(|| panic!("no \"outbox opened\" line; log:\n{}", bridge.log()));
    let recovered_last = opened["last_seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no last_seq: {opened}"));
    println!("bridge log: outbox opened {opened}");

    // The backlog drains (in order), live samples follow; then a little more, and a clean stop.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let live = samples(
            sub.messages()
                .iter()
                .map(|m| (m.topic.as_str(), &m.payload[..])),
        )
        .iter()
        .any(|s| !s.historical && s.seq > torn.seq);
        if live {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no live samples after the restart; log:\n{}",
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop_cleanly(&mut bridge);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let next = next_seq(&data_dir, &bridge);

    let messages = sub.messages();
    let received = samples(messages.iter().map(|m| (m.topic.as_str(), &m.payload[..])));
    let distinct: BTreeSet<u64> = received.iter().map(|s| s.seq).collect();
    let duplicated = received.len() - distinct.len();
    let historical = received.iter().filter(|s| s.historical).count();
    // The first number the restarted bridge gave out to a new sample.
    let resumed = distinct
        .range(torn.seq..)
        .next()
        .copied()
        .expect("samples after the torn one");
    let expected: BTreeSet<u64> = (1..torn.seq).chain(resumed..next).collect();
    let missing: Vec<u64> = expected.difference(&distinct).copied().collect();
    let unexpected: Vec<u64> = distinct.difference(&expected).copied().collect();
    println!(
        "torn last record: sent {} (seq 1..{} before the tear, {resumed}..{} after the restart), received {}, distinct {}, duplicated {duplicated}, historical {historical}, missing {}, unexpected {}; the outbox recovered last_seq {recovered_last}, so numbering resumed at {resumed} ({})",
        expected.len(),
        torn.seq - 1,
        next - 1,
        received.len(),
        distinct.len(),
        missing.len(),
        unexpected.len(),
        if resumed == torn.seq {
            "the torn record's number, never published, went to a new sample"
        } else {
            "the torn record's number is skipped"
        }
    );

    assert!(
        missing.is_empty(),
        "{} sequence numbers missing, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(unexpected.is_empty(), "unexpected numbers {unexpected:?}");
    // Numbering continues exactly after the last record the outbox recovered: the last good one,
    // or the torn one when the cursor file had recorded it before the kill.
    assert!(
        recovered_last == torn.seq - 1 || recovered_last == torn.seq,
        "the outbox recovered last_seq {recovered_last}, torn record {}",
        torn.seq
    );
    assert_eq!(
        resumed,
        recovered_last + 1,
        "numbering continues after the last recovered record"
    );
    // The torn record itself never arrives, live or replayed; a new sample may carry its number.
    let mut torn_historical = torn_json.clone();
    if let Some(end) = torn_historical.iter().rposition(|&b| b == b'}') {
        torn_historical.truncate(end);
        torn_historical.extend_from_slice(br#","historical":true}"#);
    }
    for m in &messages {
        assert!(
            !(m.topic == torn_topic && (m.payload == torn_json || m.payload == torn_historical)),
            "the torn record was published: {}",
            m.text()
        );
    }
    let late = out_of_order_per_point(&received);
    assert!(late.is_empty(), "out of order per point: {late:?}");
}

/// A message as received: its topic and payload.
type TopicAndPayload = (String, Vec<u8>);

/// A subscriber with a persistent session (clean session false, a fixed client id) that records
/// every message it receives. The harness's [`Subscriber`] uses a clean session, so a broker that
/// restarts forgets its subscription and drops whatever arrives before it subscribes again; with a
/// persistent session on a broker with persistence, the broker keeps the subscription and queues
/// for it across the restart, whoever reconnects first.
struct PersistentSubscriber {
    messages: Arc<Mutex<Vec<TopicAndPayload>>>,
    task: tokio::task::JoinHandle<()>,
}

impl PersistentSubscriber {
    /// Connects to 127.0.0.1:`port` as `client_id`, subscribes to `filter` with QoS 1 and waits for
    /// the SUBACK. It reconnects by itself (every 100 ms) after a broker restart.
    async fn connect(port: u16, client_id: &str, filter: &str) -> PersistentSubscriber {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options.set_clean_session(false);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_max_packet_size(16 * 1024 * 1024, 16 * 1024 * 1024);
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
        let task = {
            let messages = Arc::clone(&messages);
            let filter = filter.to_owned();
            tokio::spawn(async move {
                let mut subscribed = Some(subscribed_tx);
                loop {
                    match eventloop.poll().await {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => {
                            let _ = client.try_subscribe(filter.clone(), QoS::AtLeastOnce);
                        }
                        Ok(Event::Incoming(Packet::SubAck(_))) => {
                            if let Some(tx) = subscribed.take() {
                                let _ = tx.send(());
                            }
                        }
                        Ok(Event::Incoming(Packet::Publish(p))) => {
                            let topic = String::from_utf8_lossy(p.topic.as_ref()).into_owned();
                            messages
                                .lock()
                                .expect("messages lock")
                                .push((topic, p.payload.to_vec()));
                        }
                        Ok(_) => {}
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
            })
        };
        tokio::time::timeout(Duration::from_secs(10), subscribed_rx)
            .await
            .expect("a SUBACK within 10 s")
            .expect("the subscriber task runs");
        PersistentSubscriber { messages, task }
    }

    /// The samples received so far, in arrival order.
    fn samples(&self) -> Vec<Sample> {
        let messages = self.messages.lock().expect("messages lock").clone();
        samples(messages.iter().map(|(t, p)| (t.as_str(), &p[..])))
    }
}

impl Drop for PersistentSubscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends `signal` to the mosquitto process of `broker` and waits until its port is closed. The
/// harness keeps the process handle private and only kills with SIGKILL, so the process is found
/// by its configuration file, whose path is unique to this broker.
fn signal_broker(broker: &Mosquitto, signal: &str) {
    let config = broker.config_path().display().to_string();
    let pid = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .find(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| c.split(|&b| b == 0).any(|arg| arg == config.as_bytes()))
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .expect("the broker's process");
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", broker.port())).is_ok() {
        assert!(Instant::now() < deadline, "the broker still listens");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edge_broker_bridged_to_a_cloud_broker_keeps_every_sample_across_a_cloud_outage() {
    // The cloud keeps its state on disk (the subscriber's session and the messages queued for it).
    let cloud_state = tempfile::tempdir().expect("tempdir");
    let status = Command::new("chown")
        .args(["mosquitto:mosquitto"])
        .arg(cloud_state.path())
        .status()
        .expect("run chown");
    assert!(status.success(), "chown the cloud's persistence folder");
    let mut cloud = Mosquitto::start_with(&format!(
        "persistence true\npersistence_location {}/\nautosave_interval 1\n",
        cloud_state.path().display()
    ));
    let cloud_sub = PersistentSubscriber::connect(
        cloud.port(),
        &format!("fb-cloud-sub-{}", std::process::id()),
        "fieldbridge/edge/#",
    )
    .await;

    let edge = Mosquitto::start_with(&format!(
        "connection cloud\naddress 127.0.0.1:{}\ntopic fieldbridge/# out 1\ncleansession false\nrestart_timeout 1\n",
        cloud.port()
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cloud.log().contains("New bridge connected") {
        assert!(
            Instant::now() < deadline,
            "the edge's bridge does not connect; edge log:\n{}",
            edge.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let modbus_port = free_port();
    let _sim = simulator(modbus_port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = write_config(dir.path(), "edge", &edge.url(), modbus_port);
    let data_dir = dir.path().join("var");
    let mut bridge = BridgeProcess::run(&config_path, dir.path());
    let deadline = Instant::now() + Duration::from_secs(15);
    while cloud_sub.samples().len() < 2000 {
        assert!(
            Instant::now() < deadline,
            "no load at the cloud; bridge log:\n{}\nedge log:\n{}\ncloud log:\n{}",
            bridge.log(),
            edge.log(),
            cloud.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The link is cut: the cloud broker goes away for 10 s while samples keep flowing into the edge.
    let stop = std::env::var("FIELDBRIDGE_CLOUD_STOP").unwrap_or_else(|_| "TERM".into());
    let before_cut = cloud_sub.samples().len();
    signal_broker(&cloud, &stop);
    tokio::time::sleep(Duration::from_secs(10)).await;
    cloud.restart();

    // The edge's queue drains to the cloud; live samples follow; then a clean stop.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut high = 0;
    while high < before_cut as u64 + 12_000 {
        assert!(
            Instant::now() < deadline,
            "the cloud does not catch up (highest seq {high}); edge log:\n{}",
            edge.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        high = cloud_sub.samples().iter().map(|s| s.seq).max().unwrap_or(0);
    }
    stop_cleanly(&mut bridge);
    let next = next_seq(&data_dir, &bridge);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cloud_sub.samples().iter().any(|s| s.seq == next - 1) {
        assert!(
            Instant::now() < deadline,
            "the last sample ({}) does not reach the cloud",
            next - 1
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let received = cloud_sub.samples();
    let distinct: BTreeSet<u64> = received.iter().map(|s| s.seq).collect();
    let first = distinct.first().copied().unwrap_or(1);
    let missing: Vec<u64> = (first..next).filter(|s| !distinct.contains(s)).collect();
    let duplicated = received.len() - distinct.len();
    let late = out_of_order_per_point(&received);
    println!(
        "edge bridged to cloud, cloud broker stopped with SIG{stop} for 10 s: sent {} (seq {first}..{}), received {}, distinct {}, duplicated {duplicated}, missing {}, out of order per point {}{}",
        next - first,
        next - 1,
        received.len(),
        distinct.len(),
        missing.len(),
        late.len(),
        late.first()
            .map(|(p, s, after)| format!(" (first: {p} seq {s} after {after})"))
            .unwrap_or_default()
    );
    assert!(
        missing.is_empty(),
        "{} sequence numbers missing, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert!(
        first <= 2,
        "the cloud sees the stream from its start: {first}"
    );
    assert!(
        !edge.log().contains("being dropped"),
        "the edge dropped messages; its log:\n{}",
        edge.log()
    );
    // Per-point order is deliberately not asserted: see the module documentation.
}
