//! The bridge phases (JSON and Sparkplug output at saturation) and what a phase measures.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fieldbridge_bench::process::Proc;

use crate::resources::{status_bytes, Cpu, Pids, RssSampler};
use crate::subscriber::{wait_quiet, Counts, Format, PREFIX};
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

    /// Sample messages received per second.
    pub(crate) fn message_rate(&self) -> f64 {
        self.counts.sample_messages() as f64 / self.secs
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

    /// Mean topic bytes per message of the phase's format.
    pub(crate) fn topic_per_message(&self) -> f64 {
        let c = &self.counts;
        match self.format {
            Format::Json => Self::per(c.json_topic, c.json_messages),
            Format::Sparkplug => Self::per(c.ddata_topic, c.ddata_messages),
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

    /// Bridge CPU milliseconds per 1,000 samples received.
    pub(crate) fn bridge_ms_per_1000(&self) -> f64 {
        self.cpu.bridge * 1e6 / self.counts.samples() as f64
    }
}

/// The configuration of a bridge phase: the e2e_report's saturation load (`--sources` Modbus
/// sources of `--points` holding registers polled every `--poll-ms`, no heartbeat), in `format`.
fn bridge_config(env: &Env, data_dir: &Path, format: Format) -> String {
    let a = &env.args;
    let format = match format {
        Format::Json => "json",
        Format::Sparkplug => "sparkplug",
    };
    let mut c = format!(
        "[bridge]\nid = \"{BRIDGE_ID}\"\nsite = \"{SITE}\"\ndata_dir = \"{}\"\n\n\
         [mqtt]\nurl = \"mqtt://127.0.0.1:{}\"\nprefix = \"{PREFIX}\"\nformat = \"{format}\"\n\
         reconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\n\
         [outbox]\nsync = \"{}\"\n\n[log]\nlevel = \"warn\"\n\n",
        data_dir.display(),
        env.broker_port,
        a.sync
    );
    for s in 0..a.sources {
        let _ = write!(
            c,
            "[[source]]\nname = \"plc{s}\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{}\"\n\
             poll = \"{}ms\"\nheartbeat = \"0s\"\n\n",
            env.sim_port, a.poll_ms
        );
        for i in 0..a.points {
            let _ = write!(
                c,
                "  [[source.point]]\n  name = \"r{i}\"\n  register = \"holding:{}\"\n\n",
                FIRST_REGISTER + i
            );
        }
    }
    c
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
    std::fs::write(&config, bridge_config(env, &dir.path().join("var"), format))
        .expect("write the bridge configuration");
    let before = env.rec.snapshot().sample_messages();
    let mut command = Command::new(&env.args.bridge);
    command
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG");
    let mut bridge = Proc::spawn("fieldbridge run", command, &dir.path().join("bridge.log"));
    let rss = RssSampler::start(bridge.pid());

    let deadline = Instant::now() + Duration::from_secs(15);
    while env.rec.snapshot().sample_messages() == before {
        if Instant::now() > deadline {
            panic!(
                "no samples from the bridge within 15 s; its log:\n{}",
                std::fs::read_to_string(dir.path().join("bridge.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_secs(env.args.warmup_secs)).await;

    let pids = Pids {
        bridge: Some(bridge.pid()),
        simulator: env.sim_pid,
        broker: env.broker_pid,
        ticks: env.ticks,
    };
    let secs = env.args.secs;
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
    if capture {
        env.rec.start_capture(format, CAPTURE);
    }
    let cpu0 = pids.snapshot();
    let counts0 = env.rec.snapshot();
    let from = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let counts1 = env.rec.snapshot();
    let cpu1 = pids.snapshot();
    let window = from.elapsed().as_secs_f64();
    let captured = if capture {
        env.rec.take_capture()
    } else {
        Vec::new()
    };
    if let Some(mut p) = perf_child {
        p.wait();
    }

    let hwm = status_bytes(bridge.pid(), "VmHWM");
    bridge.terminate(Duration::from_secs(10));
    let rss_peak = rss.finish();
    wait_quiet(&env.rec, Duration::from_secs(1)).await;

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
    };
    (result, captured)
}
