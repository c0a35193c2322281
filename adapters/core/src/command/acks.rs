//! The PUBACKs the router owes the broker, released in the order the commands arrived.
//!
//! A command's PUBACK goes out right after its result (so that it rides on the broker's answer
//! to the result instead of waiting for a delayed TCP acknowledgement, see
//! `publisher::CommandAck`), or after [`ACK_WITHIN`] when the command takes longer, so that a slow
//! device never holds the broker's in-flight window. Whatever the order results complete in,
//! PUBACKs are released in the order of the PUBLISHes (MQTT 3.1.1 §4.6, MQTT 5.0 §4.6: a client
//! acknowledges QoS 1 messages in the order it received them).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::publisher::CommandAck;

/// The longest a received command's PUBACK waits for its result.
pub(crate) const ACK_WITHIN: Duration = Duration::from_millis(50);

/// A place in the queue, handed out per received PUBLISH.
pub(crate) type Ticket = u64;

#[derive(Debug)]
struct Owed {
    ticket: Ticket,
    ack: CommandAck,
    due: Instant,
    ready: bool,
}

/// PUBACKs owed, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct AckQueue {
    next: Ticket,
    owed: VecDeque<Owed>,
}

impl AckQueue {
    /// Records the PUBACK of a PUBLISH received `now`.
    pub(crate) fn owe(&mut self, ack: CommandAck, now: Instant) -> Ticket {
        self.next += 1;
        self.owed.push_back(Owed {
            ticket: self.next,
            ack,
            due: now + ACK_WITHIN,
            ready: false,
        });
        self.next
    }

    /// The PUBACK of `ticket` may go; returns every PUBACK that may go now, in order.
    pub(crate) fn ready(&mut self, ticket: Ticket) -> Vec<(Ticket, CommandAck)> {
        if let Some(o) = self.owed.iter_mut().find(|o| o.ticket == ticket) {
            o.ready = true;
        }
        self.release()
    }

    /// When the oldest PUBACK is due without its result.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.owed.front().map(|o| o.due)
    }

    /// Every PUBACK due by `now` may go; returns what may go now, in order.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<(Ticket, CommandAck)> {
        for o in self.owed.iter_mut().filter(|o| o.due <= now) {
            o.ready = true;
        }
        self.release()
    }

    fn release(&mut self) -> Vec<(Ticket, CommandAck)> {
        let mut out = Vec::new();
        while self.owed.front().is_some_and(|o| o.ready) {
            if let Some(o) = self.owed.pop_front() {
                out.push((o.ticket, o.ack));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(pkid: u16) -> CommandAck {
        CommandAck { epoch: 1, pkid }
    }

    #[test]
    fn pubacks_leave_in_arrival_order_whatever_order_results_complete_in() {
        let now = Instant::now();
        let mut q = AckQueue::default();
        let a = q.owe(ack(1), now);
        let b = q.owe(ack(2), now);
        let c = q.owe(ack(3), now);
        assert!(q.ready(b).is_empty(), "b waits for a");
        assert_eq!(q.ready(a), vec![(a, ack(1)), (b, ack(2))]);
        assert_eq!(q.ready(c), vec![(c, ack(3))]);
        assert_eq!(q.next_due(), None);
    }

    #[test]
    fn a_slow_command_does_not_hold_its_puback_beyond_the_limit() {
        let now = Instant::now();
        let mut q = AckQueue::default();
        let slow = q.owe(ack(1), now);
        let fast = q.owe(ack(2), now + Duration::from_millis(10));
        assert!(q.ready(fast).is_empty());
        assert_eq!(q.next_due(), Some(now + ACK_WITHIN));
        assert!(q.expire(now + ACK_WITHIN / 2).is_empty());
        assert_eq!(
            q.expire(now + ACK_WITHIN),
            vec![(slow, ack(1)), (fast, ack(2))]
        );
        // Its result, later, owes nothing any more.
        assert!(q.ready(slow).is_empty());
    }
}
