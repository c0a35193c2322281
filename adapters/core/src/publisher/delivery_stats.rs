//! The delivery's counters, readable while it runs, and their metrics: [`DeliveryStats`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::failure::LinkCounters;
use super::link::LinkStatus;
use super::storage::StorageStatus;
use crate::metrics::{self, Collector, DescriptorEncoder, LatencyHistogram, MetricsText};
use crate::time::Timestamp;

/// Counters of the delivery, readable while it runs.
#[derive(Debug, Default)]
pub struct DeliveryStats {
    /// Readings numbered and written to the outbox.
    pub appended: AtomicU64,
    /// Samples handed to the MQTT client (resends included).
    pub published: AtomicU64,
    /// Samples the broker acknowledged.
    pub acked: AtomicU64,
    /// Samples published as `historical` from a backlog.
    pub replayed: AtomicU64,
    /// Samples dropped unacknowledged because the outbox was full (`drop-oldest`).
    pub dropped: AtomicU64,
    /// Failed outbox operations (each retried: a failed append holds the stream).
    pub outbox_errors: AtomicU64,
    /// Unacknowledged samples lost because their segment file or `data_dir` vanished.
    pub vanished: AtomicU64,
    /// Records in the outbox not yet acknowledged.
    pub pending: AtomicU64,
    /// Their bytes.
    pub pending_bytes: AtomicU64,
    /// Bytes of the outbox's files.
    pub disk_bytes: AtomicU64,
    /// When the oldest unacknowledged record was appended (Unix ms; 0 when none).
    pub oldest_appended_ms: AtomicU64,
    /// Bridge receive → broker PUBACK, seconds.
    pub latency: LatencyHistogram,
    /// Readings in and samples published, per device.
    devices: Mutex<BTreeMap<Arc<str>, [u64; 2]>>,
    /// The broker link's failures and the command seam's traffic.
    pub(crate) link_counters: LinkCounters,
    /// The health and free space of `data_dir`.
    pub storage: StorageStatus,
}

impl DeliveryStats {
    pub(super) fn bump(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn count_device(&self, device: &str, column: usize) {
        if let Ok(mut devices) = self.devices.lock() {
            match devices.get_mut(device) {
                Some(c) => c[column] += 1,
                None => {
                    let mut c = [0; 2];
                    c[column] = 1;
                    devices.insert(Arc::from(device), c);
                }
            }
        }
    }

    /// Writes the metrics of the delivery and the broker link (`link`), read now.
    pub fn encode(&self, link: LinkStatus, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        if let Ok(devices) = self.devices.lock() {
            let mut family = metrics::counter_family(
                encoder,
                "fieldbridge_samples_in_total",
                "Readings numbered and written to the outbox, per device.",
            )?;
            for (device, c) in devices.iter() {
                metrics::sample(&mut family, &[("device", device)], c[0])?;
            }
            let mut family = metrics::counter_family(
                encoder,
                "fieldbridge_samples_published_total",
                "Samples handed to MQTT (resends included), per device.",
            )?;
            for (device, c) in devices.iter() {
                metrics::sample(&mut family, &[("device", device)], c[1])?;
            }
        }
        metrics::counter(
            encoder,
            "fieldbridge_samples_acked_total",
            "Samples the broker acknowledged (PUBACK).",
            get(&self.acked),
        )?;
        metrics::counter(
            encoder,
            "fieldbridge_samples_replayed_total",
            "Samples published as historical from a backlog.",
            get(&self.replayed),
        )?;
        metrics::counter(
            encoder,
            "fieldbridge_outbox_dropped_total",
            "Samples dropped unacknowledged because the outbox was full.",
            get(&self.dropped),
        )?;
        metrics::counter(
            encoder,
            "fieldbridge_outbox_errors_total",
            "Failed outbox operations (retried).",
            get(&self.outbox_errors),
        )?;
        metrics::counter(
            encoder,
            "fieldbridge_outbox_vanished_total",
            "Unacknowledged samples lost because their segment file or data_dir vanished.",
            get(&self.vanished),
        )?;
        metrics::gauge(
            encoder,
            "fieldbridge_outbox_pending",
            "Samples in the outbox not yet acknowledged.",
            get(&self.pending),
        )?;
        metrics::gauge(
            encoder,
            "fieldbridge_outbox_pending_bytes",
            "Bytes of those samples.",
            get(&self.pending_bytes),
        )?;
        metrics::gauge(
            encoder,
            "fieldbridge_outbox_disk_bytes",
            "Bytes of the outbox's files.",
            get(&self.disk_bytes),
        )?;
        metrics::gauge(
            encoder,
            "fieldbridge_outbox_oldest_age_seconds",
            "Age of the oldest unacknowledged sample.",
            self.oldest_age_seconds(),
        )?;
        metrics::gauge(
            encoder,
            "fieldbridge_mqtt_connected",
            "1 while the broker link is up.",
            u32::from(link.connected),
        )?;
        metrics::counter(
            encoder,
            "fieldbridge_mqtt_connects_total",
            "Connections to the broker (reconnects = this - 1).",
            link.connects,
        )?;
        metrics::histogram(
            encoder,
            "fieldbridge_publish_latency_seconds",
            "Bridge receive to broker PUBACK.",
            &self.latency,
        )?;
        self.storage.encode(encoder)?;
        self.link_counters.encode(encoder)
    }

    /// A one-off document of these metrics with `link` (the endpoint registers a collector that
    /// calls [`DeliveryStats::encode`] at each scrape instead).
    pub fn render(self: &Arc<Self>, link: LinkStatus, out: &mut MetricsText) {
        out.add(DeliveryAt(Arc::clone(self), link));
    }

    /// Age of the oldest unacknowledged sample, seconds (0 when none).
    pub fn oldest_age_seconds(&self) -> f64 {
        match self.oldest_appended_ms.load(Ordering::Relaxed) {
            0 => 0.0,
            ms => {
                (Timestamp::now().unix_millis() - i64::try_from(ms).unwrap_or(i64::MAX)).max(0)
                    as f64
                    / 1000.0
            }
        }
    }
}

/// The delivery's metrics with a fixed link status, for [`DeliveryStats::render`].
#[derive(Debug)]
struct DeliveryAt(Arc<DeliveryStats>, LinkStatus);

impl Collector for DeliveryAt {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        self.0.encode(self.1, &mut encoder)
    }
}
