//! Commands end to end, against software nobody here wrote: `mosquitto_pub` publishes on
//! `<point>/set`, the bridge writes to a pymodbus server, an independent pymodbus client reads the
//! registers back, and a subscriber collects every result on `<point>/set/result`.
//!
//! Each case checks the outcome word and that the server's registers are what they must be:
//! changed exactly as commanded on success, untouched otherwise.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{get, header, metric, BridgeProcess};
use fieldbridge_tests::{free_port, python, ModbusProfile, Mosquitto, PyModbusServer, Subscriber};
use serde_json::Value;

const SITE: &str = "cmd";

/// The writable points of the test, over the pymodbus map (tests/peers/modbus_map.json).
fn points() -> &'static str {
    r#"
  [[source.point]]
  name = "setpoint"
  register = "holding:32"
  type = "f32"
  word_order = "cdab"
  writable = true
  min = -1000.0
  max = 100000.0

  [[source.point]]
  name = "valve"
  register = "coil:1"
  type = "bool"
  writable = true

  [[source.point]]
  name = "mode"
  register = "holding:0"
  type = "u16"
  writable = true
  max = 5000.0

  [[source.point]]
  name = "flag"
  register = "holding:3.1"
  type = "bool"
  writable = true

  [[source.point]]
  name = "readonly"
  register = "holding:30"
  type = "f32"

  [[source.point]]
  name = "beyond"
  register = "holding:127"
  type = "u32"
  writable = true
"#
}

/// What an independent pymodbus client reads: the `values` of `modbus_client.py OP ADDR N`.
fn read(port: u16, op: &str, address: u16, count: u16) -> Vec<u64> {
    let script = fieldbridge_tests::repo_root().join("tests/peers/modbus_client.py");
    let out = Command::new(python())
        .arg(script)
        .args([
            "--port",
            &port.to_string(),
            op,
            &address.to_string(),
            &count.to_string(),
        ])
        .output()
        .expect("run the pymodbus client");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("pymodbus client: {}", String::from_utf8_lossy(&out.stderr)));
    json["values"]
        .as_array()
        .unwrap_or_else(|| panic!("no values: {json}"))
        .iter()
        .take(usize::from(count))
        .map(|v| v.as_u64().unwrap())
        .collect()
}

/// Writes registers with the independent client (to see whether the bridge writes again).
fn write_registers(port: u16, address: u16, values: &[u16]) {
    let script = fieldbridge_tests::repo_root().join("tests/peers/modbus_client.py");
    let status = Command::new(python())
        .arg(script)
        .args([
            "--port",
            &port.to_string(),
            "write-registers",
            &address.to_string(),
        ])
        .args(values.iter().map(u16::to_string))
        .output()
        .expect("run the pymodbus client");
    assert!(status.status.success(), "{status:?}");
}

/// Publishes one command with mosquitto_pub at QoS 1.
fn send(broker: &Mosquitto, point: &str, payload: &str) {
    common::mosquitto_pub(
        broker,
        &format!("fieldbridge/{SITE}/plc/{point}/set"),
        payload,
    );
}

/// The results received for `id`, waiting until there are `n`.
async fn results(sub: &Subscriber, id: &str, n: usize) -> Vec<Value> {
    let find = || -> Vec<Value> {
        sub.messages()
            .into_iter()
            .filter(|m| m.topic.ends_with("/set/result"))
            .filter_map(|m| m.json)
            .filter(|j| j["id"] == id)
            .collect()
    };
    for _ in 0..150 {
        let found = find();
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{n} result(s) for {id} did not arrive: {:?}", find());
}

struct Rig {
    broker: Mosquitto,
    server: PyModbusServer,
    modbus_port: u16,
    metrics_port: u16,
    bridge: BridgeProcess,
    sub: Subscriber,
    config: std::path::PathBuf,
    dir: tempfile::TempDir,
}

async fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start();
    let modbus_port = free_port();
    let server = PyModbusServer::start_tcp(modbus_port, ModbusProfile::Map);
    let metrics_port = free_port();
    let sub = Subscriber::connect(broker.port(), &format!("fieldbridge/{SITE}/#")).await;
    let config = format!(
        "{}[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{modbus_port}\"\npoll = \"200ms\"\ntimeout = \"300ms\"\nretries = 0\n{}",
        header(SITE, &dir.path().join("var"), &broker.url()),
        points()
    );
    let path = dir.path().join("bridge.toml");
    std::fs::write(&path, config).unwrap();
    let bridge = BridgeProcess::run(&path, dir.path());
    wait_online(&sub, &bridge).await;
    Rig {
        broker,
        server,
        modbus_port,
        metrics_port,
        bridge,
        sub,
        config: path,
        dir,
    }
}

/// Waits until the bridge says the device is online (the source answers commands from then on).
async fn wait_online(sub: &Subscriber, bridge: &BridgeProcess) {
    sub.wait_for(
        |m| m.topic.ends_with("plc/$state") && m.text().contains("\"online\""),
        Duration::from_secs(15),
    )
    .await
    .unwrap_or_else(|| panic!("device never online; bridge log:\n{}", bridge.log()));
}

fn f32_cdab(v: f32) -> Vec<u64> {
    let b = v.to_bits();
    vec![u64::from(b & 0xffff), u64::from(b >> 16)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_reach_a_pymodbus_server_and_each_gets_its_one_result() {
    let mut rig = rig().await;
    let port = rig.modbus_port;
    let original_setpoint = read(port, "read-holding", 32, 2);
    let original_mode = read(port, "read-holding", 0, 1);

    // An f32 in cdab order sets the right two registers.
    send(&rig.broker, "setpoint", r#"{"id":"f1","value":21.5}"#);
    let r = &results(&rig.sub, "f1", 1).await[0];
    assert_eq!(r["outcome"], "success", "{r}\n{}", rig.bridge.log());
    assert_eq!(r["method"], "fc16");
    assert_eq!(read(port, "read-holding", 32, 2), f32_cdab(21.5));

    // A coil.
    assert_eq!(read(port, "read-coils", 1, 1), vec![0]);
    send(&rig.broker, "valve", r#"{"id":"c1","value":true}"#);
    let r = &results(&rig.sub, "c1", 1).await[0];
    assert_eq!(r["outcome"], "success", "{r}");
    assert_eq!(read(port, "read-coils", 1, 1), vec![1]);

    // A bit of a holding register (FC22 or read-modify-write, said in the result); the other
    // bits of the register stay as they were.
    let before = read(port, "read-holding", 3, 1)[0];
    send(&rig.broker, "flag", r#"{"id":"b1","value":true}"#);
    let r = &results(&rig.sub, "b1", 1).await[0];
    assert_eq!(r["outcome"], "success", "{r}");
    assert!(
        r["method"].as_str().unwrap().contains("fc22")
            || r["method"].as_str().unwrap().contains("read-modify-write"),
        "{r}"
    );
    assert_eq!(read(port, "read-holding", 3, 1)[0], before | 0b10);

    // Refused and expired commands leave the registers alone.
    let refusals = [
        (
            "readonly",
            r#"{"id":"r1","value":1.0}"#,
            "refused",
            "not writable",
        ),
        ("mode", r#"{"id":"r2","value":70000}"#, "refused", "u16"),
        ("mode", r#"{"id":"r3","value":6000}"#, "refused", "max"),
        (
            "setpoint",
            r#"{"id":"r4","value":"abc"}"#,
            "refused",
            "number",
        ),
        ("valve", r#"{"id":"r5","value":1}"#, "refused", "bool"),
        (
            "setpoint",
            r#"{"id":"r6","value":5.0,"expires":"2020-01-01T00:00:00Z"}"#,
            "expired",
            "deadline",
        ),
    ];
    for (point, payload, outcome, reason) in refusals {
        send(&rig.broker, point, payload);
        let id = serde_json::from_str::<Value>(payload).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = &results(&rig.sub, &id, 1).await[0];
        assert_eq!(r["outcome"], outcome, "{payload}: {r}");
        assert!(
            r["reason"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains(reason),
            "{payload}: {r}"
        );
    }
    assert_eq!(read(port, "read-holding", 32, 2), f32_cdab(21.5));
    assert_eq!(read(port, "read-holding", 0, 1), original_mode);
    assert_eq!(read(port, "read-holding", 30, 2), vec![17984, 59063]);
    assert_eq!(read(port, "read-coils", 1, 1), vec![1]);
    assert_ne!(original_setpoint, f32_cdab(21.5));

    // The same id twice: written once, answered twice with the same result. The independent
    // client changes the registers in between; a second execution would overwrite them.
    send(&rig.broker, "setpoint", r#"{"id":"dup","value":99.5}"#);
    let first = results(&rig.sub, "dup", 1).await[0].clone();
    assert_eq!(first["outcome"], "success", "{first}");
    assert_eq!(read(port, "read-holding", 32, 2), f32_cdab(99.5));
    write_registers(port, 32, &[0, 0x4120]); // 10.0 in cdab
    send(&rig.broker, "setpoint", r#"{"id":"dup","value":99.5}"#);
    let both = results(&rig.sub, "dup", 2).await;
    assert_eq!(both[0], both[1]);
    assert_eq!(read(port, "read-holding", 32, 2), vec![0, 0x4120]);

    // An exception from the server: failed, with the exception's standard name.
    send(&rig.broker, "beyond", r#"{"id":"x1","value":7}"#);
    let r = &results(&rig.sub, "x1", 1).await[0];
    assert_eq!(r["outcome"], "failed", "{r}");
    let reason = r["reason"].as_str().unwrap().to_lowercase();
    assert!(
        reason.contains("exception 2") && reason.contains("illegal data address"),
        "{r}"
    );

    // Metrics count each outcome.
    let (_, body) = get(rig.metrics_port, "/metrics");
    assert_eq!(
        metric(&body, "fieldbridge_commands_total{outcome=\"success\"}"),
        Some(4.0),
        "{body}"
    );
    assert_eq!(
        metric(&body, "fieldbridge_commands_total{outcome=\"refused\"}"),
        Some(5.0)
    );
    assert_eq!(
        metric(&body, "fieldbridge_commands_total{outcome=\"expired\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&body, "fieldbridge_commands_total{outcome=\"failed\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&body, "fieldbridge_command_repeats_total"),
        Some(1.0)
    );
    let writes = "fieldbridge_source_writes_total{device=\"plc\",protocol=\"modbus\",result=";
    assert_eq!(
        metric(&body, &format!("{writes}\"confirmed\"}}")),
        Some(4.0),
        "{body}"
    );
    assert_eq!(
        metric(&body, &format!("{writes}\"failed\"}}")),
        Some(1.0),
        "{body}"
    );
    // One structured log line per command.
    let log = rig.bridge.log();
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("command_id=\"f1\""))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    for field in [
        "outcome=\"success\"",
        "point=setpoint",
        "value=21.5",
        "latency_ms=",
    ] {
        assert!(lines[0].contains(field), "{field} missing: {}", lines[0]);
    }

    // The server stopped: timeout, and nothing is written when it comes back.
    rig.server.kill();
    send(&rig.broker, "mode", r#"{"id":"t1","value":42}"#);
    let r = &results(&rig.sub, "t1", 1).await[0];
    assert_eq!(r["outcome"], "timeout", "{r}");
    assert!(r["reason"].as_str().is_some(), "{r}");
    rig.bridge.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_sent_while_the_bridge_was_away_is_never_executed_late() {
    let mut rig = rig().await;
    let port = rig.modbus_port;
    let before = read(port, "read-holding", 32, 2);
    rig.bridge.terminate();
    // Published while the bridge is disconnected: once plainly, once retained.
    send(&rig.broker, "setpoint", r#"{"id":"late","value":55.5}"#);
    let status = common::mosquitto_pub_command(&rig.broker)
        .arg("-r")
        .args([
            "-t",
            &format!("fieldbridge/{SITE}/plc/mode/set"),
            "-m",
            r#"{"id":"kept","value":77}"#,
        ])
        .status()
        .expect("mosquitto_pub");
    assert!(status.success());
    rig.sub.clear();
    rig.bridge = BridgeProcess::run(&rig.config, rig.dir.path());
    wait_online(&rig.sub, &rig.bridge).await;
    // The retained one is delivered at subscription: answered expired, not executed.
    let r = &results(&rig.sub, "kept", 1).await[0];
    assert_eq!(r["outcome"], "expired", "{r}");
    assert!(r["reason"].as_str().unwrap().contains("retained"), "{r}");
    // The plain one never reaches the bridge (clean session): no result, nothing written.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let late: Vec<_> = rig
        .sub
        .messages()
        .into_iter()
        .filter(|m| m.topic.ends_with("/set/result") && m.text().contains("\"late\""))
        .collect();
    assert!(late.is_empty(), "{late:?}");
    assert_eq!(read(port, "read-holding", 32, 2), before);
    assert_ne!(read(port, "read-holding", 0, 1), vec![77]);
    rig.bridge.terminate();
}

/// Publishes every line of `lines` on `topic` with one `mosquitto_pub -l` (QoS 1), back to back.
fn send_many(broker: &Mosquitto, topic: &str, lines: &[String]) {
    use std::io::Write as _;
    let mut child = common::mosquitto_pub_command(broker)
        .args(["-t", topic, "-l"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("mosquitto_pub");
    let mut stdin = child.stdin.take().expect("stdin");
    for line in lines {
        let _ = writeln!(stdin, "{line}");
    }
    drop(stdin);
    assert!(child.wait().expect("mosquitto_pub").success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_received_command_is_acknowledged_so_a_burst_never_stalls_the_broker() {
    // mosquitto sends at most 20 unacknowledged QoS 1 messages to a client: a PUBACK the bridge
    // forgot would, after 20, stop every command. 40 refusals, 10 repeats of one id and 10
    // PUBLISHes that match the subscription but are no command, then one real command.
    let mut rig = rig().await;
    let refused: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"id":"burst-{i}","value":1.0}}"#))
        .collect();
    send_many(
        &rig.broker,
        &format!("fieldbridge/{SITE}/plc/readonly/set"),
        &refused,
    );
    let repeats = vec![r#"{"id":"again","value":1.0}"#.to_owned(); 10];
    send_many(
        &rig.broker,
        &format!("fieldbridge/{SITE}/plc/readonly/set"),
        &repeats,
    );
    let junk = vec!["x".to_owned(); 10];
    send_many(&rig.broker, &format!("fieldbridge/{SITE}/plc//set"), &junk);
    send(&rig.broker, "mode", r#"{"id":"after-burst","value":42}"#);
    let r = &results(&rig.sub, "after-burst", 1).await[0];
    assert_eq!(r["outcome"], "success", "{r}");
    for i in 0..40 {
        let r = &results(&rig.sub, &format!("burst-{i}"), 1).await[0];
        assert_eq!(r["outcome"], "refused", "{r}");
    }
    let again = results(&rig.sub, "again", 10).await;
    assert!(again.iter().all(|r| r["outcome"] == "refused"), "{again:?}");
    assert_eq!(read(rig.modbus_port, "read-holding", 0, 1), vec![42]);
    rig.bridge.terminate();
}
