//! Log lines that never flood (issue 14, "logs that never flood"): a failure that repeats (a full
//! disk, a device answering garbage, a broker that is away) is logged loudly once with its cause,
//! then at most once per [`REPEAT_EVERY`] with how many times it happened in between. The events
//! themselves are counted in metrics by the caller, every one of them; only the log is thinned.
//!
//! A [`Throttle`] serves one place that fails; a new reason is loud at once, so a change of cause
//! is never hidden behind the previous one.

use std::time::Duration;

/// The clock of throttles: tokio's monotonic one, so tests with paused time drive it.
pub use tokio::time::Instant;

/// How often a failure that keeps repeating is logged above debug.
pub const REPEAT_EVERY: Duration = Duration::from_secs(60);

/// Says when a failure deserves a warn or error line: a new reason at once, the same reason again
/// at most once per [`REPEAT_EVERY`] (with how many were not logged), debug otherwise.
#[derive(Debug, Default, Clone)]
pub struct Throttle {
    last: Option<&'static str>,
    repeated: u64,
    said_at: Option<Instant>,
}

impl Throttle {
    /// `Some(repeated since the last loud line)` when this one should be loud; `None` when it
    /// should go to debug.
    pub fn note(&mut self, reason: &'static str, now: Instant) -> Option<u64> {
        let due = self
            .said_at
            .is_none_or(|at| now.duration_since(at) >= REPEAT_EVERY);
        if self.last != Some(reason) || due {
            let repeated = if self.last == Some(reason) {
                self.repeated
            } else {
                0
            };
            self.last = Some(reason);
            self.repeated = 0;
            self.said_at = Some(now);
            Some(repeated)
        } else {
            self.repeated += 1;
            None
        }
    }

    /// The failure is over: the next one is loud at once. Returns how many repeats went unlogged
    /// since the last loud line, for the line that says it recovered.
    pub fn clear(&mut self) -> u64 {
        let repeated = self.repeated;
        *self = Throttle::default();
        repeated
    }

    /// Whether a failure is being throttled (noted and not cleared).
    pub fn active(&self) -> bool {
        self.last.is_some()
    }
}

/// Logs `$msg` with the given fields at `$level` when `$throttle` says so (adding `repeated`, the
/// count of unlogged repeats), at debug otherwise.
///
/// ```
/// use fieldbridge_core::throttle::Throttle;
/// let mut t = Throttle::default();
/// let error = "disk full";
/// fieldbridge_core::throttled!(t, "no-space", warn, %error, "cannot write the outbox");
/// ```
#[macro_export]
macro_rules! throttled {
    ($throttle:expr, $reason:expr, $level:ident, $($rest:tt)+) => {
        match $throttle.note($reason, $crate::throttle::Instant::now()) {
            Some(repeated) => ::tracing::$level!(reason = $reason, repeated, $($rest)+),
            None => ::tracing::debug!(reason = $reason, $($rest)+),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeating_failure_is_loud_once_a_minute() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        assert_eq!(t.note("network", t0), Some(0));
        assert_eq!(t.note("network", t0 + Duration::from_secs(1)), None);
        assert_eq!(t.note("network", t0 + Duration::from_secs(2)), None);
        assert_eq!(t.note("network", t0 + Duration::from_secs(61)), Some(2));
        assert_eq!(t.note("auth", t0 + Duration::from_secs(62)), Some(0));
        assert_eq!(t.note("network", t0 + Duration::from_secs(63)), Some(0));
    }

    #[test]
    fn clearing_makes_the_next_failure_loud() {
        let t0 = Instant::now();
        let mut t = Throttle::default();
        assert_eq!(t.note("no-space", t0), Some(0));
        assert_eq!(t.note("no-space", t0 + Duration::from_secs(1)), None);
        assert!(t.active());
        assert_eq!(t.clear(), 1);
        assert!(!t.active());
        assert_eq!(t.note("no-space", t0 + Duration::from_secs(2)), Some(0));
    }
}
