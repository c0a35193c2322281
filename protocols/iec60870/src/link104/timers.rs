//! The four timers of IEC 60870-5-104 (clause 9.6, used by clauses 5.1 to 5.3), as deadlines
//! computed from when things happened: nothing here reads a clock.
//!
//! - t1: an I frame or a STARTDT, STOPDT or TESTFR act must be confirmed within t1 of being sent
//!   (clauses 5.1 to 5.3); otherwise the connection is closed.
//! - t2: received I frames are acknowledged at the latest t2 after the oldest of them arrived
//!   (clause 5.1), unless an I frame carried the acknowledgement first.
//! - t3: t3 after the last frame received, a TESTFR act tests the idle connection (clause 5.2).
//!
//! t0, the connection establishment timeout, belongs to whoever opens the TCP connection.

use crate::apci::UFunction;
use std::time::{Duration, Instant};

/// What was sent that awaits a confirmation or an acknowledgement, and when the peer was last
/// heard from.
#[derive(Debug, Clone)]
pub(super) struct Timers {
    /// When the last frame (I, S or U) was received: t3 runs from there (clause 5.2).
    pub(super) last_rx: Instant,
    /// When the unconfirmed TESTFR act was sent (clause 5.2).
    pub(super) test_sent: Option<Instant>,
    /// The unconfirmed STARTDT or STOPDT act and when it was sent (clause 5.3).
    pub(super) control_sent: Option<(UFunction, Instant)>,
}

impl Timers {
    /// A connection opened at `now`.
    pub(super) fn new(now: Instant) -> Self {
        Self {
            last_rx: now,
            test_sent: None,
            control_sent: None,
        }
    }
}

/// The next instant each timer expires; `None` when it is not running.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Deadlines {
    /// t1 of the unconfirmed STARTDT or STOPDT act.
    pub(super) control: Option<(Instant, UFunction)>,
    /// t1 of the unconfirmed TESTFR act.
    pub(super) test: Option<Instant>,
    /// t1 of the oldest unacknowledged I frame.
    pub(super) ack: Option<Instant>,
    /// t2 of the oldest unacknowledged received I frame.
    pub(super) t2: Option<Instant>,
    /// t3 of the idle connection.
    pub(super) t3: Option<Instant>,
}

impl Deadlines {
    /// The earliest of them.
    pub(super) fn earliest(&self) -> Option<Instant> {
        [
            self.control.map(|(at, _)| at),
            self.test,
            self.ack,
            self.t2,
            self.t3,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

/// `at` plus `timeout`; `None` (never) if that is past what an `Instant` can hold.
pub(super) fn after(at: Instant, timeout: Duration) -> Option<Instant> {
    at.checked_add(timeout)
}

/// Whether `deadline` has come by `now`.
pub(super) fn due(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|at| at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_deadline_wins_and_an_unrepresentable_one_never_comes() {
        let t0 = Instant::now();
        let d = Deadlines {
            test: after(t0, Duration::from_secs(15)),
            t2: after(t0, Duration::from_secs(10)),
            t3: after(t0, Duration::MAX),
            ..Deadlines::default()
        };
        assert_eq!(d.t3, None);
        assert_eq!(d.earliest(), Some(t0 + Duration::from_secs(10)));
        assert!(due(d.t2, t0 + Duration::from_secs(10)));
        assert!(!due(d.test, t0 + Duration::from_secs(10)));
        assert_eq!(Deadlines::default().earliest(), None);
    }
}
