//! The publisher over TLS against a real mosquitto (2.0, `/usr/sbin/mosquitto`): samples, the
//! command subscription and command results over MQTT 3.1.1 and 5, and the classification of a
//! wrong CA and of a missing client certificate. Skipped (with a note) when mosquitto is missing.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

use super::*;
use crate::config::{MqttVersion, ReplayOrder};
use crate::event::SourceEvent;
use crate::point::{ModbusTable, Quality, Reading, SourceAddress, Value};
use crate::time::Timestamp;
use crate::tls::test_pki::Pki;

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

struct Broker {
    child: Child,
    plain: u16,
    tls: u16,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Broker {
    /// A plain listener and a TLS one requiring a client certificate signed by the test CA.
    async fn start(pki: &Pki) -> Broker {
        let (plain, tls) = (free_port(), free_port());
        let conf = format!(
            "per_listener_settings false\nallow_anonymous true\nlog_dest stderr\nlog_type all\n\
             listener {plain} 127.0.0.1\n\
             listener {tls} 127.0.0.1\ncafile {}\ncertfile {}\nkeyfile {}\nrequire_certificate true\n",
            pki.path("ca.pem").display(),
            pki.path("server.pem").display(),
            pki.path("server.key").display(),
        );
        let conf_path = pki.write("mosquitto.conf", conf.as_bytes());
        pki.share();
        let log = std::fs::File::create(pki.path("mosquitto.log")).expect("log file");
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start mosquitto");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", tls)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", plain)).is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Broker { child, plain, tls }
    }
}

/// A plain subscriber to `fb/#`: every message as (topic, payload).
async fn subscriber(port: u16) -> (AsyncClient, mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let mut options = MqttOptions::new(format!("sub-{port}"), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, mut ready) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = tx.send((p.topic.clone(), p.payload.to_vec()));
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    let _ = ready_tx.send(());
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    let _ = client.subscribe("fb/#", QoS::AtLeastOnce).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), ready.recv()).await;
    (client, rx)
}

/// Waits for a message on `topic`, keeping the others in `seen` for later calls.
async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    seen: &mut Vec<(String, Vec<u8>)>,
    topic: &str,
) -> Option<Vec<u8>> {
    if let Some(i) = seen.iter().position(|(t, _)| t == topic) {
        return Some(seen.remove(i).1);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((t, payload))) if t == topic => return Some(payload),
            Ok(Some(other)) => seen.push(other),
            _ => return None,
        }
    }
}

fn settings(port: u16, version: MqttVersion, files: TlsFiles, id: &str) -> PublisherSettings {
    PublisherSettings {
        brokers: vec![crate::config::BrokerNode {
            host: "127.0.0.1".into(),
            port,
        }],
        session_expiry: None,
        config_version: tokio::sync::watch::channel(String::new()).1,
        sparkplug: None,
        client_id: id.into(),
        keep_alive: Duration::from_secs(30),
        credentials: None,
        version,
        tls: Some(files),
        password_file: None,
        qos: 1,
        topics: Topics::new("fb", "site", id),
        reconnect_min: Duration::from_millis(100),
        reconnect_max: Duration::from_millis(500),
        replay_rate: 1000,
        drain_grace: Duration::from_secs(1),
        replay_order: ReplayOrder::InOrder,
    }
}

fn reading(value: f64) -> SourceEvent {
    SourceEvent::Reading(Reading {
        device: Arc::from("plc"),
        point: Arc::from("level"),
        value: Value::Float(value),
        quality: Quality::GOOD,
        ts: None,
        received: Timestamp::now(),
        unit: None,
        source: SourceAddress::Modbus {
            unit: 1,
            table: ModbusTable::Holding,
            address: 0,
            bit: None,
            data_type: Arc::from("f32"),
            word_order: None,
        },
        facts: Default::default(),
    })
}

fn start(
    dir: &Path,
    settings: PublisherSettings,
    commands: Option<CommandLink>,
) -> (Publisher, crate::event::EventSender) {
    let outbox_config = fieldbridge_outbox::Config {
        segment_bytes: 128 << 10,
        max_bytes: 1 << 20,
        max_payload: 64 << 10,
        ..fieldbridge_outbox::Config::default()
    };
    let (outbox, _) = Outbox::open(&dir.join("outbox"), outbox_config).expect("outbox");
    let seq = SeqStore::open(dir).expect("seq");
    let (tx, rx) = crate::event::channel(16);
    let publisher = Publisher::start(settings, rx, outbox, seq, commands).expect("publisher");
    (publisher, tx)
}

fn pki_with_identities() -> Pki {
    let pki = Pki::new();
    pki.issue("server", "ca", "IP:127.0.0.1,DNS:localhost");
    pki.issue("client", "ca", "DNS:client");
    pki
}

async fn round_trip(version: MqttVersion) {
    if !Path::new(MOSQUITTO).exists() {
        eprintln!("{MOSQUITTO} is not installed: skipped");
        return;
    }
    let pki = pki_with_identities();
    let broker = Broker::start(&pki).await;
    let (sub, mut messages) = subscriber(broker.plain).await;
    let mut seen = Vec::new();
    let files = TlsFiles {
        ca_file: Some(pki.path("ca.pem")),
        cert_file: Some(pki.path("client.pem")),
        key_file: Some(pki.path("client.key")),
    };
    let id = match version {
        MqttVersion::V311 => "v3",
        MqttVersion::V5 => "v5",
    };
    // A retained command waits on the broker: it arrives at subscribe time, marked retained.
    let _ = sub
        .publish(
            "fb/site/plc/kept/set",
            QoS::AtLeastOnce,
            true,
            "{\"value\":0}",
        )
        .await;
    let (incoming_tx, mut incoming) = mpsc::unbounded_channel();
    let (results_tx, results_rx) = mpsc::channel(16);
    let commands = CommandLink {
        filter: "fb/site/+/+/set".into(),
        incoming: incoming_tx,
        results: results_rx,
    };
    let data = tempfile::tempdir().expect("tempdir");
    let (publisher, events) = start(
        data.path(),
        settings(broker.tls, version, files, id),
        Some(commands),
    );
    // A result sent before the link is up waits for it.
    let _ = results_tx
        .send(DirectMessage {
            topic: "fb/site/plc/level/set/result".into(),
            payload: b"{\"early\":true}".to_vec(),
            ack: None,
        })
        .await;
    let _ = events.send(reading(1.5)).await;
    let sample = wait_for(&mut messages, &mut seen, "fb/site/plc/level").await;
    let log = || std::fs::read_to_string(pki.path("mosquitto.log")).unwrap_or_default();
    let sample = sample.unwrap_or_else(|| panic!("no sample over TLS; broker log:\n{}", log()));
    let json: serde_json::Value = serde_json::from_slice(&sample).unwrap_or_default();
    assert_eq!(json["value"], 1.5);
    let early = wait_for(&mut messages, &mut seen, "fb/site/plc/level/set/result").await;
    assert_eq!(early.as_deref(), Some(&b"{\"early\":true}"[..]));

    // A command from the cloud reaches the router...
    let _ = sub
        .publish(
            "fb/site/plc/level/set",
            QoS::AtLeastOnce,
            false,
            "{\"value\":2}",
        )
        .await;
    let mut commands = Vec::new();
    let mut next_command = async |topic: &str| loop {
        if let Some(i) = commands
            .iter()
            .position(|c: &IncomingCommand| c.topic == topic)
        {
            return commands.remove(i);
        }
        match tokio::time::timeout(Duration::from_secs(10), incoming.recv()).await {
            Ok(Some(c)) => commands.push(c),
            _ => panic!("no command on {topic}; broker log:\n{}", log()),
        }
    };
    let command = next_command("fb/site/plc/level/set").await;
    assert_eq!(command.payload, b"{\"value\":2}");
    // Acknowledged by hand, after its result (see `CommandAck`): the token comes with it.
    assert!(command.ack.is_some(), "a QoS 1 command owes its PUBACK");
    let mut last_ack = command.ack;
    assert!(!command.retained);
    assert_eq!(command.message_expiry, None);
    let kept = next_command("fb/site/plc/kept/set").await;
    assert!(kept.retained, "{kept:?}");
    if version == MqttVersion::V5 {
        // MQTT 5.0 §3.3.2.3.3: the expiry interval reaches the router (less what the broker held).
        let mut options = rumqttc::v5::MqttOptions::new("v5-sender", "127.0.0.1", broker.plain);
        options.set_keep_alive(Duration::from_secs(5));
        let (sender, mut eventloop) = rumqttc::v5::AsyncClient::new(options, 10);
        tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
        let properties = rumqttc::v5::mqttbytes::v5::PublishProperties {
            message_expiry_interval: Some(60),
            ..Default::default()
        };
        let _ = sender
            .publish_with_properties(
                "fb/site/plc/level/set",
                rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
                false,
                "{\"value\":3}",
                properties,
            )
            .await;
        let command = next_command("fb/site/plc/level/set").await;
        assert_eq!(command.payload, b"{\"value\":3}");
        last_ack = command.ack;
        assert!(
            matches!(command.message_expiry, Some(58..=60)),
            "{command:?}"
        );
    }
    // ... and its result comes back.
    let _ = results_tx
        .send(DirectMessage {
            topic: "fb/site/plc/level/set/result".into(),
            payload: b"{\"ok\":true}".to_vec(),
            ack: last_ack,
        })
        .await;
    let result = wait_for(&mut messages, &mut seen, "fb/site/plc/level/set/result").await;
    assert_eq!(result.as_deref(), Some(&b"{\"ok\":true}"[..]));
    let stats = publisher.stats();
    for _ in 0..50 {
        if stats.link_counters.results_acked.load(Ordering::Relaxed) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stats.link_counters.results_acked.load(Ordering::Relaxed), 2);
    // mosquitto logs MQTT 3.1.1 as p2 (its own numbering) and MQTT 5 as p5.
    let protocol = format!(" as {id} (p{}", if id == "v5" { 5 } else { 2 });
    assert!(log().contains(&protocol), "{protocol}:\n{}", log());
    drop(events);
    publisher.finish(Duration::from_secs(3)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mqtt_3_over_mutual_tls_publishes_and_carries_commands() {
    round_trip(MqttVersion::V311).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mqtt_5_over_mutual_tls_publishes_and_carries_commands() {
    round_trip(MqttVersion::V5).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_ca_and_a_missing_client_certificate_are_classified_and_retried() {
    if !Path::new(MOSQUITTO).exists() {
        eprintln!("{MOSQUITTO} is not installed: skipped");
        return;
    }
    let pki = pki_with_identities();
    let other = Pki::new();
    let broker = Broker::start(&pki).await;
    let cases = [
        (
            "wrongca",
            TlsFiles {
                ca_file: Some(other.path("ca.pem")),
                cert_file: Some(pki.path("client.pem")),
                key_file: Some(pki.path("client.key")),
            },
            "tls-unknown-ca",
        ),
        (
            "nocert",
            TlsFiles {
                ca_file: Some(pki.path("ca.pem")),
                cert_file: None,
                key_file: None,
            },
            "tls-client-cert",
        ),
    ];
    for (id, files, reason) in cases {
        let data = tempfile::tempdir().expect("tempdir");
        let (publisher, events) = start(
            data.path(),
            settings(broker.tls, MqttVersion::V311, files, id),
            None,
        );
        let mut status = publisher.status();
        let stats = publisher.stats();
        let count = || {
            stats
                .link_counters
                .connect_errors
                .lock()
                .map(|m| m.get(reason).copied().unwrap_or(0))
                .unwrap_or(0)
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while count() < 3 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let all = stats.link_counters.connect_errors.lock().map(|m| m.clone());
        assert!(count() >= 3, "{id}: {all:?}");
        assert_eq!(status.borrow_and_update().last_error, Some(reason), "{id}");
        assert!(!status.borrow().connected);
        let mut text = crate::metrics::MetricsText::default();
        stats.render(*status.borrow(), &mut text);
        let text = text.finish();
        assert!(
            text.contains(&format!(
                "fieldbridge_mqtt_connect_errors_total{{reason=\"{reason}\"}}"
            )),
            "{text}"
        );
        drop(events);
        publisher.finish(Duration::from_millis(500)).await;
    }
}
