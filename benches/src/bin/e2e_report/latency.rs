//! Latency statistics over the samples received.

use std::collections::HashMap;
use std::time::Duration;

use crate::subscriber::{Recorded, Rx};

#[derive(Debug, Clone, Default)]
pub(crate) struct Latency {
    pub(crate) p50_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
}

pub(crate) fn latency(samples: &[Rx]) -> Latency {
    let mut v: Vec<i64> = samples.iter().filter_map(|s| s.latency_us).collect();
    if v.is_empty() {
        return Latency::default();
    }
    v.sort_unstable();
    let pick = |q: f64| {
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        v[i] as f64 / 1000.0
    };
    Latency {
        p50_ms: pick(0.50),
        p99_ms: pick(0.99),
        max_ms: v[v.len() - 1] as f64 / 1000.0,
    }
}

/// Latency of the first sample to arrive of each poll (samples sharing one `received`): what a
/// lone change would see, without queueing behind the rest of its poll. Meaningful with one
/// source.
pub(crate) fn first_of_poll(samples: &[Rx]) -> Latency {
    let mut first: HashMap<i64, Rx> = HashMap::new();
    for s in samples {
        if let Some(r) = s.received_us {
            first.entry(r).or_insert(*s);
        }
    }
    let v: Vec<Rx> = first.into_values().collect();
    latency(&v)
}

pub(crate) fn mean_latency_ms(samples: &[Rx]) -> f64 {
    let v: Vec<i64> = samples.iter().filter_map(|s| s.latency_us).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<i64>() as f64 / v.len() as f64 / 1000.0
}

pub(crate) fn in_window(rec: &Recorded, from: Duration, to: Duration) -> Vec<Rx> {
    rec.samples
        .lock()
        .expect("samples lock")
        .iter()
        .filter(|s| s.at >= from && s.at < to)
        .copied()
        .collect()
}
