//! The outstation's clock: the system time plus the offset set by clock synchronization
//! (C_CS_NA_1), as CP56Time2a in UTC (IEC 60870-5-104 clause 7.2.6.18 of -101).

use std::time::{SystemTime, UNIX_EPOCH};

use fieldbridge_iec60870::{CivilDateTime, Cp56Time2a};

/// A clock that runs `offset_ms` ahead of the system clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Clock {
    offset_ms: i64,
}

impl Clock {
    /// Milliseconds since 1970-01-01 UTC, offset applied.
    pub(crate) fn now_ms(&self) -> i64 {
        system_ms().saturating_add(self.offset_ms)
    }

    /// The time now as CP56Time2a (IV set if it is outside the tag's years 2000..=2099).
    pub(crate) fn now(&self) -> Cp56Time2a {
        to_cp56(self.now_ms())
    }

    /// Sets the clock to `time`; `false` (and the clock unchanged) when `time` is not a valid date.
    pub(crate) fn set(&mut self, time: &Cp56Time2a) -> bool {
        match time.to_civil() {
            Ok(civil) if !time.invalid => {
                self.offset_ms = civil.to_unix_millis() - system_ms();
                true
            }
            _ => false,
        }
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Milliseconds since the epoch as CP56Time2a, UTC; a time outside the tag's century is sent
/// with IV set.
pub(crate) fn to_cp56(ms: i64) -> Cp56Time2a {
    CivilDateTime::from_unix_millis(ms)
        .and_then(|civil| Cp56Time2a::from_civil(&civil).ok())
        .unwrap_or(Cp56Time2a {
            invalid: true,
            ..Cp56Time2a::default()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_instant_converts_both_ways() {
        // 2026-01-02 03:04:05.678 UTC
        let ms = 1_767_323_045_678;
        let tag = to_cp56(ms);
        let civil = tag.to_civil().unwrap();
        assert_eq!(
            (civil.year, civil.month, civil.day, civil.hour, civil.minute),
            (2026, 1, 2, 3, 4)
        );
        assert_eq!(tag.millisecond, 5678);
        assert_eq!(civil.to_unix_millis(), ms);
    }

    #[test]
    fn setting_the_clock_moves_now() {
        let mut clock = Clock::default();
        assert!(clock.set(&to_cp56(1_000_000_000_000 + 86_400_000 * 365 * 20)));
        let civil = clock.now().to_civil().unwrap();
        assert!(civil.year == 2021 || civil.year == 2022, "{civil:?}");
        let bad = Cp56Time2a {
            invalid: true,
            ..to_cp56(1_767_323_045_678)
        };
        assert!(!clock.set(&bad));
    }
}
