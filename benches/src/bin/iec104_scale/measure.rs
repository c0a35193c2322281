//! Resident memory of the bridge sampled over time, the figures computed from the samples
//! received (the memory sampler and the metrics endpoint are `fieldbridge_bench::scrape`).

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
