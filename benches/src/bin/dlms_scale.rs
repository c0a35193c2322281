//! Scale benchmark of the DLMS/COSEM client source (issue 18's acceptance, design brief §6
//! "Footprint"): one bridge process (`fieldbridge run`, the release build) reading 1,000
//! simulated meters, each polled every minute for both energy registers, the clock and, unless
//! `--no-profile`, the load profile 1.0.99.1.0.255 (96 new entries every poll). It prints the
//! bridge's resident memory (peak and steady, and per meter), its CPU, the samples per second
//! arriving at an MQTT subscriber, failed polls and meters that never came online; and, as the
//! peer measured in the same run, a Gurux client (gurux-dlms) reading some of the same meters
//! on the same schedule: CPU per meter read and per 1,000 samples, bridge against Gurux.
//!
//! Run: `cargo build --release -p fieldbridge && cargo run --release -p fieldbridge-bench --bin
//! dlms_scale [-- OPTIONS]` (`--help` lists them); about three minutes with the defaults.
//!
//! - **Meters**: `fieldbridge simulate dlms` processes (`dlms_scale/meters.rs`), one for every
//!   `--per-sim` meters (default 100), each one simulated meter shared by its connections, each
//!   connection its own association. No authentication and no ciphering: the simulator keeps
//!   one replay guard (the last frame counter accepted) per client SAP for the whole process,
//!   so a hundred ciphered associations sharing SAP 16 would refuse each other's counters.
//! - **Profiles**: a 15-minute capture period run at `--speed 1440` (a simulated day per real
//!   minute), so every 60-second poll finds 96 new entries, a day's profile, as a daily
//!   read-out of a real meter would; `--history 96` gives the first read a day's profile too.
//!   The meters' clocks therefore run ahead of the host's, by a day a minute.
//! - **Bridge**: `[[source]]` `meter0000` ... (`protocol = "dlms"`, the wrapper, or HDLC over TCP
//!   with `--hdlc`), default outbox, metrics endpoint on, log level `warn`
//!   (`dlms_scale/config.rs`). Each poll of a source is one cycle: connect, associate, read
//!   every point (a register's scaler_unit, then its value), release, close. `fieldbridge check` runs first: a source that cannot read the
//!   profile yet is refused there, and the bench says to run with `--no-profile`.
//! - **Broker**: mosquitto with its own configuration (`fieldbridge_bench::process`).
//! - **Subscriber**: rumqttc, QoS 1 to `fieldbridge/#`, counting samples by device and kind.
//! - **Peer**: `dlms_scale/peer.py` on the peers' python (`$FIELDBRIDGE_PYTHON`, else
//!   `.venv/bin/python`), `--peer-meters` meters (default 20) spread over the same
//!   simulators, read in the same cycle, started with the bridge. Its CPU time comes from its
//!   own `time.process_time()` (nanoseconds; /proc counts in ticks of 10 ms).
//!
//! The window is a whole number of polls (default two), after every meter came online, read
//! once and the broker went quiet, plus a warm-up: every source polls exactly as often in it,
//! whatever its phase. Memory: VmRSS every 100 ms from the bridge's start ("steady" is the mean
//! over the window) and the kernel's VmHWM. CPU: user + system time over the window, of the
//! bridge, the simulators, mosquitto, the peer, this process and every other process on the
//! machine (what else was running).

#![forbid(unsafe_code)]

#[path = "dlms_scale/config.rs"]
mod config;
#[path = "dlms_scale/measure.rs"]
mod measure;
#[path = "dlms_scale/meters.rs"]
mod meters;
#[path = "dlms_scale/peer.rs"]
mod peer;
#[path = "dlms_scale/report.rs"]
mod report;
#[path = "dlms_scale/subscriber.rs"]
mod subscriber;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldbridge_bench::process::{default_bridge, start_broker, Proc};
use fieldbridge_bench::procfs::{clock_ticks, cpu_secs, machine_busy_secs, status};

use crate::config::SourceSettings;
use crate::measure::{all_processes, others, Counters};
use crate::meters::{SimSettings, Simulators};
use crate::peer::Peer;
use crate::report::{Cpu, Outcome, PeerFigures};
use crate::subscriber::{wait_quiet, Kind, Rx};
use fieldbridge_bench::scrape::RssSampler;

#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) bridge: PathBuf,
    pub(crate) meters: usize,
    pub(crate) per_sim: usize,
    pub(crate) poll: u64,
    pub(crate) period: u64,
    pub(crate) entries: u64,
    pub(crate) secs: u64,
    pub(crate) warmup_secs: u64,
    pub(crate) online_secs: u64,
    pub(crate) peer_meters: usize,
    pub(crate) python: PathBuf,
    pub(crate) profile: bool,
    pub(crate) hdlc: bool,
    pub(crate) sync: String,
    pub(crate) log: String,
    pub(crate) keep: bool,
}

impl Args {
    /// Simulated seconds per real second: `entries` capture periods every poll.
    pub(crate) fn speed(&self) -> u64 {
        self.entries * self.period / self.poll
    }

    /// Simulator processes.
    pub(crate) fn sims(&self) -> usize {
        self.meters.div_ceil(self.per_sim)
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("dlms_scale: {problem}");
    }
    eprintln!(
        "usage: dlms_scale [--bridge PATH] [--meters N] [--per-sim N] [--poll S] [--period S]\n\
         \x20                 [--entries N] [--secs S] [--warmup-secs S] [--online-secs S]\n\
         \x20                 [--peer-meters M] [--python PATH] [--no-profile] [--hdlc]\n\
         \x20                 [--sync POLICY] [--log LEVEL] [--keep]\n\
         defaults: --bridge $CARGO_TARGET_DIR/release/fieldbridge (else target/release/fieldbridge),\n\
         1000 meters, one simulator process per 100 (--per-sim), each source polling both energy\n\
         registers, the clock and the load profile (class 7; --no-profile leaves it out) every\n\
         --poll 60 s. The profile's capture period is --period 900 s and the simulators run at\n\
         --entries x period / poll simulated seconds per second (96 x 900 / 60 = 1440), so every\n\
         poll finds --entries 96 new entries. The window (--secs, default two polls; a whole\n\
         number of polls) starts once every meter is online (at most --online-secs 120) and was\n\
         read once, after --warmup-secs 5. The Gurux peer reads --peer-meters 20 of the same\n\
         meters (0: no peer) with --python (default $FIELDBRIDGE_PYTHON, else .venv/bin/python).\n\
         --hdlc: HDLC over TCP instead of the wrapper. --sync: the outbox's sync policy (default\n\
         \"200ms\"). --log: the bridge's RUST_LOG (default warn). --keep keeps the temporary\n\
         folder (configuration, logs)."
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        bridge: default_bridge(),
        meters: 1000,
        per_sim: 100,
        poll: 60,
        period: 900,
        entries: 96,
        secs: 0,
        warmup_secs: 5,
        online_secs: 120,
        peer_meters: 20,
        python: fieldbridge_tests::python(),
        profile: true,
        hdlc: false,
        sync: "200ms".to_owned(),
        log: "warn".to_owned(),
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        fn num<T: std::str::FromStr>(flag: &str, v: String) -> T {
            v.parse()
                .unwrap_or_else(|_| usage(&format!("bad value for {flag}")))
        }
        match flag.as_str() {
            "--bridge" => a.bridge = PathBuf::from(value()),
            "--meters" => a.meters = num(&flag, value()),
            "--per-sim" => a.per_sim = num(&flag, value()),
            "--poll" => a.poll = num(&flag, value()),
            "--period" => a.period = num(&flag, value()),
            "--entries" => a.entries = num(&flag, value()),
            "--secs" => a.secs = num(&flag, value()),
            "--warmup-secs" => a.warmup_secs = num(&flag, value()),
            "--online-secs" => a.online_secs = num(&flag, value()),
            "--peer-meters" => a.peer_meters = num(&flag, value()),
            "--python" => a.python = PathBuf::from(value()),
            "--no-profile" => a.profile = false,
            "--hdlc" => a.hdlc = true,
            "--sync" => a.sync = value(),
            "--log" => a.log = value(),
            "--keep" => a.keep = true,
            "--help" | "-h" => usage(""),
            other => usage(&format!("unknown option {other}")),
        }
    }
    if a.meters == 0 || a.meters > 9999 || a.per_sim == 0 || a.poll == 0 || a.period == 0 {
        usage("--meters must be 1 to 9999; --per-sim, --poll and --period above 0");
    }
    if a.entries == 0 || !(a.entries * a.period).is_multiple_of(a.poll) {
        usage("--entries x --period must be a positive multiple of --poll (the simulators' speed)");
    }
    if a.secs == 0 {
        a.secs = 2 * a.poll;
    } else if !a.secs.is_multiple_of(a.poll) {
        eprintln!(
            "dlms_scale: --secs {} is not a whole number of polls; sources whose poll falls in \
             the remainder count once more than the others",
            a.secs
        );
    }
    a
}

/// µs since `base`.
fn us(base: Instant) -> u64 {
    u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// The bridge is gone (exited, or a zombie without memory).
fn gone(pid: u32) -> bool {
    status(pid, "VmRSS").is_none()
}

fn bridge_log_tail(dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(dir.join("bridge.log")).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}

/// Waits until `done` holds, checking every 100 ms, for at most `limit`; false on time out or
/// when the bridge exits.
async fn wait_for(pid: u32, limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if Instant::now() >= deadline || gone(pid) {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    true
}

async fn run(args: &Args, dir: &std::path::Path) -> Option<Outcome> {
    let ticks = clock_ticks();
    let (broker, broker_port, version) = start_broker(dir, "");
    let base = Instant::now();
    let stopping = Arc::new(AtomicBool::new(false));
    let rec = subscriber::start(broker_port, base, stopping.clone());

    let sims = Simulators::start(
        &args.bridge,
        dir,
        args.sims(),
        &SimSettings {
            hdlc: args.hdlc,
            period_secs: args.period,
            speed: args.speed(),
            history: u32::try_from(args.entries).unwrap_or(u32::MAX),
        },
    );
    let metrics_port = fieldbridge_tests::free_port();
    let settings = SourceSettings {
        meters: args.meters,
        per_sim: args.per_sim,
        poll_secs: args.poll,
        hdlc: args.hdlc,
        profile: args.profile,
        sync: args.sync.clone(),
    };
    let config = config::write(dir, broker_port, metrics_port, &sims, &settings);
    if let Err(refused) = config::check(&args.bridge, &config) {
        eprintln!("fieldbridge check refused the configuration:\n{refused}");
        if args.profile {
            eprintln!(
                "\nThe dlms source does not read the load profile (class 7) yet: run again with \
                 --no-profile (registers and clock only)."
            );
        }
        stopping.store(true, Ordering::Relaxed);
        return None;
    }

    // The peer's meters: spread over the simulators, as the bridge's are.
    let peer_addrs: Vec<_> = (0..args.peer_meters)
        .map(|j| sims.addrs[j % sims.addrs.len()])
        .collect();
    let python_ok = args.peer_meters > 0 && peer::available(&args.python);
    if args.peer_meters > 0 && !python_ok {
        eprintln!(
            "no Gurux peer: {} does not import gurux_dlms (scripts/install-peers, or --python)",
            args.python.display()
        );
    }

    let mut command = Command::new(&args.bridge);
    command
        .args(["run", "--config"])
        .arg(&config)
        .env("RUST_LOG", &args.log);
    let started = Instant::now();
    let mut bridge = Proc::spawn("bridge", command, &dir.join("bridge.log"));
    let pid = bridge.pid();
    let rss = RssSampler::start(pid, base);
    let peer = python_ok.then(|| {
        Peer::start(
            &args.python,
            &peer_addrs,
            args.poll,
            args.hdlc,
            args.profile,
            &dir.join("peer.log"),
            base,
        )
    });

    // Online: every source's $state said so.
    let online = |rec: &subscriber::Recorded| rec.online.lock().map_or(0, |o| o.len());
    let all_online = wait_for(pid, Duration::from_secs(args.online_secs), || {
        online(&rec) >= args.meters
    })
    .await;
    if gone(pid) {
        eprintln!("the bridge exited:\n{}", bridge_log_tail(dir));
        stopping.store(true, Ordering::Relaxed);
        return None;
    }
    let online_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} of {} meters online after {online_secs:.1} s",
        online(&rec),
        args.meters
    );
    if !all_online {
        eprintln!("not every meter came online within --online-secs; measuring the others");
    }
    // Read once: a clock sample from every meter online, then the broker quiet.
    let online_set: HashSet<u32> = rec
        .online
        .lock()
        .map(|o| o.keys().copied().collect())
        .unwrap_or_default();
    let read_once = || {
        rec.samples.lock().map_or(0, |s| {
            s.iter()
                .filter(|r| r.kind == Kind::Clock)
                .map(|r| r.device)
                .collect::<HashSet<_>>()
                .len()
        }) >= online_set.len()
    };
    wait_for(pid, Duration::from_secs(args.poll), read_once).await;
    wait_quiet(
        &rec,
        Duration::from_secs(1),
        Duration::from_secs(args.poll / 2),
    )
    .await;
    eprintln!(
        "first reads done {:.1} s after the start; warm-up {} s, window {} s",
        started.elapsed().as_secs_f64(),
        args.warmup_secs,
        args.secs
    );
    tokio::time::sleep(Duration::from_secs(args.warmup_secs)).await;

    let sim_pids = sims.pids();
    let peer_pid = peer.as_ref().map(Peer::pid);
    let snapshot = || {
        let sims: Vec<f64> = sim_pids.iter().map(|p| cpu_secs(*p, ticks)).collect();
        Cpu {
            bridge: cpu_secs(pid, ticks),
            sims: sims.iter().sum(),
            sim_max: sims.iter().copied().fold(0.0, f64::max),
            broker: cpu_secs(broker.pid(), ticks),
            peer: peer_pid.map_or(0.0, |p| cpu_secs(p, ticks)),
            bench: cpu_secs(std::process::id(), ticks),
            machine: machine_busy_secs(ticks),
        }
    };
    // Read just outside the window: encoding the metrics of every source takes the bridge a
    // moment, which must not land in it.
    let counters0 = Counters::read(metrics_port);
    let procs0 = all_processes();
    let from = us(base);
    let cpu0 = snapshot();
    tokio::time::sleep(Duration::from_secs(args.secs)).await;
    let cpu1 = snapshot();
    let to = us(base);
    let procs1 = all_processes();
    let counters1 = Counters::read(metrics_port);
    let window = (to - from) as f64 / 1e6;
    let (anon, file, threads, hwm) = (
        status(pid, "RssAnon").unwrap_or(0),
        status(pid, "RssFile").unwrap_or(0),
        status(pid, "Threads").unwrap_or(0),
        status(pid, "VmHWM").unwrap_or(0),
    );
    let mut ours = vec![pid, broker.pid(), std::process::id()];
    ours.extend(&sim_pids);
    ours.extend(peer_pid);
    let other_procs = others(&procs0, &procs1, &ours, ticks, window);
    let peer_reads = peer
        .as_ref()
        .map(|p| p.reads_between(from, to))
        .unwrap_or_default();
    let peer_cpu = peer.as_ref().and_then(|p| p.cpu_between(from, to));
    let peer_error = peer
        .as_ref()
        .and_then(|p| p.first_error.lock().ok().and_then(|e| e.clone()));
    drop(peer);
    let offline = rec.offline.load(Ordering::Relaxed);
    bridge.terminate(Duration::from_secs(15));
    let rss_samples = rss.finish();
    drop(sims);
    stopping.store(true, Ordering::Relaxed);
    drop(broker);

    let samples: Vec<Rx> = std::mem::take(&mut *rec.samples.lock().expect("samples lock"));
    let online_map = rec.online.lock().map(|o| o.clone()).unwrap_or_default();
    let steady: Vec<u64> = rss_samples
        .iter()
        .filter(|(at, _)| *at >= from && *at < to)
        .map(|(_, kb)| *kb)
        .collect();
    let in_window: Vec<&Rx> = samples
        .iter()
        .filter(|r| r.at_us >= from && r.at_us < to)
        .collect();
    let count = |k: Kind| in_window.iter().filter(|r| r.kind == k).count() as u64;
    let read_devices: HashSet<u32> = samples.iter().map(|r| r.device).collect();
    let never_online = (0..args.meters)
        .filter(|i| !online_map.contains_key(&u32::try_from(*i).unwrap_or(u32::MAX)))
        .count();
    let never_read = (0..args.meters)
        .filter(|i| !read_devices.contains(&u32::try_from(*i).unwrap_or(u32::MAX)))
        .count();
    Some(Outcome {
        version,
        speed: args.speed(),
        window,
        online_secs,
        all_online,
        never_online,
        never_read,
        offline_states: offline,
        registers: count(Kind::Register),
        clocks: count(Kind::Clock),
        offsets: count(Kind::Offset),
        profile: count(Kind::Profile),
        bad: in_window.iter().filter(|r| r.bad).count() as u64,
        counters: counters0
            .zip(counters1)
            .map(|(a, b)| b.since(&a))
            .unwrap_or_default(),
        counters_total: counters1.unwrap_or_default(),
        rss_steady_kib: steady.iter().sum::<u64>() as f64 / steady.len().max(1) as f64,
        rss_peak_kib: rss_samples.iter().map(|(_, kb)| *kb).max().unwrap_or(0) as f64,
        hwm_kib: hwm as f64,
        anon_kib: anon as f64,
        file_kib: file as f64,
        threads,
        cpu: cpu1.minus(&cpu0),
        others: other_procs,
        peer: python_ok.then(|| PeerFigures {
            meters: args.peer_meters,
            reads: peer_reads.iter().filter(|r| r.ok).count() as u64,
            failed: peer_reads.iter().filter(|r| !r.ok).count() as u64,
            samples: peer_reads.iter().map(|r| r.samples).sum(),
            rows: peer_reads.iter().map(|r| r.rows).sum(),
            requests: peer_reads.iter().filter(|r| r.ok).map(|r| r.requests).sum(),
            cpu: peer_cpu,
            first_error: peer_error,
        }),
    })
}

fn main() {
    let args = parse_args();
    assert!(
        args.bridge.is_file(),
        "no bridge at {} (cargo build --release -p fieldbridge, or --bridge PATH)",
        args.bridge.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::Builder::new()
        .prefix("fb-dlms-scale-")
        .tempdir()
        .expect("temporary folder");
    eprintln!(
        "{} meters on {} simulators, poll {} s, {}; window {} s",
        args.meters,
        args.sims(),
        args.poll,
        if args.profile {
            "registers, clock and load profile"
        } else {
            "registers and clock (--no-profile)"
        },
        args.secs
    );
    let outcome = runtime.block_on(run(&args, dir.path()));
    if args.keep {
        eprintln!("kept {}", dir.keep().display());
    } else {
        drop(dir);
    }
    match outcome {
        Some(o) => report::print(&args, &o),
        None => std::process::exit(1),
    }
}
