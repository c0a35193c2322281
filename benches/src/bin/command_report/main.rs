//! Command round trip of the bridge (`docs/commands.md`): a command published on
//! `fieldbridge/bench/plc/setpoint/set` until its result arrives on `.../set/result`, compared
//! in the same run with a floor made of peers nobody here wrote.
//!
//! Run: `cargo build --release -p fieldbridge && cargo run --release -p fieldbridge-bench --bin
//! command_report [-- OPTIONS]` (`--help` lists them). About two minutes with the defaults.
//!
//! Peers, one of each for the whole run, all on 127.0.0.1:
//!
//! - mosquitto, started by the test harness (`fieldbridge_tests::Mosquitto::start_with`, the
//!   harness's configuration plus `set_tcp_nodelay true`; `--nagle`: `Mosquitto::start()`);
//! - the pymodbus server of the tests (`tests/peers/modbus_server.py tcp PORT --profile map`,
//!   `fieldbridge_tests::PyModbusServer`). The point commanded is `holding:32`, an `f32` in
//!   `cdab` word order (`tests/peers/modbus_map.json`): every command is one FC16 write of two
//!   registers and, for the read-back, one FC3 read of them.
//!
//! Each round (`--rounds`, default 2) runs, one after the other:
//!
//! - **(a) bridge**, once per poll interval (`--polls`, default 1000 and 50 ms): the release
//!   binary `fieldbridge run --config FILE` as a child process, with one Modbus TCP source
//!   polling the writable point at that interval, so polls and writes share the connection as
//!   in real use (at 50 ms a write often waits for the poll in flight). A rumqttc client in this
//!   process, subscribed to the result topic before anything is sent, publishes `--commands`
//!   commands (default 500) at QoS 1, one at a time, each with a fresh id and the other of two
//!   values (so every write changes the registers), and waits for the result with its id. Timed:
//!   from just before the publish to the arrival of the result in the client's event loop.
//! - **(b) floor**, the same work done by peers, one iteration of each per command:
//!   - **b-modbus**: a bare tokio-modbus client on one connection to the same pymodbus server:
//!     FC16 write of the same two registers with the same raw words, then FC3 read of them,
//!     checked equal;
//!   - **b-mqtt**: an MQTT echo through the same broker: client A publishes a payload of the
//!     command's size at QoS 1, client B (standing where the bridge stands) receives it and
//!     answers at once, QoS 1, with a payload of the result's size on `.../result`, which A
//!     receives. The bridge's round trip crosses the broker twice (command, result); so does
//!     the echo.
//!
//! The ratio (a) / (b-modbus + b-mqtt) at p50 and at p99 is what the bridge adds over the
//! unavoidable work of its peers: 1.0 would be a bridge that costs nothing.
//!
//! **Nagle's algorithm.** The peers run with `TCP_NODELAY` (mosquitto `set_tcp_nodelay true`, the
//! rumqttc clients of this process `set_tcp_nodelay(true)`), so the floor is what they can do.
//! With their defaults (`--nagle`), a small packet written while the previous one on the same
//! socket is unacknowledged waits for the peer's delayed ACK, about 40 ms on Linux: the echo then
//! takes about 87 ms instead of 0.3, and that wait would be counted as the floor. The bridge's
//! own MQTT socket is measured as it ships.

#![forbid(unsafe_code)]

mod bridge;
mod floor;
mod mqtt;
mod process;
mod report;

use std::path::PathBuf;
use std::time::Duration;

use fieldbridge_bench::process::default_bridge;
use fieldbridge_tests::{ModbusProfile, Mosquitto, PyModbusServer};
use rumqttc::AsyncClient;
use tokio::sync::mpsc;

use crate::bridge::{bridge_series, BridgeSeries};
use crate::floor::{floor_series, FloorSeries};
use crate::mqtt::{command_id, command_payload, mqtt_client, Rx};

const PREFIX: &str = "fieldbridge";
/// The echo's topic prefix: as long as [`PREFIX`], so the echo's topics and packets have the
/// bridge's sizes.
const ECHO_PREFIX: &str = "fieldechoes";
const SITE: &str = "bench";
const DEVICE: &str = "plc";
const POINT: &str = "setpoint";
/// `holding:32` of the pymodbus map: an `f32` in `cdab` word order.
const REGISTER: u16 = 32;
const UNIT: u8 = 1;
/// Exact in `f32` (so the read-back compares equal) and printed with the same length (so every
/// command payload has the same size); alternated, so every write changes the registers.
const VALUES: [f32; 2] = [1234.5, -98.25];
/// Unmeasured commands (and floor iterations) before each measured series.
const WARMUP: usize = 10;
/// The result size used for the echo until a bridge result has been seen.
const DEFAULT_RESULT_LEN: usize = 260;

#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) bridge: PathBuf,
    pub(crate) commands: usize,
    pub(crate) rounds: usize,
    pub(crate) polls_ms: Vec<u64>,
    pub(crate) timeout: Duration,
    /// Leave Nagle's algorithm on in the peers (mosquitto's and rumqttc's default).
    pub(crate) nagle: bool,
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("command_report: {problem}");
    }
    eprintln!(
        "usage: command_report [--bridge PATH] [--commands N] [--rounds N] [--polls MS,MS,...]\n\
         \x20                     [--timeout-secs S] [--nagle]\n\
         defaults: --bridge $CARGO_TARGET_DIR/release/fieldbridge (else target/release/fieldbridge),\n\
         500 commands per series, 2 rounds, polls 1000,50 ms, 15 s to wait for one result\n\
         (the bridge's own commands.timeout is 10 s). The peers run with TCP_NODELAY (mosquitto\n\
         `set_tcp_nodelay true`, rumqttc `set_tcp_nodelay(true)` in this process); --nagle leaves\n\
         Nagle's algorithm on in them (both programs' default, and the harness's plain broker)."
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        bridge: default_bridge(),
        commands: 500,
        rounds: 2,
        polls_ms: vec![1000, 50],
        timeout: Duration::from_secs(15),
        nagle: false,
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
            "--commands" => a.commands = value().parse().unwrap_or_else(|_| bad("--commands")),
            "--rounds" => a.rounds = value().parse().unwrap_or_else(|_| bad("--rounds")),
            "--polls" => {
                a.polls_ms = value()
                    .split(',')
                    .map(|p| p.trim().parse().unwrap_or_else(|_| bad("--polls")))
                    .collect();
            }
            "--timeout-secs" => {
                a.timeout =
                    Duration::from_secs(value().parse().unwrap_or_else(|_| bad("--timeout-secs")));
            }
            "--nagle" => a.nagle = true,
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if a.commands == 0
        || a.commands > 999_999
        || a.rounds == 0
        || a.rounds > 99
        || a.polls_ms.is_empty()
        || a.polls_ms.iter().any(|&p| p == 0 || p > 99_999)
        || a.timeout.is_zero()
    {
        usage(
            "--commands 1..=999999, --rounds 1..=99, --polls 1..=99999 ms each, --timeout-secs > 0",
        );
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
// Phases

/// The peers and clients shared by every phase.
pub(crate) struct Env {
    pub(crate) args: Args,
    pub(crate) broker_port: u16,
    pub(crate) modbus_port: u16,
    /// The client commanding the bridge, subscribed to the result topic from the start.
    pub(crate) commander: AsyncClient,
    pub(crate) results: mpsc::UnboundedReceiver<Rx>,
    /// Writes so far (by the bridge or the floor), to alternate the values across phases.
    pub(crate) writes: usize,
    pub(crate) dir: tempfile::TempDir,
    /// The size of the bridge's results (the first seen), for the echo.
    pub(crate) result_len: Option<usize>,
    pub(crate) command_len: usize,
}

impl Env {
    pub(crate) fn next_value(&self) -> f32 {
        VALUES[self.writes % 2]
    }
}

/// Reports a problem that stops the run; the exit code. The peers stop as `run` returns.
fn stop(problem: &str) -> i32 {
    eprintln!("command_report: {problem}");
    1
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(run(args));
    std::process::exit(code);
}

async fn run(args: Args) -> i32 {
    let load_before = report::loadavg();
    // `set_tcp_nodelay true`: without it mosquitto holds a small packet written while its
    // previous one is unacknowledged until the peer's delayed ACK (about 40 ms on Linux).
    let broker = if args.nagle {
        Mosquitto::start()
    } else {
        Mosquitto::start_with("set_tcp_nodelay true")
    };
    let modbus = PyModbusServer::start_tcp(fieldbridge_tests::free_port(), ModbusProfile::Map);
    let modbus_port = modbus.port().expect("a TCP server");
    let (commander, results) = mqtt_client(
        "cmd-bench",
        broker.port(),
        &format!("{PREFIX}/{SITE}/{DEVICE}/{POINT}/set/result"),
        None,
        !args.nagle,
    )
    .await;
    let mut env = Env {
        broker_port: broker.port(),
        modbus_port,
        commander,
        results,
        writes: 0,
        dir: tempfile::Builder::new()
            .prefix("fb-cmd-")
            .tempdir()
            .expect("temporary folder"),
        result_len: None,
        command_len: command_payload(&command_id("cmd", 0, 0, 0), VALUES[0]).len(),
        args,
    };

    let mut bridge: Vec<BridgeSeries> = Vec::new();
    let mut floor: Vec<FloorSeries> = Vec::new();
    for round in 1..=env.args.rounds {
        for poll_ms in env.args.polls_ms.clone() {
            eprintln!(
                "round {round}: bridge, poll {poll_ms} ms, {} commands",
                env.args.commands
            );
            match bridge_series(&mut env, round, poll_ms).await {
                Ok(s) => bridge.push(s),
                Err(e) => return stop(&e),
            }
        }
        eprintln!("round {round}: floor, {} iterations", env.args.commands);
        match floor_series(&mut env, round).await {
            Ok(s) => floor.push(s),
            Err(e) => return stop(&e),
        }
    }
    let (report, failed) = report::render(&env, &bridge, &floor, &load_before);
    println!("{report}");
    drop(env);
    drop(modbus);
    drop(broker);
    i32::from(failed)
}
