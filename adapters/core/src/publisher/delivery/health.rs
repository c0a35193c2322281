//! The delivery's view of its own health: a broker that stopped acknowledging, the gauges of the
//! metrics endpoint, the bridge's state topic and the disk faults it reports.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::time::Instant;

use super::{Delivery, Entry, ACK_STALL, SPACE_EVERY};
use crate::publisher::storage::{Change, Op};
use crate::time::Timestamp;
use crate::topic;

impl Delivery {
    /// Drops the connection when the broker has acknowledged nothing for [`ACK_STALL`] while
    /// publishes were outstanding (the link reconnects, to the next node of a cluster).
    pub(super) fn check_stall(&mut self) {
        let Some(ep) = self.link.as_mut() else { return };
        let samples_out = ep
            .submitted
            .iter()
            .chain(ep.inflight.values())
            .any(|e| matches!(e, Entry::Sample { .. }));
        // A connection the client refused a request on (`dead`) is expected to go down; one
        // that does not (its event loop waits for PUBACKs that never come) is dropped too.
        if !samples_out && !ep.dead {
            ep.last_progress = Instant::now();
            return;
        }
        if ep.drop_requested || ep.last_progress.elapsed() < ACK_STALL {
            return;
        }
        ep.dead = true;
        ep.drop_requested = true;
        tracing::warn!(
            epoch = ep.id,
            outstanding = ep.outstanding(),
            stall_s = ACK_STALL.as_secs(),
            "no PUBACK from the broker for a while with publishes outstanding: dropping the connection"
        );
        let _ = self.drop_epoch.send(ep.id);
    }

    pub(super) fn update_gauges(&self) {
        let s = &self.stats;
        s.pending
            .store(self.outbox.pending_len(), Ordering::Relaxed);
        s.pending_bytes
            .store(self.outbox.pending_bytes(), Ordering::Relaxed);
        s.disk_bytes
            .store(self.outbox.disk_bytes(), Ordering::Relaxed);
        let vanished = self.outbox.vanished_total();
        let before = s.vanished.swap(vanished, Ordering::Relaxed);
        if vanished > before {
            tracing::error!(
                lost = vanished - before,
                total = vanished,
                "data_dir: outbox files vanished (an unplugged card, a deleted folder); their unacknowledged samples are lost"
            );
        }
        let oldest = self
            .outbox
            .oldest_pending()
            .map_or(0, |r| r.appended_at_ms.max(1));
        s.oldest_appended_ms.store(oldest, Ordering::Relaxed);
    }

    /// The bridge's retained state, with the same summary the metrics endpoint shows.
    pub(super) fn publish_bridge_state(&mut self, online: bool) {
        if self.spb.is_some() {
            self.sparkplug_node_state();
            return;
        }
        let s = &self.stats;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let summary = topic::BridgeSummary {
            outbox_pending: get(&s.pending),
            outbox_bytes: get(&s.pending_bytes),
            oldest_age_seconds: s.oldest_age_seconds(),
            dropped: get(&s.dropped),
            samples_in: get(&s.appended),
            samples_acked: get(&s.acked),
            storage: s.storage.problem(),
        };
        let since = if online {
            self.started
        } else {
            Timestamp::now()
        };
        let config = self.config_version.borrow_and_update().clone();
        let info = topic::BridgeInfo {
            config: Some(config.as_str()).filter(|c| !c.is_empty()),
            broker: self.broker.as_deref(),
        };
        let payload = topic::bridge_state_payload(online, since, &info, Some(&summary));
        self.publish_retained(self.topics.bridge_state(), payload);
    }

    /// A disk operation failed: counted, logged (throttled), and when it begins to fail the
    /// retained bridge state says so at once.
    pub(super) fn storage_failed(
        &mut self,
        op: Op,
        kind: &'static str,
        error: &dyn std::fmt::Display,
    ) {
        if self.storage.failed(&self.stats.storage, op, kind, error) == Change::Began {
            self.publish_bridge_state(true);
        }
    }

    /// A disk operation worked: if it had been failing, the bridge state says it is over.
    pub(super) fn storage_ok(&mut self, op: Op) {
        if self.storage.succeeded(&self.stats.storage, op) {
            self.publish_bridge_state(true);
        }
    }

    /// Reads the free space of `data_dir` for the metrics, every [`SPACE_EVERY`].
    pub(super) fn read_space(&mut self) {
        if self.space_read.is_some_and(|at| at.elapsed() < SPACE_EVERY) {
            return;
        }
        self.space_read = Some(Instant::now());
        match self.outbox.fs_space() {
            Ok(space) => self.stats.storage.set_space(space.available, space.total),
            Err(error) => tracing::debug!(%error, "cannot read the free space of data_dir"),
        }
    }
}
