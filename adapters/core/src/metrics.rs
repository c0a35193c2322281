//! The bridge's own metrics, encoded by the official `prometheus-client` crate in the Prometheus
//! text format 0.0.4 ([`CONTENT_TYPE`]).
//!
//! The counters stay plain atomics on the hot paths (delivery, command router, sources); their
//! owners write them into a [`DescriptorEncoder`] when a [`Collector`] is asked at scrape time
//! (`DeliveryStats::encode`, `CommandStats::encode`). The helpers below take the exported name of
//! a counter, with its `_total`: prometheus-client appends `_total` to a counter's name, so they
//! hand it the name without, and the code stays greppable for the names users see.

use std::fmt;

pub use prometheus_client::collector::Collector;
pub use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
pub use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder};
use prometheus_client::encoding::{EncodeGaugeValue, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
pub use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
pub use prometheus_client::registry::Registry;

/// Upper bounds (seconds) of the latency histograms: bridge receive → broker PUBACK, and command
/// arrival → result.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0,
];

/// A prometheus-client [`Histogram`] with the [`LATENCY_BUCKETS`] (its `Default`, so the stats
/// structs that hold one derive theirs).
#[derive(Debug, Clone)]
pub struct LatencyHistogram(Histogram);

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram(Histogram::new(LATENCY_BUCKETS))
    }
}

impl std::ops::Deref for LatencyHistogram {
    type Target = Histogram;

    fn deref(&self) -> &Histogram {
        &self.0
    }
}

/// The Prometheus text of everything `registry` holds.
pub fn encode(registry: &Registry) -> Result<String, fmt::Error> {
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, registry)?;
    Ok(text)
}

/// Starts the counter family `name` (ending in `_total`); add its samples with [`sample`].
pub fn counter_family<'s>(
    encoder: &'s mut DescriptorEncoder<'_>,
    name: &'s str,
    help: &str,
) -> Result<MetricEncoder<'s>, fmt::Error> {
    debug_assert!(name.ends_with("_total"), "{name}");
    let name = name.strip_suffix("_total").unwrap_or(name);
    encoder.encode_descriptor(name, help, None, MetricType::Counter)
}

/// One sample of a counter family, with its labels (escaped by the encoder).
pub fn sample(family: &mut MetricEncoder<'_>, labels: &[(&str, &str)], value: u64) -> fmt::Result {
    ConstCounter::new(value).encode(family.encode_family(&labels)?)
}

/// A counter without labels; `name` ends in `_total`.
pub fn counter(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: u64,
) -> fmt::Result {
    ConstCounter::new(value).encode(counter_family(encoder, name, help)?)
}

/// A gauge without labels.
pub fn gauge(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: impl EncodeGaugeValue,
) -> fmt::Result {
    ConstGauge::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}

/// A histogram.
pub fn histogram(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    histogram: &Histogram,
) -> fmt::Result {
    histogram.encode(encoder.encode_descriptor(name, help, None, histogram.metric_type())?)
}

/// A one-off Prometheus text document of some collectors (the endpoint keeps one [`Registry`]).
#[derive(Debug, Default)]
pub struct MetricsText(Registry);

impl MetricsText {
    /// Adds a collector.
    pub fn add(&mut self, collector: impl Collector) {
        self.0.register_collector(Box::new(collector));
    }

    /// The document.
    pub fn finish(self) -> String {
        // Writing to a String does not fail, nor do the collectors of this crate.
        encode(&self.0).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Sample(LatencyHistogram);

    impl Collector for Sample {
        fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
            histogram(&mut encoder, "lat", "test", &self.0)?;
            counter(&mut encoder, "c_total", "a counter", 2)?;
            gauge(&mut encoder, "g", "a gauge", 0.5)?;
            let mut family = counter_family(&mut encoder, "m_total", "labelled")?;
            sample(&mut family, &[("device", "a\"b")], 1)
        }
    }

    fn text() -> String {
        let h = LatencyHistogram::default();
        h.observe(0.0015);
        h.observe(0.02);
        h.observe(1000.0);
        let mut out = MetricsText::default();
        out.add(Sample(h));
        out.finish()
    }

    #[test]
    fn histograms_are_cumulative_with_an_inf_bucket() {
        let text = text();
        assert!(text.contains("# TYPE lat histogram\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"0.001\"} 0\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"0.002\"} 1\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"0.025\"} 2\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"1\"} 2\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"600\"} 2\n"), "{text}");
        assert!(text.contains("lat_bucket{le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("lat_count 3\n"), "{text}");
    }

    #[test]
    fn names_are_the_exported_ones_and_label_values_are_escaped() {
        let text = text();
        assert!(
            text.contains("# TYPE c_total counter\nc_total 2\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE g gauge\ng 0.5\n"), "{text}");
        assert!(text.contains("m_total{device=\"a\\\"b\"} 1\n"), "{text}");
        assert!(!text.contains("EOF"), "{text}");
    }
}
