//! End-to-end benchmark of the bridge (design brief §6): samples per second from a Modbus
//! simulator through `fieldbridge run` (outbox on disk, rumqttc, QoS 1) to a subscriber of a real
//! mosquitto, compared in the same run, against the same broker and the same subscriber, with a
//! bare rumqttc publisher sending the same payloads on the same topics.
//!
//! Run: `cargo build --release -p fieldbridge && cargo run --release -p fieldbridge-bench --bin
//! e2e_report [-- OPTIONS]` (`--help` lists them). About 80 s with the defaults. The bridge is the
//! release binary at `--bridge PATH`, else `$CARGO_TARGET_DIR/release/fieldbridge`, run as a
//! child process; so are `fieldbridge simulate modbus` and mosquitto (its own configuration:
//! `listener PORT 127.0.0.1`, `allow_anonymous true`, `max_queued_messages 0`, errors and
//! warnings logged only). One QoS 1 rumqttc subscriber to `fieldbridge/#` in this process
//! measures every phase.
//!
//! Phases, one after the other, each followed by a quiet second:
//!
//! 1. **nominal**: one source, 100 holding registers polled every 100 ms (1,000 samples/s, the
//!    load of the nothing-lost tests, `adapters/fieldbridge/tests/common/mod.rs`): latency at a
//!    load the bridge and broker carry easily, also for the first sample of each poll alone (a
//!    lone change).
//! 2. **rounds** (`--rounds`, default 2) of:
//!    - **bridge, saturation**: `--sources` sources (default 4, one TCP connection each to the
//!      simulator), `--points` registers each (default 125, one read of the maximum size) polled
//!      every `--poll-ms` (default 10): 50,000 samples/s offered, more than the broker path takes
//!      on a 2-core machine, so the rate received is the bridge's capacity. The first round's
//!      subscriber keeps one payload per topic.
//!    - **bare publisher**: one rumqttc client, QoS 1, the bridge's in-flight window (256),
//!      publishing as fast as it can the payloads captured in the first round, cycling over
//!      their topics, as many messages as the subscriber received in this round's bridge window.
//!      The `received` timestamp of each copy is rewritten (same length) to the moment of
//!      publishing, so its latency is measured the same way.
//!
//!    Alternating rounds let load from elsewhere on the machine hit both sides alike; the
//!    report gives each round's ratio and their median.
//!
//! Measured: samples/s received by the subscriber (bridge: in a `--secs` window after
//! `--warmup-secs`; bare publisher: first to last message), latency = subscriber receive time −
//! the sample's `received` (the bridge's receive time of the Modbus answer, RFC 3339 to the
//! millisecond, truncated: so from bridge-receive to subscriber, excluding the Modbus poll, and
//! over-estimated by up to 1 ms), the bridge's peak resident memory (VmRSS sampled every 100 ms,
//! and the kernel's VmHWM), the growth of its outbox folder, and the CPU time of every process
//! and of the whole machine in each window (/proc).

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fieldbridge_bench::process::{default_bridge, Proc};
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The bridge's in-flight window (`fieldbridge_core::publisher::delivery::WINDOW`).
const BRIDGE_WINDOW: u16 = 256;
/// First register polled: the simulator's scratch area (static, all zero).
const FIRST_REGISTER: u16 = 200;
const SITE: &str = "bench";
const RECEIVED_KEY: &[u8] = b"\"received\":\"";

#[derive(Debug)]
struct Args {
    bridge: PathBuf,
    sources: u16,
    points: u16,
    poll_ms: u64,
    secs: u64,
    nominal_secs: u64,
    warmup_secs: u64,
    sync: String,
    perf: Option<PathBuf>,
    rounds: usize,
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("e2e_report: {problem}");
    }
    eprintln!(
        "usage: e2e_report [--bridge PATH] [--sources N] [--points N] [--poll-ms MS] [--secs S]\n\
         \x20                 [--nominal-secs S] [--warmup-secs S] [--sync always|never|DURATION]\n\
         \x20                 [--rounds N] [--perf FILE]\n\
         defaults: --bridge $CARGO_TARGET_DIR/release/fieldbridge (else target/release/fieldbridge),\n\
         4 sources x 125 points every 10 ms, 15 s window after 3 s warm-up, 2 rounds of\n\
         (bridge, bare publisher), 10 s nominal phase, outbox sync \"200ms\" (the default).\n\
         --perf records the bridge with `perf record -g` during the first saturation window\n\
         (for diagnosis; perf costs CPU itself)."
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        bridge: default_bridge(),
        sources: 4,
        points: 125,
        poll_ms: 10,
        secs: 15,
        nominal_secs: 10,
        warmup_secs: 3,
        sync: "200ms".to_owned(),
        perf: None,
        rounds: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        let bad = |what: &str| -> ! { usage(&format!("bad value for {what}")) };
        match flag.as_str() {
            "--bridge" => a.bridge = PathBuf::from(value()),
            "--sources" => a.sources = value().parse().unwrap_or_else(|_| bad("--sources")),
            "--points" => a.points = value().parse().unwrap_or_else(|_| bad("--points")),
            "--poll-ms" => a.poll_ms = value().parse().unwrap_or_else(|_| bad("--poll-ms")),
            "--secs" => a.secs = value().parse().unwrap_or_else(|_| bad("--secs")),
            "--nominal-secs" => {
                a.nominal_secs = value().parse().unwrap_or_else(|_| bad("--nominal-secs"));
            }
            "--warmup-secs" => {
                a.warmup_secs = value().parse().unwrap_or_else(|_| bad("--warmup-secs"));
            }
            "--sync" => a.sync = value(),
            "--perf" => a.perf = Some(PathBuf::from(value())),
            "--rounds" => a.rounds = value().parse().unwrap_or_else(|_| bad("--rounds")),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if a.sources == 0
        || a.points == 0
        || a.points > 125
        || a.poll_ms == 0
        || a.secs == 0
        || a.rounds == 0
    {
        usage("--sources, --poll-ms, --secs and --rounds must be positive, --points 1..=125");
    }
    if !a.bridge.is_file() {
        usage(&format!(
            "no bridge binary at {} (cargo build --release -p fieldbridge, or --bridge PATH)",
            a.bridge.display()
        ));
    }
    a
}

// ---------------------------------------------------------------------------------------------
// Child processes and /proc

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} not listening on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU seconds of a process (all its threads), from /proc/PID/stat.
fn cpu_secs(pid: u32, ticks: f64) -> f64 {
    let mut text = String::new();
    if std::fs::File::open(format!("/proc/{pid}/stat"))
        .and_then(|mut f| f.read_to_string(&mut text))
        .is_err()
    {
        return f64::NAN;
    }
    // The command name may hold spaces: fields are counted after its closing parenthesis.
    let rest = text.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After ")": state is field 3, utime field 14, stime field 15 → indexes 11 and 12.
    let get = |i: usize| {
        f.get(i)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (get(11) + get(12)) / ticks
}

/// A `kB` line of /proc/PID/status (VmRSS, VmHWM), in bytes.
fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Samples VmRSS of `pid` every 100 ms until stopped; returns the peak.
struct RssSampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(Ordering::Relaxed) {
                if let Some(rss) = status_kb(pid, "VmRSS") {
                    peak = peak.max(rss);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            peak
        });
        RssSampler { stop, thread }
    }

    fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// The subscriber

/// One sample received: when (since the bench started), its latency, its sequence number.
#[derive(Debug, Clone, Copy)]
struct Rx {
    at: Duration,
    /// Microseconds from `received` to the subscriber; `None` when the payload has none.
    latency_us: Option<i64>,
    /// The sample's `received`, unix microseconds (whole milliseconds).
    received_us: Option<i64>,
}

#[derive(Debug, Default)]
struct Recorded {
    samples: Mutex<Vec<Rx>>,
    /// One payload per sample topic, while `capture` is set.
    captured: Mutex<HashMap<String, Vec<u8>>>,
    capture: AtomicBool,
    /// Every message, samples or not (state, meta): to tell when the broker has gone quiet.
    all: AtomicU64,
    /// The report is done: the broker going away is expected.
    stopping: AtomicBool,
}

fn unix_micros_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// Offset of the 24-character `received` timestamp in a payload.
fn received_at(payload: &[u8]) -> Option<usize> {
    payload
        .windows(RECEIVED_KEY.len())
        .position(|w| w == RECEIVED_KEY)
        .map(|p| p + RECEIVED_KEY.len())
        .filter(|&p| payload.len() >= p + 24)
}

/// The `received` timestamp of a payload, in unix microseconds.
fn received_micros(payload: &[u8]) -> Option<i64> {
    let p = received_at(payload)?;
    let text = std::str::from_utf8(payload.get(p..p + 24)?).ok()?;
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

/// `2026-11-24T21:00:00.123Z`: the bridge's format, always 24 characters.
fn rfc3339_millis(unix_micros: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_micros) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Connects a QoS 1 subscriber to `fieldbridge/#` and records every sample until the process
/// ends. Returns once the SUBACK arrived.
async fn subscribe(port: u16, start: Instant, rec: Arc<Recorded>) {
    let mut options =
        MqttOptions::new(format!("e2e-sub-{}", std::process::id()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut tx = Some(tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_subscribe("fieldbridge/#", QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let now_us = unix_micros_now();
                    let at = start.elapsed();
                    rec.all.fetch_add(1, Ordering::Relaxed);
                    if p.topic.contains('$') {
                        continue;
                    }
                    let received_us = received_micros(&p.payload);
                    let latency_us = received_us.map(|r| now_us - r);
                    rec.samples.lock().expect("samples lock").push(Rx {
                        at,
                        latency_us,
                        received_us,
                    });
                    if rec.capture.load(Ordering::Relaxed) {
                        let mut cap = rec.captured.lock().expect("capture lock");
                        if !cap.contains_key(&p.topic) {
                            cap.insert(p.topic.clone(), p.payload.to_vec());
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    if rec.stopping.load(Ordering::Relaxed) {
                        return;
                    }
                    eprintln!("subscriber: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("SUBACK within 10 s")
        .expect("subscriber task alive");
}

/// Waits until no message at all arrived for `quiet`.
async fn wait_quiet(rec: &Recorded, quiet: Duration) {
    let mut last = rec.all.load(Ordering::Relaxed);
    let mut since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = rec.all.load(Ordering::Relaxed);
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Statistics

#[derive(Debug, Clone, Default)]
struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

fn latency(samples: &[Rx]) -> Latency {
    let mut v: Vec<i64> = samples.iter().filter_map(|s| s.latency_us).collect();
    if v.is_empty() {
        return Latency::default();
    }
    v.sort_unstable();
    let pick = |q: f64| {
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        v[i] as f64 / 1000.0
    };
    Latency {
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_ms: v[v.len() - 1] as f64 / 1000.0,
    }
}

/// Latency of the first sample to arrive of each poll (samples sharing one `received`): what a
/// lone change would see, without queueing behind the rest of its poll. Meaningful with one
/// source.
fn first_of_poll(samples: &[Rx]) -> Latency {
    let mut first: HashMap<i64, Rx> = HashMap::new();
    for s in samples {
        if let Some(r) = s.received_us {
            first.entry(r).or_insert(*s);
        }
    }
    let v: Vec<Rx> = first.into_values().collect();
    latency(&v)
}

fn mean_latency_ms(samples: &[Rx]) -> f64 {
    let v: Vec<i64> = samples.iter().filter_map(|s| s.latency_us).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<i64>() as f64 / v.len() as f64 / 1000.0
}

fn in_window(rec: &Recorded, from: Duration, to: Duration) -> Vec<Rx> {
    rec.samples
        .lock()
        .expect("samples lock")
        .iter()
        .filter(|s| s.at >= from && s.at < to)
        .copied()
        .collect()
}

/// CPU seconds used in a window by each process measured.
#[derive(Debug, Clone, Default)]
struct Cpu {
    bridge: f64,
    simulator: f64,
    broker: f64,
    bench: f64,
    /// Busy CPU seconds of the whole machine (all cores, kernel and interrupts included).
    machine: f64,
}

/// Busy CPU seconds of the whole machine since boot, from the first line of /proc/stat
/// (everything but idle and iowait).
fn machine_busy_secs(ticks: f64) -> f64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().next() else {
        return f64::NAN;
    };
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy: f64 = v
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, x)| x)
        .sum();
    busy / ticks
}

struct Pids {
    bridge: Option<u32>,
    simulator: Option<u32>,
    broker: u32,
    ticks: f64,
}

impl Pids {
    fn snapshot(&self) -> Cpu {
        let own = std::process::id();
        let of = |p: Option<u32>| p.map_or(0.0, |p| cpu_secs(p, self.ticks));
        Cpu {
            bridge: of(self.bridge),
            simulator: of(self.simulator),
            broker: cpu_secs(self.broker, self.ticks),
            bench: cpu_secs(own, self.ticks),
            machine: machine_busy_secs(self.ticks),
        }
    }
}

fn cpu_delta(a: &Cpu, b: &Cpu) -> Cpu {
    Cpu {
        bridge: b.bridge - a.bridge,
        simulator: b.simulator - a.simulator,
        broker: b.broker - a.broker,
        bench: b.bench - a.bench,
        machine: b.machine - a.machine,
    }
}

#[derive(Debug, Clone, Default)]
struct PhaseResult {
    name: String,
    /// Latency of the first sample of each poll.
    first_of_poll: Latency,
    polls: usize,
    offered: Option<f64>,
    count: usize,
    secs: f64,
    latency: Latency,
    first_second_ms: f64,
    last_second_ms: f64,
    rss_peak: Option<u64>,
    hwm: Option<u64>,
    cpu: Cpu,
    /// Growth of the bridge's outbox on disk over the window, bytes per second: the part of the
    /// offered load the broker link did not take (records are deleted a segment at a time, so
    /// this is coarse, 8 MiB steps).
    outbox_growth: Option<f64>,
}

impl PhaseResult {
    fn rate(&self) -> f64 {
        self.count as f64 / self.secs
    }
}

// ---------------------------------------------------------------------------------------------
// Phases

struct Env {
    args: Args,
    start: Instant,
    rec: Arc<Recorded>,
    broker_port: u16,
    broker_pid: u32,
    sim_port: u16,
    sim_pid: u32,
    dir: tempfile::TempDir,
    ticks: f64,
}

/// The field load of a bridge phase: `sources` Modbus sources of `points` holding registers each,
/// polled every `poll_ms`.
#[derive(Debug, Clone, Copy)]
struct Load {
    sources: u16,
    points: u16,
    poll_ms: u64,
}

impl Load {
    /// Samples per second offered (every poll publishes every point: no deadband, no heartbeat).
    fn offered(self) -> f64 {
        f64::from(self.sources) * f64::from(self.points) * 1000.0 / self.poll_ms as f64
    }
}

fn bridge_config(env: &Env, data_dir: &Path, load: Load) -> String {
    let Load {
        sources,
        points,
        poll_ms,
    } = load;
    let mut c = format!(
        "[bridge]\nid = \"e2e\"\nsite = \"{SITE}\"\ndata_dir = \"{}\"\n\n\
         [mqtt]\nurl = \"mqtt://127.0.0.1:{}\"\nprefix = \"fieldbridge\"\n\
         reconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\n\
         [outbox]\nsync = \"{}\"\n\n[log]\nlevel = \"warn\"\n\n",
        data_dir.display(),
        env.broker_port,
        env.args.sync
    );
    for s in 0..sources {
        let _ = write!(
            c,
            "[[source]]\nname = \"plc{s}\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{}\"\n\
             poll = \"{poll_ms}ms\"\nheartbeat = \"0s\"\n\n",
            env.sim_port
        );
        for i in 0..points {
            let _ = write!(
                c,
                "  [[source.point]]\n  name = \"r{i}\"\n  register = \"holding:{}\"\n\n",
                FIRST_REGISTER + i
            );
        }
    }
    c
}

/// Runs the bridge under `load`; measures `secs` after the warm-up.
async fn bridge_phase(
    env: &Env,
    name: &str,
    load: Load,
    secs: u64,
    capture: bool,
    perf: Option<&Path>,
) -> PhaseResult {
    let dir = tempfile::Builder::new()
        .prefix("fb-e2e-bridge-")
        .tempdir_in(env.dir.path())
        .expect("bridge folder");
    let config = dir.path().join("bridge.toml");
    std::fs::write(&config, bridge_config(env, &dir.path().join("var"), load))
        .expect("write the bridge configuration");
    let before = env.rec.samples.lock().expect("samples lock").len();
    let mut command = Command::new(&env.args.bridge);
    command
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG");
    let mut bridge = Proc::spawn("fieldbridge run", command, &dir.path().join("bridge.log"));
    let rss = RssSampler::start(bridge.pid());

    let deadline = Instant::now() + Duration::from_secs(15);
    while env.rec.samples.lock().expect("samples lock").len() == before {
        if Instant::now() > deadline {
            panic!(
                "no samples from the bridge within 15 s; its log:\n{}",
                std::fs::read_to_string(dir.path().join("bridge.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.rec.capture.store(capture, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(env.args.warmup_secs)).await;

    let pids = Pids {
        bridge: Some(bridge.pid()),
        simulator: Some(env.sim_pid),
        broker: env.broker_pid,
        ticks: env.ticks,
    };
    let perf_child = perf.map(|file| {
        let mut c = Command::new("perf");
        c.args(["record", "-F", "499", "-g", "-o"]).arg(file).args([
            "-p",
            &bridge.pid().to_string(),
            "--",
            "sleep",
            &secs.to_string(),
        ]);
        Proc::spawn("perf", c, &env.dir.path().join("perf.log"))
    });
    let outbox = dir.path().join("var").join("outbox");
    let cpu0 = pids.snapshot();
    let outbox0 = dir_bytes(&outbox);
    let from = env.start.elapsed();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let to = env.start.elapsed();
    let cpu1 = pids.snapshot();
    let outbox1 = dir_bytes(&outbox);
    env.rec.capture.store(false, Ordering::Relaxed);
    if let Some(mut p) = perf_child {
        p.wait();
    }

    let hwm = status_kb(bridge.pid(), "VmHWM");
    bridge.terminate(Duration::from_secs(10));
    let rss_peak = rss.finish();
    wait_quiet(&env.rec, Duration::from_secs(1)).await;

    let window = in_window(&env.rec, from, to);
    let one = Duration::from_secs(1);
    PhaseResult {
        name: name.to_owned(),
        offered: Some(load.offered()),
        count: window.len(),
        secs: (to - from).as_secs_f64(),
        latency: latency(&window),
        first_of_poll: first_of_poll(&window),
        polls: window
            .iter()
            .filter_map(|s| s.received_us)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        first_second_ms: mean_latency_ms(&in_window(&env.rec, from, from + one)),
        last_second_ms: mean_latency_ms(&in_window(&env.rec, to - one, to)),
        rss_peak: Some(rss_peak),
        hwm,
        cpu: cpu_delta(&cpu0, &cpu1),
        outbox_growth: Some((outbox1 as f64 - outbox0 as f64) / (to - from).as_secs_f64()),
    }
}

/// Publishes `count` messages cycling over `payloads` at QoS 1 as fast as rumqttc goes, and
/// measures what the subscriber receives.
async fn bare_phase(env: &Env, payloads: &[(String, Vec<u8>)], count: usize) -> (PhaseResult, f64) {
    let mut options = MqttOptions::new(
        format!("e2e-bare-{}", std::process::id()),
        "127.0.0.1",
        env.broker_port,
    );
    options.set_keep_alive(Duration::from_secs(30));
    options.set_clean_session(true);
    options.set_inflight(BRIDGE_WINDOW);
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let (connected_tx, connected_rx) = tokio::sync::oneshot::channel();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<Instant>();
    let target = count as u64;
    let driver = tokio::spawn(async move {
        let mut connected = Some(connected_tx);
        let mut done = Some(done_tx);
        let mut acked = 0u64;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    if let Some(tx) = connected.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acked += 1;
                    if acked == target {
                        if let Some(tx) = done.take() {
                            let _ = tx.send(Instant::now());
                        }
                    }
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("bare publisher: {e}");
                    return;
                }
            }
        }
    });
    connected_rx.await.expect("bare publisher connected");

    let offsets: Vec<Option<usize>> = payloads.iter().map(|(_, p)| received_at(p)).collect();
    let pids = Pids {
        bridge: None,
        simulator: None,
        broker: env.broker_pid,
        ticks: env.ticks,
    };
    let before = env.rec.samples.lock().expect("samples lock").len();
    let cpu0 = pids.snapshot();
    let started = Instant::now();
    for i in 0..count {
        let k = i % payloads.len();
        let (topic, payload) = &payloads[k];
        let mut payload = payload.clone();
        if let Some(p) = offsets[k] {
            payload[p..p + 24].copy_from_slice(rfc3339_millis(unix_micros_now()).as_bytes());
        }
        client
            .publish(topic.as_str(), QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish");
    }
    let acked_at = tokio::time::timeout(Duration::from_secs(120), done_rx)
        .await
        .expect("every PUBACK within 120 s")
        .expect("driver alive");
    let deadline = Instant::now() + Duration::from_secs(120);
    while env.rec.samples.lock().expect("samples lock").len() < before + count {
        assert!(
            Instant::now() < deadline,
            "the subscriber did not receive every message"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu1 = pids.snapshot();
    let _ = client.disconnect().await;
    let _ = driver.await;

    let got: Vec<Rx> = env.rec.samples.lock().expect("samples lock")[before..].to_vec();
    let secs = match (got.first(), got.last()) {
        (Some(a), Some(b)) if b.at > a.at => (b.at - a.at).as_secs_f64(),
        _ => f64::NAN,
    };
    let publish_rate = count as f64 / (acked_at - started).as_secs_f64();
    let n = got.len();
    let sec = n.min((n as f64 / secs) as usize).max(1);
    (
        PhaseResult {
            name: "bare rumqttc publisher".to_owned(),
            offered: None,
            count: n,
            secs,
            latency: latency(&got),
            first_of_poll: Latency::default(),
            polls: 0,
            first_second_ms: mean_latency_ms(&got[..sec]),
            last_second_ms: mean_latency_ms(&got[n - sec..]),
            rss_peak: None,
            hwm: None,
            cpu: cpu_delta(&cpu0, &cpu1),
            outbox_growth: None,
        },
        publish_rate,
    )
}

fn start_broker(dir: &Path) -> (Proc, u16, String) {
    let binary = fieldbridge_tests::locate(fieldbridge_tests::Peer::Mosquitto)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = fieldbridge_tests::free_port();
    // Unlike the test harness's broker (`log_type all`, which logs every PUBLISH), only errors
    // and warnings are logged: per-message logging would be part of what is measured.
    let config = dir.join("mosquitto.conf");
    std::fs::write(
        &config,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n\
             log_dest stderr\nlog_type error\nlog_type warning\n"
        ),
    )
    .expect("write mosquitto.conf");
    let mut command = Command::new(&binary);
    command.arg("-c").arg(&config);
    let proc = Proc::spawn("mosquitto", command, &dir.join("mosquitto.log"));
    wait_for_port(port, "mosquitto");
    let version = Command::new(&binary)
        .arg("-h")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (proc, port, version)
}

/// Bytes of every file in `dir` (not recursive); 0 when it does not exist.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
            .sum()
    })
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "–".to_owned(),
        |b| format!("{:.1}", b as f64 / (1 << 20) as f64),
    )
}

fn row(r: &PhaseResult) -> String {
    format!(
        "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} → {:.1} | {} | {} / {} | {:.2} / {:.2} / {:.2} / {:.2} | {:.2} ({:.2}) |",
        r.name,
        r.offered.map_or_else(|| "as fast as it can".to_owned(), |o| format!("{o:.0}")),
        r.rate(),
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.latency.max_ms,
        r.first_second_ms,
        r.last_second_ms,
        r.outbox_growth
            .map_or_else(|| "–".to_owned(), |g| format!("{:.1}", g / (1 << 20) as f64)),
        mib(r.rss_peak),
        mib(r.hwm),
        r.cpu.bridge / r.secs,
        r.cpu.simulator / r.secs,
        r.cpu.broker / r.secs,
        r.cpu.bench / r.secs,
        r.cpu.machine / r.secs,
        (r.cpu.machine - r.cpu.bridge - r.cpu.simulator - r.cpu.broker - r.cpu.bench) / r.secs,
    )
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(args));
}

async fn run(args: Args) {
    let dir = tempfile::Builder::new()
        .prefix("fb-e2e-")
        .tempdir()
        .expect("temporary folder");
    let (broker, broker_port, version) = start_broker(dir.path());
    let sim_port = fieldbridge_tests::free_port();
    let mut command = Command::new(&args.bridge);
    command.args([
        "simulate",
        "modbus",
        "--listen",
        &format!("127.0.0.1:{sim_port}"),
    ]);
    let sim = Proc::spawn("simulator", command, &dir.path().join("simulator.log"));
    wait_for_port(sim_port, "the simulator");

    let start = Instant::now();
    let rec = Arc::new(Recorded::default());
    subscribe(broker_port, start, rec.clone()).await;
    let env = Env {
        broker_pid: broker.pid(),
        sim_pid: sim.pid(),
        args,
        start,
        rec,
        broker_port,
        sim_port,
        dir,
        ticks: clock_ticks(),
    };

    eprintln!(
        "nominal load: {} s",
        env.args.nominal_secs + env.args.warmup_secs
    );
    let nominal = bridge_phase(
        &env,
        "bridge, nominal",
        Load {
            sources: 1,
            points: 100,
            poll_ms: 100,
        },
        env.args.nominal_secs,
        false,
        None,
    )
    .await;

    // Rounds of (bridge saturation, bare publisher), so that load from elsewhere on the machine
    // hits both sides alike; the payloads are those captured in the first round.
    let mut payloads: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rounds: Vec<(PhaseResult, PhaseResult, f64)> = Vec::new();
    for round in 1..=env.args.rounds {
        eprintln!(
            "round {round}: bridge saturation, {} s",
            env.args.secs + env.args.warmup_secs
        );
        let mut saturation = bridge_phase(
            &env,
            "bridge, saturation",
            Load {
                sources: env.args.sources,
                points: env.args.points,
                poll_ms: env.args.poll_ms,
            },
            env.args.secs,
            payloads.is_empty(),
            if round == 1 {
                env.args.perf.as_deref()
            } else {
                None
            },
        )
        .await;
        saturation.name = format!("round {round}: bridge, saturation");
        if payloads.is_empty() {
            payloads = env
                .rec
                .captured
                .lock()
                .expect("capture lock")
                .drain()
                .collect();
            payloads.sort();
            assert!(!payloads.is_empty(), "no payload captured");
        }
        eprintln!(
            "round {round}: bare publisher, {} messages over {} topics",
            saturation.count,
            payloads.len()
        );
        let (mut bare, publish_rate) = bare_phase(&env, &payloads, saturation.count).await;
        bare.name = format!("round {round}: bare rumqttc publisher");
        rounds.push((saturation, bare, publish_rate));
    }

    let mean_len =
        payloads.iter().map(|(_, p)| p.len()).sum::<usize>() as f64 / payloads.len() as f64;
    let (example_topic, example) = &payloads[0];
    println!();
    println!("fieldbridge end-to-end report");
    println!(
        "broker: {version} on 127.0.0.1 (max_queued_messages 0, other settings default); \
         bridge: {}; outbox sync \"{}\"",
        env.args.bridge.display(),
        env.args.sync
    );
    println!(
        "saturation load: {} sources x {} holding registers every {} ms; {} payloads captured, \
         {mean_len:.0} bytes on average, e.g. {example_topic} {}",
        env.args.sources,
        env.args.points,
        env.args.poll_ms,
        payloads.len(),
        String::from_utf8_lossy(example)
    );
    println!();
    println!(
        "| phase | offered samples/s | received samples/s | p50 ms | p99 ms | max ms | mean latency first → last s, ms | outbox growth MiB/s | bridge RSS peak / VmHWM MiB | CPU cores: bridge / simulator / mosquitto / bench | CPU cores: machine (other processes) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!("{}", row(&nominal));
    for (saturation, bare, _) in &rounds {
        println!("{}", row(saturation));
        println!("{}", row(bare));
    }
    println!();
    println!(
        "nominal: first sample of each of {} polls (a lone change, not queued behind the other 99 \
         samples of its poll): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        nominal.polls,
        nominal.first_of_poll.p50_ms,
        nominal.first_of_poll.p99_ms,
        nominal.first_of_poll.max_ms
    );
    let mut ratios = Vec::new();
    for (i, (saturation, bare, publish_rate)) in rounds.iter().enumerate() {
        let ratio = saturation.rate() / bare.rate();
        ratios.push(ratio);
        println!(
            "round {}: bridge / bare publisher = {ratio:.2} ({:.0} / {:.0} samples/s received); \
             bare: {} messages PUBACKed at {publish_rate:.0}/s, received over {:.1} s",
            i + 1,
            saturation.rate(),
            bare.rate(),
            bare.count,
            bare.secs
        );
    }
    ratios.sort_by(f64::total_cmp);
    let median = if ratios.len() % 2 == 1 {
        ratios[ratios.len() / 2]
    } else {
        (ratios[ratios.len() / 2 - 1] + ratios[ratios.len() / 2]) / 2.0
    };
    println!(
        "bridge / bare publisher rate, median of {} rounds: {median:.2} (target ≥ 0.90)",
        ratios.len()
    );
    println!(
        "latency: subscriber receive time − the sample's `received` (bridge receive time of the \
         Modbus answer, ms resolution, truncated): excludes the Modbus poll; over-estimated by up to \
         1 ms. For the bare publisher, `received` is rewritten to the moment of publishing."
    );
    env.rec.stopping.store(true, Ordering::Relaxed);
    drop(sim);
    drop(broker);
}
