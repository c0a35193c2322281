//! Resident memory of the bridge sampled over time, the figures computed from the samples
//! received, and its metrics endpoint (the /proc readings are `fieldbridge_bench::procfs`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldbridge_bench::procfs::status;

/// VmRSS of a process every 100 ms: (µs since the base, kB).
#[derive(Debug)]
pub(crate) struct RssSampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<(u64, u64)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    pub(crate) fn start(pid: u32, base: std::time::Instant) -> RssSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (flag, out) = (stop.clone(), samples.clone());
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                if let Some(kb) = status(pid, "VmRSS") {
                    let at = u64::try_from(base.elapsed().as_micros()).unwrap_or(u64::MAX);
                    if let Ok(mut s) = out.lock() {
                        s.push((at, kb));
                    }
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        RssSampler {
            stop,
            samples,
            thread: Some(thread),
        }
    }

    /// Stops sampling; every sample taken.
    pub(crate) fn finish(mut self) -> Vec<(u64, u64)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// p50, p99 and max of `v` (sorted here), in the unit given.
pub(crate) fn percentiles(v: &mut [u64]) -> Option<(u64, u64, u64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let pick = |q: f64| {
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        v[i]
    };
    Some((pick(0.50), pick(0.99), v[v.len() - 1]))
}

/// The value of every line of metric `name` (any labels) in a Prometheus text body, summed.
pub(crate) fn metric_sum(body: &str, name: &str, filter: &str) -> f64 {
    body.lines()
        .filter(|l| l.starts_with(name) && l.contains(filter))
        .filter(|l| {
            l.get(name.len()..)
                .is_some_and(|r| r.starts_with('{') || r.starts_with(' '))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// `GET path` on 127.0.0.1:`port`: the body.
pub(crate) fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// A run of slow samples: consecutive (by send time) samples over a latency threshold, no more
/// than a gap apart. Where the tail of the latency comes from: one stall of the path shows as
/// one episode holding every sample sent during it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Episode {
    /// Send time of its first sample, µs.
    pub(crate) start_us: u64,
    /// Send time of its last sample, µs.
    pub(crate) end_us: u64,
    /// Samples in it.
    pub(crate) samples: usize,
    /// Its largest latency, µs.
    pub(crate) max_us: u64,
    /// Its largest outstation → bridge part, µs (the rest is bridge → subscriber).
    pub(crate) max_read_us: u64,
}

/// The episodes of `slow` (send time, latency, read part, all µs; any order): samples over the
/// threshold already, joined when sent less than `gap_us` apart.
pub(crate) fn episodes(slow: &mut [(u64, u64, u64)], gap_us: u64) -> Vec<Episode> {
    slow.sort_unstable_by_key(|s| s.0);
    let mut out: Vec<Episode> = Vec::new();
    for &(sent, latency, read) in slow.iter() {
        match out.last_mut() {
            Some(e) if sent.saturating_sub(e.end_us) < gap_us => {
                e.end_us = sent;
                e.samples += 1;
                e.max_us = e.max_us.max(latency);
                e.max_read_us = e.max_read_us.max(read);
            }
            _ => out.push(Episode {
                start_us: sent,
                end_us: sent,
                samples: 1,
                max_us: latency,
                max_read_us: read,
            }),
        }
    }
    out
}
