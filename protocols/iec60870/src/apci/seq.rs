//! Send and receive sequence numbers, N(S) and N(R): 15-bit counters modulo 32768
//! (IEC 60870-5-104 clause 5.1).

use std::fmt;

/// A send or receive sequence number, N(S) or N(R): 0..=32767, counting modulo 32768
/// (IEC 60870-5-104 clause 5.1).
///
/// Sequence numbers wrap, so they have no total order: compare them with
/// [`SeqNo::distance_to`] and [`SeqNo::is_within`], which count forward around the circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNo(u16);

impl SeqNo {
    /// The modulus of the sequence numbers: 32768 (IEC 60870-5-104 clause 5.1).
    pub const MODULUS: u16 = 32768;
    /// The largest sequence number, 32767.
    pub const MAX: Self = Self(Self::MODULUS - 1);
    /// Sequence number 0, where both counters start after a connection is opened.
    pub const ZERO: Self = Self(0);

    /// The sequence number `value`, or `None` when it is 32768 or more.
    pub const fn new(value: u16) -> Option<Self> {
        if value < Self::MODULUS {
            Some(Self(value))
        } else {
            None
        }
    }

    /// `value` modulo 32768.
    pub const fn wrapping(value: u16) -> Self {
        Self(value % Self::MODULUS)
    }

    /// The number, 0..=32767.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The next sequence number: 32767 is followed by 0.
    #[must_use]
    pub const fn next(self) -> Self {
        self.wrapping_add(1)
    }

    /// This number plus `n`, modulo 32768.
    #[must_use]
    pub const fn wrapping_add(self, n: u16) -> Self {
        Self(((self.0 as u32 + n as u32) % Self::MODULUS as u32) as u16)
    }

    /// How many steps forward from `self` reach `other`, modulo 32768: `0..=32767`.
    ///
    /// The number of I frames sent but not yet acknowledged is `ack.distance_to(send)`, with `ack`
    /// the last N(R) received and `send` the next N(S) (IEC 60870-5-104 clause 5.5).
    pub const fn distance_to(self, other: Self) -> u16 {
        ((other.0 as u32 + Self::MODULUS as u32 - self.0 as u32) % Self::MODULUS as u32) as u16
    }

    /// Whether `self` lies on the way forward from `first` to `last`, both included, modulo
    /// 32768.
    ///
    /// A received N(R) is acceptable when it is within the last N(R) received and the next N(S)
    /// to send: it acknowledges frames that were sent, and none twice (IEC 60870-5-104 clause 5.5).
    pub const fn is_within(self, first: Self, last: Self) -> bool {
        first.distance_to(self) <= first.distance_to(last)
    }
}

impl fmt::Display for SeqNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<SeqNo> for u16 {
    fn from(seq: SeqNo) -> Self {
        seq.0
    }
}

#[cfg(test)]
mod tests {
    use super::SeqNo;

    #[test]
    fn new_refuses_32768_and_wrapping_reduces_it() {
        assert_eq!(SeqNo::new(32767), Some(SeqNo::MAX));
        assert_eq!(SeqNo::new(32768), None);
        assert_eq!(SeqNo::wrapping(32768), SeqNo::ZERO);
        assert_eq!(SeqNo::wrapping(u16::MAX).get(), 32767);
    }

    #[test]
    fn next_wraps_from_32767_to_0() {
        assert_eq!(SeqNo::MAX.next(), SeqNo::ZERO);
        assert_eq!(SeqNo::MAX.wrapping_add(u16::MAX).get(), 32766);
    }

    #[test]
    fn distance_counts_forward_across_the_wrap() {
        let a = SeqNo::wrapping(32760);
        let b = SeqNo::wrapping(5);
        assert_eq!(a.distance_to(b), 13);
        assert_eq!(b.distance_to(a), 32768 - 13);
        assert_eq!(a.distance_to(a), 0);
    }

    #[test]
    fn is_within_includes_both_ends_and_follows_the_wrap() {
        let first = SeqNo::wrapping(32766);
        let last = SeqNo::wrapping(2);
        for v in [32766, 32767, 0, 1, 2] {
            assert!(SeqNo::wrapping(v).is_within(first, last), "{v}");
        }
        for v in [3, 100, 32765] {
            assert!(!SeqNo::wrapping(v).is_within(first, last), "{v}");
        }
    }
}
