//! End-to-end benchmark of the bridge (design brief §6): samples per second from a Modbus
//! simulator through `fieldbridge run` (outbox on disk, rumqttc, QoS 1) to a subscriber of a real
//! mosquitto, compared in the same run, against the same broker and the same subscriber, with a
//! bare rumqttc publisher sending the same payloads on the same topics.
//!
//! Run: `cargo build --release -p fieldbridge && cargo run --release -p fieldbridge-bench --bin
//! e2e_report [-- OPTIONS]` (`--help` lists them). About 80 s with the defaults. The bridge is the
//! release binary at `--bridge PATH`, else `$CARGO_TARGET_DIR/release/fieldbridge`, run as a
//! child process; so are `fieldbridge simulate modbus` and mosquitto (its own configuration:
//! `listener PORT 127.0.0.1`, `allow_anonymous true`, `max_queued_messages 0`,
//! `max_inflight_messages 256` (the bridge's window; mosquitto's default is 20), errors and
//! warnings logged only). One QoS 1 rumqttc subscriber to `fieldbridge/#` in this process, with
//! `TCP_NODELAY`, measures every phase.
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

mod args;
mod bare;
mod latency;
mod phases;
mod report;
mod resources;
mod subscriber;

use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use fieldbridge_bench::process::{start_broker, wait_for_port, Proc};
use fieldbridge_bench::procfs::clock_ticks;

use crate::args::{parse_args, Args};
use crate::bare::bare_phase;
use crate::phases::{bridge_phase, Load, PhaseResult};
use crate::subscriber::{subscribe, Recorded};

/// First register polled: the simulator's scratch area (static, all zero).
const FIRST_REGISTER: u16 = 200;
const SITE: &str = "bench";

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
    let (broker, broker_port, version) = start_broker(dir.path(), "");
    let sim_port = fieldbridge_tests::free_port();
    let mut command = Command::new(&args.load.bridge);
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
        env.args.nominal_secs + env.args.load.warmup_secs
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
    for round in 1..=env.args.load.rounds {
        eprintln!(
            "round {round}: bridge saturation, {} s",
            env.args.load.secs + env.args.load.warmup_secs
        );
        let mut saturation = bridge_phase(
            &env,
            "bridge, saturation",
            Load {
                sources: env.args.load.sources,
                points: env.args.load.points,
                poll_ms: env.args.load.poll_ms,
            },
            env.args.load.secs,
            payloads.is_empty(),
            if round == 1 {
                env.args.load.perf.as_deref()
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

    report::print(&env, &version, &payloads, &nominal, &rounds);
    env.rec.stopping.store(true, Ordering::Relaxed);
    drop(sim);
    drop(broker);
}
