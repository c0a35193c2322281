//! End to end against a Gurux DLMS/COSEM meter (gurux-dlms 1.0.203 made into a meter by
//! `tests/peers/dlms/meter.py`) → `fieldbridge run` → mosquitto → an MQTT subscriber: the
//! registers arrive scaled and with their units, the serial number as text, the meter's clock as
//! the value and the device timestamp with its offset from the bridge's clock. Over the TCP
//! wrapper and over HDLC on TCP, as the public client (no authentication) and as the reader
//! (low, a password). Each poll is one connection that the meter sees associated, released
//! (RLRQ, then DISC over HDLC) and closed.
//!
//! Skipped, with a line on stderr, when the peers' python cannot import gurux_dlms
//! (`scripts/install-peers`, or `FIELDBRIDGE_PYTHON`).

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{free_port, python, repo_root, Mosquitto, Subscriber};
use serde_json::{json, Value};

/// The Gurux meter of `tests/peers/dlms/meter.py`, killed on drop.
struct Meter {
    child: Child,
    /// Its stdout after "ready": the `event ...` lines of `--events`.
    lines: mpsc::Receiver<String>,
}

impl Meter {
    fn start(transport: &str, port: u16) -> Meter {
        let script = repo_root().join("tests/peers/dlms/meter.py");
        let mut child = Command::new(python())
            .arg(&script)
            .args(["--transport", transport, "--port", &port.to_string()])
            .arg("--events")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let meter = Meter { child, lines };
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut said = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match meter.lines.recv_timeout(left) {
                Ok(line) if line == "ready" => return meter,
                Ok(line) => said.push(line),
                Err(_) => break,
            }
        }
        panic!("the Gurux meter did not say ready within 30 s; it said {said:?}");
    }

    /// The meter's events (`connected`, `associated`, `rlrq`, `disc`, `closed`) until it has
    /// told `count` times that a connection closed, or what came `within`.
    fn events_until_closed(&self, count: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        let mut events = Vec::new();
        while events.iter().filter(|e| *e == "closed").count() < count {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                break;
            };
            match self.lines.recv_timeout(left) {
                Ok(line) => events.extend(line.strip_prefix("event ").map(str::to_owned)),
                Err(_) => break,
            }
        }
        events
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(
    dir: &std::path::Path,
    broker: &Mosquitto,
    port: u16,
    transport: &str,
    auth: &str,
) -> std::path::PathBuf {
    let (client, auth_lines) = match auth {
        "low" | "wrong" => {
            let password = dir.join("meter.pw");
            let text = if auth == "low" {
                "12345678\n"
            } else {
                "87654321\n"
            };
            std::fs::write(&password, text).expect("password file");
            (
                17,
                format!(
                    "authentication = \"low\"\npassword_file = \"{}\"\n",
                    password.display()
                ),
            )
        }
        "hls" | "ciphered" | "wrong-key" => {
            // The Green Book example keys of meter.py (captures/dlms/keys.json).
            let ek = dir.join("meter.ek");
            let ak = dir.join("meter.ak");
            let key = if auth == "wrong-key" {
                "00112233445566778899AABBCCDDEEFF"
            } else {
                "000102030405060708090A0B0C0D0E0F"
            };
            std::fs::write(&ek, format!("{key}\n")).expect("key file");
            std::fs::write(&ak, "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF\n").expect("key file");
            let keys = format!(
                "authentication = \"high-gmac\"\nencryption_key_file = \"{}\"\nauthentication_key_file = \"{}\"\nsystem_title = \"4D4D4D0000000001\"\n",
                ek.display(),
                ak.display()
            );
            if auth == "hls" {
                (18, keys)
            } else {
                (1, format!("{keys}security = \"authenticated-encrypted\"\n"))
            }
        }
        _ => (16, "authentication = \"none\"\n".to_owned()),
    };
    let security = if auth_lines.contains("security =") {
        ""
    } else {
        "security = \"none\"\n"
    };
    let text = format!(
        "{}[[source]]\nname = \"meter\"\nprotocol = \"dlms\"\naddress = \"127.0.0.1:{port}\"\ntransport = \"{transport}\"\nclient_address = {client}\nserver_address = 1\n{physical}{auth_lines}{security}device_time = \"utc\"\npoll = \"1s\"\ntimeout = \"10s\"\n\n  [[source.point]]\n  name = \"energy_import\"\n  obis = \"1.0.1.8.0.255\"\n  class = 3\n  attribute = 2\n\n  [[source.point]]\n  name = \"voltage_l1\"\n  obis = \"1.0.32.7.0.255\"\n  class = 3\n  attribute = 2\n\n  [[source.point]]\n  name = \"serial\"\n  obis = \"0.0.96.1.0.255\"\n  class = 1\n  attribute = 2\n\n  [[source.point]]\n  name = \"clock\"\n  obis = \"0.0.1.0.0.255\"\n  class = 8\n  attribute = 2\n\n  [[source.point]]\n  name = \"load_profile\"\n  obis = \"1.0.99.1.0.255\"\n  class = 7\n  attribute = 2\n",
        header("dlms", &dir.join("var"), &broker.url()),
        physical = if transport == "hdlc" {
            "physical_address = 17\n"
        } else {
            ""
        },
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// The first sample of each point, once all of `want` came, or what came `within`.
async fn samples(sub: &Subscriber, want: &[&str], within: Duration) -> BTreeMap<String, Value> {
    let deadline = Instant::now() + within;
    loop {
        let mut seen = BTreeMap::new();
        for m in sub.messages() {
            if let (Some(point), Some(json)) =
                (m.topic.strip_prefix("fieldbridge/dlms/meter/"), m.json)
            {
                if !point.starts_with('$') {
                    seen.entry(point.to_owned()).or_insert(json);
                }
            }
        }
        if want.iter().all(|p| seen.contains_key(*p)) || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reads_the_meter(transport: &str, auth: &str) {
    if !common::gurux_available() {
        return;
    }
    let broker = Mosquitto::start();
    let port = free_port();
    let _meter = Meter::start(transport, port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, port, transport, auth);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/dlms/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());

    let want = [
        "energy_import",
        "voltage_l1",
        "serial",
        "clock",
        "clock_offset",
    ];
    let seen = samples(&sub, &want, Duration::from_secs(60)).await;
    let context = || format!("samples: {seen:#?}\nbridge log:\n{}", bridge.log());
    for point in want {
        let Some(s) = seen.get(point) else {
            panic!("{point}: no sample\n{}", context());
        };
        assert_eq!(s["quality"], "good", "{point}\n{}", context());
        assert_eq!(s["source"]["protocol"], "dlms", "{point}\n{}", context());
    }
    assert_eq!(
        seen["energy_import"]["value"],
        json!(12_345_678),
        "{}",
        context()
    );
    assert_eq!(seen["energy_import"]["unit"], "Wh", "{}", context());
    assert_eq!(seen["energy_import"]["source"]["obis"], "1.0.1.8.0.255");
    assert_eq!(seen["voltage_l1"]["value"], json!(230.1), "{}", context());
    assert_eq!(seen["voltage_l1"]["unit"], "V", "{}", context());
    // The raw value and the scaler travel in the sample's source, for a consumer to check.
    assert_eq!(
        seen["voltage_l1"]["source"]["raw"],
        json!(2301),
        "{}",
        context()
    );
    assert_eq!(
        seen["voltage_l1"]["source"]["scaler"],
        json!(-1),
        "{}",
        context()
    );
    assert_eq!(seen["energy_import"]["source"]["scaler"], json!(0));
    assert!(
        seen["serial"]["source"].get("raw").is_none(),
        "{}",
        context()
    );
    assert_eq!(seen["serial"]["value"], "FBGX0001", "{}", context());

    // The meter's clock stands at 2024-06-01 12:00:00 UTC: the value and the device time.
    let clock = &seen["clock"];
    assert_eq!(clock["value"], "2024-06-01T12:00:00.000Z", "{}", context());
    assert_eq!(clock["ts"], "2024-06-01T12:00:00.000Z", "{}", context());
    let offset = seen["clock_offset"]["value"].as_f64().unwrap_or_default();
    // 2024-06-01T12:00:00Z is 1,717,243,200 s after the Unix epoch.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let expected = 1_717_243_200.0 - now;
    assert!(
        (offset - expected).abs() < 120.0,
        "offset {offset} s, expected about {expected} s\n{}",
        context()
    );
    assert_eq!(seen["clock_offset"]["unit"], "s");

    // The load profile: 96 entries of 2024-06-01, 00:15 to 24:00, each column a point with the
    // entry's capture time as its device time; read on a first start, so all historical.
    let column = "fieldbridge/dlms/meter/load_profile.1-0-1-8-0-255";
    let deadline = Instant::now() + Duration::from_secs(30);
    let entries: Vec<Value> = loop {
        let mut by_seq = BTreeMap::new();
        for m in sub.messages() {
            if let (true, Some(json)) = (m.topic == column, m.json) {
                by_seq.insert(json["seq"].as_u64().unwrap_or_default(), json);
            }
        }
        if by_seq.len() >= 96 || Instant::now() > deadline {
            break by_seq.into_values().collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(entries.len(), 96, "{}", context());
    assert_eq!(
        entries[0]["ts"],
        "2024-06-01T00:15:00.000Z",
        "{}",
        context()
    );
    assert_eq!(
        entries[95]["ts"],
        "2024-06-02T00:00:00.000Z",
        "{}",
        context()
    );
    assert!(entries
        .iter()
        .all(|e| e["historical"] == true && e["unit"] == "Wh"));
    assert_eq!(entries[0]["source"]["profile"], "1.0.99.1.0.255");

    let online = sub
        .wait_for(
            |m| m.topic == "fieldbridge/dlms/meter/$state" && m.text().contains("\"online\""),
            Duration::from_secs(10),
        )
        .await;
    assert!(online.is_some(), "no $state online\n{}", context());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_client_reads_registers_data_and_the_clock_of_a_gurux_meter_over_the_wrapper() {
    reads_the_meter("wrapper", "none").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_with_a_password_reads_a_gurux_meter_over_the_wrapper() {
    reads_the_meter("wrapper", "low").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_client_reads_a_gurux_meter_over_hdlc_on_tcp() {
    reads_the_meter("hdlc", "none").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_with_a_password_reads_a_gurux_meter_over_hdlc_on_tcp() {
    reads_the_meter("hdlc", "low").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hls_gmac_reads_a_gurux_meter_over_the_wrapper() {
    reads_the_meter("wrapper", "hls").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hls_gmac_with_authenticated_encryption_reads_a_gurux_meter_over_the_wrapper() {
    reads_the_meter("wrapper", "ciphered").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hls_gmac_with_authenticated_encryption_reads_a_gurux_meter_over_hdlc_on_tcp() {
    reads_the_meter("hdlc", "ciphered").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_refused_and_reported_offline_with_the_reason() {
    refused("wrong", "refused the association").await;
}

/// With authenticated encryption the AARQ itself is ciphered: the meter cannot read it with
/// its key and refuses the association.
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_encryption_key_is_refused_and_reported_offline_with_the_reason() {
    refused("wrong-key", "refused the association").await;
}

async fn refused(auth: &str, reason: &str) {
    if !common::gurux_available() {
        return;
    }
    let broker = Mosquitto::start();
    let port = free_port();
    let _meter = Meter::start("wrapper", port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, port, "wrapper", auth);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/dlms/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());
    let offline = sub
        .wait_for(
            |m| m.topic == "fieldbridge/dlms/meter/$state" && m.text().contains("\"offline\""),
            Duration::from_secs(30),
        )
        .await
        .map(|m| m.text());
    assert!(
        offline.as_deref().is_some_and(|t| t.contains(reason)),
        "$state {offline:?}\nbridge log:\n{}",
        bridge.log()
    );
    let samples = sub
        .messages()
        .iter()
        .filter(|m| !m.topic.contains('$'))
        .count();
    assert_eq!(samples, 0, "no sample without an association");
}

/// Two polls of the Gurux meter: each one connection, associated, released and closed before
/// the next; over HDLC the link is disconnected (DISC) after the release.
async fn each_poll_is_released_and_closed(transport: &str) {
    if !common::gurux_available() {
        return;
    }
    let broker = Mosquitto::start();
    let port = free_port();
    let meter = Meter::start(transport, port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, port, transport, "none");
    let bridge = BridgeProcess::run(&config, dir.path());
    let events =
        tokio::task::block_in_place(|| meter.events_until_closed(2, Duration::from_secs(60)));
    let one: Vec<&str> = if transport == "hdlc" {
        vec!["connected", "associated", "rlrq", "disc", "closed"]
    } else {
        vec!["connected", "associated", "rlrq", "closed"]
    };
    let two: Vec<&str> = one.iter().chain(&one).copied().collect();
    assert_eq!(events, two, "bridge log:\n{}", bridge.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn each_poll_of_a_gurux_meter_over_the_wrapper_is_released_and_closed() {
    each_poll_is_released_and_closed("wrapper").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_poll_of_a_gurux_meter_over_hdlc_is_released_disconnected_and_closed() {
    each_poll_is_released_and_closed("hdlc").await;
}
