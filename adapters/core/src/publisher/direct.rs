//! Messages published outside the outbox: command results. Each goes at QoS 1, not retained,
//! through the current connection's client, and is kept in memory until the broker's PUBACK
//! (MQTT 3.1.1 §4.3.2): what was not acknowledged when a connection fails is sent again on the
//! next one, and what arrives while there is no connection waits for it. The memory is bounded:
//! past [`MAX_WAITING`] the oldest is dropped, counted and logged.

use std::collections::{BTreeMap, VecDeque};

use super::DirectMessage;

/// Most command results kept waiting for an acknowledgement.
pub(crate) const MAX_WAITING: usize = 10_000;

/// What one submitted PUBLISH was, so that its PUBACK finds its way (the FIFO of `delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// A sample from the outbox: its seq and append time (Unix ms).
    Sample { seq: u64, appended_ms: u64 },
    /// A retained state or meta message: nothing to record.
    Retained,
    /// A direct message (command result): its id in the [`DirectQueue`].
    Direct(u64),
}

impl Entry {
    /// The sample's seq and append time, for a sample.
    pub(crate) fn sample(self) -> Option<(u64, u64)> {
        match self {
            Entry::Sample { seq, appended_ms } => Some((seq, appended_ms)),
            _ => None,
        }
    }
}

/// Direct messages not yet acknowledged, in arrival order.
#[derive(Debug)]
pub(crate) struct DirectQueue {
    next_id: u64,
    /// Waiting to be handed to a client.
    unsent: VecDeque<(u64, DirectMessage)>,
    /// Handed to the current connection's client, waiting for the PUBACK.
    sent: BTreeMap<u64, DirectMessage>,
    max: usize,
}

impl Default for DirectQueue {
    fn default() -> Self {
        DirectQueue::new(MAX_WAITING)
    }
}

impl DirectQueue {
    pub(crate) fn new(max: usize) -> Self {
        DirectQueue {
            next_id: 1,
            unsent: VecDeque::new(),
            sent: BTreeMap::new(),
            max: max.max(1),
        }
    }

    /// Messages not acknowledged.
    pub(crate) fn len(&self) -> usize {
        self.unsent.len() + self.sent.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues a message; returns how many older ones were dropped to make room.
    pub(crate) fn push(&mut self, message: DirectMessage) -> u64 {
        let mut dropped = 0;
        while self.len() >= self.max {
            // The oldest: the smallest id, sent or not.
            let oldest_sent = self.sent.keys().next().copied();
            let oldest_unsent = self.unsent.front().map(|(id, _)| *id);
            match (oldest_sent, oldest_unsent) {
                (Some(s), Some(u)) if u < s => {
                    self.unsent.pop_front();
                }
                (Some(s), _) => {
                    self.sent.remove(&s);
                }
                (None, Some(_)) => {
                    self.unsent.pop_front();
                }
                (None, None) => break,
            }
            dropped += 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.unsent.push_back((id, message));
        dropped
    }

    /// The next message to publish, now counted as sent.
    pub(crate) fn take(&mut self) -> Option<(u64, DirectMessage)> {
        let (id, message) = self.unsent.pop_front()?;
        self.sent.insert(id, message.clone());
        Some((id, message))
    }

    /// The client refused it: it goes back to the front.
    pub(crate) fn untake(&mut self, id: u64) {
        if let Some(message) = self.sent.remove(&id) {
            self.unsent.push_front((id, message));
        }
    }

    /// The broker acknowledged it.
    pub(crate) fn acked(&mut self, id: u64) -> bool {
        self.sent.remove(&id).is_some()
    }

    /// A new connection: everything sent and not acknowledged goes out again, first, in order.
    pub(crate) fn requeue(&mut self) {
        let sent = std::mem::take(&mut self.sent);
        for (id, message) in sent.into_iter().rev() {
            self.unsent.push_front((id, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(n: u32) -> DirectMessage {
        DirectMessage {
            topic: format!("t/{n}"),
            payload: n.to_string().into_bytes(),
            ack: None,
        }
    }

    #[test]
    fn unacknowledged_messages_go_again_in_order_after_a_reconnect() {
        let mut q = DirectQueue::new(10);
        for n in 1..=3 {
            q.push(msg(n));
        }
        let (a, _) = q.take().unwrap_or((0, msg(0)));
        let (b, _) = q.take().unwrap_or((0, msg(0)));
        assert!(q.acked(a));
        assert!(!q.acked(a));
        q.requeue();
        assert_eq!(q.len(), 2);
        assert_eq!(
            q.take().map(|(id, m)| (id, m.topic)),
            Some((b, "t/2".into()))
        );
        assert_eq!(q.take().map(|(_, m)| m.topic), Some("t/3".into()));
        assert_eq!(q.take(), None);
    }

    #[test]
    fn the_oldest_is_dropped_when_full() {
        let mut q = DirectQueue::new(2);
        assert_eq!(q.push(msg(1)), 0);
        let (id, _) = q.take().unwrap_or((0, msg(0)));
        assert_eq!(q.push(msg(2)), 0);
        assert_eq!(q.push(msg(3)), 1);
        assert!(!q.acked(id), "the sent one was the oldest");
        q.untake(99);
        assert_eq!(q.take().map(|(_, m)| m.topic), Some("t/2".into()));
        assert_eq!(q.len(), 2);
    }
}
