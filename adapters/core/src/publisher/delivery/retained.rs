//! Retained messages (the bridge's state, each device's `$meta` and `$state`) waiting for room on
//! the MQTT connection. They go out before samples, but within the same window, so that a bridge
//! announcing a thousand devices after a connect never overflows the client's request queue.
//! Only the newest payload of a topic matters to a retained topic: a newer one replaces a
//! waiting older one in its place.

use std::collections::{HashMap, VecDeque};

use rumqttc::QoS;

use super::{Delivery, Entry, Epoch};
use crate::event::{DeviceMeta, DeviceState};
use crate::time::Timestamp;
use crate::topic;

/// The retained messages not handed to the client yet, oldest topic first.
#[derive(Debug, Default)]
pub(crate) struct RetainedQueue {
    order: VecDeque<String>,
    payloads: HashMap<String, Vec<u8>>,
}

impl RetainedQueue {
    /// Queues `payload` for `topic`, replacing a payload of the same topic still waiting.
    pub(crate) fn push(&mut self, topic: String, payload: Vec<u8>) {
        if let Some(waiting) = self.payloads.get_mut(&topic) {
            *waiting = payload;
            return;
        }
        self.order.push_back(topic.clone());
        self.payloads.insert(topic, payload);
    }

    /// The oldest waiting topic and its newest payload.
    pub(crate) fn pop(&mut self) -> Option<(String, Vec<u8>)> {
        while let Some(topic) = self.order.pop_front() {
            if let Some(payload) = self.payloads.remove(&topic) {
                return Some((topic, payload));
            }
        }
        None
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.payloads.is_empty()
    }
}

impl Delivery {
    /// Queues a retained message for the current connection, and hands out what the window
    /// allows. Without a connection it is not kept: every connection starts with the bridge's
    /// state and every device's meta and state again ([`Delivery::announce`]).
    pub(super) fn publish_retained(&mut self, topic: String, payload: Vec<u8>) {
        if self.link.as_ref().is_none_or(|ep| ep.dead) {
            return;
        }
        self.retained.push(topic, payload);
        self.pump_retained(Epoch::has_room);
    }

    /// Hands waiting retained messages to the client while the connection `has_room`
    /// ([`Epoch::has_room`]: the window, so that the client's request queue never fills and a
    /// refusal means the connection is going down, after which the next one announces everything
    /// again).
    pub(super) fn pump_retained(&mut self, has_room: fn(&Epoch) -> bool) {
        let Some(ep) = self.link.as_mut() else {
            return;
        };
        while !ep.dead && has_room(ep) {
            let Some((topic, payload)) = self.retained.pop() else {
                return;
            };
            if ep
                .client
                .try_publish(topic, QoS::AtLeastOnce, true, payload)
                .is_err()
            {
                ep.dead = true;
                return;
            }
            ep.submitted.push_back(Entry::Retained);
        }
    }

    /// After every connection: the bridge's own state, then every device's meta and state, so a
    /// retained message lost with a broker restart is put back.
    pub(super) fn announce(&mut self) {
        self.update_gauges();
        self.publish_bridge_state(true);
        let metas: Vec<DeviceMeta> = self.metas.values().cloned().collect();
        for meta in &metas {
            self.publish_meta(meta);
        }
        let states: Vec<DeviceState> = self.states.values().cloned().collect();
        for state in &states {
            self.publish_state(state);
        }
    }

    pub(super) fn publish_state(&mut self, state: &DeviceState) {
        let topic = self.topics.device_state(&state.device);
        self.publish_retained(topic, topic::device_state_payload(state));
    }

    pub(super) fn publish_meta(&mut self, meta: &DeviceMeta) {
        let topic = self.topics.device_meta(&meta.device);
        self.publish_retained(topic, topic::device_meta_payload(meta));
    }

    /// A clean stop: every device's retained state goes offline too (the last will covers only the
    /// bridge's own topic, and a clean DISCONNECT suppresses it), then the bridge's, then the
    /// DISCONNECT. These go out whatever the window, as many as the client's queue takes, and a
    /// place is kept for the bridge's own state: with more devices than the queue takes, the last
    /// device states are left out, never the bridge's.
    pub(super) fn say_goodbye(&mut self) {
        if self.spb.is_some() {
            self.sparkplug_goodbye();
            if let Some(ep) = self.link.as_ref() {
                let _ = ep.client.try_disconnect();
            }
            return;
        }
        let now = Timestamp::now();
        let states: Vec<DeviceState> = self.states.values().cloned().collect();
        for state in states {
            let offline = DeviceState {
                online: false,
                reason: Some("bridge stopped".to_owned()),
                since: now,
                ..state
            };
            self.publish_state(&offline);
        }
        const ROOM: usize = crate::publisher::link::REQUEST_QUEUE;
        self.pump_retained(|ep| ep.submitted.len() + 9 < ROOM);
        self.retained = RetainedQueue::default();
        self.update_gauges();
        self.publish_bridge_state(false);
        self.pump_retained(|ep| ep.submitted.len() + 8 < ROOM);
        if let Some(ep) = self.link.as_ref() {
            let _ = ep.client.try_disconnect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_payload_replaces_the_waiting_one_in_its_place() {
        let mut q = RetainedQueue::default();
        q.push("a/$state".into(), b"offline".to_vec());
        q.push("b/$meta".into(), b"m".to_vec());
        q.push("a/$state".into(), b"online".to_vec());
        assert_eq!(q.pop(), Some(("a/$state".into(), b"online".to_vec())));
        assert_eq!(q.pop(), Some(("b/$meta".into(), b"m".to_vec())));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }
}
