//! The two halves of the numbered transfer of IEC 60870-5-104 clause 5.1: the I frames we sent
//! and the peer's acknowledgements of them (V(S), the last N(R) received, k), and the I frames we
//! received and our acknowledgements of them (V(R), the last N(R) sent, w and t2).

use super::CloseReason;
use crate::apci::SeqNo;
use std::collections::VecDeque;
use std::time::Instant;

/// The I frames sent and not yet acknowledged (IEC 60870-5-104 clauses 5.1 and 5.5).
#[derive(Debug, Clone)]
pub(super) struct SendWindow {
    /// V(S): the N(S) of the next I frame.
    next: SeqNo,
    /// The oldest N(S) not acknowledged: the last N(R) received.
    acked: SeqNo,
    /// When each unacknowledged I frame was sent, oldest first; `acked.distance_to(next)` long.
    sent_at: VecDeque<Instant>,
    /// At most this many unacknowledged I frames (clause 5.5).
    k: u16,
}

impl SendWindow {
    /// An empty window of `k` frames, both counters at 0 (clause 5.1: counters start at 0 when a
    /// connection is opened).
    pub(super) fn new(k: u16) -> Self {
        Self {
            next: SeqNo::ZERO,
            acked: SeqNo::ZERO,
            sent_at: VecDeque::with_capacity(usize::from(k)),
            k,
        }
    }

    /// V(S), the N(S) the next I frame carries.
    pub(super) fn next(&self) -> SeqNo {
        self.next
    }

    /// The I frames sent and not yet acknowledged.
    pub(super) fn outstanding(&self) -> u16 {
        self.acked.distance_to(self.next)
    }

    /// Whether k frames are outstanding, so no I frame may be sent (clause 5.5).
    pub(super) fn is_full(&self) -> bool {
        self.outstanding() >= self.k
    }

    /// When the oldest unacknowledged I frame was sent.
    pub(super) fn oldest(&self) -> Option<Instant> {
        self.sent_at.front().copied()
    }

    /// Counts an I frame sent at `now` and returns its N(S).
    pub(super) fn push(&mut self, now: Instant) -> SeqNo {
        let send = self.next;
        self.next = send.next();
        self.sent_at.push_back(now);
        send
    }

    /// Applies a received N(R), which acknowledges every I frame before it, and returns how many
    /// frames it newly acknowledged.
    ///
    /// # Errors
    /// [`CloseReason::BadAck`] unless `recv` lies between the last N(R) received and V(S), both
    /// included: anything else acknowledges a frame never sent, or goes back (clause 5.1).
    pub(super) fn acknowledge(&mut self, recv: SeqNo) -> Result<u16, CloseReason> {
        if !recv.is_within(self.acked, self.next) {
            return Err(CloseReason::BadAck {
                found: recv,
                oldest: self.acked,
                next: self.next,
            });
        }
        let count = self.acked.distance_to(recv);
        for _ in 0..count {
            self.sent_at.pop_front();
        }
        self.acked = recv;
        Ok(count)
    }
}

/// The I frames received and our acknowledgements of them (IEC 60870-5-104 clause 5.1).
#[derive(Debug, Clone)]
pub(super) struct ReceiveWindow {
    /// V(R): the N(S) the next I frame must carry.
    next: SeqNo,
    /// The last N(R) sent: every I frame before it is acknowledged.
    acked: SeqNo,
    /// When the oldest unacknowledged I frame arrived: t2 runs from there.
    unacked_since: Option<Instant>,
}

impl ReceiveWindow {
    /// Nothing received, both counters at 0.
    pub(super) fn new() -> Self {
        Self {
            next: SeqNo::ZERO,
            acked: SeqNo::ZERO,
            unacked_since: None,
        }
    }

    /// V(R): the N(R) that acknowledges everything received.
    pub(super) fn next(&self) -> SeqNo {
        self.next
    }

    /// The I frames received and not yet acknowledged.
    pub(super) fn unacked(&self) -> u16 {
        self.acked.distance_to(self.next)
    }

    /// When the oldest unacknowledged I frame arrived.
    pub(super) fn unacked_since(&self) -> Option<Instant> {
        self.unacked_since
    }

    /// The last N(R) sent, which a frame sent while acknowledgements are held repeats.
    pub(super) fn last_ack(&self) -> SeqNo {
        self.acked
    }

    /// Counts an I frame with N(S) `send` received at `now`.
    ///
    /// # Errors
    /// [`CloseReason::SequenceError`] when `send` is not V(R) (a frame lost, repeated or out of
    /// order; clause 5.1); [`CloseReason::ReceiveOverflow`] when 32767 frames are unacknowledged
    /// already, so one more would make N(R) ambiguous.
    pub(super) fn receive(&mut self, send: SeqNo, now: Instant) -> Result<(), CloseReason> {
        if send != self.next {
            return Err(CloseReason::SequenceError {
                expected: self.next,
                found: send,
            });
        }
        if self.unacked() == SeqNo::MAX.get() {
            return Err(CloseReason::ReceiveOverflow);
        }
        self.next = send.next();
        self.unacked_since.get_or_insert(now);
        Ok(())
    }

    /// Acknowledges everything received: returns V(R), the N(R) to send.
    pub(super) fn acknowledge_all(&mut self) -> SeqNo {
        self.acked = self.next;
        self.unacked_since = None;
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn an_ack_frees_the_frames_before_it_and_keeps_the_send_times_of_the_rest() {
        let t0 = Instant::now();
        let mut w = SendWindow::new(3);
        for i in 0..3 {
            w.push(t0 + Duration::from_secs(i));
        }
        assert!(w.is_full());
        assert_eq!(w.acknowledge(SeqNo::wrapping(2)), Ok(2));
        assert_eq!(w.outstanding(), 1);
        assert_eq!(w.oldest(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(
            w.acknowledge(SeqNo::wrapping(2)),
            Ok(0),
            "a repeated N(R) is fine"
        );
    }

    #[test]
    fn an_ack_beyond_v_s_or_behind_the_last_one_is_refused() {
        let mut w = SendWindow::new(12);
        w.push(Instant::now());
        w.push(Instant::now());
        assert_eq!(w.acknowledge(SeqNo::wrapping(1)), Ok(1));
        for bad in [0, 3, 32767] {
            assert_eq!(
                w.acknowledge(SeqNo::wrapping(bad)),
                Err(CloseReason::BadAck {
                    found: SeqNo::wrapping(bad),
                    oldest: SeqNo::wrapping(1),
                    next: SeqNo::wrapping(2),
                })
            );
        }
    }

    #[test]
    fn the_receive_window_wants_the_next_n_s_and_remembers_when_t2_started() {
        let t0 = Instant::now();
        let mut r = ReceiveWindow::new();
        assert_eq!(r.receive(SeqNo::ZERO, t0), Ok(()));
        assert_eq!(
            r.receive(SeqNo::wrapping(1), t0 + Duration::from_secs(1)),
            Ok(())
        );
        assert_eq!(r.unacked_since(), Some(t0));
        assert_eq!(
            r.receive(SeqNo::wrapping(3), t0),
            Err(CloseReason::SequenceError {
                expected: SeqNo::wrapping(2),
                found: SeqNo::wrapping(3),
            })
        );
        assert_eq!(r.acknowledge_all(), SeqNo::wrapping(2));
        assert_eq!((r.unacked(), r.unacked_since()), (0, None));
    }
}
