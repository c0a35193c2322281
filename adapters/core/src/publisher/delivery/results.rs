//! Command results (direct messages): published at QoS 1 beside the samples, never through the
//! outbox, kept in memory until the broker acknowledges them.

use std::sync::atomic::Ordering;

use rumqttc::QoS;

use super::{Delivery, Entry};
use crate::publisher::failure::LinkCounters;
use crate::publisher::DirectMessage;

impl Delivery {
    /// A command result to publish: queued in memory, never in the outbox.
    pub(super) fn queue_direct(&mut self, message: DirectMessage) {
        let dropped = self.direct.push(message);
        if dropped > 0 {
            let c = &self.stats.link_counters.results_dropped;
            c.fetch_add(dropped, Ordering::Relaxed);
            tracing::warn!(
                dropped,
                total = c.load(Ordering::Relaxed),
                waiting = self.direct.len(),
                "too many command results wait for the broker: the oldest were dropped"
            );
        }
    }

    /// Hands waiting command results to the client, before samples: each is one PUBLISH at QoS 1,
    /// not retained, paired with its PUBACK through the same FIFO as the samples.
    pub(super) fn pump_direct(&mut self) {
        let Some(ep) = self.link.as_mut() else { return };
        while !ep.dead && ep.has_room() {
            let Some((id, message)) = self.direct.take() else {
                return;
            };
            // The command's PUBACK follows its result, on the connection it came on only.
            let ack = message.ack.filter(|a| a.epoch == ep.id);
            if message.topic.is_empty() {
                self.direct.acked(id);
            } else if ep
                .client
                .try_publish(message.topic, QoS::AtLeastOnce, false, message.payload)
                .is_err()
            {
                self.direct.untake(id);
                ep.dead = true;
                return;
            } else {
                ep.submitted.push_back(Entry::Direct(id));
                LinkCounters::bump(&self.stats.link_counters.results_published);
            }
            if let Some(ack) = ack {
                if ep.client.try_ack(ack).is_err() {
                    ep.dead = true;
                    return;
                }
            }
        }
    }
}
