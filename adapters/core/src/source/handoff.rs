//! Backpressure that keeps a field link alive.
//!
//! The point stream is bounded: when the publisher falls behind (a slow disk, a full outbox under
//! `when_full = "backpressure"`), `events.send(..).await` waits. A polling source (Modbus) may wait
//! there: it simply polls later. A source that keeps a link alive must not: an IEC 104 master that
//! waits stops answering TESTFR and sending S-frames, the outstation's t1 expires and it drops the
//! link; an HDLC client that waits lets the meter's inactivity timer close the association.
//!
//! Such a source keeps serving its socket and timers and stops *acknowledging field data* instead:
//! readings it decoded wait in a [`Handoff`], each with the field acknowledgement that it releases
//! (an IEC 104 receive sequence number, an HDLC N(R)). The acknowledgement goes to the field only
//! once its reading is in the point stream, so the device's own window (k for IEC 104, the HDLC
//! window) throttles it, nothing is lost, and the link never times out:
//!
//! ```no_run
//! # use fieldbridge_core::event::{EventSender, SourceEvent};
//! # use fieldbridge_core::source::Handoff;
//! # async fn link(events: EventSender, mut frames: tokio::sync::mpsc::Receiver<(u16, SourceEvent)>) {
//! let mut handoff: Handoff<u16> = Handoff::new(12); // at most k readings wait
//! let mut keep_alive = tokio::time::interval(std::time::Duration::from_secs(20));
//! loop {
//!     tokio::select! {
//!         // Room in the point stream: hand over what waits, then acknowledge it to the field.
//!         permit = events.reserve(), if !handoff.is_empty() => {
//!             let Ok(permit) = permit else { return };
//!             if let Some(_receive_seq) = handoff.deliver(permit, &events) {
//!                 // send the S-frame acknowledging up to _receive_seq
//!             }
//!         }
//!         // The link is always served: data is read only while there is room to keep it.
//!         Some((seq, reading)) = frames.recv(), if !handoff.is_full() => handoff.push(reading, Some(seq)),
//!         _ = keep_alive.tick() => { /* send TESTFR act; answer TESTFR con */ }
//!     }
//! }
//! # }
//! ```

use std::collections::VecDeque;

use tokio::sync::mpsc::Permit;

use crate::event::{EventSender, SourceEvent};

/// Events decoded from the field that wait for room in the point stream, each with the field
/// acknowledgement (`A`) that may be sent once it is in.
#[derive(Debug)]
pub struct Handoff<A> {
    queue: VecDeque<(SourceEvent, Option<A>)>,
    capacity: usize,
}

impl<A> Handoff<A> {
    /// Room for `capacity` waiting events: the device's window (IEC 104 `k`, the HDLC window), so
    /// that a device which respects it never finds the source full.
    pub fn new(capacity: usize) -> Self {
        Handoff {
            queue: VecDeque::with_capacity(capacity.max(1)),
            capacity: capacity.max(1),
        }
    }

    /// Queues an event; `ack` is what its delivery allows the source to acknowledge to the field.
    ///
    /// Never refuses: a device that ignores its window is still never lost (the queue grows past
    /// its capacity), but [`Handoff::is_full`] tells the source to stop reading field data.
    pub fn push(&mut self, event: SourceEvent, ack: Option<A>) {
        self.queue.push_back((event, ack));
    }

    /// Whether anything waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// How many events wait.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether the source should stop taking field data (it still answers keep-alives).
    pub fn is_full(&self) -> bool {
        self.queue.len() >= self.capacity
    }

    /// Sends the oldest waiting event with `permit`, then as many more as the point stream takes
    /// without waiting; returns the last acknowledgement so released (acknowledgements are
    /// cumulative in every protocol that uses this: IEC 104 N(R), HDLC N(R)).
    pub fn deliver(&mut self, permit: Permit<'_, SourceEvent>, events: &EventSender) -> Option<A> {
        let mut released = None;
        let Some((event, ack)) = self.queue.pop_front() else {
            // Nothing waited: the permit is dropped, which returns its slot.
            return None;
        };
        permit.send(event);
        if ack.is_some() {
            released = ack;
        }
        while !self.queue.is_empty() {
            let Ok(permit) = events.try_reserve() else {
                break;
            };
            if let Some((event, ack)) = self.queue.pop_front() {
                permit.send(event);
                if ack.is_some() {
                    released = ack;
                }
            }
        }
        released
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::event::{self, DeviceState};
    use crate::time::Timestamp;

    fn state(n: u64) -> SourceEvent {
        SourceEvent::DeviceState(DeviceState {
            device: Arc::from("d"),
            online: true,
            reason: Some(n.to_string()),
            since: Timestamp::now(),
        })
    }

    fn number(e: &SourceEvent) -> u64 {
        match e {
            SourceEvent::DeviceState(s) => s.reason.as_deref().unwrap_or("").parse().unwrap_or(0),
            _ => u64::MAX,
        }
    }

    /// A link with a device window of `k`: the device sends data only while fewer than `k` are
    /// unacknowledged, and a keep-alive every 20 s that must be answered within 15 s (t1).
    #[tokio::test(start_paused = true)]
    async fn a_stalled_point_stream_stops_acknowledgements_not_keep_alives() {
        let (tx, mut rx) = event::channel(4);
        let k = 12u64;
        let link = tokio::spawn(async move {
            let mut handoff: Handoff<u64> = Handoff::new(k as usize);
            let (mut sent, mut acked) = (0u64, 0u64);
            let mut keep_alive = tokio::time::interval(Duration::from_secs(20));
            let mut pings_answered = 0u32;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(50);
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            loop {
                tokio::select! {
                    permit = tx.reserve(), if !handoff.is_empty() => {
                        let Ok(permit) = permit else { break };
                        if let Some(ack) = handoff.deliver(permit, &tx) {
                            acked = ack;
                        }
                    }
                    // The device sends while its window allows.
                    _ = tick.tick(), if sent - acked < k && !handoff.is_full() && sent < 200 => {
                        sent += 1;
                        handoff.push(state(sent), Some(sent));
                    }
                    _ = keep_alive.tick() => pings_answered += 1,
                    _ = tokio::time::sleep_until(deadline) => break,
                }
            }
            (pings_answered, acked)
        });
        // The publisher stalls for 30 s: nothing is read from the stream.
        tokio::time::sleep(Duration::from_secs(30)).await;
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(number(&e));
        }
        // Only the stream's capacity went in; the rest wait unacknowledged at the device.
        assert_eq!(got, [1, 2, 3, 4]);
        // Then it drains.
        let reader = tokio::spawn(async move {
            let mut rest = Vec::new();
            while let Some(e) = rx.recv().await {
                rest.push(number(&e));
            }
            rest
        });
        let (pings, acked) = link.await.unwrap_or_default();
        // A keep-alive every 20 s over 50 s, each answered at once: the stall never stopped them.
        assert_eq!(pings, 3);
        assert_eq!(acked, 200);
        let rest = reader.await.unwrap_or_default();
        got.extend(rest);
        assert_eq!(got, (1..=200).collect::<Vec<_>>(), "nothing lost, in order");
    }

    #[test]
    fn delivering_releases_the_last_acknowledgement_of_what_fitted() {
        let (tx, mut rx) = event::channel(3);
        let mut h: Handoff<u64> = Handoff::new(2);
        h.push(state(1), Some(1));
        h.push(state(2), None);
        assert!(h.is_full());
        h.push(state(3), Some(3));
        h.push(state(4), Some(4));
        let permit = tx.try_reserve().unwrap_or_else(|_| panic!("room"));
        assert_eq!(h.deliver(permit, &tx), Some(3));
        assert_eq!(h.len(), 1);
        assert_eq!(number(&rx.try_recv().unwrap_or_else(|_| panic!())), 1);
    }
}
