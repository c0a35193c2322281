//! The bridge phases (JSON and Sparkplug output at saturation) and what a phase measures.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use fieldbridge_bench::process::{perf_record, Proc};
use fieldbridge_bench::procfs::status_bytes;
use fieldbridge_bench::scrape::{http_get, metric_sum, RssSampler};

use crate::pinning::{allowed_cpus, command_on};
use crate::resources::{Cpu, Pids};
use crate::subscriber::{Counts, Format, PREFIX};
use crate::{Env, BRIDGE_ID, FIRST_REGISTER, SITE};

/// Sample messages kept from the first window of each format for the bare publisher: enough to
/// hold every point of the default load (500) several times over, so the replay has the
/// bridge's mix of topics, aliases and `seq` widths.
pub(crate) const CAPTURE: usize = 4096;

/// Who published in a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Publisher {
    Bridge,
    Bare,
}

#[derive(Debug, Clone)]
pub(crate) struct PhaseResult {
    pub(crate) publisher: Publisher,
    pub(crate) format: Format,
    /// What the subscriber received in the phase's window.
    pub(crate) counts: Counts,
    /// The window: the bridge's measured seconds; for the bare publisher, first to last arrival.
    pub(crate) secs: f64,
    pub(crate) cpu: Cpu,
    /// The bridge's peak VmRSS (sampled every 100 ms) and VmHWM, bytes.
    pub(crate) rss_peak: Option<u64>,
    pub(crate) hwm: Option<u64>,
    /// Bare publisher: messages PUBACKed per second, and whether the subscriber got them all.
    pub(crate) publish_rate: Option<f64>,
    pub(crate) complete: bool,
    /// Bridge: the samples it took in from its sources per second in the window
    /// (`fieldbridge_samples_in_total`), and how fast its outbox backlog grew, samples per second
    /// (`fieldbridge_outbox_pending`): positive when the bridge cannot publish all it reads.
    pub(crate) polled: Option<f64>,
    pub(crate) backlog_growth: Option<f64>,
    /// Bridge: the CPUs its threads may run on.
    pub(crate) bridge_cpus: Option<String>,
}

impl PhaseResult {
    pub(crate) fn name(&self) -> String {
        match self.publisher {
            Publisher::Bridge => format!("bridge, {}", self.format.name()),
            Publisher::Bare => format!("bare rumqttc, {} payloads", self.format.name()),
        }
    }

    /// Samples received per second.
    pub(crate) fn rate(&self) -> f64 {
        self.counts.samples() as f64 / self.secs
    }

    fn per(numerator: u64, denominator: u64) -> f64 {
        if denominator == 0 {
            f64::NAN
        } else {
            numerator as f64 / denominator as f64
        }
    }

    /// Mean payload bytes per sample of the phase's format (Sparkplug: DDATA payload bytes per
    /// metric).
    pub(crate) fn payload_per_sample(&self) -> f64 {
        let c = &self.counts;
        match self.format {
            Format::Json => Self::per(c.json_payload, c.json_messages),
            Format::Sparkplug => Self::per(c.ddata_payload, c.ddata_metrics),
        }
    }

    /// Mean MQTT PUBLISH bytes per sample (fixed header, topic, packet id and payload).
    pub(crate) fn wire_per_sample(&self) -> f64 {
        let c = &self.counts;
        match self.format {
            Format::Json => Self::per(c.json_wire, c.json_messages),
            Format::Sparkplug => Self::per(c.ddata_wire, c.ddata_metrics),
        }
    }

    /// CPU milliseconds per 1,000 samples received of a process's `seconds` in the window.
    pub(crate) fn ms_per_1000(&self, seconds: f64) -> f64 {
        seconds * 1e6 / self.counts.samples() as f64
    }

    /// How busy core `n` was in the window, 0 to 1.
    pub(crate) fn core_busy(&self, n: u32) -> f64 {
        self.cpu.core(n) / self.secs
    }
}

/// The configuration of a bridge phase: the e2e_report's saturation load (`--sources` Modbus
/// sources of `--points` holding registers polled every `--poll-ms`, no heartbeat), in `format`.
fn bridge_config(env: &Env, data_dir: &Path, format: Format, metrics_port: u16) -> String {
    let a = &env.args;
    let format = match format {
        Format::Json => "json",
        Format::Sparkplug => "sparkplug",
    };
    let mut c = format!(
        "[bridge]\nid = \"{BRIDGE_ID}\"\nsite = \"{SITE}\"\ndata_dir = \"{}\"\n\n\
         [mqtt]\nurl = \"mqtt://127.0.0.1:{}\"\nprefix = \"{PREFIX}\"\nformat = \"{format}\"\n\
         reconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\n\
         [outbox]\nsync = \"{}\"\n\n[log]\nlevel = \"warn\"\n\n\
         [metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n",
        data_dir.display(),
        env.broker_port,
        a.load.sync
    );
    for s in 0..a.load.sources {
        let _ = write!(
            c,
            "[[source]]\nname = \"plc{s}\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{}\"\n\
             poll = \"{}ms\"\nheartbeat = \"0s\"\n\n",
            env.sim_port, a.load.poll_ms
        );
        for i in 0..a.load.points {
            let _ = write!(
                c,
                "  [[source.point]]\n  name = \"r{i}\"\n  register = \"holding:{}\"\n\n",
                FIRST_REGISTER + i
            );
        }
    }
    c
}

/// The bridge's samples taken in and its outbox backlog, from its metrics endpoint.
fn intake(metrics_port: u16) -> (f64, f64) {
    let body = http_get(metrics_port, "/metrics");
    (
        metric_sum(&body, "fieldbridge_samples_in_total", ""),
        metric_sum(&body, "fieldbridge_outbox_pending", ""),
    )
}

/// Runs the bridge in `format` at saturation and measures `--secs` after `--warmup-secs`; with
/// `capture`, also returns the first [`CAPTURE`] sample messages of the window.
pub(crate) async fn bridge_phase(
    env: &Env,
    format: Format,
    capture: bool,
    perf: Option<&Path>,
) -> (PhaseResult, Vec<(String, Vec<u8>)>) {
    let dir = tempfile::Builder::new()
        .prefix("fb-spb-bridge-")
        .tempdir_in(env.dir.path())
        .expect("bridge folder");
    let config = dir.path().join("bridge.toml");
    let metrics_port = fieldbridge_tests::free_port();
    std::fs::write(
        &config,
        bridge_config(env, &dir.path().join("var"), format, metrics_port),
    )
    .expect("write the bridge configuration");
    let before = env.sub.snapshot().sample_messages();
    let mut command = command_on(env.publisher_cpu(), &env.args.load.bridge);
    command
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG");
    let mut bridge = Proc::spawn("fieldbridge run", command, &dir.path().join("bridge.log"));
    let rss = RssSampler::start(bridge.pid(), Instant::now());

    let deadline = Instant::now() + Duration::from_secs(15);
    while env.sub.snapshot().sample_messages() == before {
        if Instant::now() > deadline {
            panic!(
                "no samples from the bridge within 15 s; its log:\n{}",
                std::fs::read_to_string(dir.path().join("bridge.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(env.args.load.warmup_secs)).await;

    let pids = Pids {
        bridge: Some(bridge.pid()),
        simulator: env.sim_pid,
        broker: env.broker_pid,
        subscriber: env.sub.pid(),
        ticks: env.ticks,
    };
    let bridge_cpus = allowed_cpus(bridge.pid());
    let secs = env.args.load.secs;
    let perf_child =
        perf.map(|file| perf_record(bridge.pid(), secs, file, &env.dir.path().join("perf.log")));
    if capture {
        env.sub.start_capture(format, CAPTURE);
    }
    let intake0 = intake(metrics_port);
    let cpu0 = pids.snapshot();
    let counts0 = env.sub.snapshot();
    let from = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let counts1 = env.sub.snapshot();
    let cpu1 = pids.snapshot();
    let window = from.elapsed().as_secs_f64();
    let intake1 = intake(metrics_port);
    let captured = if capture {
        env.sub.take_capture()
    } else {
        Vec::new()
    };
    if let Some(mut p) = perf_child {
        p.wait();
    }

    let hwm = status_bytes(bridge.pid(), "VmHWM");
    bridge.terminate(Duration::from_secs(10));
    let rss_peak = rss.finish_peak();
    env.sub.wait_quiet(Duration::from_secs(1)).await;

    let result = PhaseResult {
        publisher: Publisher::Bridge,
        format,
        counts: counts1.since(&counts0),
        secs: window,
        cpu: cpu0.until(&cpu1),
        rss_peak: Some(rss_peak),
        hwm,
        publish_rate: None,
        complete: true,
        polled: Some((intake1.0 - intake0.0) / window),
        backlog_growth: Some((intake1.1 - intake0.1) / window),
        bridge_cpus: Some(bridge_cpus),
    };
    (result, captured)
}
