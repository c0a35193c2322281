//! Sparkplug B throughput benchmark (issue 19): samples per second from a Modbus simulator through
//! `fieldbridge run` with `[mqtt] format = "sparkplug"` to a subscriber of a real mosquitto,
//! against a bare rumqttc publisher replaying the bridge's own DDATA payloads on the same broker,
//! with the same subscriber, in the same run; and the bytes a sample costs in each format.
//!
//! Run: `cargo build --release -p fieldbridge && cargo run --release -p fieldbridge-bench --bin
//! sparkplug_report [-- OPTIONS]` (`--help` lists them). About 2.5 minutes with the defaults. As
//! in `e2e_report`, the bridge is the release binary at `--bridge PATH`, else
//! `$CARGO_TARGET_DIR/release/fieldbridge`, run as a child process; so are `fieldbridge simulate
//! modbus` and mosquitto (its own configuration, `fieldbridge_bench::process::start_broker`:
//! loopback, anonymous, `max_queued_messages 0`, `max_inflight_messages 256`, errors and warnings
//! logged only). One QoS 1 rumqttc subscriber, to `fieldbridge/#` and `spBv1.0/#` with
//! `TCP_NODELAY`, measures every phase: it counts JSON sample messages (one sample each) and the
//! metrics of Sparkplug DDATA, decoded with `fieldbridge_sparkplug::proto::Payload` (births,
//! deaths and `$` topics are not samples), with their payload and topic bytes. It is a child
//! process of its own (this binary run with the hidden `--subscriber PORT`), which the report asks
//! for its totals over stdin and stdout (`sub_client`, `subscriber::child_main`).
//!
//! **Placement** (`pinning`). The design brief's target is "the broker, not the bridge, is the
//! bottleneck": in a deployment the broker and the consumers run on other machines, not on the
//! bridge's cores. With `--pin` (the default) the report reproduces that on two cores with
//! `taskset`: the publisher side (this process, which is the bare publisher, the bridge and the
//! simulator) on CPU 0, the broker side (mosquitto and the subscriber process) on CPU 1. The
//! report prints the CPUs each process may use, read back from /proc. `--no-pin` lets every
//! process run anywhere (the first version's method), where the bridge and the broker compete for
//! the same cores.
//!
//! `--rounds` rounds (default 3) of, each phase followed by a quiet second:
//!
//! 1. **bridge, JSON**: `--sources` Modbus sources (default 4, one TCP connection each to the
//!    simulator) of `--points` holding registers (default 125, one read of the maximum size)
//!    polled every `--poll-ms` (default 5): 100,000 samples/s offered, more than either publisher
//!    gets through the broker, so the bridge is never short of input. The bridge's metrics
//!    endpoint shows it: the samples it took in (`fieldbridge_samples_in_total`) and the growth
//!    of its outbox backlog (`fieldbridge_outbox_pending`) over the window; the report says when a
//!    bridge window's backlog did not grow. JSON output (`format = "json"`).
//! 2. **bridge, Sparkplug**: the same with `format = "sparkplug"`: group id = the site (`bench`),
//!    edge node = the bridge id (`e2e`), one DDATA with one metric (by alias, with the bridge's
//!    `seq` and the quality as properties) per sample on `spBv1.0/bench/DDATA/e2e/plc<n>`, QoS 1.
//! 3. **bare rumqttc, Sparkplug payloads**: one rumqttc client in this process, QoS 1, the
//!    bridge's in-flight window (256), publishing as fast as it can the first 4,096 DDATA (topic
//!    and payload) the subscriber received in round 1's Sparkplug window, cycling over them, as
//!    many messages as the subscriber received in this round's Sparkplug window.
//! 4. **bare rumqttc, JSON payloads** (unless `--no-json-bare`): the same with the first 4,096
//!    JSON sample messages of round 1's JSON window, as many as this round's JSON window had.
//!
//! The bridge phases measure a `--secs` window (default 8) after `--warmup-secs` (default 2),
//! each with a fresh data folder (outbox, bdSeq); the bare phases from the first to the last
//! arrival. Alternating rounds let load from elsewhere on the machine hit every side alike; the
//! report gives each round's ratios and their medians.
//!
//! Measured per phase: samples/s received (and, for the bridge, taken in and the backlog's
//! growth); mean payload bytes per sample (JSON: the sample message; Sparkplug: DDATA payload
//! bytes per metric), topic bytes per message and MQTT PUBLISH bytes per sample, over every
//! message of the windows; the CPU of every process (bridge, simulator, this process, mosquitto,
//! subscriber, and the rest of the machine) per 1,000 samples received, from /proc/PID/stat; how
//! busy each core was (the `cpuN` lines of /proc/stat) and so which side was the bottleneck (the
//! busier core, when one is at least 90 % busy; "both" when both are at 95 %); mosquitto's read
//! calls and sleeps and the machine's TCP segments per 1,000 samples (how many messages a
//! wake-up or a segment carries: the broker's cost per message depends on it); the bridge's
//! peak resident memory (VmRSS every 100 ms, and VmHWM). The acceptance figure is the median of
//! the rounds' bridge Sparkplug / bare Sparkplug ratios (target ≥ 0.90). Not measured: latency
//! (`e2e_report` does it for JSON).
//!
//! The registers polled are the simulator's static scratch area (all zero), as in `e2e_report`:
//! the values are the shortest in both formats.

#![forbid(unsafe_code)]

mod args;
mod bare;
mod phases;
mod pinning;
mod report;
mod resources;
mod sub_client;
mod subscriber;

use std::process::Command;
use std::time::Duration;

use fieldbridge_bench::process::{start_broker, wait_for_port, Proc};
use fieldbridge_bench::procfs::clock_ticks;

use crate::args::{parse_args, Args};
use crate::bare::bare_phase;
use crate::phases::bridge_phase;
use crate::pinning::{allowed_cpus, command_on, pin_pid, BROKER_CPU, PUBLISHER_CPU};
use crate::report::{Round, Run};
use crate::sub_client::SubscriberProc;
use crate::subscriber::Format;

/// First register polled: the simulator's scratch area (static, all zero).
const FIRST_REGISTER: u16 = 200;
/// The site: the JSON topics' second level and the Sparkplug group id.
const SITE: &str = "bench";
/// The bridge id: the Sparkplug edge node id.
const BRIDGE_ID: &str = "e2e";

#[derive(Debug)]
struct Env {
    args: Args,
    sub: SubscriberProc,
    broker_port: u16,
    broker_pid: u32,
    sim_port: u16,
    sim_pid: u32,
    dir: tempfile::TempDir,
    ticks: f64,
}

impl Env {
    /// The core of the publisher side with `--pin`.
    fn publisher_cpu(&self) -> Option<u32> {
        self.args.pin.then_some(PUBLISHER_CPU)
    }
}

fn main() {
    // The subscriber process (`sub_client` starts it): `--subscriber PORT`, not in the usage.
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--subscriber") {
        let port = argv.get(2).and_then(|p| p.parse().ok()).unwrap_or_else(|| {
            eprintln!("sparkplug_report: --subscriber needs the broker's port");
            std::process::exit(2)
        });
        subscriber::child_main(port);
    }
    let args = parse_args();
    if args.pin {
        // Before any thread starts: the runtime's threads, and the children started without
        // taskset, inherit the publisher core.
        pin_pid(std::process::id(), PUBLISHER_CPU);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(args));
}

/// The 1, 5 and 15 minute load averages (/proc/loadavg).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn run(args: Args) {
    let load_before = load_average();
    let dir = tempfile::Builder::new()
        .prefix("fb-spb-")
        .tempdir()
        .expect("temporary folder");
    let (publisher_cpu, broker_cpu) = if args.pin {
        (Some(PUBLISHER_CPU), Some(BROKER_CPU))
    } else {
        (None, None)
    };
    let (broker, broker_port, version) = start_broker(dir.path(), "");
    if let Some(cpu) = broker_cpu {
        // mosquitto is one thread; nothing has connected to it yet.
        pin_pid(broker.pid(), cpu);
    }
    let sim_port = fieldbridge_tests::free_port();
    let mut command: Command = command_on(publisher_cpu, &args.load.bridge);
    command.args([
        "simulate",
        "modbus",
        "--listen",
        &format!("127.0.0.1:{sim_port}"),
    ]);
    let sim = Proc::spawn("simulator", command, &dir.path().join("simulator.log"));
    wait_for_port(sim_port, "the simulator");
    let sub = SubscriberProc::start(broker_port, broker_cpu, &dir.path().join("subscriber.log"));
    let env = Env {
        broker_pid: broker.pid(),
        sim_pid: sim.pid(),
        args,
        sub,
        broker_port,
        sim_port,
        dir,
        ticks: clock_ticks(),
    };
    let affinity = format!(
        "bench (bare publisher) {}, simulator {}, mosquitto {}, subscriber {}",
        allowed_cpus(std::process::id()),
        allowed_cpus(env.sim_pid),
        allowed_cpus(env.broker_pid),
        allowed_cpus(env.sub.pid()),
    );

    let a = &env.args;
    let mut json_payloads: Vec<(String, Vec<u8>)> = Vec::new();
    let mut ddata_payloads: Vec<(String, Vec<u8>)> = Vec::new();
    let mut rounds = Vec::new();
    for round in 1..=a.load.rounds {
        let bridge_secs = a.load.secs + a.load.warmup_secs;
        eprintln!("round {round}: bridge, JSON, {bridge_secs} s");
        let (json, captured) = bridge_phase(&env, Format::Json, round == 1, None).await;
        if round == 1 {
            json_payloads = captured;
        }
        eprintln!("round {round}: bridge, Sparkplug, {bridge_secs} s");
        let perf = if round == 1 {
            a.load.perf.as_deref()
        } else {
            None
        };
        let (sparkplug, captured) = bridge_phase(&env, Format::Sparkplug, round == 1, perf).await;
        if round == 1 {
            ddata_payloads = captured;
        }
        let n = usize::try_from(sparkplug.counts.ddata_messages).unwrap_or(usize::MAX);
        eprintln!("round {round}: bare publisher, {n} DDATA");
        let bare_sparkplug = bare_phase(&env, Format::Sparkplug, &ddata_payloads, n).await;
        env.sub.wait_quiet(Duration::from_millis(500)).await;
        let bare_json = if a.json_bare {
            let n = usize::try_from(json.counts.json_messages).unwrap_or(usize::MAX);
            eprintln!("round {round}: bare publisher, {n} JSON samples");
            let b = bare_phase(&env, Format::Json, &json_payloads, n).await;
            env.sub.wait_quiet(Duration::from_millis(500)).await;
            Some(b)
        } else {
            None
        };
        rounds.push(Round {
            json,
            sparkplug,
            bare_sparkplug,
            bare_json,
        });
    }

    let run = Run {
        broker_version: &version,
        load_before,
        load_after: load_average(),
        affinity,
        json_payloads: &json_payloads,
        ddata_payloads: &ddata_payloads,
    };
    report::print(&env, &run, &rounds);
    let Env { sub, .. } = env;
    sub.stop();
    drop(sim);
    drop(broker);
}
