//! End to end against pymodbus as the field sites have it: a gateway with several units behind
//! one TCP connection, some of them dead; a device that falls silent without closing its socket.
//! pymodbus (tests/peers/modbus_server.py) → `fieldbridge run` → mosquitto → an MQTT subscriber.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{free_port, ModbusProfile, Mosquitto, PyModbusServer, Subscriber};
use serde_json::Value;

/// Two points per unit from the peer's map: a u16 at holding 0 (value 4660) and an i16 at
/// holding 1.
fn unit_points(units: &[u8]) -> String {
    let mut out = String::new();
    for u in units {
        out.push_str(&format!(
            "  [[source.point]]\n  name = \"u{u}_a\"\n  register = \"holding:0\"\n  type = \"u16\"\n  unit_id = {u}\n\n  [[source.point]]\n  name = \"u{u}_b\"\n  register = \"holding:1\"\n  type = \"i16\"\n  unit_id = {u}\n\n"
        ));
    }
    out
}

/// One sample as the test sees it: good or not, the flags, the value.
#[derive(Debug, Clone)]
struct Sample {
    good: bool,
    comm_failure: bool,
    value: Value,
}

/// Every sample of every point of `device`, in arrival order.
fn samples(sub: &Subscriber, site: &str, device: &str) -> BTreeMap<String, Vec<Sample>> {
    let prefix = format!("fieldbridge/{site}/{device}/");
    let mut out: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    for m in sub.messages() {
        let (Some(point), Some(j)) = (m.topic.strip_prefix(&prefix), m.json) else {
            continue;
        };
        if point.starts_with('$') || point.contains('/') {
            continue;
        }
        out.entry(point.to_owned()).or_default().push(Sample {
            good: j["quality"] == "good",
            comm_failure: j["flags"]
                .as_array()
                .is_some_and(|f| f.iter().any(|x| x == "comm_failure")),
            value: j["value"].clone(),
        });
    }
    out
}

/// Every `$state` of `device`: (state, reason).
fn states(sub: &Subscriber, site: &str, device: &str) -> Vec<(String, Option<String>)> {
    let topic = format!("fieldbridge/{site}/{device}/$state");
    sub.messages()
        .into_iter()
        .filter(|m| m.topic == topic)
        .filter_map(|m| m.json)
        .map(|j| {
            (
                j["state"].as_str().unwrap_or_default().to_owned(),
                j["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// How often the quality went from good to bad, and from bad to good.
fn transitions(samples: &[Sample]) -> (usize, usize) {
    let mut to_bad = 0;
    let mut to_good = 0;
    for w in samples.windows(2) {
        match (w[0].good, w[1].good) {
            (true, false) => to_bad += 1,
            (false, true) => to_good += 1,
            _ => {}
        }
    }
    (to_bad, to_good)
}

/// Waits until `done` holds for the samples, or `within` passes; returns whether it held.
async fn wait_until(
    sub: &Subscriber,
    within: Duration,
    done: impl Fn(&BTreeMap<String, Vec<Sample>>) -> bool,
) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done(&samples(sub, "gw", "gw")) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_gateway_only_the_dead_units_points_go_bad_and_the_connection_is_kept() {
    let broker = Mosquitto::start();
    let port = free_port();
    // Unit 1 always answers; unit 2 dies for a while; unit 3 answers exception 0x0B from the
    // start; unit 4 never answers at all.
    let gateway = PyModbusServer::start_gateway(
        port,
        ModbusProfile::Map,
        &[1, 2, 3, 4],
        &[
            (3, PyModbusServer::DEAD_EXCEPTION),
            (4, PyModbusServer::DEAD_SILENT),
        ],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "{}[[source]]\nname = \"gw\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{port}\"\npoll = \"500ms\"\ntimeout = \"300ms\"\nretries = 1\n\n{}",
        header("gw", &dir.path().join("var"), &broker.url()),
        unit_points(&[1, 2, 3, 4])
    );
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/gw/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());
    let log = || {
        format!(
            "bridge log:\n{}\ngateway log:\n{}",
            bridge.log(),
            gateway.log()
        )
    };

    // Phase 1: units 1 and 2 good several times; units 3 and 4 bad once, without a value.
    let started = wait_until(&sub, Duration::from_secs(15), |s| {
        ["u1_a", "u1_b", "u2_a", "u2_b"]
            .iter()
            .all(|p| s.get(*p).is_some_and(|v| v.len() >= 4))
            && ["u3_a", "u3_b", "u4_a", "u4_b"]
                .iter()
                .all(|p| s.contains_key(*p))
    })
    .await;
    assert!(
        started,
        "phase 1 incomplete: {:?}\n{}",
        samples(&sub, "gw", "gw"),
        log()
    );

    // Phase 2: unit 2 falls silent for a while, then answers again.
    gateway.set_dead(2, Some(PyModbusServer::DEAD_SILENT));
    let lost = wait_until(&sub, Duration::from_secs(10), |s| {
        ["u2_a", "u2_b"]
            .iter()
            .all(|p| s[*p].last().is_some_and(|x| x.comm_failure))
    })
    .await;
    assert!(
        lost,
        "unit 2 never went bad: {:?}\n{}",
        samples(&sub, "gw", "gw"),
        log()
    );
    // Several polls while it is dead.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    gateway.set_dead(2, None);
    let back = wait_until(&sub, Duration::from_secs(10), |s| {
        ["u2_a", "u2_b"]
            .iter()
            .all(|p| s[*p].iter().rev().take(3).filter(|x| x.good).count() == 3)
    })
    .await;
    assert!(
        back,
        "unit 2 never came back: {:?}\n{}",
        samples(&sub, "gw", "gw"),
        log()
    );

    let s = samples(&sub, "gw", "gw");
    // Unit 1: good every time, never bad.
    for p in ["u1_a", "u1_b"] {
        assert!(
            s[p].iter().all(|x| x.good),
            "{p} flapped: {:?}\n{}",
            s[p],
            log()
        );
    }
    assert_eq!(
        s["u1_a"][0].value,
        Value::from(4660),
        "the map's u16 at holding 0"
    );
    // Unit 2: exactly one fall and one return, the fall once, with the last value.
    for p in ["u2_a", "u2_b"] {
        assert_eq!(transitions(&s[p]), (1, 1), "{p}: {:?}", s[p]);
        let bad: Vec<&Sample> = s[p].iter().filter(|x| !x.good).collect();
        assert_eq!(bad.len(), 1, "{p} published bad once: {:?}", s[p]);
        assert!(bad[0].comm_failure, "{p}: {:?}", bad[0]);
        assert!(!bad[0].value.is_null(), "{p} keeps its last value");
    }
    // Units 3 and 4: one sample each, bad with comm_failure and no value.
    for p in ["u3_a", "u3_b", "u4_a", "u4_b"] {
        assert_eq!(s[p].len(), 1, "{p}: {:?}", s[p]);
        assert!(!s[p][0].good && s[p][0].comm_failure, "{p}: {:?}", s[p]);
        assert!(s[p][0].value.is_null(), "{p}: {:?}", s[p]);
    }
    // $state: online throughout, changing only with the set of dead units.
    let st = states(&sub, "gw", "gw");
    let dead = |r: &str| Some(r.to_owned());
    assert_eq!(
        st,
        vec![
            ("online".to_owned(), dead("units 3, 4 not answering")),
            ("online".to_owned(), dead("units 2, 3, 4 not answering")),
            ("online".to_owned(), dead("units 3, 4 not answering")),
        ],
        "{}",
        log()
    );
    // One TCP connection for the whole run.
    assert_eq!(gateway.connections(), 1, "{}", log());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_falling_silent_is_offline_within_two_polls_with_the_default_settings() {
    let broker = Mosquitto::start();
    let port = free_port();
    let device = PyModbusServer::start_gateway(port, ModbusProfile::Map, &[1], &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    // poll 1 s, timeout 1 s, retries 1: the defaults.
    let config = format!(
        "{}[[source]]\nname = \"gw\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{port}\"\n\n{}",
        header("gw", &dir.path().join("var"), &broker.url()),
        unit_points(&[1])
    );
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/gw/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());
    let log = || {
        format!(
            "bridge log:\n{}\ndevice log:\n{}",
            bridge.log(),
            device.log()
        )
    };
    let up = wait_until(&sub, Duration::from_secs(15), |s| {
        s.get("u1_a").is_some_and(|v| v.len() >= 2)
    })
    .await;
    assert!(up, "no readings\n{}", log());

    // Silent, the socket stays open (no RST).
    let silenced = Instant::now();
    device.set_dead(1, Some(PyModbusServer::DEAD_SILENT));
    let detected = wait_until(&sub, Duration::from_secs(10), |s| {
        ["u1_a", "u1_b"]
            .iter()
            .all(|p| s[*p].last().is_some_and(|x| x.comm_failure))
    })
    .await;
    let elapsed = silenced.elapsed();
    assert!(detected, "never detected\n{}", log());
    let offline = states(&sub, "gw", "gw")
        .iter()
        .any(|(s, r)| s == "offline" && r.as_deref() == Some("timeout"));
    assert!(
        offline,
        "$state offline, timeout: {:?}",
        states(&sub, "gw", "gw")
    );
    // The next poll starts within 1 s and its exchange, retry included, ends within 1 s more.
    assert!(
        elapsed <= Duration::from_millis(2500),
        "detected after {elapsed:?}, beyond two polls\n{}",
        log()
    );

    // It answers again: online and good, without restarting the bridge.
    device.set_dead(1, None);
    let back = wait_until(&sub, Duration::from_secs(15), |s| {
        s["u1_a"].last().is_some_and(|x| x.good)
    })
    .await;
    assert!(back, "no recovery\n{}", log());
}

/// Every point of the peer's map from `device`, waiting until each has a good sample.
async fn every_map_point(
    sub: &Subscriber,
    site: &str,
    device: &str,
    map: &fieldbridge_tests::ModbusMap,
    log: impl Fn() -> String,
) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = samples(sub, site, device);
        let wrong: Vec<String> = map
            .points
            .iter()
            .filter_map(|p| {
                let got = s.get(&p.name).and_then(|v| v.iter().find(|x| x.good));
                match got {
                    Some(x) if common::same_value(&x.value, &p.expected, &p.data_type) => None,
                    other => Some(format!("{}: {other:?}, expected {}", p.name, p.expected)),
                }
            })
            .collect();
        if wrong.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} points wrong:\n{}\n{}",
            wrong.len(),
            map.points.len(),
            wrong.join("\n"),
            log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_arrives_over_rtu_frames_on_tcp_from_pymodbus_rtu_framer() {
    let map = fieldbridge_tests::ModbusMap::load().expect("tests/peers/modbus_map.json");
    let broker = Mosquitto::start();
    let port = free_port();
    let server = PyModbusServer::start_rtu_over_tcp(port, ModbusProfile::Map);
    let dir = tempfile::tempdir().expect("tempdir");
    // `modbus-rtu` with an address: RTU frames (CRC, no MBAP) over TCP to a serial gateway.
    let config = format!(
        "{}[[source]]\nname = \"rtutcp\"\nprotocol = \"modbus-rtu\"\naddress = \"127.0.0.1:{port}\"\nunit = 2\npoll = \"500ms\"\ntimeout = \"500ms\"\n\n{}",
        header("rt", &dir.path().join("var"), &broker.url()),
        common::map_points(&map, None)
    );
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/rt/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());
    let log = || {
        format!(
            "bridge log:\n{}\nserver log:\n{}",
            bridge.log(),
            server.log()
        )
    };
    every_map_point(&sub, "rt", "rtutcp", &map, log).await;
    let st = states(&sub, "rt", "rtutcp");
    assert_eq!(st.first().map(|s| s.0.as_str()), Some("online"), "{st:?}");
    assert_eq!(server.connections(), 1, "{}", log());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_arrives_over_modbus_ascii_from_pymodbus_through_a_pseudo_terminal_pair() {
    let map = fieldbridge_tests::ModbusMap::load().expect("tests/peers/modbus_map.json");
    let broker = Mosquitto::start();
    let line = fieldbridge_tests::SocatPair::start();
    let server = PyModbusServer::start_ascii(line.b(), ModbusProfile::Map);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "{}[[source]]\nname = \"ascii\"\nprotocol = \"modbus-ascii\"\nserial = \"{}\"\nbaud = 19200\nparity = \"none\"\ndata_bits = 8\nstop_bits = 1\nunit = 1\npoll = \"1s\"\ntimeout = \"1s\"\n\n{}",
        header("asc", &dir.path().join("var"), &broker.url()),
        line.a().display(),
        common::map_points(&map, None)
    );
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, config).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/asc/#").await;
    let bridge = BridgeProcess::run(&config_path, dir.path());
    let log = || {
        format!(
            "bridge log:\n{}\nserver log:\n{}",
            bridge.log(),
            server.log()
        )
    };
    every_map_point(&sub, "asc", "ascii", &map, log).await;
    let st = states(&sub, "asc", "ascii");
    assert_eq!(st.first().map(|s| s.0.as_str()), Some("online"), "{st:?}");
    let meta = sub
        .messages()
        .into_iter()
        .find(|m| m.topic == "fieldbridge/asc/ascii/$meta")
        .and_then(|m| m.json);
    assert_eq!(
        meta.as_ref().map(|j| j["protocol"].clone()),
        Some(Value::from("modbus-ascii")),
        "{meta:?}"
    );
}
