//! TCP reassembly of one direction of a connection: segments in sequence order, retransmitted
//! bytes dropped, out-of-order segments held until the gap before them fills.
//!
//! A gap that never fills (the capture missed a segment) is skipped, and reported, when the
//! receiver acknowledges bytes after it (they were sent; the capture lost them), when too many
//! segments wait behind it, or at the end of the capture.

/// The most out-of-order segments held behind one gap before the gap is skipped.
const MAX_HELD: usize = 256;

/// What reassembly hands on, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery<T> {
    /// New bytes, and the tag of the segment that brought them.
    Data(Vec<u8>, T),
    /// `missing` bytes of the stream are not in the capture; the bytes after them come next.
    /// The tag is that of the packet that showed the gap.
    Gap {
        /// How many bytes were skipped.
        missing: u64,
        /// The packet that revealed the gap.
        tag: T,
    },
}

/// A segment waiting for the bytes before it.
#[derive(Debug)]
struct Held<T> {
    seq: u32,
    bytes: Vec<u8>,
    tag: T,
}

/// One direction of a TCP connection. `T` tags each segment (its frame number and time).
#[derive(Debug)]
pub(crate) struct Stream<T> {
    /// The sequence number of the next byte expected; unknown until a SYN or the first data.
    next: Option<u32>,
    held: Vec<Held<T>>,
    /// The sequence number of the FIN, once seen: it takes one number after the last byte.
    fin: Option<u32>,
}

impl<T> Default for Stream<T> {
    fn default() -> Self {
        Self {
            next: None,
            held: Vec::new(),
            fin: None,
        }
    }
}

/// How far `a` is after `b` in sequence space (negative: before), modulo 2^32.
fn after(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl<T: Clone> Stream<T> {
    /// A SYN with sequence number `seq`: the data starts at `seq + 1`. A SYN with another
    /// sequence number than the one already seen starts a new connection on the same ports.
    pub(crate) fn syn(&mut self, seq: u32) {
        let start = seq.wrapping_add(1);
        if self.next != Some(start) {
            self.next = Some(start);
            self.held.clear();
            self.fin = None;
        }
    }

    /// A segment carrying `payload` from sequence number `seq`, and a FIN after it when `fin`: the
    /// bytes it makes available.
    pub(crate) fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        fin: bool,
        tag: T,
    ) -> Vec<Delivery<T>> {
        let next = *self.next.get_or_insert(seq);
        if fin {
            self.fin = Some(seq.wrapping_add(payload.len() as u32));
        }
        if payload.is_empty() {
            return self.drain();
        }
        if after(seq.wrapping_add(payload.len() as u32), next) <= 0 {
            return Vec::new(); // a retransmission of bytes already delivered
        }
        self.held.push(Held {
            seq,
            bytes: payload.to_vec(),
            tag,
        });
        let mut out = self.drain();
        if self.held.len() > MAX_HELD {
            self.skip_to_held(&mut out, None);
        }
        out
    }

    /// The other side acknowledged everything before `ack`: bytes before it that were not captured
    /// never will be, so the gap is skipped. `tag` is the acknowledging packet's.
    pub(crate) fn acked(&mut self, ack: u32, tag: &T) -> Vec<Delivery<T>> {
        let mut out = Vec::new();
        while let Some(next) = self.next {
            if after(ack, next) <= 0 {
                break;
            }
            if !self.skip_to_held(&mut out, Some(ack)) {
                out.push(Delivery::Gap {
                    missing: after(ack, next) as u64,
                    tag: tag.clone(),
                });
                self.next = Some(ack);
            }
        }
        out
    }

    /// The capture ended: skips every remaining gap, delivering what was held after it.
    pub(crate) fn finish(&mut self) -> Vec<Delivery<T>> {
        let mut out = Vec::new();
        while self.skip_to_held(&mut out, None) {}
        out
    }

    /// Skips the gap before the earliest held segment (if it starts before `limit`, when given)
    /// and delivers it and what follows; false when there is nothing to skip to.
    fn skip_to_held(&mut self, out: &mut Vec<Delivery<T>>, limit: Option<u32>) -> bool {
        let Some(next) = self.next else {
            return false;
        };
        let Some(first) = self.held.iter().min_by_key(|h| after(h.seq, next)) else {
            return false;
        };
        if limit.is_some_and(|limit| after(first.seq, limit) >= 0) {
            return false;
        }
        out.push(Delivery::Gap {
            missing: after(first.seq, next).max(0) as u64,
            tag: first.tag.clone(),
        });
        self.next = Some(first.seq);
        out.extend(self.drain());
        true
    }

    /// Delivers held segments while they continue the stream, trimming bytes already delivered.
    fn drain(&mut self) -> Vec<Delivery<T>> {
        let mut out = Vec::new();
        let Some(mut next) = self.next else {
            return out;
        };
        while let Some(i) = self.held.iter().position(|h| after(h.seq, next) <= 0) {
            let held = self.held.swap_remove(i);
            let seen = after(next, held.seq) as usize;
            if seen < held.bytes.len() {
                let fresh = held.bytes[seen..].to_vec();
                next = next.wrapping_add(fresh.len() as u32);
                out.push(Delivery::Data(fresh, held.tag));
            }
        }
        if self.fin == Some(next) {
            next = next.wrapping_add(1);
            self.fin = None;
        }
        self.next = Some(next);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Delivery, Stream};

    fn data(out: &[Delivery<u32>]) -> Vec<(String, u32)> {
        out.iter()
            .map(|d| match d {
                Delivery::Data(b, t) => (String::from_utf8_lossy(b).into_owned(), *t),
                Delivery::Gap { missing, tag } => (format!("<gap {missing}>"), *tag),
            })
            .collect()
    }

    #[test]
    fn segments_are_ordered_and_retransmissions_dropped() {
        let mut s = Stream::default();
        s.syn(u32::MAX - 2); // the sequence numbers wrap
        let start = u32::MAX - 1;
        assert_eq!(data(&s.segment(start, b"ab", false, 1)), [("ab".into(), 1)]);
        // Out of order: "ef" waits for "cd".
        assert!(s.segment(start.wrapping_add(4), b"ef", false, 2).is_empty());
        assert_eq!(
            data(&s.segment(start.wrapping_add(2), b"cd", false, 3)),
            [("cd".into(), 3), ("ef".into(), 2)]
        );
        // A retransmission, and one overlapping new bytes.
        assert!(s.segment(start, b"abcd", false, 4).is_empty());
        assert_eq!(
            data(&s.segment(start.wrapping_add(4), b"efgh", true, 5)),
            [("gh".into(), 5)]
        );
        // The FIN takes one sequence number: its acknowledgement shows no gap.
        assert!(s.acked(start.wrapping_add(9), &6).is_empty());
    }

    #[test]
    fn gaps_are_skipped_when_acknowledged_or_at_the_end() {
        let mut s = Stream::default();
        s.syn(99);
        assert_eq!(data(&s.segment(100, b"ab", false, 1)), [("ab".into(), 1)]);
        assert!(s.segment(104, b"ef", false, 2).is_empty());
        assert_eq!(
            data(&s.acked(108, &3)),
            [
                ("<gap 2>".into(), 2),
                ("ef".into(), 2),
                ("<gap 2>".into(), 3)
            ]
        );
        assert!(s.segment(112, b"kl", false, 4).is_empty());
        assert_eq!(data(&s.finish()), [("<gap 4>".into(), 4), ("kl".into(), 4)]);
        assert!(s.acked(50, &5).is_empty());
    }
}
