//! Shared by the end-to-end tests: the bridge as a child process, configurations built from the
//! peer's register map, and value comparison.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fieldbridge_tests::{python, ModbusMap, Mosquitto, Subscriber};
use serde_json::Value;

/// The `fieldbridge` binary built by cargo for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fieldbridge"))
}

/// A bridge process, killed on drop; its stderr goes to a file for post-mortems.
#[derive(Debug)]
pub struct BridgeProcess {
    child: Child,
    pub log: PathBuf,
}

impl BridgeProcess {
    /// `fieldbridge run --config <config>`.
    pub fn run(config: &Path, dir: &Path) -> BridgeProcess {
        Self::run_with(config, dir, &[])
    }

    /// `fieldbridge run --config <config> <args>`.
    pub fn run_with(config: &Path, dir: &Path, args: &[&str]) -> BridgeProcess {
        let log = dir.join("bridge.log");
        let stderr = std::fs::File::create(&log).expect("bridge log file");
        let child = Command::new(binary())
            .args(["run", "--config"])
            .arg(config)
            .args(args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start fieldbridge run");
        BridgeProcess { child, log }
    }

    /// What the bridge logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGKILL, as a crash or an OOM kill would: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends signal `name` (`HUP`, `TERM`, ...) to the bridge.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(&pid)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{name} {pid}");
    }

    /// SIGHUP: the bridge reloads its configuration file.
    pub fn hangup(&self) {
        self.signal("HUP");
    }

    /// SIGTERM, then wait for the exit status.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.wait_exit()
    }

    /// The exit status, once the process has ended (none after 15 s).
    pub fn wait_exit(&mut self) -> Option<std::process::ExitStatus> {
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `[bridge]` and `[mqtt]` tables of a test bridge.
pub fn header(site: &str, data_dir: &Path, mqtt_url: &str) -> String {
    format!(
        "[bridge]\nid = \"e2e\"\nsite = \"{site}\"\ndata_dir = \"{}\"\n\n[mqtt]\nurl = \"{mqtt_url}\"\nprefix = \"fieldbridge\"\nreconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\n",
        data_dir.display()
    )
}

/// One `[[source.point]]` per point of the peer's map, with a unit so units can be checked.
pub fn map_points(map: &ModbusMap, unit_id: Option<u8>) -> String {
    let mut out = String::new();
    for p in &map.points {
        let _ = write!(
            out,
            "  [[source.point]]\n  name = \"{}\"\n  register = \"{}\"\n  type = \"{}\"\n",
            p.name, p.register, p.data_type
        );
        if p.word_order != "abcd" {
            let _ = writeln!(out, "  word_order = \"{}\"", p.word_order);
        }
        if let Some(scale) = p.scale {
            let _ = writeln!(out, "  scale = {scale:?}");
        }
        let _ = writeln!(out, "  unit = \"u-{}\"", p.name);
        if let Some(u) = unit_id {
            let _ = writeln!(out, "  unit_id = {u}");
        }
        out.push('\n');
    }
    out
}

/// Whether a published value equals the map's expected one: f32 points at f32 precision (the
/// bridge publishes an f32's shortest decimal form), other floats to a relative 1e-9.
pub fn same_value(got: &Value, expected: &Value, data_type: &str) -> bool {
    match (got.as_f64(), expected.as_f64()) {
        (Some(g), Some(e)) if data_type == "f32" => (g as f32).to_bits() == (e as f32).to_bits(),
        (Some(g), Some(e)) if got.is_f64() || expected.is_f64() => {
            (g - e).abs() <= 1e-9 * e.abs().max(1.0)
        }
        _ => got == expected,
    }
}

/// 100 registers polled every 100 ms, each published at every poll: 1,000 samples per second.
pub const POINTS: u16 = 100;

pub struct Simulator(Child);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn simulator(port: u16) -> Simulator {
    let child = Command::new(binary())
        .args([
            "simulate",
            "modbus",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the simulator");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "simulator not listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Simulator(child)
}

/// (seq, point, historical) of every sample received, in arrival order.
pub fn samples(sub: &Subscriber) -> Vec<(u64, String, bool)> {
    sub.messages()
        .into_iter()
        .filter(|m| !m.topic.contains('$'))
        .filter_map(|m| {
            let j = m.json?;
            let point = m.topic.rsplit('/').next()?.to_owned();
            Some((j["seq"].as_u64()?, point, j["historical"] == true))
        })
        .collect()
}

/// Writes a bridge configuration polling `POINTS` registers of the simulator every 100 ms.
pub fn write_config(
    dir: &std::path::Path,
    broker: &Mosquitto,
    modbus_port: u16,
    metrics_port: u16,
) -> std::path::PathBuf {
    write_config_with(
        dir,
        broker,
        modbus_port,
        &format!("replay_rate = 5000\nreplay_order = \"in-order\"\n\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\""),
    )
}

/// The same with other `[outbox]` keys.
pub fn write_config_with(
    dir: &std::path::Path,
    broker: &Mosquitto,
    modbus_port: u16,
    outbox: &str,
) -> std::path::PathBuf {
    let mut config = header("load", &dir.join("var"), &broker.url())
        .replace("reconnect_min = \"100ms\"", "reconnect_min = \"2s\"")
        .replace("reconnect_max = \"1s\"", "reconnect_max = \"2s\"");
    config.push_str(&format!("[outbox]\n{outbox}\n\n"));
    config.push_str(&load_source(modbus_port));
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

/// The `[[source]]` of the load tests: `POINTS` registers of the simulator on `modbus_port`,
/// polled every 100 ms and published at every poll (1,000 samples per second).
pub fn load_source(modbus_port: u16) -> String {
    let mut out = format!(
        "[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{modbus_port}\"\npoll = \"100ms\"\nheartbeat = \"0s\"\n\n"
    );
    for i in 0..POINTS {
        out.push_str(&format!(
            "  [[source.point]]\n  name = \"r{i}\"\n  register = \"holding:{}\"\n\n",
            200 + i
        ));
    }
    out
}

/// A bridge under the nothing-lost load (`write_config_with`: 100 registers every 100 ms) with
/// a metrics endpoint, and a persistent subscriber to its samples.
pub struct LoadRun {
    pub sub: Subscriber,
    pub bridge: BridgeProcess,
    pub metrics_port: u16,
    pub sim: Simulator,
}

/// Starts the simulator and a bridge with `data_dir` at `dir/var` (prepared by the caller if it
/// wants, e.g. a mount), the `[outbox]` lines `outbox` and metrics on a free port; returns once
/// the subscriber has the first `first` samples.
pub async fn start_load(broker: &Mosquitto, dir: &Path, outbox: &str, first: usize) -> LoadRun {
    let modbus_port = fieldbridge_tests::free_port();
    let sim = simulator(modbus_port);
    let metrics_port = fieldbridge_tests::free_port();
    let config_path = write_config_with(
        dir,
        broker,
        modbus_port,
        &format!("{outbox}\n\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\""),
    );
    let sub = Subscriber::connect_persistent(broker.port(), "fieldbridge/load/#").await;
    let bridge = BridgeProcess::run(&config_path, dir);
    assert!(
        sub.wait_for_count(first, Duration::from_secs(15)).await,
        "no load; log:\n{}",
        bridge.log()
    );
    LoadRun {
        sub,
        bridge,
        metrics_port,
        sim,
    }
}

/// `GET path` on the bridge's endpoint: (status line, body).
pub fn get(port: u16, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("metrics endpoint");
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: bridge\r\n\r\n").as_bytes());
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// The value of one metric line (`name` with its labels, exactly as printed).
pub fn metric(body: &str, name: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// Load tests take this so that, on a 2-core machine, two of them never compete for the CPU.
pub async fn load_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

/// Waits until the bridge's outbox holds at most `at_most` samples (it drained its backlog).
pub async fn wait_drained(metrics_port: u16, at_most: f64) {
    wait_drained_within(metrics_port, at_most, Duration::from_secs(60)).await;
}

/// [`wait_drained`] with a deadline of its own; the panic says how far the drain got.
pub async fn wait_drained_within(metrics_port: u16, at_most: f64, within: Duration) {
    let deadline = Instant::now() + within;
    let mut pending = None;
    while Instant::now() < deadline {
        let (_, body) = get(metrics_port, "/metrics");
        pending = metric(&body, "fieldbridge_outbox_pending");
        if pending.is_some_and(|p| p <= at_most) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox did not drain within {within:?} ({pending:?} samples pending)");
}

/// The exact next sequence number a cleanly stopped bridge wrote to `data_dir/seq`.
pub fn next_seq(data_dir: &Path, bridge: &BridgeProcess) -> u64 {
    std::fs::read_to_string(data_dir.join("seq"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no sequence file after the clean stop; log:\n{}",
                bridge.log()
            )
        })
}

/// The first sample of each point of `device` so far (topics `<prefix>/<device>/<point>`) whose
/// cause of transmission is `cot` (an IEC 60870-5 source's `source.cot`).
pub fn samples_with_cot(
    sub: &Subscriber,
    prefix: &str,
    cot: u64,
) -> std::collections::BTreeMap<String, Value> {
    let mut seen = std::collections::BTreeMap::new();
    for m in sub.messages() {
        if let (Some(point), Some(json)) = (m.topic.strip_prefix(prefix), m.json) {
            if !point.starts_with('$') && json["source"]["cot"] == cot {
                seen.entry(point.to_owned()).or_insert(json);
            }
        }
    }
    seen
}

/// [`samples_with_cot`] once `done` says they are complete, or whatever came `within`.
pub async fn wait_for_cot(
    sub: &Subscriber,
    prefix: &str,
    cot: u64,
    done: impl Fn(&std::collections::BTreeMap<String, Value>) -> bool,
    within: Duration,
) -> std::collections::BTreeMap<String, Value> {
    let deadline = Instant::now() + within;
    loop {
        let seen = samples_with_cot(sub, prefix, cot);
        if done(&seen) || Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `mosquitto_pub` to `broker` at QoS 1, to be given a topic and a message (or `-l`).
pub fn mosquitto_pub_command(broker: &Mosquitto) -> Command {
    let mut command = Command::new(fieldbridge_tests::require(
        fieldbridge_tests::Peer::MosquittoPub,
    ));
    command.args([
        "-h",
        "127.0.0.1",
        "-p",
        &broker.port().to_string(),
        "-q",
        "1",
    ]);
    command
}

/// Publishes `payload` on `topic` with mosquitto_pub at QoS 1 (not retained): a command as a
/// cloud application sends it.
pub fn mosquitto_pub(broker: &Mosquitto, topic: &str, payload: &str) {
    let status = mosquitto_pub_command(broker)
        .args(["-t", topic, "-m", payload])
        .status()
        .expect("mosquitto_pub");
    assert!(status.success(), "mosquitto_pub: {status:?}");
}

/// Whether the peers' python has gurux-dlms; when not, says why on stderr (the DLMS tests then
/// skip, as the peers are installed by `scripts/install-peers`).
pub fn gurux_available() -> bool {
    let ok = Command::new(python())
        .args(["-c", "import gurux_dlms"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!(
            "skipped: {} cannot import gurux_dlms (scripts/install-peers, or set FIELDBRIDGE_PYTHON)",
            python().display()
        );
    }
    ok
}
