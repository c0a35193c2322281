//! CPU time of the processes measured and of each core, from /proc (memory:
//! `fieldbridge_bench::scrape::RssSampler`).

use fieldbridge_bench::procfs::{cpu_secs, machine_busy_secs, status};

use crate::pinning::cpu_busy_secs;

/// CPU seconds used in a window by each process measured, and by each core.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cpu {
    pub(crate) bridge: f64,
    pub(crate) simulator: f64,
    pub(crate) broker: f64,
    /// The subscriber process.
    pub(crate) subscriber: f64,
    /// This process: the bare publisher in its phases, else only the report's own bookkeeping.
    pub(crate) bench: f64,
    /// Busy CPU seconds of the whole machine (all cores, kernel and interrupts included).
    pub(crate) machine: f64,
    /// Busy CPU seconds of each core (/proc/stat `cpuN`), in CPU order.
    pub(crate) cores: Vec<f64>,
    /// mosquitto's read system calls (/proc/PID/io `syscr`) and the times it went to sleep
    /// (/proc/PID/status `voluntary_ctxt_switches`), and the TCP segments the machine sent
    /// (/proc/net/snmp `OutSegs`): how many messages each wake-up and each segment carries.
    pub(crate) broker_reads: f64,
    pub(crate) broker_sleeps: f64,
    pub(crate) tcp_segments: f64,
}

impl Cpu {
    /// What `later` used since `self`.
    pub(crate) fn until(&self, later: &Cpu) -> Cpu {
        Cpu {
            bridge: later.bridge - self.bridge,
            simulator: later.simulator - self.simulator,
            broker: later.broker - self.broker,
            subscriber: later.subscriber - self.subscriber,
            bench: later.bench - self.bench,
            machine: later.machine - self.machine,
            cores: later
                .cores
                .iter()
                .zip(&self.cores)
                .map(|(l, e)| l - e)
                .collect(),
            broker_reads: later.broker_reads - self.broker_reads,
            broker_sleeps: later.broker_sleeps - self.broker_sleeps,
            tcp_segments: later.tcp_segments - self.tcp_segments,
        }
    }

    /// Busy time no measured process accounts for: other work on the machine, kernel threads.
    pub(crate) fn other(&self) -> f64 {
        self.machine - self.bridge - self.simulator - self.broker - self.subscriber - self.bench
    }

    /// Busy seconds of core `n` (NaN when the machine has no such core).
    pub(crate) fn core(&self, n: u32) -> f64 {
        usize::try_from(n)
            .ok()
            .and_then(|n| self.cores.get(n).copied())
            .unwrap_or(f64::NAN)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Pids {
    pub(crate) bridge: Option<u32>,
    pub(crate) simulator: u32,
    pub(crate) broker: u32,
    pub(crate) subscriber: u32,
    pub(crate) ticks: f64,
}

impl Pids {
    pub(crate) fn snapshot(&self) -> Cpu {
        Cpu {
            bridge: self.bridge.map_or(0.0, |p| cpu_secs(p, self.ticks)),
            simulator: cpu_secs(self.simulator, self.ticks),
            broker: cpu_secs(self.broker, self.ticks),
            subscriber: cpu_secs(self.subscriber, self.ticks),
            bench: cpu_secs(std::process::id(), self.ticks),
            machine: machine_busy_secs(self.ticks),
            cores: cpu_busy_secs(self.ticks),
            broker_reads: io_count(self.broker, "syscr"),
            broker_sleeps: status(self.broker, "voluntary_ctxt_switches")
                .map_or(f64::NAN, |n| n as f64),
            tcp_segments: tcp_out_segments(),
        }
    }
}

/// A line of /proc/PID/io (`syscr`, `syscw`); NaN when it cannot be read.
fn io_count(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .and_then(|v| v.trim().parse::<f64>().ok())
        })
        .unwrap_or(f64::NAN)
}

/// TCP segments sent by the machine (its network namespace) since boot: `OutSegs` of the `Tcp:`
/// lines of /proc/net/snmp; NaN when it cannot be read.
fn tcp_out_segments() -> f64 {
    let text = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut tcp = text.lines().filter(|l| l.starts_with("Tcp:"));
    let (Some(names), Some(values)) = (tcp.next(), tcp.next()) else {
        return f64::NAN;
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(n, _)| *n == "OutSegs")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(f64::NAN)
}
