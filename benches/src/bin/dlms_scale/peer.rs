//! The comparison peer: a Gurux client (`peer.py` beside this file, gurux-dlms in the peers'
//! python) reading some of the same meters, in the same run, on the same schedule and in the
//! same cycle as the bridge (connect, associate, read, release, close). Each of its reads
//! arrives as one JSON line, timed here when it arrives.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One read of one meter by the peer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerRead {
    /// When its line arrived, µs since the bench's base instant.
    pub(crate) at_us: u64,
    pub(crate) ok: bool,
    pub(crate) samples: u64,
    pub(crate) rows: u64,
    /// APDUs sent.
    pub(crate) requests: u64,
    /// The peer's CPU time after it, seconds (its own `time.process_time()`).
    pub(crate) cpu: f64,
}

/// The running peer, killed on drop.
#[derive(Debug)]
pub(crate) struct Peer {
    child: Child,
    pub(crate) reads: Arc<Mutex<Vec<PeerRead>>>,
    /// The first error line, if any.
    pub(crate) first_error: Arc<Mutex<Option<String>>>,
}

/// `peer.py`'s path in the source tree.
pub(crate) fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/dlms_scale/peer.py")
}

/// Whether `python` imports gurux_dlms.
pub(crate) fn available(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import gurux_dlms"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Peer {
    /// Starts the peer on `meters` (one association each), polling every `poll_secs`.
    ///
    /// # Panics
    /// When the interpreter cannot be started.
    pub(crate) fn start(
        python: &Path,
        meters: &[SocketAddr],
        poll_secs: u64,
        hdlc: bool,
        profile: bool,
        log: &Path,
        base: Instant,
    ) -> Peer {
        let ports: Vec<String> = meters.iter().map(|a| a.port().to_string()).collect();
        let mut command = Command::new(python);
        command
            .arg(script())
            .args(["--ports", &ports.join(",")])
            .args(["--poll", &poll_secs.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("peer log"));
        if hdlc {
            command.arg("--hdlc");
        }
        if !profile {
            command.arg("--no-profile");
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the Gurux peer: {e}"));
        let stdout = child.stdout.take().expect("peer stdout");
        let reads = Arc::new(Mutex::new(Vec::new()));
        let first_error = Arc::new(Mutex::new(None));
        let (out, errors) = (reads.clone(), first_error.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let at_us = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                let ok = v["ok"].as_bool().unwrap_or(false);
                if !ok {
                    if let Ok(mut e) = errors.lock() {
                        e.get_or_insert_with(|| v["error"].as_str().unwrap_or("?").to_owned());
                    }
                }
                if let Ok(mut r) = out.lock() {
                    r.push(PeerRead {
                        at_us,
                        ok,
                        samples: v["samples"].as_u64().unwrap_or(0),
                        rows: v["rows"].as_u64().unwrap_or(0),
                        requests: v["requests"].as_u64().unwrap_or(0),
                        cpu: v["cpu"].as_f64().unwrap_or(f64::NAN),
                    });
                }
            }
        });
        Peer {
            child,
            reads,
            first_error,
        }
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its CPU seconds between `from_us` and `to_us` by its own clock: the CPU time of the
    /// last read before `to_us` minus that of the last read before `from_us` (between reads it
    /// sleeps). `None` without a read before each.
    pub(crate) fn cpu_between(&self, from_us: u64, to_us: u64) -> Option<f64> {
        let reads = self.reads.lock().ok()?;
        let last_before = |t: u64| reads.iter().rev().find(|r| r.at_us < t).map(|r| r.cpu);
        let d = last_before(to_us)? - last_before(from_us)?;
        d.is_finite().then_some(d)
    }

    /// Its reads that arrived in `[from_us, to_us)`.
    pub(crate) fn reads_between(&self, from_us: u64, to_us: u64) -> Vec<PeerRead> {
        self.reads
            .lock()
            .map(|r| {
                r.iter()
                    .filter(|x| x.at_us >= from_us && x.at_us < to_us)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
