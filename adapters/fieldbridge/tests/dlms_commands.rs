//! DLMS commands end to end: `mosquitto_pub` publishes on `<point>/set`, `fieldbridge run`
//! carries out the SET or ACTION on a meter, and a subscriber reads the one result on
//! `<point>/set/result` and the value read back on the point's topic.
//!
//! Against two meters: our simulator (`fieldbridge simulate dlms`: the disconnect control, the
//! export register, which it lets any associated client SET, and its serial number, which it
//! does not), and the Gurux meter of `tests/peers/dlms/meter.py` (gurux-dlms 1.0.203) as the
//! manager client 18 with HLS-GMAC: remote_disconnect, remote_reconnect (control_mode 1: the
//! switch is armed, ready_for_reconnection), a SET of the export register, and a SET of the
//! association's logical name, which it refuses. The Gurux case is skipped, with a line on
//! stderr, when the peers' python cannot import gurux_dlms.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{free_port, python, repo_root, DlmsSimulator, Mosquitto, Subscriber};
use serde_json::{json, Value};

const SITE: &str = "dlmscmd";

/// The writable points, and the meter's client settings before them.
fn config(
    dir: &Path,
    broker: &Mosquitto,
    port: u16,
    client: &str,
    points: &str,
) -> std::path::PathBuf {
    let text = format!(
        "{}[[source]]\nname = \"meter\"\nprotocol = \"dlms\"\naddress = \"127.0.0.1:{port}\"\ntransport = \"wrapper\"\nserver_address = 1\n{client}device_time = \"utc\"\npoll = \"1h\"\ntimeout = \"5s\"\ncommand_timeout = \"20s\"\n\n  [[source.point]]\n  name = \"disconnect\"\n  obis = \"0.0.96.3.10.255\"\n  class = 70\n  method = 1\n  writable = true\n\n  [[source.point]]\n  name = \"reconnect\"\n  obis = \"0.0.96.3.10.255\"\n  class = 70\n  attribute = 3\n  method = 2\n  writable = true\n\n  [[source.point]]\n  name = \"export\"\n  obis = \"1.0.2.8.0.255\"\n  class = 3\n  attribute = 2\n  writable = true\n{points}",
        header(SITE, &dir.join("var"), &broker.url()),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// A bridge with its broker and subscriber, once the meter is online (so the bridge's
/// subscription to the set topics is in place).
struct Rig {
    broker: Mosquitto,
    sub: Subscriber,
    bridge: BridgeProcess,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn start(port: u16, client: &str, points: &str, keys: &[(&str, &str)]) -> Rig {
        let broker = Mosquitto::start();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut client = client.to_owned();
        for (name, hex) in keys {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("{hex}\n")).expect("key file");
            client = client.replace(&format!("{{{name}}}"), &path.display().to_string());
        }
        let config = config(dir.path(), &broker, port, &client, points);
        let sub = Subscriber::connect(broker.port(), &format!("fieldbridge/{SITE}/#")).await;
        let bridge = BridgeProcess::run(&config, dir.path());
        let online = sub
            .wait_for(
                |m| m.topic.ends_with("/meter/$state") && m.text().contains("\"online\""),
                Duration::from_secs(60),
            )
            .await;
        assert!(
            online.is_some(),
            "the meter never came online\n{}",
            bridge.log()
        );
        Rig {
            broker,
            sub,
            bridge,
            _dir: dir,
        }
    }

    /// Publishes a command and waits for its one result. What the subscriber had is forgotten
    /// first, so that [`Rig::sample`] sees only what came after the command.
    async fn command(&self, point: &str, id: &str, value: Option<Value>) -> Value {
        self.sub.clear();
        let payload = match value {
            Some(value) => json!({"id": id, "value": value}),
            None => json!({"id": id}),
        };
        common::mosquitto_pub(
            &self.broker,
            &format!("fieldbridge/{SITE}/meter/{point}/set"),
            &payload.to_string(),
        );
        let result = self
            .sub
            .wait_for(
                |m| {
                    m.topic.ends_with("/set/result")
                        && m.json.as_ref().is_some_and(|j| j["id"] == id)
                },
                Duration::from_secs(60),
            )
            .await
            .and_then(|m| m.json);
        result.unwrap_or_else(|| panic!("no result for {id}\nbridge log:\n{}", self.bridge.log()))
    }

    /// The last sample of `point` whose value is `value`, waiting for it.
    async fn sample(&self, point: &str, value: Value) -> Option<Value> {
        let topic = format!("fieldbridge/{SITE}/meter/{point}");
        self.sub
            .wait_for(
                |m| m.topic == topic && m.json.as_ref().is_some_and(|j| j["value"] == value),
                Duration::from_secs(20),
            )
            .await
            .and_then(|m| m.json)
    }

    fn log(&self) -> String {
        self.bridge.log()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_simulators_disconnect_control_and_export_register_obey_commands_from_mqtt() {
    let sim = DlmsSimulator::start(Path::new(env!("CARGO_BIN_EXE_fieldbridge")), &[]);
    let serial = "\n  [[source.point]]\n  name = \"serial\"\n  obis = \"0.0.96.1.0.255\"\n  class = 1\n  attribute = 2\n  writable = true\n";
    let rig = Rig::start(
        sim.port,
        "client_address = 16\nauthentication = \"none\"\nsecurity = \"none\"\n",
        serial,
        &[],
    )
    .await;
    let context = |r: &Value| {
        format!(
            "{r}\nbridge log:\n{}\nsimulator log:\n{}",
            rig.log(),
            sim.log()
        )
    };

    let off = rig.command("disconnect", "off-1", None).await;
    assert_eq!(off["outcome"], "success", "{}", context(&off));
    assert_eq!(
        off["method"],
        "action 0.0.96.3.10.255/1 remote_disconnect; control_state 0 (disconnected), output_state false"
    );
    // The disconnect point reads output_state: false, published at once.
    assert!(
        rig.sample("disconnect", json!(false)).await.is_some(),
        "{}",
        context(&off)
    );

    let on = rig.command("reconnect", "on-1", None).await;
    assert_eq!(on["outcome"], "success", "{}", context(&on));
    assert_eq!(
        on["method"],
        "action 0.0.96.3.10.255/2 remote_reconnect; control_state 1 (connected), output_state true"
    );
    // The reconnect point reads control_state: 1 (connected).
    assert!(
        rig.sample("reconnect", json!(1)).await.is_some(),
        "{}",
        context(&on)
    );

    let set = rig.command("export", "set-1", Some(json!(5000))).await;
    assert_eq!(set["outcome"], "success", "{}", context(&set));
    assert_eq!(set["method"], "set 1.0.2.8.0.255/2");
    let sample = rig.sample("export", json!(5000)).await;
    assert_eq!(
        sample.as_ref().map(|s| s["unit"].clone()),
        Some(json!("Wh")),
        "{}",
        context(&set)
    );

    let half = rig.command("export", "set-2", Some(json!(5000.5))).await;
    assert_eq!(half["outcome"], "refused", "{}", context(&half));
    assert_eq!(
        half["reason"],
        "value 5000.5 with scaler 0 gives 5000.5, not an integer as double-long-unsigned needs"
    );

    let denied = rig.command("serial", "set-3", Some(json!("X"))).await;
    assert_eq!(denied["outcome"], "failed", "{}", context(&denied));
    assert_eq!(denied["reason"], "data-access-result 3 (read-write-denied)");
    assert_eq!(denied["method"], "set 0.0.96.1.0.255/2");
}

/// The Gurux meter of `tests/peers/dlms/meter.py` over the wrapper, killed on drop. Every
/// connection gets a fresh meter: connected, control_mode 1, export 4321 Wh.
struct GuruxMeter {
    child: Child,
    port: u16,
}

impl GuruxMeter {
    fn start() -> GuruxMeter {
        let port = free_port();
        let script = repo_root().join("tests/peers/dlms/meter.py");
        let mut child = Command::new(python())
            .arg(&script)
            .args(["--transport", "wrapper", "--port", &port.to_string()])
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
        // Killed on drop, the panic below included.
        let meter = GuruxMeter { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match lines.recv_timeout(left) {
                Ok(line) if line == "ready" => return meter,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("the Gurux meter did not say ready within 30 s");
    }
}

impl Drop for GuruxMeter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gurux_meter_disconnects_reconnects_and_names_the_set_it_refuses() {
    if !common::gurux_available() {
        return;
    }
    let meter = GuruxMeter::start();
    // The manager client: HLS-GMAC with the Green Book example keys of meter.py.
    let client = "client_address = 18\nauthentication = \"high-gmac\"\nsecurity = \"none\"\nencryption_key_file = \"{meter.ek}\"\nauthentication_key_file = \"{meter.ak}\"\nsystem_title = \"4D4D4D0000000001\"\n";
    let logical_name = "\n  [[source.point]]\n  name = \"logical_name\"\n  obis = \"0.0.40.0.0.255\"\n  class = 15\n  attribute = 1\n  writable = true\n";
    let rig = Rig::start(
        meter.port,
        client,
        logical_name,
        &[
            ("meter.ek", "000102030405060708090A0B0C0D0E0F"),
            ("meter.ak", "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"),
        ],
    )
    .await;
    let context = |r: &Value| format!("{r}\nbridge log:\n{}", rig.log());

    let off = rig.command("disconnect", "off-1", None).await;
    assert_eq!(off["outcome"], "success", "{}", context(&off));
    assert_eq!(
        off["method"],
        "action 0.0.96.3.10.255/1 remote_disconnect; control_state 0 (disconnected), output_state false"
    );
    assert!(
        rig.sample("disconnect", json!(false)).await.is_some(),
        "{}",
        context(&off)
    );

    // control_mode 1: remote_reconnect arms the switch for the customer (transition d).
    let on = rig.command("reconnect", "on-1", Some(json!(0))).await;
    assert_eq!(on["outcome"], "success", "{}", context(&on));
    let method = on["method"].as_str().unwrap_or_default();
    assert!(
        method.starts_with(
            "action 0.0.96.3.10.255/2 remote_reconnect; control_state 2 (ready_for_reconnection)"
        ),
        "{}",
        context(&on)
    );

    let set = rig.command("export", "set-1", Some(json!(5000))).await;
    assert_eq!(set["outcome"], "success", "{}", context(&set));
    assert!(
        rig.sample("export", json!(5000)).await.is_some(),
        "{}",
        context(&set)
    );

    // The association's logical name is read-only for every client.
    let denied = rig
        .command("logical_name", "set-2", Some(json!("0x00002800FFFF")))
        .await;
    assert_eq!(denied["outcome"], "failed", "{}", context(&denied));
    assert_eq!(
        denied["reason"],
        "data-access-result 3 (read-write-denied)",
        "{}",
        context(&denied)
    );
    assert_eq!(denied["method"], "set 0.0.40.0.0.255/1");
}
