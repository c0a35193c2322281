//! The outstation's clock: the system time plus the offset set by clock synchronization
//! (C_CS_NA_1), as CP56Time2a in UTC (IEC 60870-5-104 clause 7.2.6.18 of -101).

use std::time::{SystemTime, UNIX_EPOCH};

use fieldbridge_iec60870::{CivilDateTime, Cp56Time2a};

const MS_PER_DAY: i64 = 86_400_000;

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
                self.offset_ms = from_civil(&civil) - system_ms();
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

/// Milliseconds since the epoch as CP56Time2a, UTC.
pub(crate) fn to_cp56(ms: i64) -> Cp56Time2a {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let civil = CivilDateTime {
        year: u16::try_from(year).unwrap_or(0),
        month,
        day,
        hour: u8::try_from(in_day / 3_600_000).unwrap_or(0),
        minute: u8::try_from(in_day / 60_000 % 60).unwrap_or(0),
        second: u8::try_from(in_day / 1000 % 60).unwrap_or(0),
        millisecond: u16::try_from(in_day % 1000).unwrap_or(0),
    };
    Cp56Time2a::from_civil(&civil).unwrap_or(Cp56Time2a {
        invalid: true,
        ..Cp56Time2a::default()
    })
}

/// A civil date and time (UTC) as milliseconds since the epoch.
pub(crate) fn from_civil(civil: &CivilDateTime) -> i64 {
    let days = days_from_civil(
        i64::from(civil.year),
        i64::from(civil.month),
        i64::from(civil.day),
    );
    days * MS_PER_DAY
        + i64::from(civil.hour) * 3_600_000
        + i64::from(civil.minute) * 60_000
        + i64::from(civil.second) * 1000
        + i64::from(civil.millisecond)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01 (the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
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
        assert_eq!(from_civil(&civil), ms);
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
