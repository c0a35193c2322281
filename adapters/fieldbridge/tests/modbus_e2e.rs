//! End to end against software nobody here wrote: a pymodbus server → `fieldbridge run` → a real
//! mosquitto → an MQTT subscriber. Every type and word order of the peer's map must arrive with the
//! right value, unit and quality; a killed server must turn the points bad and the device offline
//! within two poll periods, and a restarted one must bring them back without restarting the bridge.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{header, map_points, same_value, BridgeProcess};
use fieldbridge_tests::{
    free_port, ModbusMap, ModbusProfile, Mosquitto, PyModbusServer, SocatPair, Subscriber,
};
use serde_json::Value;

const POLL: Duration = Duration::from_millis(1000);

/// Waits until every point of the map has a sample, and returns the first sample of each.
async fn every_point(
    sub: &Subscriber,
    site: &str,
    device: &str,
    map: &ModbusMap,
    within: Duration,
) -> BTreeMap<String, Value> {
    let prefix = format!("fieldbridge/{site}/{device}/");
    let deadline = Instant::now() + within;
    loop {
        let mut seen = BTreeMap::new();
        for m in sub.messages() {
            if let (Some(point), Some(json)) = (m.topic.strip_prefix(&prefix), m.json) {
                if !point.starts_with('$') {
                    seen.entry(point.to_owned()).or_insert(json);
                }
            }
        }
        if seen.len() >= map.points.len() || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_every_value(
    seen: &BTreeMap<String, Value>,
    map: &ModbusMap,
    unit_id: u8,
    bridge: &BridgeProcess,
) {
    let mut wrong = Vec::new();
    for p in &map.points {
        let Some(sample) = seen.get(&p.name) else {
            wrong.push(format!("{}: no sample", p.name));
            continue;
        };
        if !same_value(&sample["value"], &p.expected, &p.data_type) {
            wrong.push(format!(
                "{} ({} {}): got {}, expected {}",
                p.name, p.data_type, p.word_order, sample["value"], p.expected
            ));
        }
        if sample["quality"] != "good" {
            wrong.push(format!("{}: quality {}", p.name, sample["quality"]));
        }
        if sample["unit"].as_str() != Some(format!("u-{}", p.name).as_str()) {
            wrong.push(format!("{}: unit {}", p.name, sample["unit"]));
        }
        let src = &sample["source"];
        if src["protocol"] != "modbus"
            || src["table"] != p.table()
            || src["address"] != p.address()
            || src["unit"] != unit_id
        {
            wrong.push(format!("{}: source {src}", p.name));
        }
        if !sample["seq"].is_u64() {
            wrong.push(format!("{}: no seq", p.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} points wrong:\n{}\nbridge log:\n{}",
        wrong.len(),
        map.points.len(),
        wrong.join("\n"),
        bridge.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_and_word_order_arrives_over_tcp_and_a_dead_server_is_reported_and_recovers() {
    let map = ModbusMap::load().expect("tests/peers/modbus_map.json");
    let broker = Mosquitto::start();
    let modbus_port = free_port();
    let mut server = PyModbusServer::start_tcp(modbus_port, ModbusProfile::Map);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "{}[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{modbus_port}\"\nunit = 2\npoll = \"{}ms\"\ntimeout = \"300ms\"\nretries = 0\nreconnect_min = \"200ms\"\nreconnect_max = \"500ms\"\n\n{}",
        header("tcp", &dir.path().join("var"), &broker.url()),
        POLL.as_millis(),
        map_points(&map, None)
    );
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/tcp/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());

    let seen = every_point(&sub, "tcp", "plc", &map, Duration::from_secs(15)).await;
    assert_every_value(&seen, &map, 2, &bridge);
    let online = sub
        .wait_for(
            |m| m.topic == "fieldbridge/tcp/plc/$state" && m.text().contains("\"online\""),
            Duration::from_secs(5),
        )
        .await;
    assert!(online.is_some(), "no $state online; log:\n{}", bridge.log());
    let meta = sub
        .wait_for(
            |m| m.topic == "fieldbridge/tcp/plc/$meta",
            Duration::from_secs(5),
        )
        .await;
    let points_in_meta = meta
        .and_then(|m| m.json)
        .map(|j| j["points"].as_array().map_or(0, Vec::len));
    assert_eq!(points_in_meta, Some(map.points.len()));

    // The server dies: within two poll periods the device is offline and its points are bad.
    sub.clear();
    let killed = Instant::now();
    server.kill();
    // Every point must be bad with comm_failure, and $state offline, within two poll periods.
    let deadline = killed + 2 * POLL + Duration::from_millis(500);
    let (offline, bad_points) = loop {
        let messages = sub.messages();
        let offline = messages
            .iter()
            .any(|m| m.topic == "fieldbridge/tcp/plc/$state" && m.text().contains("\"offline\""));
        let bad_points: std::collections::BTreeSet<String> = messages
            .iter()
            .filter(|m| {
                m.json.as_ref().is_some_and(|j| {
                    j["quality"] == "bad"
                        && j["flags"]
                            .as_array()
                            .is_some_and(|f| f.iter().any(|x| x == "comm_failure"))
                })
            })
            .map(|m| m.topic.clone())
            .collect();
        if (offline && bad_points.len() == map.points.len()) || Instant::now() > deadline {
            break (offline, bad_points);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = killed.elapsed();
    assert!(
        offline,
        "no $state offline after {elapsed:?}; log:\n{}",
        bridge.log()
    );
    assert_eq!(
        bad_points.len(),
        map.points.len(),
        "every point bad with comm_failure within two polls ({elapsed:?}), got {bad_points:?}"
    );

    // It comes back: online again and good values, with the same bridge process.
    sub.clear();
    server.restart();
    let online = sub
        .wait_for(
            |m| m.topic == "fieldbridge/tcp/plc/$state" && m.text().contains("\"online\""),
            Duration::from_secs(10),
        )
        .await;
    assert!(online.is_some(), "no recovery; log:\n{}", bridge.log());
    let seen = every_point(&sub, "tcp", "plc", &map, Duration::from_secs(10)).await;
    assert_every_value(&seen, &map, 2, &bridge);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_and_word_order_arrives_over_rtu_through_a_pseudo_terminal_pair() {
    let map = ModbusMap::load().expect("tests/peers/modbus_map.json");
    let broker = Mosquitto::start();
    let line = SocatPair::start();
    let _server = PyModbusServer::start_rtu(line.b(), ModbusProfile::Map);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "{}[[source]]\nname = \"rtu\"\nprotocol = \"modbus-rtu\"\nserial = \"{}\"\nbaud = 19200\nparity = \"none\"\nstop_bits = 1\nunit = 1\npoll = \"1s\"\ntimeout = \"500ms\"\n\n{}",
        header("rtu", &dir.path().join("var"), &broker.url()),
        line.a().display(),
        map_points(&map, None)
    );
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/rtu/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());
    let seen = every_point(&sub, "rtu", "rtu", &map, Duration::from_secs(20)).await;
    assert_every_value(&seen, &map, 1, &bridge);
}

/// Samples of the device `plc` on `site`, as (seq, point) in arrival order.
fn seqs(sub: &Subscriber, site: &str) -> Vec<u64> {
    let prefix = format!("fieldbridge/{site}/plc/");
    sub.messages()
        .iter()
        .filter(|m| {
            m.topic
                .strip_prefix(&prefix)
                .is_some_and(|p| !p.starts_with('$'))
        })
        .filter_map(|m| m.json.as_ref().and_then(|j| j["seq"].as_u64()))
        .collect()
}

fn small_config(
    site: &str,
    dir: &std::path::Path,
    broker: &Mosquitto,
    modbus_port: u16,
) -> std::path::PathBuf {
    let config = format!(
        "{}[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{modbus_port}\"\npoll = \"200ms\"\n\n  [[source.point]]\n  name = \"u16\"\n  register = \"holding:0\"\n\n  [[source.point]]\n  name = \"i16\"\n  register = \"holding:1\"\n  type = \"i16\"\n",
        header(site, &dir.join("var"), &broker.url()),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_stop_marks_everything_offline_and_a_restart_continues_the_sequence() {
    let broker = Mosquitto::start();
    let modbus_port = free_port();
    let _server = PyModbusServer::start_tcp(modbus_port, ModbusProfile::Map);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small_config("stop", dir.path(), &broker, modbus_port);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/stop/#").await;

    let mut bridge = BridgeProcess::run(&config, dir.path());
    assert!(
        sub.wait_for_count(10, Duration::from_secs(10)).await,
        "log:\n{}",
        bridge.log()
    );
    let status = bridge.terminate().expect("the bridge stops on SIGTERM");
    assert!(status.success(), "exit {status:?}; log:\n{}", bridge.log());
    let device_offline = sub
        .wait_for(
            |m| m.topic == "fieldbridge/stop/plc/$state" && m.text().contains("bridge stopped"),
            Duration::from_secs(3),
        )
        .await;
    assert!(device_offline.is_some_and(|m| m.text().contains("\"offline\"")));
    let bridge_offline = sub
        .wait_for(
            |m| m.topic == "fieldbridge/stop/$bridge/e2e/state" && m.text().contains("\"offline\""),
            Duration::from_secs(3),
        )
        .await;
    // The clean stop's own state (with `since` and the delivery summary), not the last will
    // (`{"state":"offline"}`), which a clean DISCONNECT suppresses.
    assert!(
        bridge_offline.is_some_and(|m| m.text().contains("\"since\"")),
        "log:\n{}",
        bridge.log()
    );
    let before = seqs(&sub, "stop");

    sub.clear();
    let bridge = BridgeProcess::run(&config, dir.path());
    assert!(
        sub.wait_for_count(6, Duration::from_secs(10)).await,
        "log:\n{}",
        bridge.log()
    );
    let after = seqs(&sub, "stop");
    let last = before
        .iter()
        .max()
        .copied()
        .expect("samples before the stop");
    assert_eq!(
        after.first().copied(),
        Some(last + 1),
        "numbering continues without a gap after a clean stop"
    );
    let mut all = before.clone();
    all.extend(&after);
    assert!(
        all.windows(2).all(|w| w[1] == w[0] + 1),
        "strictly consecutive: {all:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_broker_restart_the_bridge_reconnects_and_puts_its_retained_topics_back() {
    let mut broker = Mosquitto::start();
    let modbus_port = free_port();
    let _server = PyModbusServer::start_tcp(modbus_port, ModbusProfile::Map);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = small_config("restart", dir.path(), &broker, modbus_port);
    let bridge = BridgeProcess::run(&config, dir.path());
    {
        let sub = Subscriber::connect(broker.port(), "fieldbridge/restart/#").await;
        assert!(
            sub.wait_for_count(6, Duration::from_secs(10)).await,
            "log:\n{}",
            bridge.log()
        );
    }
    // A broker without persistence forgets every retained message when it restarts.
    broker.restart();
    let sub = Subscriber::connect(broker.port(), "fieldbridge/restart/#").await;
    for topic in [
        "fieldbridge/restart/plc/$meta",
        "fieldbridge/restart/plc/$state",
        "fieldbridge/restart/$bridge/e2e/state",
    ] {
        let retained = sub
            .wait_for(|m| m.topic == topic, Duration::from_secs(10))
            .await;
        assert!(
            retained.is_some(),
            "{topic} not republished; log:\n{}",
            bridge.log()
        );
    }
    let live = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/restart/plc/u16"
                    && m.json.as_ref().is_some_and(|j| j["quality"] == "good")
            },
            Duration::from_secs(5),
        )
        .await;
    assert!(live.is_some(), "samples resume; log:\n{}", bridge.log());
}
