//! Scale benchmark of the IEC 104 master (issue 16, design brief §6 "Footprint" and "Latency"):
//! one bridge process (`fieldbridge run`, the release build) with 1,000 IEC 104 sources, each
//! its own TCP link to an outstation on loopback making 10 spontaneous changes per second; then
//! the same with one link. For each it prints the bridge's resident memory (peak and steady),
//! its CPU, the samples per second arriving at an MQTT subscriber, the field-to-broker latency
//! (at the broker's socket, from a capture: `iec104_scale/capture.rs`) and the field-to-subscriber
//! latency (p50, p99, max), and how many changes were lost.
//!
//! Run: `cargo build --release -p fieldbridge && cargo run --release -p fieldbridge-bench --bin
//! iec104_scale [-- OPTIONS]` (`--help` lists them); about a minute with the defaults, 30 s
//! more for each attempt whose delivery stalls.
//!
//! - **Outstations**: in this process, on the codec's own link layer in the controlled role
//!   (`iec104_scale/outstation.rs`), one listener per link, so the bench knows which link each
//!   sample comes from and when exactly its frame was written: a change's send time is taken
//!   just before the write, on the same monotonic clock as the subscriber's receive time.
//! - **Bridge**: `[[source]]` `rtu0000` ... with `protocol = "iec104"`, the standard's link
//!   parameters and one configured point each; default outbox (on disk, sync every 200 ms);
//!   metrics endpoint on, log level `warn`.
//! - **Broker**: mosquitto with its own configuration (`max_queued_messages 0`, unbounded;
//!   `max_inflight_messages 256`, the bridge's window; errors and warnings logged only).
//! - **Subscriber**: rumqttc, QoS 1 to `fieldbridge/#`, `TCP_NODELAY`, on a thread and runtime
//!   of its own.
//!
//! Memory: VmRSS of the bridge every 100 ms from its start, the peak of those and the kernel's
//! VmHWM; "steady" is the mean VmRSS over the measuring window (after all links started and the
//! warm-up). CPU: user + system time of the bridge over the window, as % of one core.
//! Latency: every spontaneous sample received in the window, subscriber receive time − the
//! outstation's send time of that change. Lost: after the window the outstations stop and the
//! subscriber waits until nothing arrives for 2 s; every change sent whose count never arrived.

#![forbid(unsafe_code)]

#[path = "iec104_scale/capture.rs"]
mod capture;
#[path = "iec104_scale/measure.rs"]
mod measure;
#[path = "iec104_scale/outstation.rs"]
mod outstation;
#[path = "iec104_scale/subscriber.rs"]
mod subscriber;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldbridge_bench::process::{default_bridge, start_broker, Proc};
use fieldbridge_bench::procfs::{clock_ticks, cpu_secs, machine_busy_secs, status};
use fieldbridge_bench::report::thousands;

use crate::measure::{episodes, percentiles, Episode};
use crate::outstation::{Outstations, IOA};
use crate::subscriber::{wait_quiet, Recorded, Rx};
use fieldbridge_bench::scrape::{http_get, metric_sum, RssSampler};

const SITE: &str = "bench";
/// The bridge's histogram of append → broker PUBACK, in whole milliseconds.
const ACK_BUCKET: &str = "fieldbridge_publish_latency_seconds_bucket";
const ACK_COUNT: &str = "fieldbridge_publish_latency_seconds_count";
/// Samples slower than this (the p99 target) are grouped into episodes for the report.
const SLOW_US: u64 = 5_000;
/// Slow samples sent closer than this belong to the same episode.
const EPISODE_GAP_US: u64 = 20_000;

#[derive(Debug)]
struct Args {
    bridge: PathBuf,
    links: usize,
    rate: u32,
    warmup_secs: u64,
    secs: u64,
    single_secs: u64,
    log: String,
    keep: bool,
    attempts: usize,
    broker_nodelay: bool,
    sync: String,
    capture: bool,
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("iec104_scale: {problem}");
    }
    eprintln!(
        "usage: iec104_scale [--bridge PATH] [--links N] [--rate N] [--warmup-secs S] [--secs S]\n\
         \x20                   [--single-secs S] [--attempts N] [--log LEVEL] [--keep]\n\
         \x20                   [--broker-nodelay] [--sync always|never|DURATION] [--no-broker-capture]\n\
         defaults: --bridge $CARGO_TARGET_DIR/release/fieldbridge (else target/release/fieldbridge),\n\
         1000 links x 10 changes/s, 20 s window after all links started and 5 s of warm-up,\n\
         run again (up to --attempts 3 in all) when the bridge's delivery stalls; then one link\n\
         for a 15 s window (--single-secs 0 skips it). --log sets the bridge's\n\
         RUST_LOG (default warn); --keep keeps the temporary folder (logs, configurations);\n\
         --broker-nodelay runs mosquitto with `set_tcp_nodelay true` (its PUBACKs to the bridge\n\
         then leave at once instead of behind a delayed ACK); --sync sets the outbox's sync\n\
         policy (default \"200ms\", the bridge's default). The broker's port is recorded with\n\
         dumpcap during the window for the field → broker latency (tshark's MQTT dissector\n\
         names the PUBLISHes; needs both tools and root); --no-broker-capture skips it."
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        bridge: default_bridge(),
        links: 1000,
        rate: 10,
        warmup_secs: 5,
        secs: 20,
        single_secs: 15,
        log: "warn".to_owned(),
        keep: false,
        attempts: 3,
        broker_nodelay: false,
        sync: "200ms".to_owned(),
        capture: true,
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
            "--links" => a.links = value().parse().unwrap_or_else(|_| bad("--links")),
            "--rate" => a.rate = value().parse().unwrap_or_else(|_| bad("--rate")),
            "--warmup-secs" => {
                a.warmup_secs = value().parse().unwrap_or_else(|_| bad("--warmup-secs"));
            }
            "--secs" => a.secs = value().parse().unwrap_or_else(|_| bad("--secs")),
            "--single-secs" => {
                a.single_secs = value().parse().unwrap_or_else(|_| bad("--single-secs"));
            }
            "--log" => a.log = value(),
            "--keep" => a.keep = true,
            "--broker-nodelay" => a.broker_nodelay = true,
            "--sync" => a.sync = value(),
            "--no-broker-capture" => a.capture = false,
            "--attempts" => a.attempts = value().parse().unwrap_or_else(|_| bad("--attempts")),
            "--help" | "-h" => usage(""),
            other => usage(&format!("unknown option {other}")),
        }
    }
    if a.links == 0 || a.links > 9999 || a.rate == 0 || a.secs == 0 {
        usage("--links must be 1 to 9999, --rate and --secs above 0");
    }
    a
}

/// The bridge's configuration: one `iec104` source per outstation port.
fn write_config(
    dir: &Path,
    broker_port: u16,
    metrics_port: u16,
    ports: &[u16],
    sync: &str,
) -> PathBuf {
    let mut c = format!(
        "[bridge]\nid = \"scale\"\nsite = \"{SITE}\"\ndata_dir = \"{}\"\n\n\
         [mqtt]\nurl = \"mqtt://127.0.0.1:{broker_port}\"\nprefix = \"fieldbridge\"\n\n\
         [outbox]\nsync = \"{sync}\"\n\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n",
        dir.join("var").display()
    );
    for (i, port) in ports.iter().enumerate() {
        let _ = write!(
            c,
            "[[source]]\nname = \"rtu{i:04}\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:{port}\"\n\
             \x20 [[source.point]]\n  name = \"v\"\n  ioa = {IOA}\n  unit = \"kV\"\n\n"
        );
    }
    let path = dir.join("bridge.toml");
    std::fs::write(&path, c).expect("write bridge.toml");
    path
}

/// The figures of one phase.
#[derive(Debug, Default)]
struct PhaseResult {
    links: usize,
    rate: u32,
    secs: f64,
    connect_secs: f64,
    received_per_sec: f64,
    latency_ms: Option<(f64, f64, f64)>,
    latency_samples: usize,
    /// Field → broker (the capture time of the segment completing the PUBLISH on the broker's
    /// port), unless `--no-broker-capture`: p50, p99, max in ms, and how many samples.
    broker_ms: Option<(f64, f64, f64)>,
    broker_samples: usize,
    /// The runs of samples slower than [`SLOW_US`], by send time from the window's start.
    episodes: Vec<Episode>,
    /// Of the samples the broker acknowledged during the window, how many within 5 ms of their
    /// append, and how many in all (the bridge's `fieldbridge_publish_latency_seconds`); zero
    /// when its metrics did not answer.
    acked_within_5ms: (f64, f64),
    /// From the bridge's `received` to the subscriber (over-stated by up to 1 ms).
    delivery_ms: Option<(f64, f64, f64)>,
    /// From the outstation's send to the bridge's `received` (under-stated by up to 1 ms).
    read_ms: Option<(f64, f64, f64)>,
    samples_in: f64,
    samples_published: f64,
    /// Every message the subscriber received in the phase (samples, `$meta`, `$state`, ...).
    messages: u64,
    sent: u64,
    lost: u64,
    duplicates: u64,
    rss_steady_mib: f64,
    rss_peak_mib: f64,
    hwm_mib: f64,
    rss_anon_mib: f64,
    rss_file_mib: f64,
    threads: u64,
    cpu_bridge: f64,
    cpu_broker: f64,
    cpu_bench: f64,
    cpu_machine: f64,
    reconnects: f64,
    outstation_reconnects: usize,
    offline_states: u64,
    timeouts: f64,
}

struct Env {
    base: Instant,
    /// The wall clock at `base`, unix microseconds.
    base_unix_us: i64,
    dir: PathBuf,
    broker_port: u16,
    broker_pid: u32,
    bridge: PathBuf,
    rec: Arc<Recorded>,
    ticks: f64,
    log: String,
    sync: String,
    capture: bool,
}

impl PhaseResult {
    /// The bridge handed less than half of what it stored to MQTT.
    fn stalled(&self) -> bool {
        self.samples_published < self.samples_in / 2.0
    }
}

fn kib_to_mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

async fn phase(
    env: &Env,
    links: usize,
    rate: u32,
    warmup: u64,
    secs: u64,
    attempt: usize,
) -> PhaseResult {
    let us = |d: Instant| u64::try_from(d.duration_since(env.base).as_micros()).unwrap_or(0);
    let outstations = Outstations::start(links, rate, env.base)
        .await
        .expect("bind the outstations");
    // A folder (and so an outbox) of its own: a new attempt must not replay an old backlog.
    let dir = env.dir.join(format!("links-{links}-{attempt}"));
    std::fs::create_dir_all(&dir).expect("phase folder");
    let metrics_port = fieldbridge_tests::free_port();
    let config = write_config(
        &dir,
        env.broker_port,
        metrics_port,
        &outstations.ports,
        &env.sync,
    );
    drop(std::mem::take(
        &mut *env.rec.samples.lock().expect("samples lock"),
    ));
    let offline_before = env.rec.offline.load(Ordering::Relaxed);
    let others_before = env.rec.all.load(Ordering::Relaxed);

    let mut command = Command::new(&env.bridge);
    command
        .args(["run", "--config"])
        .arg(&config)
        .env("RUST_LOG", &env.log);
    let started_at = Instant::now();
    let mut bridge = Proc::spawn("bridge", command, &dir.join("bridge.log"));
    let pid = bridge.pid();
    let rss = RssSampler::start(pid, env.base);
    let shared = outstations.shared.clone();
    let deadline = Instant::now() + Duration::from_secs(120);
    while shared.started.load(Ordering::Relaxed) < links {
        assert!(
            Instant::now() < deadline,
            "only {} of {links} links started within 120 s (log: {})",
            shared.started.load(Ordering::Relaxed),
            dir.join("bridge.log").display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connect_secs = started_at.elapsed().as_secs_f64();
    eprintln!("{links} links started in {connect_secs:.1} s; warm-up {warmup} s, window {secs} s");
    tokio::time::sleep(Duration::from_secs(warmup)).await;

    let snapshot = || {
        (
            cpu_secs(pid, env.ticks),
            cpu_secs(env.broker_pid, env.ticks),
            cpu_secs(std::process::id(), env.ticks),
            machine_busy_secs(env.ticks),
        )
    };
    // Read just outside the window: encoding the metrics of every source takes the bridge a
    // moment, which must not land in it. An empty body (no answer) gives no figure.
    let acked_within = || {
        let body = http_get(metrics_port, "/metrics");
        (!body.is_empty()).then(|| {
            (
                metric_sum(&body, ACK_BUCKET, "le=\"0.005\""),
                metric_sum(&body, ACK_COUNT, ""),
            )
        })
    };
    let acks0 = acked_within();
    let mut capture = env
        .capture
        .then(|| capture::Capture::start(&dir, env.broker_port))
        .and_then(|c| c.map_err(|e| eprintln!("no broker capture: {e}")).ok());
    let from = Instant::now();
    let cpu0 = snapshot();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let cpu1 = snapshot();
    let to = Instant::now();
    if let Some(c) = capture.as_mut() {
        if let Err(e) = c.stop() {
            eprintln!("broker capture: {e}");
            capture = None;
        }
    }
    let acks1 = acked_within();
    let window = to.duration_since(from).as_secs_f64();
    let (anon, file, threads) = (
        status(pid, "RssAnon").unwrap_or(0),
        status(pid, "RssFile").unwrap_or(0),
        status(pid, "Threads").unwrap_or(0),
    );

    // Stop the changes, let everything sent arrive.
    shared.sending.store(false, Ordering::Relaxed);
    wait_quiet(&env.rec, Duration::from_secs(2), Duration::from_secs(60)).await;
    let body = http_get(metrics_port, "/metrics");
    let hwm = status(pid, "VmHWM").unwrap_or(0);
    let offline_states = env.rec.offline.load(Ordering::Relaxed) - offline_before;
    let messages = env.rec.all.load(Ordering::Relaxed) - others_before;
    let outstation_reconnects = shared
        .accepted
        .load(Ordering::Relaxed)
        .saturating_sub(links);
    bridge.terminate(Duration::from_secs(15));
    let rss_samples = rss.finish();
    drop(outstations);

    let samples: Vec<Rx> = std::mem::take(&mut *env.rec.samples.lock().expect("samples lock"));
    let (from_us, to_us) = (us(from), us(to));
    let sent_logs: Vec<Vec<u64>> = shared
        .sent
        .iter()
        .map(|l| l.lock().map(|v| v.clone()).unwrap_or_default())
        .collect();
    let mut to_broker = Vec::new();
    if let Some(c) = &capture {
        match c.decode() {
            Ok(seen) => {
                let mut first: HashSet<(u32, u64)> = HashSet::with_capacity(seen.len());
                for b in seen {
                    let at = b.unix_us - env.base_unix_us;
                    let in_window = at >= i64::try_from(from_us).unwrap_or(i64::MAX)
                        && at < i64::try_from(to_us).unwrap_or(i64::MAX);
                    if !in_window || !first.insert((b.link, b.count)) {
                        continue;
                    }
                    let sent = sent_logs
                        .get(b.link as usize)
                        .and_then(|l| l.get(usize::try_from(b.count).ok()?.checked_sub(1)?));
                    if let Some(&sent) = sent {
                        to_broker.push(
                            u64::try_from(at - i64::try_from(sent).unwrap_or(0)).unwrap_or(0),
                        );
                    }
                }
            }
            Err(e) => eprintln!("broker capture not decoded: {e}"),
        }
    }
    let mut latencies = Vec::new();
    let (mut delivery, mut read) = (Vec::new(), Vec::new());
    let mut slow = Vec::new();
    let mut in_window = 0usize;
    let mut seen: HashSet<(u32, u64)> = HashSet::with_capacity(samples.len());
    let mut duplicates = 0u64;
    for s in &samples {
        if !seen.insert((s.link, s.count)) {
            duplicates += 1;
            continue;
        }
        if s.at_us >= from_us && s.at_us < to_us {
            in_window += 1;
            let sent = sent_logs
                .get(s.link as usize)
                .and_then(|l| l.get(usize::try_from(s.count).ok()?.checked_sub(1)?));
            if let Some(&sent) = sent {
                let latency = s.at_us.saturating_sub(sent);
                latencies.push(latency);
                let mut read_part = 0;
                if let Some(received) = s.received_unix_us {
                    // The bridge's read time on the bench's clock.
                    let received = received - env.base_unix_us;
                    delivery.push(
                        u64::try_from(i64::try_from(s.at_us).unwrap_or(0) - received).unwrap_or(0),
                    );
                    read_part =
                        u64::try_from(received - i64::try_from(sent).unwrap_or(0)).unwrap_or(0);
                    read.push(read_part);
                }
                if latency > SLOW_US {
                    slow.push((sent.saturating_sub(from_us), latency, read_part));
                }
            }
        }
    }
    let sent: u64 = sent_logs.iter().map(|l| l.len() as u64).sum();
    let lost = sent.saturating_sub(seen.len() as u64);
    let steady: Vec<u64> = rss_samples
        .iter()
        .filter(|(at, _)| *at >= from_us && *at < to_us)
        .map(|(_, kb)| *kb)
        .collect();
    let latency_samples = latencies.len();
    let cpu = |a: f64, b: f64| (b - a) / window * 100.0;
    let ms = |v: &mut Vec<u64>| {
        percentiles(v).map(|(a, b, c)| (a as f64 / 1000.0, b as f64 / 1000.0, c as f64 / 1000.0))
    };
    PhaseResult {
        links,
        rate,
        secs: window,
        connect_secs,
        received_per_sec: in_window as f64 / window,
        latency_ms: ms(&mut latencies),
        latency_samples,
        broker_samples: to_broker.len(),
        broker_ms: ms(&mut to_broker),
        episodes: episodes(&mut slow, EPISODE_GAP_US),
        acked_within_5ms: acks0
            .zip(acks1)
            .map(|(a, b)| (b.0 - a.0, b.1 - a.1))
            .unwrap_or_default(),
        delivery_ms: ms(&mut delivery),
        read_ms: ms(&mut read),
        messages,
        samples_in: metric_sum(&body, "fieldbridge_samples_in_total", ""),
        samples_published: metric_sum(&body, "fieldbridge_samples_published_total", ""),
        sent,
        lost,
        duplicates,
        rss_steady_mib: kib_to_mib(steady.iter().sum::<u64>() / steady.len().max(1) as u64),
        rss_peak_mib: kib_to_mib(rss_samples.iter().map(|(_, kb)| *kb).max().unwrap_or(0)),
        hwm_mib: kib_to_mib(hwm),
        rss_anon_mib: kib_to_mib(anon),
        rss_file_mib: kib_to_mib(file),
        threads,
        cpu_bridge: cpu(cpu0.0, cpu1.0),
        cpu_broker: cpu(cpu0.1, cpu1.1),
        cpu_bench: cpu(cpu0.2, cpu1.2),
        cpu_machine: cpu(cpu0.3, cpu1.3),
        reconnects: metric_sum(&body, "fieldbridge_source_reconnects_total", ""),
        outstation_reconnects,
        offline_states,
        timeouts: metric_sum(
            &body,
            "fieldbridge_protocol_errors_total",
            "kind=\"timeout\"",
        ),
    }
}

fn print_report(args: &Args, version: &str, results: &[PhaseResult]) {
    let modified = std::fs::metadata(&args.bridge)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    println!("\n## iec104_scale\n");
    println!(
        "bridge {} (modified at unix {modified}), {version}{}, {} CPUs",
        args.bridge.display(),
        if args.broker_nodelay {
            " with set_tcp_nodelay true"
        } else {
            ""
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "\n| links | changes/s offered | received samples/s | sent | lost | dup | latency p50 ms | p99 ms | max ms | RSS steady MiB | RSS peak / VmHWM MiB | RssAnon / RssFile MiB | threads | CPU % of one core: bridge / mosquitto / bench | machine busy % (of 200) | all links started s | reconnects |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in results {
        let (p50, p99, max) = r.latency_ms.unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        println!(
            "| {} | {} | {:.0} | {} | {} | {} | {p50:.2} | {p99:.2} | {max:.2} | {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {} | {:.1} / {:.1} / {:.1} | {:.1} | {:.1} | {} |",
            thousands(r.links as f64),
            thousands(r.links as f64 * f64::from(r.rate)),
            r.received_per_sec,
            thousands(r.sent as f64),
            r.lost,
            r.duplicates,
            r.rss_steady_mib,
            r.rss_peak_mib,
            r.hwm_mib,
            r.rss_anon_mib,
            r.rss_file_mib,
            r.threads,
            r.cpu_bridge,
            r.cpu_broker,
            r.cpu_bench,
            r.cpu_machine,
            r.connect_secs,
            r.reconnects + r.outstation_reconnects as f64,
        );
    }
    println!();
    let show = |l: Option<(f64, f64, f64)>| {
        l.map_or("none".to_owned(), |(a, b, c)| {
            format!("p50 {a:.2}, p99 {b:.2}, max {c:.2} ms")
        })
    };
    for r in results {
        println!(
            "- {} links, {:.0} s window: {} latency samples; outstation send → bridge `received` \
             {}; bridge `received` → subscriber {}; bridge reconnects {} (metrics), outstation \
             saw {} extra connections, {} offline $state, {} t1/t0 timeouts; samples into the \
             outbox {}, published {}",
            r.links,
            r.secs,
            thousands(r.latency_samples as f64),
            show(r.read_ms),
            show(r.delivery_ms),
            r.reconnects,
            r.outstation_reconnects,
            r.offline_states,
            r.timeouts,
            thousands(r.samples_in),
            thousands(r.samples_published),
        );
        if let Some((p50, p99, max)) = r.broker_ms {
            println!(
                "  field → broker (dumpcap on lo, the segment completing each PUBLISH on the \
                 broker's port; {} samples): p50 {p50:.2}, p99 {p99:.2}, max {max:.2} ms",
                thousands(r.broker_samples as f64)
            );
        }
        let (fast, all) = r.acked_within_5ms;
        if all > 0.0 {
            println!(
                "  the bridge's own view (append → the broker's PUBACK, whole ms, \
                 `fieldbridge_publish_latency_seconds`): {:.2} % of {} samples acknowledged \
                 within 5 ms",
                fast * 100.0 / all,
                thousands(all)
            );
        }
        print_episodes(r);
        if r.stalled() {
            println!(
                "  **delivery stalled**: the bridge wrote {} samples to its outbox but handed only \
                 {} to MQTT, with its broker connection up; the subscriber received {} messages \
                 in all ({} links send {} retained `$meta` and `$state`; see docs/performance.md, \
                 IEC 104 at scale)",
                thousands(r.samples_in),
                thousands(r.samples_published),
                thousands(r.messages as f64),
                r.links,
                thousands(2.0 * r.links as f64),
            );
        }
    }
    let attempts = results.iter().filter(|r| r.links == args.links).count();
    let stalls = results
        .iter()
        .filter(|r| r.links == args.links && r.stalled())
        .count();
    if stalls > 0 {
        println!(
            "- delivery stalled in {stalls} of {attempts} runs at {} links",
            args.links
        );
    }
    if let Some(r) = results.iter().rev().find(|r| r.links == args.links) {
        let p99 = r.latency_ms.map_or(f64::NAN, |l| l.1);
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        // The target is field → broker; without a capture the subscriber's figure (one hop
        // more) stands in for it.
        let latency = match r.broker_ms {
            Some((_, broker, _)) => format!(
                "p99 field → broker under 5 ms: {} ({broker:.2} ms; field → subscriber {p99:.2} ms)",
                verdict(broker < 5.0)
            ),
            None => format!(
                "p99 under 5 ms, measured at the subscriber (no broker capture): {} ({p99:.2} ms)",
                verdict(p99 < 5.0)
            ),
        };
        println!(
            "- targets at {} links: resident memory under 64 MiB: {} (peak {:.1} MiB); {latency}; nothing lost: {} ({} lost)",
            r.links,
            verdict(r.rss_peak_mib.max(r.hwm_mib) < 64.0),
            r.rss_peak_mib.max(r.hwm_mib),
            verdict(r.lost == 0),
            r.lost
        );
    }
}

/// Where the tail comes from: how many samples over 5 ms, in how many episodes, and the
/// largest of them with when they started and which leg was slow.
fn print_episodes(r: &PhaseResult) {
    let slow: usize = r.episodes.iter().map(|e| e.samples).sum();
    if slow == 0 {
        return;
    }
    let mut largest = r.episodes.clone();
    largest.sort_unstable_by_key(|e| std::cmp::Reverse(e.samples));
    let mut line = format!(
        "  samples over {} ms: {} ({:.2} %) in {} episodes; the largest (start s into the window, \
         length ms, samples, max ms, of which outstation → bridge):",
        SLOW_US / 1000,
        thousands(slow as f64),
        slow as f64 * 100.0 / r.latency_samples.max(1) as f64,
        r.episodes.len()
    );
    for e in largest.iter().take(8) {
        let _ = write!(
            line,
            " {:.3} s / {:.1} / {} / {:.1} / {:.1};",
            e.start_us as f64 / 1e6,
            (e.end_us - e.start_us) as f64 / 1000.0,
            e.samples,
            e.max_us as f64 / 1000.0,
            e.max_read_us as f64 / 1000.0
        );
    }
    println!("{}", line.trim_end_matches(';'));
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
    runtime.block_on(async {
        let dir = tempfile::Builder::new()
            .prefix("fb-iec104-scale-")
            .tempdir()
            .expect("temporary folder");
        let (broker, broker_port, version) = start_broker(
            dir.path(),
            &format!("set_tcp_nodelay {}\n", args.broker_nodelay),
        );
        let base = Instant::now();
        let base_unix_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let rec = subscriber::start(broker_port, base, stopping.clone());
        let env = Env {
            base,
            base_unix_us,
            dir: dir.path().to_owned(),
            broker_port,
            broker_pid: broker.pid(),
            bridge: args.bridge.clone(),
            rec,
            ticks: clock_ticks(),
            log: args.log.clone(),
            sync: args.sync.clone(),
            capture: args.capture,
        };
        let mut results = Vec::new();
        eprintln!("{} links x {} changes/s", args.links, args.rate);
        // A phase whose delivery stalls (a bug of the bridge at this scale, reported as it is)
        // is printed and run again, up to --attempts times.
        for attempt in 1..=args.attempts.max(1) {
            let r = phase(
                &env,
                args.links,
                args.rate,
                args.warmup_secs,
                args.secs,
                attempt,
            )
            .await;
            let stalled = r.stalled();
            results.push(r);
            if !stalled {
                break;
            }
            eprintln!("attempt {attempt}: the bridge's delivery stalled");
        }
        if args.single_secs > 0 && args.links > 1 {
            eprintln!("1 link x {} changes/s", args.rate);
            results.push(
                phase(
                    &env,
                    1,
                    args.rate,
                    args.warmup_secs.min(5),
                    args.single_secs,
                    1,
                )
                .await,
            );
        }
        print_report(&args, &version, &results);
        stopping.store(true, Ordering::Relaxed);
        drop(broker);
        if args.keep {
            eprintln!("kept {}", dir.keep().display());
        }
    });
}
