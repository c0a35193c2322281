//! End to end against real IEC 60870-5-101 outstations: lib60870-C 2.3.4's `cs101_slave`
//! (`tests/peers/lib60870`) on one end of a socat serial line → `fieldbridge run` with an
//! `iec101` source on the other → mosquitto → an MQTT subscriber.
//!
//! - Unbalanced, two link addresses on one line (one `cs101_slave` process serving both, as on
//!   a multi-drop line): both are interrogated, their values named as configured or
//!   `ca<CA>-ioa<IOA>`, then their spontaneous values arrive with the device's time tags (the
//!   slave queues everything in class 1, so this needs the class 1 polls on ACD); a command
//!   published on `<point>/set` reaches the second outstation with select before operate and
//!   its result and return information come back; when the line goes away `$state` goes
//!   offline and the values are republished with `comm_failure`.
//! - The same line with one outstation cut off for a while (`cs101_slave --mute`): it is named in
//!   `$state` and its points get `comm_failure` while the other reports on; back, it is started
//!   and interrogated again.
//! - Balanced, one outstation: interrogated, then its spontaneous values.
//!
//! The peers are built by `scripts/build-lib60870`; without them the tests fail and say so.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{repo_root, Mosquitto, SocatPair, Subscriber};
use serde_json::{json, Value};

/// `cs101_slave`, killed on drop.
struct Slave {
    child: Child,
    lines: mpsc::Receiver<String>,
    said: Vec<String>,
}

fn program(name: &str) -> PathBuf {
    let dir = std::env::var_os("FIELDBRIDGE_LIB60870_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/lib60870"));
    let path = dir.join("bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-lib60870 (it builds lib60870-C and the peers of \
         tests/peers/lib60870; scripts/install-peers runs it too)",
        path.display()
    );
    path
}

impl Slave {
    /// Starts `cs101_slave --device TTY OPTIONS` and waits for the ready line of each of
    /// `links`.
    fn start(tty: &Path, options: &str, links: &[u16]) -> Slave {
        let mut child = Command::new(program("cs101_slave"))
            .arg("--device")
            .arg(tty)
            .args(options.split_whitespace())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start cs101_slave: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut slave = Slave {
            child,
            lines,
            said: Vec::new(),
        };
        for link in links {
            let ready = format!("ready link={link} ");
            slave.wait_for(&ready);
        }
        slave
    }

    fn wait_for(&mut self, start: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.said.iter().any(|l| l.starts_with(start)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.said.push(line),
                Err(_) => panic!("cs101_slave: no {start:?} line; it said {:?}", self.said),
            }
        }
    }

    /// Everything it printed so far.
    fn said(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.said.push(line);
        }
        self.said.join("\n")
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Slave {
    fn drop(&mut self) {
        self.kill();
    }
}

fn write_config(dir: &Path, broker: &Mosquitto, source: &str) -> PathBuf {
    let text = format!(
        "{}[[source]]\nname = \"rtu\"\nprotocol = \"iec101\"\n{source}",
        header("iec", &dir.join("var"), &broker.url()),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

async fn wait_for_points(
    sub: &Subscriber,
    cot: u64,
    points: &[&str],
    within: Duration,
) -> BTreeMap<String, Value> {
    let done = |seen: &BTreeMap<String, Value>| points.iter().all(|p| seen.contains_key(*p));
    common::wait_for_cot(sub, "fieldbridge/iec/rtu/", cot, done, within).await
}

/// Checks `(point, value, type_id, common address)` of each expected sample, all `iec101`, good.
fn check(seen: &BTreeMap<String, Value>, expected: &[(&str, Value, u64, u64)], log: &str) {
    let mut wrong = Vec::new();
    for (point, value, type_id, ca) in expected {
        let Some(s) = seen.get(*point) else {
            wrong.push(format!("{point}: no sample"));
            continue;
        };
        let source = &s["source"];
        if &s["value"] != value
            || source["type_id"] != *type_id
            || source["common_address"] != *ca
            || source["protocol"] != "iec101"
            || s["quality"] != "good"
        {
            wrong.push(format!("{point}: {s}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{}\nsamples: {seen:#?}\nbridge log:\n{log}",
        wrong.join("\n")
    );
}

/// Publishes one command with mosquitto_pub at QoS 1.
fn publish(broker: &Mosquitto, point: &str, payload: &str) {
    common::mosquitto_pub(broker, &format!("fieldbridge/iec/rtu/{point}/set"), payload);
}

async fn state(sub: &Subscriber, online: bool, within: Duration) -> Option<Value> {
    let word = if online { "\"online\"" } else { "\"offline\"" };
    sub.wait_for(
        |m| m.topic == "fieldbridge/iec/rtu/$state" && m.text().contains(word),
        within,
    )
    .await
    .and_then(|m| m.json)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_lib60870_outstations_on_one_unbalanced_line_are_interrogated_and_report_spontaneously()
{
    let broker = Mosquitto::start();
    let line = SocatPair::start();
    let mut slave = Slave::start(
        line.b(),
        "--link-address 1,2 --ca 1,2 --spontaneous-ms 700 --single-char-ack 1",
        &[1, 2],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &broker,
        &format!(
            "serial = \"{}\"\nlink_address = [1, 2]\ncommon_address = 1\ntimeout = \"500ms\"\npoll = \"100ms\"\n\n  [[source.point]]\n  name = \"feeder2\"\n  link_address = 2\n  common_address = 2\n  ioa = 200\n  unit = \"A\"\n\n  [[source.point]]\n  name = \"breaker2\"\n  link_address = 2\n  common_address = 2\n  ioa = 300\n  command = \"single\"\n  select_before_operate = true\n  writable = true\n",
            line.a().display()
        ),
    );
    let sub = Subscriber::connect(broker.port(), "fieldbridge/iec/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());

    // The station interrogation of each link address's station (COT 20).
    let interrogated = [
        "ca1-ioa100",
        "ca1-ioa101",
        "ca1-ioa102",
        "ca1-ioa200",
        "ca1-ioa201",
        "ca1-ioa202",
        "ca2-ioa100",
        "feeder2",
        "ca2-ioa202",
    ];
    let seen = wait_for_points(&sub, 20, &interrogated, Duration::from_secs(30)).await;
    check(
        &seen,
        &[
            ("ca1-ioa100", json!(true), 1, 1),
            ("ca1-ioa102", json!(false), 1, 1),
            ("ca1-ioa200", json!(12.5), 13, 1),
            ("ca1-ioa201", json!(-3.25), 13, 1),
            ("ca1-ioa202", json!(1000.0), 13, 1),
            ("ca2-ioa100", json!(true), 1, 2),
            ("feeder2", json!(12.5), 13, 2),
            ("ca2-ioa202", json!(1000.0), 13, 2),
        ],
        &bridge.log(),
    );
    assert_eq!(seen["feeder2"]["unit"], "A");
    let online = state(&sub, true, Duration::from_secs(5)).await;
    assert!(
        online.as_ref().is_some_and(|s| s["reason"].is_null()),
        "online, every link address answering: {online:?}"
    );

    // Spontaneous values (COT 3) of both, with the device's CP56Time2a.
    let seen = wait_for_points(
        &sub,
        3,
        &["ca1-ioa200", "ca1-ioa101", "feeder2", "ca2-ioa101"],
        Duration::from_secs(20),
    )
    .await;
    let log = bridge.log();
    for point in ["ca1-ioa200", "feeder2"] {
        let s = seen
            .get(point)
            .unwrap_or_else(|| panic!("no spontaneous {point}: {seen:#?}\n{log}"));
        let value = s["value"].as_f64().unwrap_or_default();
        assert!(
            value >= 13.5 && value.fract() == 0.5,
            "{point}: 12.5 + k: {s}"
        );
        assert_eq!(s["source"]["type_id"], 36, "{s}");
        assert!(s["ts"].as_str().is_some_and(|t| t.ends_with('Z')), "{s}");
    }
    assert_eq!(seen["ca2-ioa101"]["source"]["type_id"], 30);
    let said = slave.said();
    for link in [1, 2] {
        assert!(
            said.contains(&format!(
                "interrogation link={link} ca={link} qoi=20 result=confirmed"
            )),
            "link {link} interrogated: {said}"
        );
    }

    // A command to the second outstation: select, execute, its return information (COT 11).
    publish(&broker, "breaker2", r#"{"id":"c1","value":true}"#);
    let result = sub
        .wait_for(
            |m| m.topic == "fieldbridge/iec/rtu/breaker2/set/result",
            Duration::from_secs(20),
        )
        .await
        .and_then(|m| m.json);
    let result = result.unwrap_or_else(|| panic!("no command result; log:\n{}", bridge.log()));
    assert_eq!(result["id"], "c1", "{result}");
    assert_eq!(result["outcome"], "success", "{result}\n{}", bridge.log());
    let returned = wait_for_points(&sub, 11, &["ca2-ioa102"], Duration::from_secs(10)).await;
    assert_eq!(
        returned.get("ca2-ioa102").map(|s| s["value"].clone()),
        Some(json!(true)),
        "{returned:#?}"
    );
    let said = slave.said();
    assert!(
        said.contains("command link=2 ca=2 ioa=300 value=1 select=1 qu=0 result=selected")
            && said.contains("command link=2 ca=2 ioa=300 value=1 select=0 qu=0 result=executed")
            && !said.contains("command link=1"),
        "the slave saw: {said}"
    );

    // The outstations go away, and the line with them: offline, values with comm_failure.
    slave.kill();
    let offline = state(&sub, false, Duration::from_secs(20)).await;
    assert!(
        offline.is_some(),
        "no $state offline; log:\n{}",
        bridge.log()
    );
    let lost = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/iec/rtu/feeder2"
                    && m.json
                        .as_ref()
                        .is_some_and(|j| j["flags"] == json!(["comm_failure"]))
            },
            Duration::from_secs(10),
        )
        .await;
    assert!(
        lost.is_some(),
        "no comm_failure sample; log:\n{}",
        bridge.log()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lib60870_outstation_on_a_balanced_line_is_interrogated_and_reports_spontaneously() {
    let broker = Mosquitto::start();
    let line = SocatPair::start();
    let mut slave = Slave::start(
        line.b(),
        "--mode balanced --link-address 2 --other-address 1 --ca 2 --spontaneous-ms 700",
        &[2],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &broker,
        &format!(
            "serial = \"{}\"\nmode = \"balanced\"\nlink_address = 2\nown_link_address = 1\ncommon_address = 2\ntimeout = \"500ms\"\n",
            line.a().display()
        ),
    );
    let sub = Subscriber::connect(broker.port(), "fieldbridge/iec/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());

    let seen = wait_for_points(
        &sub,
        20,
        &["ca2-ioa100", "ca2-ioa200", "ca2-ioa201"],
        Duration::from_secs(30),
    )
    .await;
    check(
        &seen,
        &[
            ("ca2-ioa100", json!(true), 1, 2),
            ("ca2-ioa200", json!(12.5), 13, 2),
            ("ca2-ioa201", json!(-3.25), 13, 2),
        ],
        &bridge.log(),
    );
    assert!(state(&sub, true, Duration::from_secs(5)).await.is_some());
    let seen = wait_for_points(
        &sub,
        3,
        &["ca2-ioa200", "ca2-ioa101"],
        Duration::from_secs(20),
    )
    .await;
    let s = seen.get("ca2-ioa200").unwrap_or_else(|| {
        panic!(
            "no spontaneous value: {seen:#?}\nslave: {}\nlog:\n{}",
            slave.said(),
            bridge.log()
        )
    });
    assert_eq!(s["source"]["type_id"], 36, "{s}");
    assert!(s["value"].as_f64().is_some_and(|v| v >= 13.5), "{s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_lib60870_outstation_is_marked_down_while_the_other_on_the_line_reports_on() {
    let broker = Mosquitto::start();
    let line = SocatPair::start();
    // Link address 2 is cut off the line 8 s after the slave starts, for 6 s.
    let mut slave = Slave::start(
        line.b(),
        "--link-address 1,2 --ca 1,2 --spontaneous-ms 500 --mute 2:8000:6000",
        &[1, 2],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &broker,
        &format!(
            "serial = \"{}\"\nlink_address = [1, 2]\ncommon_address = 1\ntimeout = \"300ms\"\npoll = \"100ms\"\n\n  [[source.point]]\n  name = \"feeder2\"\n  link_address = 2\n  common_address = 2\n  ioa = 200\n",
            line.a().display()
        ),
    );
    let sub = Subscriber::connect(broker.port(), "fieldbridge/iec/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());
    let seen = wait_for_points(&sub, 20, &["ca1-ioa200", "feeder2"], Duration::from_secs(8)).await;
    assert!(
        seen.contains_key("ca1-ioa200") && seen.contains_key("feeder2"),
        "both interrogated before the mute: {seen:#?}\nlog:\n{}",
        bridge.log()
    );

    // Link address 2 goes silent: named in $state, its point with comm_failure; link address 1
    // goes on reporting.
    let down = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/iec/rtu/$state"
                    && m.json.as_ref().is_some_and(|j| {
                        j["state"] == "online" && j["reason"] == "link address 2 not answering"
                    })
            },
            Duration::from_secs(15),
        )
        .await;
    assert!(
        down.is_some(),
        "no $state naming link address 2; log:\n{}",
        bridge.log()
    );
    let lost = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/iec/rtu/feeder2"
                    && m.json
                        .as_ref()
                        .is_some_and(|j| j["flags"] == json!(["comm_failure"]))
            },
            Duration::from_secs(5),
        )
        .await;
    assert!(lost.is_some(), "no comm_failure on feeder2");
    sub.clear();
    let on = wait_for_points(&sub, 3, &["ca1-ioa200"], Duration::from_secs(5)).await;
    assert!(
        on.contains_key("ca1-ioa200"),
        "link address 1 still reports"
    );
    assert!(
        !sub.messages()
            .iter()
            .any(|m| m.topic == "fieldbridge/iec/rtu/ca1-ioa200"
                && m.json
                    .as_ref()
                    .is_some_and(|j| j["flags"] == json!(["comm_failure"]))),
        "link address 1's points are not lost"
    );

    // Back on the line: started again, interrogated again, every link address answering.
    let back = wait_for_points(&sub, 20, &["feeder2"], Duration::from_secs(30)).await;
    assert!(
        back.contains_key("feeder2"),
        "link address 2 interrogated again; slave:\n{}\nlog:\n{}",
        slave.said(),
        bridge.log()
    );
    let online = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/iec/rtu/$state"
                    && m.json
                        .as_ref()
                        .is_some_and(|j| j["state"] == "online" && j["reason"].is_null())
            },
            Duration::from_secs(5),
        )
        .await;
    assert!(online.is_some(), "$state online without a reason again");
    let said = slave.said();
    assert!(
        said.contains("mute link=2") && said.contains("unmute link=2"),
        "{said}"
    );
    assert_eq!(
        said.matches("interrogation link=2 ca=2 qoi=20 result=confirmed")
            .count(),
        2,
        "{said}"
    );
}
