//! What the processes measured use: CPU time and memory from /proc, and the outbox on disk.

use std::io::Read as _;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn clock_ticks() -> f64 {
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
pub(crate) fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

/// Samples VmRSS of `pid` every 100 ms until stopped; returns the peak.
pub(crate) struct RssSampler {
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    pub(crate) fn start(pid: u32) -> RssSampler {
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

    pub(crate) fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// CPU seconds used in a window by each process measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cpu {
    pub(crate) bridge: f64,
    pub(crate) simulator: f64,
    pub(crate) broker: f64,
    pub(crate) bench: f64,
    /// Busy CPU seconds of the whole machine (all cores, kernel and interrupts included).
    pub(crate) machine: f64,
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

pub(crate) struct Pids {
    pub(crate) bridge: Option<u32>,
    pub(crate) simulator: Option<u32>,
    pub(crate) broker: u32,
    pub(crate) ticks: f64,
}

impl Pids {
    pub(crate) fn snapshot(&self) -> Cpu {
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

pub(crate) fn cpu_delta(a: &Cpu, b: &Cpu) -> Cpu {
    Cpu {
        bridge: b.bridge - a.bridge,
        simulator: b.simulator - a.simulator,
        broker: b.broker - a.broker,
        bench: b.bench - a.bench,
        machine: b.machine - a.machine,
    }
}

/// Bytes of every file in `dir` (not recursive); 0 when it does not exist.
pub(crate) fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter_map(|e| e.metadata().ok())
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len())
            .sum()
    })
}
