//! End to end against a real lib60870-C outstation: a c104 2.2.1 server
//! (`tests/peers/iec104_server.py`) → `fieldbridge run` → mosquitto → an MQTT subscriber. The
//! interrogation values of every type arrive with the device's time tags, then the spontaneous
//! changes; a stopped and restarted server is reconnected and interrogated again, and `$state`
//! shows the gap. Commands published on `<point>/set` reach c104's command points (select before
//! operate included) and each gets its one result on `set/result`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{free_port, python, repo_root, Mosquitto, Subscriber};
use serde_json::{json, Value};

/// The c104 server of `tests/peers/iec104_server.py`, killed on drop.
struct C104 {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl C104 {
    fn start(port: u16, extra: &[&str]) -> C104 {
        let script = repo_root().join("tests/peers/iec104_server.py");
        let mut child = Command::new(python())
            .arg(&script)
            .arg(port.to_string())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} with {}: {e} (scripts/install-peers installs c104 2.2.1)",
                    script.display(),
                    python().display()
                )
            });
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = C104 {
            child,
            stdin,
            lines,
        };
        server.expect_line("ready", Duration::from_secs(20));
        server
    }

    /// Waits for the line `want` from the server, failing with what it said instead.
    fn expect_line(&mut self, want: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let mut said = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line == want => return,
                Ok(line) => said.push(line),
                Err(_) => break,
            }
        }
        panic!(
            "c104 server: no {want:?} within {within:?} (is c104 2.2.1 installed? scripts/install-peers); it said {said:?}"
        );
    }

    fn command(&mut self, line: &str, answer: &str) {
        writeln!(self.stdin, "{line}").expect("write to the c104 server");
        self.stdin.flush().expect("flush");
        self.expect_line(answer, Duration::from_secs(10));
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for C104 {
    fn drop(&mut self) {
        self.kill();
    }
}

const STAMP: &str = "2026-01-02T03:04:05.678Z";
const LATER: &str = "2026-01-02T03:04:06.789Z";

fn config(dir: &std::path::Path, broker: &Mosquitto, addresses: &[u16]) -> std::path::PathBuf {
    let list: Vec<String> = addresses
        .iter()
        .map(|p| format!("\"127.0.0.1:{p}\""))
        .collect();
    let text = format!(
        "{}[[source]]\nname = \"rtu\"\nprotocol = \"iec104\"\naddress = [{}]\ncommon_address = 1\nt0 = \"2s\"\nt1 = \"4s\"\nt2 = \"2s\"\nt3 = \"3s\"\n\n  [[source.point]]\n  name = \"feeder_current\"\n  ioa = 200\n  unit = \"A\"\n\n  [[source.point]]\n  name = \"energy\"\n  ioa = 400\n  unit = \"kWh\"\n",
        header("iec", &dir.join("var"), &broker.url()),
        list.join(", ")
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

async fn wait_for_points(
    sub: &Subscriber,
    cot: u64,
    count: usize,
    within: Duration,
) -> BTreeMap<String, Value> {
    let done = |seen: &BTreeMap<String, Value>| seen.len() >= count;
    common::wait_for_cot(sub, "fieldbridge/iec/rtu/", cot, done, within).await
}

/// (point, value, ts, type_id, quality, flags)
type Expected = (
    &'static str,
    Value,
    Option<&'static str>,
    u64,
    &'static str,
    Value,
);

fn check(seen: &BTreeMap<String, Value>, expected: &[Expected], bridge: &BridgeProcess) {
    let mut wrong = Vec::new();
    for (point, value, ts, type_id, quality, flags) in expected {
        let Some(s) = seen.get(*point) else {
            wrong.push(format!("{point}: no sample"));
            continue;
        };
        if &s["value"] != value {
            wrong.push(format!("{point}: value {} expected {value}", s["value"]));
        }
        if s["ts"].as_str() != *ts {
            wrong.push(format!("{point}: ts {} expected {ts:?}", s["ts"]));
        }
        if s["source"]["type_id"] != *type_id || s["source"]["protocol"] != "iec104" {
            wrong.push(format!("{point}: source {}", s["source"]));
        }
        if s["quality"] != *quality
            || s["flags"] != *flags && !(flags == &json!([]) && s["flags"].is_null())
        {
            wrong.push(format!(
                "{point}: quality {} flags {}",
                s["quality"], s["flags"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\nsamples: {seen:#?}\nbridge log:\n{}",
        wrong.join("\n"),
        bridge.log()
    );
}

fn interrogated() -> Vec<Expected> {
    vec![
        (
            "ca1-ioa100",
            json!(true),
            Some(STAMP),
            30,
            "good",
            json!([]),
        ),
        (
            "ca1-ioa101",
            json!("on"),
            Some(STAMP),
            31,
            "good",
            json!([]),
        ),
        ("feeder_current", json!(23.5), None, 13, "good", json!([])),
        (
            "ca1-ioa201",
            json!(-1.25),
            Some(STAMP),
            36,
            "good",
            json!([]),
        ),
        ("ca1-ioa202", json!(-1234), None, 11, "good", json!([])),
        ("ca1-ioa203", json!(0.5), None, 9, "good", json!([])),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_c104_outstation_is_interrogated_then_reports_spontaneously_and_a_restart_is_reconnected()
{
    let broker = Mosquitto::start();
    let port = free_port();
    let mut server = C104::start(port, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, &[port]);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/iec/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());

    // The station interrogation after connect: every point, COT 20 (inrogen).
    let seen = wait_for_points(&sub, 20, 6, Duration::from_secs(20)).await;
    check(&seen, &interrogated(), &bridge);
    let online = sub
        .wait_for(
            |m| m.topic == "fieldbridge/iec/rtu/$state" && m.text().contains("\"online\""),
            Duration::from_secs(5),
        )
        .await
        .map(|m| m.text());
    assert!(
        online
            .as_deref()
            .is_some_and(|t| t.contains(&format!("127.0.0.1:{port} (endpoint 1 of 1)"))),
        "$state {online:?}"
    );
    let meta = sub
        .wait_for(
            |m| m.topic == "fieldbridge/iec/rtu/$meta",
            Duration::from_secs(5),
        )
        .await
        .and_then(|m| m.json);
    assert_eq!(
        meta.map(|j| j["points"].as_array().map_or(0, Vec::len)),
        Some(2),
        "$meta lists the configured points"
    );

    // Spontaneous changes, with the device's time tags (COT 3).
    server.command("spont", "sent");
    let seen = wait_for_points(&sub, 3, 6, Duration::from_secs(10)).await;
    check(
        &seen,
        &[
            (
                "ca1-ioa100",
                json!(false),
                Some(LATER),
                30,
                "good",
                json!([]),
            ),
            (
                "ca1-ioa101",
                json!("off"),
                Some(LATER),
                31,
                "good",
                json!([]),
            ),
            (
                "ca1-ioa201",
                json!(99.75),
                Some(LATER),
                36,
                "good",
                json!([]),
            ),
            ("ca1-ioa202", json!(-7), None, 11, "good", json!([])),
            (
                "ca1-ioa203",
                json!(-0.25),
                None,
                9,
                "bad",
                json!(["invalid"]),
            ),
            ("energy", json!(654321), None, 15, "good", json!([])),
        ],
        &bridge,
    );
    let energy = &seen["energy"];
    assert_eq!(energy["unit"], "kWh");
    assert_eq!(energy["source"]["counter_sequence"], 4);

    // The server stops: $state goes offline; restarted, the bridge reconnects, says how long the
    // link was down, and interrogates again.
    server.kill();
    let offline = sub
        .wait_for(
            |m| m.topic == "fieldbridge/iec/rtu/$state" && m.text().contains("\"offline\""),
            Duration::from_secs(15),
        )
        .await;
    assert!(
        offline.is_some(),
        "no $state offline; log:\n{}",
        bridge.log()
    );
    let lost = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/iec/rtu/feeder_current"
                    && m.json
                        .as_ref()
                        .is_some_and(|j| j["flags"] == json!(["comm_failure"]))
            },
            Duration::from_secs(5),
        )
        .await;
    assert!(lost.is_some(), "no comm_failure sample after the loss");
    sub.clear();
    let _server = C104::start(port, &["--offset", "1"]);
    let seen = wait_for_points(&sub, 20, 6, Duration::from_secs(30)).await;
    assert_eq!(
        seen.get("feeder_current").map(|s| s["value"].clone()),
        Some(json!(24.5)),
        "the new server's interrogation: {seen:#?}\nlog:\n{}",
        bridge.log()
    );
    let back = sub
        .wait_for(
            |m| m.topic == "fieldbridge/iec/rtu/$state" && m.text().contains("\"online\""),
            Duration::from_secs(5),
        )
        .await
        .map(|m| m.text());
    assert!(
        back.as_deref().is_some_and(|t| t.contains("s offline")),
        "$state shows the gap: {back:?}"
    );
}

/// Two outstations on two ports: the bridge uses the first; when it dies the bridge switches to
/// the second, says so in `$state`, interrogates it, and every spontaneous value of the survivor
/// arrives in order.
#[tokio::test(flavor = "multi_thread")]
async fn the_bridge_switches_to_the_second_endpoint_and_loses_nothing_of_it() {
    let broker = Mosquitto::start();
    let (first_port, second_port) = (free_port(), free_port());
    let mut first = C104::start(first_port, &[]);
    let mut second = C104::start(second_port, &["--offset", "100"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, &[first_port, second_port]);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/iec/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());

    let seen = wait_for_points(&sub, 20, 6, Duration::from_secs(20)).await;
    assert_eq!(
        seen.get("feeder_current").map(|s| s["value"].clone()),
        Some(json!(23.5)),
        "the first endpoint's interrogation; log:\n{}",
        bridge.log()
    );

    sub.clear();
    first.kill();
    let switched = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/iec/rtu/$state"
                    && m.text().contains("\"online\"")
                    && m.text()
                        .contains(&format!("127.0.0.1:{second_port} (endpoint 2 of 2)"))
            },
            Duration::from_secs(15),
        )
        .await;
    assert!(
        switched.is_some(),
        "no switch in $state; log:\n{}",
        bridge.log()
    );
    let seen = wait_for_points(&sub, 20, 6, Duration::from_secs(10)).await;
    assert_eq!(
        seen.get("feeder_current").map(|s| s["value"].clone()),
        Some(json!(123.5)),
        "the second endpoint's interrogation"
    );

    let sent: Vec<String> = (0..30).map(|i| format!("{i}.5")).collect();
    for v in &sent {
        second.command(&format!("float {v}"), &format!("sent {v}"));
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let got = loop {
        let got: Vec<String> = sub
            .messages()
            .into_iter()
            .filter(|m| m.topic == "fieldbridge/iec/rtu/ca1-ioa201")
            .filter_map(|m| m.json)
            .filter(|j| j["source"]["cot"] == 3)
            .map(|j| j["value"].to_string())
            .collect();
        if got.len() >= sent.len() || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        got, sent,
        "every spontaneous value of the survivor, in order"
    );
}

/// With `clock_sync`, `counter_interrogation` and a periodic `interrogation` configured: the
/// outstation's clock is set to the bridge's, the integrated totals arrive for the counter
/// interrogation (COT 37) with their flags, and the station interrogation repeats.
#[tokio::test(flavor = "multi_thread")]
async fn clock_sync_counter_interrogation_and_periodic_interrogation_reach_c104() {
    let broker = Mosquitto::start();
    let port = free_port();
    let server = C104::start(port, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = config(dir.path(), &broker, &[port]);
    let text = std::fs::read_to_string(&path).expect("read config").replace(
        "common_address = 1\n",
        "common_address = 1\nclock_sync = true\ncounter_interrogation = \"1h\"\ninterrogation = \"1s\"\n",
    );
    std::fs::write(&path, text).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/iec/#").await;
    let bridge = BridgeProcess::run(&path, dir.path());

    // The clock synchronization carries the bridge's UTC time (both clocks are this machine's).
    let deadline = Instant::now() + Duration::from_secs(20);
    let sync = loop {
        match server.lines.recv_timeout(Duration::from_millis(200)) {
            Ok(line) if line.starts_with("clock sync ") => break Some(line),
            _ if Instant::now() > deadline => break None,
            _ => {}
        }
    };
    let sync = sync.unwrap_or_else(|| panic!("no clock sync at c104; log:\n{}", bridge.log()));
    let offset: f64 = sync
        .trim_start_matches("clock sync ")
        .parse()
        .unwrap_or(f64::MAX);
    assert!(
        offset.abs() < 5.0,
        "the clock sync is {offset} s off c104's clock"
    );

    let counters = wait_for_points(&sub, 37, 1, Duration::from_secs(10)).await;
    check(
        &counters,
        &[(
            "energy",
            json!(123456),
            None,
            15,
            "uncertain",
            json!(["carry"]),
        )],
        &bridge,
    );
    assert_eq!(counters["energy"]["source"]["counter_sequence"], 3);

    wait_for_points(&sub, 20, 6, Duration::from_secs(10)).await;
    sub.clear();
    let again = wait_for_points(&sub, 20, 6, Duration::from_secs(10)).await;
    check(&again, &interrogated(), &bridge);
}

/// Publishes one command on `<point>/set` of the test device with mosquitto_pub at QoS 1.
fn publish(broker: &Mosquitto, point: &str, payload: &str) {
    common::mosquitto_pub(broker, &format!("fieldbridge/iec/rtu/{point}/set"), payload);
}

/// The one result for command `id`, waiting up to 20 s.
async fn result(sub: &Subscriber, id: &str, bridge: &BridgeProcess) -> Value {
    let found = sub
        .wait_for(
            |m| m.topic.ends_with("/set/result") && m.json.as_ref().is_some_and(|j| j["id"] == id),
            Duration::from_secs(20),
        )
        .await
        .and_then(|m| m.json);
    found.unwrap_or_else(|| panic!("no result for {id}; log:\n{}", bridge.log()))
}

/// Every line the server printed until they satisfy `done`, or 10 s.
fn lines_until(server: &C104, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut out = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match server.lines.recv_timeout(left) {
            Ok(line) => {
                out.push(line);
                if done(&out) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    out
}

/// Whether the server printed `line`.
fn has(seen: &[String], line: &str) -> bool {
    seen.iter().any(|l| l == line)
}

/// Commands through `fieldbridge run` to c104: a double command with select before operate
/// succeeds (select, execute, ACTCON, ACTTERM on the wire); a direct float set-point succeeds; a
/// command on a point that is not writable is refused and never reaches c104; a command to an IOA
/// c104 does not have fails, naming cause 47.
#[tokio::test(flavor = "multi_thread")]
async fn commands_reach_c104_with_select_before_operate_and_refusals_never_reach_it() {
    let broker = Mosquitto::start();
    let port = free_port();
    let server = C104::start(port, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = config(dir.path(), &broker, &[port]);
    let mut text = std::fs::read_to_string(&path).expect("read config");
    for (name, ioa, command, select) in [
        ("breaker", 5000, "double", true),
        ("setpoint", 5001, "setpoint-float", false),
        ("bogus", 7777, "setpoint-float", false),
    ] {
        text.push_str(&format!(
            "\n  [[source.point]]\n  name = \"{name}\"\n  ioa = {ioa}\n  command = \"{command}\"\n  select_before_operate = {select}\n  writable = true\n"
        ));
    }
    std::fs::write(&path, text).expect("write config");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/iec/#").await;
    let bridge = BridgeProcess::run(&path, dir.path());
    wait_for_points(&sub, 20, 6, Duration::from_secs(20)).await;

    publish(&broker, "breaker", r#"{"id":"sbo-1","value":"on"}"#);
    let r = result(&sub, "sbo-1", &bridge).await;
    assert_eq!(
        (r["outcome"].as_str(), r["method"].as_str()),
        (Some("success"), Some("C_DC_NA_1 select+execute")),
        "{r}\nlog:\n{}",
        bridge.log()
    );
    let seen = lines_until(&server, |seen| {
        has(seen, "command 5000 Double.ON") && has(seen, "received 46 6 5000 execute")
    });
    let wire: Vec<&String> = seen.iter().filter(|l| l.starts_with("received")).collect();
    assert_eq!(
        wire,
        ["received 46 6 5000 select", "received 46 6 5000 execute"],
        "c104 saw {seen:?}"
    );

    // c104 terminated it (ACTTERM): the next one's success waits for the termination.
    publish(&broker, "breaker", r#"{"id":"sbo-2","value":"off"}"#);
    let r = result(&sub, "sbo-2", &bridge).await;
    assert_eq!(r["outcome"], "success", "{r}");
    let seen = lines_until(&server, |seen| {
        has(seen, "command 5000 Double.OFF") && has(seen, "received 46 6 5000 execute")
    });
    assert_eq!(
        seen.iter().filter(|l| l.starts_with("received")).count(),
        2,
        "{seen:?}"
    );

    // c104 never terminates a direct command: its positive confirmation is the success.
    publish(&broker, "setpoint", r#"{"id":"sp-1","value":21.5}"#);
    let r = result(&sub, "sp-1", &bridge).await;
    assert_eq!(
        (r["outcome"].as_str(), r["method"].as_str()),
        (Some("success"), Some("C_SE_NC_1 direct")),
        "{r}"
    );
    let seen = lines_until(&server, |seen| {
        has(seen, "command 5001 21.5") && has(seen, "received 50 6 5001 execute")
    });
    assert!(has(&seen, "command 5001 21.5"), "{seen:?}");

    publish(&broker, "feeder_current", r#"{"id":"ro-1","value":1}"#);
    let r = result(&sub, "ro-1", &bridge).await;
    assert_eq!(r["outcome"], "refused", "{r}");
    assert!(
        r["reason"]
            .as_str()
            .is_some_and(|t| t.contains("is not writable")),
        "{r}"
    );

    publish(&broker, "bogus", r#"{"id":"bad-1","value":1.5}"#);
    let r = result(&sub, "bad-1", &bridge).await;
    assert_eq!(
        (r["outcome"].as_str(), r["reason"].as_str()),
        (
            Some("failed"),
            Some("negative confirmation of the execute, cause 47 (unknown information object address)")
        ),
        "{r}\nlog:\n{}",
        bridge.log()
    );
    // c104 saw the bogus command and nothing of the refused one, which came before it.
    let seen = lines_until(&server, |seen| has(seen, "received 50 6 7777 execute"));
    let wire: Vec<&String> = seen.iter().filter(|l| l.starts_with("received")).collect();
    assert_eq!(wire, ["received 50 6 7777 execute"], "c104 saw {seen:?}");
}
