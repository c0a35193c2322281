//! End to end: DataNotifications built by Gurux (gurux-dlms `GXDLMSNotify` and
//! `GXDLMSSecureNotify`, `tests/peers/dlms/push.py`) → a `dlms-push` listener of `fieldbridge
//! run` → mosquitto → an MQTT subscriber. Plain and ciphered (general-glo-ciphering with
//! authenticated encryption), over the wrapper on TCP and UDP and HDLC UI frames on TCP: every
//! push arrives as points, the register scaled by the scaler_unit the push carries, the push's
//! clock as each value's device time. A push ciphered with a wrong key, or replayed, is counted
//! and refused while the listener goes on.
//!
//! Skipped, with a line on stderr, when the peers' python cannot import gurux_dlms
//! (`scripts/install-peers`, or `FIELDBRIDGE_PYTHON`).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{python, repo_root, Mosquitto, Subscriber};
use serde_json::{json, Value};

const EK: &str = "000102030405060708090A0B0C0D0E0F";
const AK: &str = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF";

/// A bridge whose only source is a push listener on an ephemeral port.
fn config(dir: &Path, broker: &Mosquitto, transport: &str, ciphered: bool) -> std::path::PathBuf {
    let (listen, transport) = match transport {
        "udp" => ("udp://127.0.0.1:0", "wrapper"),
        other => ("127.0.0.1:0", other),
    };
    let security = if ciphered {
        let ek = dir.join("ek");
        let ak = dir.join("ak");
        std::fs::write(&ek, format!("{EK}\n")).expect("key file");
        std::fs::write(&ak, format!("{AK}\n")).expect("key file");
        format!(
            "security = \"authenticated-encrypted\"\nencryption_key_file = \"{}\"\nauthentication_key_file = \"{}\"\nsystem_title = \"4D4D4D0000000001\"\n",
            ek.display(),
            ak.display()
        )
    } else {
        String::new()
    };
    let text = format!(
        "{}[[source]]\nname = \"han\"\nprotocol = \"dlms-push\"\nlisten = \"{listen}\"\ntransport = \"{transport}\"\n{security}device_time = \"utc\"\n\n  [[source.point]]\n  name = \"clock\"\n  obis = \"0.0.1.0.0.255\"\n  class = 8\n  attribute = 2\n\n  [[source.point]]\n  name = \"energy\"\n  obis = \"1.0.1.8.0.255\"\n  class = 3\n  attribute = 2\n\n  [[source.point]]\n  name = \"energy_scaler\"\n  obis = \"1.0.1.8.0.255\"\n  class = 3\n  attribute = 3\n",
        header("dlms", &dir.join("var"), &broker.url()),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// The port the listener bound the `nth` time it started (0: at the bridge's start), from its
/// log line.
fn listening_port(bridge: &BridgeProcess, nth: usize) -> u16 {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let log = bridge.log();
        if let Some(line) = log
            .lines()
            .filter(|l| l.contains("dlms push listener listening"))
            .nth(nth)
        {
            let port = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("listen="))
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok());
            if let Some(port) = port {
                return port;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the listener never said where it listens\n{}", bridge.log());
}

fn push(port: u16, transport: &str, args: &[&str]) {
    let script = repo_root().join("tests/peers/dlms/push.py");
    let out = Command::new(python())
        .arg(&script)
        .args(["--port", &port.to_string(), "--transport", transport])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "push.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The samples of `point` received so far, in order.
fn samples_of(sub: &Subscriber, point: &str) -> Vec<Value> {
    let topic = format!("fieldbridge/dlms/han/{point}");
    sub.messages()
        .into_iter()
        .filter(|m| m.topic == topic)
        .filter_map(|m| m.json)
        .collect()
}

async fn wait_for_samples(sub: &Subscriber, point: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = samples_of(sub, point);
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn pushes_arrive_as_points(transport: &str, ciphered: bool) {
    if !common::gurux_available() {
        return;
    }
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, transport, ciphered);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/dlms/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());
    let port = listening_port(&bridge, 0);
    let security: &[&str] = if ciphered {
        &["--security", "ae", "--counter", "10"]
    } else {
        &[]
    };
    let mut args = vec!["--count", "3"];
    args.extend_from_slice(security);
    push(port, transport, &args);

    let energy = wait_for_samples(&sub, "energy", 3).await;
    let context = || format!("energy: {energy:#?}\nbridge log:\n{}", bridge.log());
    assert_eq!(energy.len(), 3, "{}", context());
    for (i, s) in energy.iter().enumerate() {
        let raw = 12_345_678 + i as i64;
        assert_eq!(s["value"], json!(raw as f64 / 1000.0), "{}", context());
        assert_eq!(s["unit"], "Wh", "{}", context());
        assert_eq!(s["source"]["raw"], json!(raw), "{}", context());
        assert_eq!(s["source"]["scaler"], json!(-3), "{}", context());
        assert_eq!(s["source"]["obis"], "1.0.1.8.0.255");
        // 2024-06-01T12:0i:00Z, the push's clock.
        assert_eq!(
            s["ts"],
            format!("2024-06-01T12:0{i}:00.000Z"),
            "{}",
            context()
        );
    }
    let clock = wait_for_samples(&sub, "clock", 3).await;
    assert_eq!(clock.len(), 3, "{}", context());
    assert_eq!(clock[2]["value"], "2024-06-01T12:02:00.000Z");
    assert!(
        samples_of(&sub, "energy_scaler").is_empty(),
        "the scaler_unit is applied, not published"
    );

    if ciphered {
        // A wrong key, then a replay of counters already seen: refused, counted, and the
        // listener still takes the next genuine push.
        push(
            port,
            transport,
            &[
                "--count",
                "1",
                "--security",
                "ae",
                "--counter",
                "20",
                "--wrong-key",
            ],
        );
        push(
            port,
            transport,
            &["--count", "1", "--security", "ae", "--counter", "11"],
        );
        push(
            port,
            transport,
            &["--count", "1", "--security", "ae", "--counter", "30"],
        );
        let energy = wait_for_samples(&sub, "energy", 4).await;
        assert_eq!(energy.len(), 4, "only the genuine push\n{}", bridge.log());
        let log = bridge.log();
        assert!(log.contains("GCM tag"), "the wrong key is named\n{log}");
        assert!(
            log.contains("replay") || log.contains("Replay") || log.contains("not above"),
            "the replay is named\n{log}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            samples_of(&sub, "energy").len(),
            4,
            "nothing else got through"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn gurux_data_notifications_over_the_wrapper_on_tcp_arrive_as_points() {
    pushes_arrive_as_points("wrapper", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gurux_data_notifications_over_the_wrapper_on_udp_arrive_as_points() {
    pushes_arrive_as_points("udp", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gurux_data_notifications_in_hdlc_ui_frames_arrive_as_points() {
    pushes_arrive_as_points("hdlc", false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ciphered_gurux_pushes_are_deciphered_and_a_wrong_key_or_a_replay_is_refused() {
    pushes_arrive_as_points("wrapper", true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ciphered_gurux_pushes_in_hdlc_ui_frames_are_deciphered() {
    pushes_arrive_as_points("hdlc", true).await;
}

/// Keys rotated on disk reach a running push listener with a SIGHUP: the configuration is the same,
/// the key file's contents are not, so the reload restarts the listener, which reads the new key.
#[tokio::test(flavor = "multi_thread")]
async fn a_push_listeners_keys_replaced_on_disk_apply_at_the_next_sighup() {
    if !common::gurux_available() {
        return;
    }
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, "wrapper", true);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/dlms/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());
    let port = listening_port(&bridge, 0);

    // The meter ciphers with its new encryption key (push.py --wrong-key: sixteen zero bytes)
    // before the bridge has it: refused.
    let new_key = ["--count", "1", "--security", "ae", "--wrong-key"];
    push(
        port,
        "wrapper",
        &[&new_key[..], &["--counter", "10"]].concat(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while !bridge.log().contains("GCM tag") {
        assert!(Instant::now() < deadline, "no refusal\n{}", bridge.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(samples_of(&sub, "energy").is_empty(), "{}", bridge.log());

    std::fs::write(dir.path().join("ek"), format!("{}\n", "00".repeat(16))).expect("key file");
    bridge.hangup();
    let port = listening_port(&bridge, 1);
    push(
        port,
        "wrapper",
        &[&new_key[..], &["--counter", "20"]].concat(),
    );
    let energy = wait_for_samples(&sub, "energy", 1).await;
    let log = bridge.log();
    assert_eq!(energy.len(), 1, "the new key is taken\n{log}");
    assert_eq!(energy[0]["source"]["raw"], json!(12_345_678), "{log}");
    assert!(
        log.contains("its key or password files changed: the source restarts"),
        "{log}"
    );
}
