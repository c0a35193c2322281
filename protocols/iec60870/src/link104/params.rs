//! The station's role and the protocol parameters of IEC 60870-5-104 (clause 9.6: t0 to t3, k
//! and w).

use std::time::Duration;

/// Which end of the connection this is (IEC 60870-5-104 clause 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The controlling station (master, client): it starts and stops data transfer with STARTDT
    /// and STOPDT act.
    Controlling,
    /// The controlled station (outstation, server): it answers STARTDT and STOPDT act with con,
    /// and sends I frames only while data transfer is started.
    Controlled,
}

/// What to do when t1 expires with I frames unacknowledged (IEC 60870-5-104 clause 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AckTimeout {
    /// Close the connection, as clause 5.1 prescribes. A peer that withholds acknowledgements
    /// for longer than t1 is disconnected.
    #[default]
    Close,
    /// Test the connection instead: send a TESTFR act and keep waiting while the peer answers.
    ///
    /// t1 of the I frames then supervises that the peer is alive rather than that it keeps up:
    /// it restarts whenever a frame arrives, and on expiry a TESTFR act goes out, whose own t1
    /// closes the connection if no TESTFR con comes. A peer that withholds acknowledgements
    /// because it cannot take more data (see [`Link104::hold_acks`](super::Link104::hold_acks))
    /// stops us at k for as long as it likes; a dead peer is still found within twice t1. This
    /// departs from clause 5.1, so use it only towards peers known to throttle this way.
    Probe,
}

/// The protocol parameters (IEC 60870-5-104 clause 9.6). [`Params::default`] holds the
/// standard's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Params {
    /// The most I frames sent and not acknowledged, 1..=32767 (default 12; clause 5.5).
    pub k: u16,
    /// Acknowledge at the latest after receiving w I frames, 1..=32767 (default 8; the standard
    /// recommends at most two thirds of k).
    pub w: u16,
    /// t0, the timeout of connection establishment (default 30 s). The link never uses it: it is
    /// here for whoever opens the TCP connection.
    pub t0: Duration,
    /// t1, the timeout of send or test APDUs (default 15 s).
    pub t1: Duration,
    /// t2, the timeout for acknowledgements when there is no data to send (default 10 s); must
    /// be less than t1.
    pub t2: Duration,
    /// t3, the timeout for sending test frames in a long idle state (default 20 s).
    pub t3: Duration,
    /// What an I frame unacknowledged for t1 does (default: close, as the standard says).
    pub on_ack_timeout: AckTimeout,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            k: 12,
            w: 8,
            t0: Duration::from_secs(30),
            t1: Duration::from_secs(15),
            t2: Duration::from_secs(10),
            t3: Duration::from_secs(20),
            on_ack_timeout: AckTimeout::Close,
        }
    }
}

/// Parameters the link refuses (IEC 60870-5-104 clause 9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// k or w outside 1..=32767.
    #[error("{name} = {found}: expected 1..=32767")]
    WindowOutOfRange {
        /// `"k"` or `"w"`.
        name: &'static str,
        /// The value given.
        found: u16,
    },
    /// t1 or t3 of zero.
    #[error("{name} is zero: expected a positive duration")]
    ZeroTimeout {
        /// `"t1"` or `"t3"`.
        name: &'static str,
    },
    /// t2 not less than t1: acknowledgements would come after the peer gave up waiting.
    #[error("t2 = {t2:?} is not less than t1 = {t1:?}")]
    T2NotBelowT1 {
        /// t1 given.
        t1: Duration,
        /// t2 given.
        t2: Duration,
    },
}

impl Params {
    /// Checks the ranges of clause 9.6 and that t2 < t1.
    ///
    /// # Errors
    /// The first parameter out of range.
    pub fn check(&self) -> Result<(), ParamsError> {
        for (name, found) in [("k", self.k), ("w", self.w)] {
            if !(1..=crate::apci::SeqNo::MAX.get()).contains(&found) {
                return Err(ParamsError::WindowOutOfRange { name, found });
            }
        }
        for (name, timeout) in [("t1", self.t1), ("t3", self.t3)] {
            if timeout.is_zero() {
                return Err(ParamsError::ZeroTimeout { name });
            }
        }
        if self.t2 >= self.t1 {
            return Err(ParamsError::T2NotBelowT1 {
                t1: self.t1,
                t2: self.t2,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_standards_and_pass_the_checks() {
        let p = Params::default();
        assert_eq!((p.k, p.w), (12, 8));
        assert_eq!(p.t0, Duration::from_secs(30));
        assert_eq!(p.check(), Ok(()));
    }

    #[test]
    fn out_of_range_parameters_are_named() {
        let p = Params::default();
        let k0 = Params { k: 0, ..p };
        assert_eq!(
            k0.check(),
            Err(ParamsError::WindowOutOfRange {
                name: "k",
                found: 0
            })
        );
        let w = Params { w: 32768, ..p };
        assert_eq!(
            w.check(),
            Err(ParamsError::WindowOutOfRange {
                name: "w",
                found: 32768
            })
        );
        let t3 = Params {
            t3: Duration::ZERO,
            ..p
        };
        assert_eq!(t3.check(), Err(ParamsError::ZeroTimeout { name: "t3" }));
        let t2 = Params { t2: p.t1, ..p };
        assert_eq!(
            t2.check(),
            Err(ParamsError::T2NotBelowT1 { t1: p.t1, t2: p.t1 })
        );
    }
}
