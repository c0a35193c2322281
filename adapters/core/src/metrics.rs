//! Prometheus text exposition (format 0.0.4) of the bridge's own counters: what the delivery and
//! the broker link report. Sources add their protocol counters through [`MetricsText`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (seconds) of the publish latency histogram: bridge receive → broker PUBACK.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0,
];

/// A cumulative histogram with fixed buckets, updated without locks.
#[derive(Debug)]
pub struct Histogram {
    counts: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Records one observation, in seconds.
    pub fn observe(&self, seconds: f64) {
        let seconds = seconds.max(0.0);
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&b| seconds <= b) {
            if let Some(c) = self.counts.get(i) {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// How many observations.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, name: &str, help: &str, out: &mut MetricsText) {
        out.header(name, help, "histogram");
        let mut cumulative = 0;
        for (bound, c) in LATENCY_BUCKETS.iter().zip(&self.counts) {
            cumulative += c.load(Ordering::Relaxed);
            let _ = writeln!(out.0, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out.0, "{name}_bucket{{le=\"+Inf\"}} {}", self.count());
        let _ = writeln!(
            out.0,
            "{name}_sum {}",
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out.0, "{name}_count {}", self.count());
    }
}

/// A Prometheus text document being written.
#[derive(Debug, Default)]
pub struct MetricsText(String);

impl MetricsText {
    /// `# HELP` and `# TYPE` lines.
    pub fn header(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One metric without labels.
    pub fn value(&mut self, name: &str, help: &str, kind: &str, value: impl std::fmt::Display) {
        self.header(name, help, kind);
        let _ = writeln!(self.0, "{name} {value}");
    }

    /// One sample with labels (after a [`MetricsText::header`]); label values are escaped.
    pub fn labelled(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}=\"{}\"",
                    v.replace('\\', "\\\\")
                        .replace('"', "\\\"")
                        .replace('\n', "\\n")
                )
            })
            .collect();
        let _ = writeln!(self.0, "{name}{{{}}} {value}", labels.join(","));
    }

    /// Appends a histogram.
    pub fn histogram(&mut self, name: &str, help: &str, h: &Histogram) {
        h.render(name, help, self);
    }

    /// The document.
    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_with_an_inf_bucket() {
        let h = Histogram::default();
        h.observe(0.0015);
        h.observe(0.02);
        h.observe(1000.0);
        let mut out = MetricsText::default();
        out.histogram("lat", "test", &h);
        let text = out.finish();
        assert!(text.contains("lat_bucket{le=\"0.001\"} 0\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"0.002\"} 1\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"0.025\"} 2\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"600\"} 2\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("lat_count 3\n"), "{text}");
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = MetricsText::default();
        out.labelled("m", &[("device", "a\"b")], 1);
        assert_eq!(out.finish(), "m{device=\"a\\\"b\"} 1\n");
    }
}
