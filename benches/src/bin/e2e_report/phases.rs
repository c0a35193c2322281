//! The bridge phases (nominal and saturation) and what a phase measures.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fieldbridge_bench::process::{perf_record, Proc};
use fieldbridge_bench::procfs::status_bytes;
use fieldbridge_bench::scrape::RssSampler;

use crate::latency::{first_of_poll, in_window, latency, mean_latency_ms, Latency};
use crate::resources::{cpu_delta, dir_bytes, Cpu, Pids};
use crate::subscriber::wait_quiet;
use crate::{Env, FIRST_REGISTER, SITE};

#[derive(Debug, Clone, Default)]
pub(crate) struct PhaseResult {
    pub(crate) name: String,
    /// Latency of the first sample of each poll.
    pub(crate) first_of_poll: Latency,
    pub(crate) polls: usize,
    pub(crate) offered: Option<f64>,
    pub(crate) count: usize,
    pub(crate) secs: f64,
    pub(crate) latency: Latency,
    pub(crate) first_second_ms: f64,
    pub(crate) last_second_ms: f64,
    pub(crate) rss_peak: Option<u64>,
    pub(crate) hwm: Option<u64>,
    pub(crate) cpu: Cpu,
    /// Growth of the bridge's outbox on disk over the window, bytes per second: the part of the
    /// offered load the broker link did not take (records are deleted a segment at a time, so
    /// this is coarse, 8 MiB steps).
    pub(crate) outbox_growth: Option<f64>,
}

impl PhaseResult {
    pub(crate) fn rate(&self) -> f64 {
        self.count as f64 / self.secs
    }
}

/// The field load of a bridge phase: `sources` Modbus sources of `points` holding registers each,
/// polled every `poll_ms`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Load {
    pub(crate) sources: u16,
    pub(crate) points: u16,
    pub(crate) poll_ms: u64,
}

impl Load {
    /// Samples per second offered (every poll publishes every point: no deadband, no heartbeat).
    pub(crate) fn offered(self) -> f64 {
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
        env.args.load.sync
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
pub(crate) async fn bridge_phase(
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
    let mut command = Command::new(&env.args.load.bridge);
    command
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG");
    let mut bridge = Proc::spawn("fieldbridge run", command, &dir.path().join("bridge.log"));
    let rss = RssSampler::start(bridge.pid(), Instant::now());

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
    tokio::time::sleep(Duration::from_secs(env.args.load.warmup_secs)).await;

    let pids = Pids {
        bridge: Some(bridge.pid()),
        simulator: Some(env.sim_pid),
        broker: env.broker_pid,
        ticks: env.ticks,
    };
    let perf_child =
        perf.map(|file| perf_record(bridge.pid(), secs, file, &env.dir.path().join("perf.log")));
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

    let hwm = status_bytes(bridge.pid(), "VmHWM");
    bridge.terminate(Duration::from_secs(10));
    let rss_peak = rss.finish_peak();
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
