//! The bridge's two clocks, and whether the wall clock can be believed (`docs/reliability.md`,
//! *Clock jumps*).
//!
//! - **Monotonic** (`tokio::time::Instant`): every duration, period, timeout, deadline and rate
//!   of the bridge. It never jumps, whatever is done to the system clock.
//! - **Wall** ([`Timestamp::now`]): only what is published as a time of day (`received`, `since`,
//!   a command result's `received` and `completed`) and what is compared with a time of day sent
//!   by someone else (a command's `expires`, once, on arrival).
//!
//! A box without a real-time clock starts at 1970 until NTP sets its clock. A wall-clock reading
//! is judged **not set** when it is earlier than [`floor`]: 2026-11-24T00:00:00Z, the day this
//! code base began (no build of it existed before, so an earlier clock is certainly wrong), or the
//! build's `SOURCE_DATE_EPOCH` when the build set one and it is later. The rule depends on the
//! reading alone, so it can be applied to a `received` at any time after it was read: a sample
//! whose `received` is below the floor is published with the flag `bridge_clock_unset`
//! ([`Reading::published_flags`](crate::point::Reading::published_flags)), and a command with
//! `expires` that arrives while the clock is not set is refused (`command::router`).
//!
//! What the rule does not catch: a clock that is wrong but later than the floor (a box that
//! restored the time it saved at its last shutdown and has not reached NTP yet). Its samples are
//! not flagged; their `received` is as wrong as the clock.

use std::time::Duration;

use tokio::time::Instant;

use crate::time::Timestamp;

/// 2026-11-24T00:00:00Z: the first day of this code base, as Unix seconds.
const FIRST_DAY: i64 = 1_795_478_400;

/// The floor, as Unix seconds: [`FIRST_DAY`], or the build's `SOURCE_DATE_EPOCH` when later.
pub const FLOOR_UNIX_SECS: i64 = later(FIRST_DAY, parse_secs(option_env!("SOURCE_DATE_EPOCH")));

const fn later(a: i64, b: Option<i64>) -> i64 {
    match b {
        Some(b) if b > a => b,
        _ => a,
    }
}

/// Decimal seconds (the form of `SOURCE_DATE_EPOCH`); `None` for anything else.
const fn parse_secs(text: Option<&str>) -> Option<i64> {
    let Some(text) = text else {
        return None;
    };
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.len() > 12 {
        return None;
    }
    let mut value: i64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + (b - b'0') as i64;
        i += 1;
    }
    Some(value)
}

/// The earliest wall-clock time the bridge believes.
pub fn floor() -> Timestamp {
    Timestamp::from_unix_millis(FLOOR_UNIX_SECS * 1000).unwrap_or_else(Timestamp::now)
}

/// Whether a wall-clock reading `now` is judged set: not earlier than [`floor`].
pub fn wall_clock_set(now: Timestamp) -> bool {
    now.unix_millis() >= FLOOR_UNIX_SECS * 1000
}

/// "Now" on both clocks, read together once: the wall time of an event and its monotonic instant.
///
/// A wall-clock time sent by someone else (a command's `expires`) is turned into a monotonic
/// instant with [`Now::instant_of`] once, at arrival; from then on only the monotonic clock
/// counts, so a later jump of the wall clock neither brings the deadline closer nor pushes it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// The wall clock.
    pub wall: Timestamp,
    /// The monotonic clock.
    pub mono: Instant,
}

impl Now {
    /// Reads both clocks.
    pub fn read() -> Now {
        Now {
            wall: Timestamp::now(),
            mono: Instant::now(),
        }
    }

    /// Whether the wall clock was judged set at this reading ([`wall_clock_set`]).
    pub fn wall_clock_set(&self) -> bool {
        wall_clock_set(self.wall)
    }

    /// The monotonic instant at which the wall clock, as read here, reaches `t`: `self.mono` when
    /// `t` is not later than `self.wall`. A time more than 100 years ahead is taken as 100 years
    /// ahead (an `Instant` cannot hold everything a `Timestamp` can).
    pub fn instant_of(&self, t: Timestamp) -> Instant {
        const LIMIT_MS: i64 = 100 * 366 * 86_400_000;
        let ahead = t.unix_millis().saturating_sub(self.wall.unix_millis());
        let ahead = u64::try_from(ahead.clamp(0, LIMIT_MS)).unwrap_or(0);
        self.mono + Duration::from_millis(ahead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        let t =
            time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339);
        Timestamp::from_datetime(t.unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
    }

    #[test]
    fn a_box_at_1970_has_its_clock_not_set_and_one_at_the_floor_has() {
        assert!(!wall_clock_set(at("1970-01-01T00:00:12Z")));
        assert!(!wall_clock_set(at("2000-01-01T00:00:00Z")));
        assert!(wall_clock_set(floor()));
        assert!(!wall_clock_set(
            Timestamp::from_unix_millis(FLOOR_UNIX_SECS * 1000 - 1).unwrap_or_else(floor)
        ));
        const { assert!(FLOOR_UNIX_SECS >= FIRST_DAY) };
    }

    #[test]
    fn source_date_epoch_raises_the_floor_only_when_it_is_a_later_decimal_time() {
        assert_eq!(parse_secs(Some("1800000000")), Some(1_800_000_000));
        assert_eq!(
            later(FIRST_DAY, parse_secs(Some("1800000000"))),
            1_800_000_000
        );
        assert_eq!(later(FIRST_DAY, parse_secs(Some("1000000000"))), FIRST_DAY);
        for bad in [
            None,
            Some(""),
            Some("-5"),
            Some("17e8"),
            Some("1234567890123"),
        ] {
            assert_eq!(later(FIRST_DAY, parse_secs(bad)), FIRST_DAY, "{bad:?}");
        }
    }

    #[test]
    fn a_wall_clock_time_becomes_a_monotonic_instant_relative_to_one_reading() {
        let now = Now {
            wall: at("2026-12-01T10:00:00Z"),
            mono: Instant::now(),
        };
        assert_eq!(
            now.instant_of(at("2026-12-01T10:00:05.250Z")),
            now.mono + Duration::from_millis(5250)
        );
        assert_eq!(now.instant_of(at("2026-12-01T09:00:00Z")), now.mono);
        assert_eq!(now.instant_of(now.wall), now.mono);
        let far = now.instant_of(at("9999-12-31T23:59:59Z"));
        assert!(far > now.mono + Duration::from_secs(99 * 365 * 86_400));
    }
}
