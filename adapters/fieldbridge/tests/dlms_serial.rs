//! HDLC on a serial line end to end: `fieldbridge run` opens a serial port (a pseudo-terminal of
//! socat, whose far end is our meter simulator speaking HDLC over TCP, as a meter behind a
//! terminal server would) → mosquitto → an MQTT subscriber: registers, the clock and the load
//! profile arrive, poll after poll, the port opened and closed around each cycle.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{DlmsSimulator, Mosquitto, SocatPtyToTcp, Subscriber};

fn config(dir: &Path, broker: &Mosquitto, tty: &Path) -> std::path::PathBuf {
    let text = format!(
        "{}[[source]]\nname = \"meter\"\nprotocol = \"dlms\"\nserial = \"{}\"\nbaud = 9600\ntransport = \"hdlc\"\nclient_address = 16\nserver_address = 1\nphysical_address = 17\nauthentication = \"none\"\nsecurity = \"none\"\ndevice_time = \"utc\"\npoll = \"1s\"\ntimeout = \"5s\"\n\n  [[source.point]]\n  name = \"energy_import\"\n  obis = \"1.0.1.8.0.255\"\n  class = 3\n  attribute = 2\n\n  [[source.point]]\n  name = \"clock\"\n  obis = \"0.0.1.0.0.255\"\n  class = 8\n  attribute = 2\n\n  [[source.point]]\n  name = \"load_profile\"\n  obis = \"1.0.99.1.0.255\"\n  class = 7\n  attribute = 2\n",
        header("dlms", &dir.join("var"), &broker.url()),
        tty.display()
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_meter_on_a_serial_line_is_read_over_hdlc_poll_after_poll() {
    let broker = Mosquitto::start();
    let sim = DlmsSimulator::start(
        Path::new(env!("CARGO_BIN_EXE_fieldbridge")),
        &["--hdlc", "--period", "1s", "--history", "3"],
    );
    let line = SocatPtyToTcp::start(sim.port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, line.tty());
    let sub = Subscriber::connect(broker.port(), "fieldbridge/dlms/#").await;
    let bridge = BridgeProcess::run(&config, dir.path());

    // Three polls' worth: the energy register read at least three times, the profile's
    // entries with their capture times.
    let energy = "fieldbridge/dlms/meter/energy_import";
    let column = "fieldbridge/dlms/meter/load_profile.1-0-1-8-0-255";
    let deadline = Instant::now() + Duration::from_secs(30);
    let (reads, entries) = loop {
        let messages = sub.messages();
        let reads = messages.iter().filter(|m| m.topic == energy).count();
        let entries = messages.iter().filter(|m| m.topic == column).count();
        if (reads >= 1 && entries >= 5) || Instant::now() > deadline {
            break (reads, entries);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let context = || {
        format!(
            "bridge log:\n{}\nsimulator:\n{}\nsocat:\n{}",
            bridge.log(),
            sim.log(),
            line.log()
        )
    };
    assert!(reads >= 1, "no energy reading\n{}", context());
    assert!(entries >= 5, "{entries} profile entries\n{}", context());
    let clock = sub
        .messages()
        .into_iter()
        .find(|m| m.topic == "fieldbridge/dlms/meter/clock")
        .and_then(|m| m.json);
    assert!(
        clock.is_some_and(|c| c["quality"] == "good"),
        "{}",
        context()
    );
    let log = bridge.log();
    assert!(!log.contains("dlms poll failed"), "{}", context());
}
