//! The payloads appended lately, kept in memory (bounded), so that the usual case, a record handed
//! out right after it was appended, costs no read of the segment file.

use std::collections::VecDeque;

/// Recently appended payloads, oldest first, by strictly increasing seq.
#[derive(Debug, Default)]
pub(crate) struct Recent {
    entries: VecDeque<(u64, Vec<u8>)>,
    bytes: usize,
    cap: usize,
}

impl Recent {
    /// Keeps at most `cap` bytes of payload (0: none).
    pub(crate) fn with_capacity(cap: usize) -> Self {
        Recent {
            cap,
            ..Recent::default()
        }
    }

    /// Keeps a copy of the payload just written as `seq`.
    pub(crate) fn remember(&mut self, seq: u64, payload: &[u8]) {
        if payload.len() > self.cap {
            return;
        }
        if self.entries.back().is_some_and(|(last, _)| *last >= seq) {
            self.clear();
        }
        self.entries.push_back((seq, payload.to_vec()));
        self.bytes += payload.len();
        while self.bytes > self.cap {
            match self.entries.pop_front() {
                Some((_, p)) => self.bytes -= p.len(),
                None => break,
            }
        }
    }

    /// Copies the payload of `seq` into `buf` when it is at hand.
    pub(crate) fn copy_into(&self, seq: u64, buf: &mut Vec<u8>) -> bool {
        match self.entries.binary_search_by_key(&seq, |(s, _)| *s) {
            Ok(i) => match self.entries.get(i) {
                Some((_, payload)) => {
                    buf.clear();
                    buf.extend_from_slice(payload);
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_payloads_within_its_bound() {
        let mut r = Recent::with_capacity(4 << 20);
        let big = vec![7u8; 1 << 20];
        for seq in 1..=6 {
            r.remember(seq, &big);
        }
        let mut buf = Vec::new();
        assert!(!r.copy_into(1, &mut buf), "the oldest were let go");
        assert!(r.copy_into(6, &mut buf));
        assert_eq!(buf.len(), 1 << 20);
        assert!(!r.copy_into(9, &mut buf));
    }
}
