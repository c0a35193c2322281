//! The simulated meters: `fieldbridge simulate dlms` processes, each serving many connections.
//!
//! A simulator process is one meter (one clock, one set of registers, one load profile) shared
//! by every connection it accepts, each connection with its own association. The bench runs
//! one process for every `per_sim` meters and points that many sources at it, so that no one
//! simulator bounds the measurement; their CPU is reported beside the bridge's.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// What every simulator is started with.
#[derive(Debug, Clone)]
pub(crate) struct SimSettings {
    /// HDLC over TCP instead of the wrapper.
    pub(crate) hdlc: bool,
    /// The load profile's capture period, seconds.
    pub(crate) period_secs: u64,
    /// Simulated seconds per real second.
    pub(crate) speed: u64,
    /// Entries already captured at start.
    pub(crate) history: u32,
}

/// The running simulators, killed on drop.
#[derive(Debug)]
pub(crate) struct Simulators {
    children: Vec<Child>,
    /// Where each listens, in start order.
    pub(crate) addrs: Vec<SocketAddr>,
}

impl Simulators {
    /// Starts `count` simulators on loopback port 0, each logging to `dir/sim-N.log`, and reads
    /// back the address each took (its first line on stdout).
    ///
    /// # Panics
    /// When a simulator cannot be started or does not say where it listens within 10 s.
    pub(crate) fn start(bridge: &Path, dir: &Path, count: usize, s: &SimSettings) -> Simulators {
        let mut out = Simulators {
            children: Vec::with_capacity(count),
            addrs: Vec::with_capacity(count),
        };
        for i in 0..count {
            let log = std::fs::File::create(dir.join(format!("sim-{i}.log"))).expect("sim log");
            let mut command = Command::new(bridge);
            command
                .args(["simulate", "dlms", "--listen", "127.0.0.1:0"])
                .args(["--period", &format!("{}s", s.period_secs)])
                .args(["--speed", &s.speed.to_string()])
                .args(["--history", &s.history.to_string()])
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(log);
            if s.hdlc {
                command.arg("--hdlc");
            }
            let mut child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start simulator {i}: {e}"));
            let stdout = child.stdout.take().expect("simulator stdout");
            out.children.push(child);
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut line = String::new();
                let _ = BufReader::new(stdout).read_line(&mut line);
                let _ = tx.send(line);
            });
            let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
            let addr = line
                .trim()
                .strip_prefix("dlms simulator listening on ")
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| {
                    panic!(
                        "simulator {i} did not say where it listens (got {line:?}; log {})",
                        dir.join(format!("sim-{i}.log")).display()
                    )
                });
            out.addrs.push(addr);
        }
        out
    }

    /// Their process ids.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    /// The address serving meter `i` of `meters`, `per_sim` meters a simulator.
    pub(crate) fn addr_of(&self, i: usize, per_sim: usize) -> SocketAddr {
        self.addrs[(i / per_sim.max(1)).min(self.addrs.len() - 1)]
    }
}

impl Drop for Simulators {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
