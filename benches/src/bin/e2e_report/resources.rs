//! What the processes measured use: CPU time from /proc, and the outbox on disk (memory:
//! `fieldbridge_bench::scrape::RssSampler`).

use std::path::Path;

use fieldbridge_bench::procfs::{cpu_secs, machine_busy_secs};

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
