//! Binary time tags: CP56Time2a, CP24Time2a and CP16Time2a (IEC 60870-5-4 clause 6.8,
//! IEC 60870-5-101 clauses 7.2.6.18 to 7.2.6.20).
//!
//! ```text
//! octet  bits 7   6 5   4 3 2 1 0
//! 1-2    milliseconds 0..=59999, little-endian              (all three)
//! 3      IV   RES1  minutes 0..=59                          (CP24, CP56)
//! 4      SU   RES2  hours 0..=23                            (CP56)
//! 5      day of week 1..=7 (0 unused) | day of month 1..=31 (CP56)
//! 6      RES3 (4 bits)  | month 1..=12                      (CP56)
//! 7      RES4 | year 0..=99                                 (CP56)
//! ```
//!
//! Decoding never fails on a value: the fields are kept as sent, reserved bits included, so a
//! decoded tag re-encodes to the same bytes and a monitoring tool can show a bad clock. Ask
//! [`Cp56Time2a::check_range`] (an error naming the field) or [`Cp56Time2a::in_range`] (a flag).
//! [`Cp56Time2a::to_civil`] gives a civil date and time with no time zone: the standard leaves
//! the zone to the system, and the bridge applies its `device_time` setting.

use crate::error::{ensure_room, TimeField};
use crate::Error;
use bytes::BufMut;

/// Fails with [`Error::TimeOutOfRange`] unless `min <= found <= max`.
fn range(offset: usize, field: TimeField, found: u16, min: u16, max: u16) -> Result<(), Error> {
    if (min..=max).contains(&found) {
        Ok(())
    } else {
        Err(Error::TimeOutOfRange {
            offset,
            field,
            min,
            max,
            found,
        })
    }
}

/// The first `N` bytes of `bytes`, or [`Error::Truncated`].
fn take<const N: usize>(bytes: &[u8]) -> Result<[u8; N], Error> {
    match bytes.first_chunk::<N>() {
        Some(chunk) => Ok(*chunk),
        None => Err(Error::Truncated {
            offset: bytes.len(),
            expected_len: N,
        }),
    }
}

/// The largest millisecond value, 59999 (one minute less a millisecond).
pub const MAX_MILLISECOND: u16 = 59_999;

/// A three-octet time tag: milliseconds and minutes, with the invalid flag
/// (IEC 60870-5-101 clause 7.2.6.19, IEC 60870-5-4 clause 6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cp24Time2a {
    /// Milliseconds within the minute, 0..=59999.
    pub millisecond: u16,
    /// Minutes, 0..=59 (six bits).
    pub minute: u8,
    /// RES1, reserved bit 6 of octet 3: kept as sent.
    pub res1: bool,
    /// IV: the time is invalid.
    pub invalid: bool,
}

impl Cp24Time2a {
    /// The encoded length: 3 octets.
    pub const LEN: usize = 3;

    /// Reads the three octets.
    #[inline]
    pub const fn from_bytes(bytes: [u8; 3]) -> Self {
        let [m0, m1, min] = bytes;
        Self {
            millisecond: u16::from_le_bytes([m0, m1]),
            minute: min & 0x3F,
            res1: min & 0x40 != 0,
            invalid: min & 0x80 != 0,
        }
    }

    /// Reads the first three bytes of `bytes`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when fewer than three bytes are given.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        take(bytes).map(Self::from_bytes)
    }

    /// The three octets.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] when the minute does not fit its six bits (the range itself is
    /// not checked, so a test can send an invalid time).
    pub fn to_bytes(&self) -> Result<[u8; 3], Error> {
        range(2, TimeField::Minute, self.minute.into(), 0, 0x3F)?;
        let [m0, m1] = self.millisecond.to_le_bytes();
        Ok([m0, m1, minute_octet(self.minute, self.res1, self.invalid)])
    }

    /// The number of bytes [`Cp24Time2a::encode`] writes: 3.
    pub const fn encoded_len(&self) -> usize {
        Self::LEN
    }

    /// Writes the three octets.
    ///
    /// # Errors
    /// Those of [`Cp24Time2a::to_bytes`], and [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        let bytes = self.to_bytes()?;
        ensure_room(buf, Self::LEN)?;
        buf.put_slice(&bytes);
        Ok(())
    }

    /// Checks the ranges: milliseconds 0..=59999, minutes 0..=59.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] for the first field out of range.
    pub fn check_range(&self) -> Result<(), Error> {
        range(
            0,
            TimeField::Millisecond,
            self.millisecond,
            0,
            MAX_MILLISECOND,
        )?;
        range(2, TimeField::Minute, self.minute.into(), 0, 59)
    }

    /// Whether every field is within its range (see [`Cp24Time2a::check_range`]).
    pub fn in_range(&self) -> bool {
        self.check_range().is_ok()
    }
}

/// The minute octet: minutes, RES1 and IV.
const fn minute_octet(minute: u8, res1: bool, invalid: bool) -> u8 {
    minute | if res1 { 0x40 } else { 0 } | if invalid { 0x80 } else { 0 }
}

/// A two-octet elapsed time in milliseconds, 0..=59999 (IEC 60870-5-101 clause 7.2.6.20), such as
/// the relay operating time of the protection type IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cp16Time2a {
    /// Milliseconds, 0..=59999.
    pub millisecond: u16,
}

impl Cp16Time2a {
    /// The encoded length: 2 octets.
    pub const LEN: usize = 2;

    /// Reads the two octets.
    pub const fn from_bytes(bytes: [u8; 2]) -> Self {
        Self {
            millisecond: u16::from_le_bytes(bytes),
        }
    }

    /// Reads the first two bytes of `bytes`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when fewer than two bytes are given.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        take(bytes).map(Self::from_bytes)
    }

    /// The two octets: every value is representable.
    pub const fn to_bytes(&self) -> [u8; 2] {
        self.millisecond.to_le_bytes()
    }

    /// The number of bytes [`Cp16Time2a::encode`] writes: 2.
    pub const fn encoded_len(&self) -> usize {
        Self::LEN
    }

    /// Writes the two octets.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        ensure_room(buf, Self::LEN)?;
        buf.put_slice(&self.to_bytes());
        Ok(())
    }

    /// Checks the range: milliseconds 0..=59999.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`].
    pub fn check_range(&self) -> Result<(), Error> {
        range(
            0,
            TimeField::Millisecond,
            self.millisecond,
            0,
            MAX_MILLISECOND,
        )
    }

    /// Whether the value is within its range.
    pub fn in_range(&self) -> bool {
        self.check_range().is_ok()
    }
}

/// A seven-octet time tag: a date and time to the millisecond, with the invalid and summer time
/// flags (IEC 60870-5-101 clause 7.2.6.18, IEC 60870-5-4 clause 6.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Cp56Time2a {
    /// Milliseconds within the minute, 0..=59999.
    pub millisecond: u16,
    /// Minutes, 0..=59 (six bits).
    pub minute: u8,
    /// RES1, reserved bit 6 of octet 3.
    pub res1: bool,
    /// IV: the time is invalid.
    pub invalid: bool,
    /// Hours, 0..=23 (five bits).
    pub hour: u8,
    /// RES2, reserved bits 5 and 6 of octet 4 (two bits).
    pub res2: u8,
    /// SU: summer time.
    pub summer_time: bool,
    /// Day of the month, 1..=31 (five bits).
    pub day: u8,
    /// Day of the week, 1..=7 for Monday to Sunday, 0 when not used (three bits).
    pub day_of_week: u8,
    /// Month, 1..=12 (four bits).
    pub month: u8,
    /// RES3, reserved bits 4 to 7 of octet 6 (four bits).
    pub res3: u8,
    /// Year of the century, 0..=99 (seven bits).
    pub year: u8,
    /// RES4, reserved bit 7 of octet 7.
    pub res4: bool,
}

/// A date and time of day without a time zone, from a [`Cp56Time2a`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CivilDateTime {
    /// The year, 2000..=2099: the tag's year of the century plus 2000.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day of the month, 1..=31.
    pub day: u8,
    /// Hour, 0..=23.
    pub hour: u8,
    /// Minute, 0..=59.
    pub minute: u8,
    /// Second, 0..=59.
    pub second: u8,
    /// Millisecond within the second, 0..=999.
    pub millisecond: u16,
}

const MS_PER_DAY: i64 = 86_400_000;

impl CivilDateTime {
    /// Milliseconds since 1970-01-01 00:00:00 of this date and time read as UTC, in the
    /// proleptic Gregorian calendar (H. Hinnant's `days_from_civil`). Apply a time zone first if
    /// the device keeps local time.
    pub fn to_unix_millis(&self) -> i64 {
        let month = i64::from(self.month);
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        let days = era * 146_097 + day_of_era - 719_468;
        days * MS_PER_DAY
            + i64::from(self.hour) * 3_600_000
            + i64::from(self.minute) * 60_000
            + i64::from(self.second) * 1000
            + i64::from(self.millisecond)
    }

    /// The UTC date and time `ms` milliseconds after 1970-01-01 00:00:00 (the inverse of
    /// [`CivilDateTime::to_unix_millis`]), or `None` for a year outside `0..=65535`.
    pub fn from_unix_millis(ms: i64) -> Option<Self> {
        let days = ms.div_euclid(MS_PER_DAY);
        let in_day = ms.rem_euclid(MS_PER_DAY);
        let shifted = days.checked_add(719_468)?;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Some(Self {
            year: u16::try_from(year).ok()?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
            hour: u8::try_from(in_day / 3_600_000).ok()?,
            minute: u8::try_from(in_day / 60_000 % 60).ok()?,
            second: u8::try_from(in_day / 1000 % 60).ok()?,
            millisecond: u16::try_from(in_day % 1000).ok()?,
        })
    }
}

/// The century the seven-bit year counts in: 2000.
pub const CENTURY: u16 = 2000;

impl Cp56Time2a {
    /// The encoded length: 7 octets.
    pub const LEN: usize = 7;

    /// Reads the seven octets.
    #[inline]
    pub const fn from_bytes(bytes: [u8; 7]) -> Self {
        let [m0, m1, min, hour, day, month, year] = bytes;
        Self {
            millisecond: u16::from_le_bytes([m0, m1]),
            minute: min & 0x3F,
            res1: min & 0x40 != 0,
            invalid: min & 0x80 != 0,
            hour: hour & 0x1F,
            res2: (hour >> 5) & 0x03,
            summer_time: hour & 0x80 != 0,
            day: day & 0x1F,
            day_of_week: day >> 5,
            month: month & 0x0F,
            res3: month >> 4,
            year: year & 0x7F,
            res4: year & 0x80 != 0,
        }
    }

    /// Reads the first seven bytes of `bytes`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when fewer than seven bytes are given.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        take(bytes).map(Self::from_bytes)
    }

    /// The seven octets.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] when a field does not fit its bits (the ranges themselves are not
    /// checked, so a test can send an invalid time).
    pub fn to_bytes(&self) -> Result<[u8; 7], Error> {
        range(2, TimeField::Minute, self.minute.into(), 0, 0x3F)?;
        range(3, TimeField::Hour, self.hour.into(), 0, 0x1F)?;
        range(3, TimeField::Reserved, self.res2.into(), 0, 0x03)?;
        range(4, TimeField::Day, self.day.into(), 0, 0x1F)?;
        range(4, TimeField::DayOfWeek, self.day_of_week.into(), 0, 0x07)?;
        range(5, TimeField::Month, self.month.into(), 0, 0x0F)?;
        range(5, TimeField::Reserved, self.res3.into(), 0, 0x0F)?;
        range(6, TimeField::Year, self.year.into(), 0, 0x7F)?;
        let [m0, m1] = self.millisecond.to_le_bytes();
        Ok([
            m0,
            m1,
            minute_octet(self.minute, self.res1, self.invalid),
            self.hour | (self.res2 << 5) | if self.summer_time { 0x80 } else { 0 },
            self.day | (self.day_of_week << 5),
            self.month | (self.res3 << 4),
            self.year | if self.res4 { 0x80 } else { 0 },
        ])
    }

    /// The number of bytes [`Cp56Time2a::encode`] writes: 7.
    pub const fn encoded_len(&self) -> usize {
        Self::LEN
    }

    /// Writes the seven octets.
    ///
    /// # Errors
    /// Those of [`Cp56Time2a::to_bytes`], and [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        let bytes = self.to_bytes()?;
        ensure_room(buf, Self::LEN)?;
        buf.put_slice(&bytes);
        Ok(())
    }

    /// Checks the ranges: milliseconds 0..=59999, minutes 0..=59, hours 0..=23, day 1..=31,
    /// month 1..=12, year 0..=99. The day of week (0 or 1..=7) always fits, and whether the day
    /// exists in its month is checked by [`Cp56Time2a::to_civil`].
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] for the first field out of range, in octet order.
    pub fn check_range(&self) -> Result<(), Error> {
        range(
            0,
            TimeField::Millisecond,
            self.millisecond,
            0,
            MAX_MILLISECOND,
        )?;
        range(2, TimeField::Minute, self.minute.into(), 0, 59)?;
        range(3, TimeField::Hour, self.hour.into(), 0, 23)?;
        range(4, TimeField::Day, self.day.into(), 1, 31)?;
        range(5, TimeField::Month, self.month.into(), 1, 12)?;
        range(6, TimeField::Year, self.year.into(), 0, 99)
    }

    /// Whether every field is within its range (see [`Cp56Time2a::check_range`]).
    pub fn in_range(&self) -> bool {
        self.check_range().is_ok()
    }

    /// The civil date and time the tag names, in the century 2000..=2099, with no time zone
    /// applied. The IV and SU flags and the day of week are not part of it: read them from the
    /// tag.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] as [`Cp56Time2a::check_range`], and for a day past the end of its
    /// month (such as 29 February 2023), with the month's last day as the maximum.
    pub fn to_civil(&self) -> Result<CivilDateTime, Error> {
        self.check_range()?;
        let year = CENTURY + u16::from(self.year);
        range(
            4,
            TimeField::Day,
            self.day.into(),
            1,
            days_in_month(year, self.month).into(),
        )?;
        Ok(CivilDateTime {
            year,
            month: self.month,
            day: self.day,
            hour: self.hour,
            minute: self.minute,
            // At most 59 and 999: the range was checked.
            second: (self.millisecond / 1000) as u8,
            millisecond: self.millisecond % 1000,
        })
    }

    /// A tag for `civil`, with IV and SU clear, the reserved bits 0 and the day of week computed
    /// from the date.
    ///
    /// # Errors
    /// [`Error::TimeOutOfRange`] for a year outside 2000..=2099, a second past 59 or a
    /// millisecond past 999 (both reported as the millisecond field), or any other field out of
    /// range as in [`Cp56Time2a::to_civil`].
    pub fn from_civil(civil: &CivilDateTime) -> Result<Self, Error> {
        range(6, TimeField::Year, civil.year, CENTURY, CENTURY + 99)?;
        range(0, TimeField::Millisecond, civil.second.into(), 0, 59)?;
        range(0, TimeField::Millisecond, civil.millisecond, 0, 999)?;
        let tag = Self {
            millisecond: u16::from(civil.second) * 1000 + civil.millisecond,
            minute: civil.minute,
            hour: civil.hour,
            day: civil.day,
            month: civil.month,
            // 0..=99: checked above.
            year: (civil.year - CENTURY) as u8,
            ..Self::default()
        };
        tag.to_civil()?;
        Ok(Self {
            day_of_week: day_of_week(civil.year, civil.month, civil.day),
            ..tag
        })
    }
}

/// The number of days in `month` (1..=12) of `year`, Gregorian.
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The ISO day of the week, 1 (Monday) to 7 (Sunday), of a valid Gregorian date.
fn day_of_week(year: u16, month: u8, day: u8) -> u8 {
    // Sakamoto's method: 0 is Sunday.
    const OFFSETS: [u16; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    let offset = OFFSETS
        .get(usize::from(month.saturating_sub(1)))
        .copied()
        .unwrap_or(0);
    let sunday_based = (y + y / 4 - y / 100 + y / 400 + offset + u16::from(day)) % 7;
    // 0..=6, so at most 7.
    if sunday_based == 0 {
        7
    } else {
        sunday_based as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_of_week_of_known_dates() {
        assert_eq!(day_of_week(2000, 1, 1), 6); // a Saturday
        assert_eq!(day_of_week(2024, 2, 29), 4); // a Thursday
        assert_eq!(day_of_week(2026, 11, 24), 2); // a Tuesday
        assert_eq!(day_of_week(2099, 12, 31), 4); // a Thursday
    }

    #[test]
    fn civil_date_times_convert_to_and_from_unix_milliseconds() {
        for (ms, civil) in [
            (0, (1970, 1, 1, 0, 0, 0, 0)),
            (951_782_400_000, (2000, 2, 29, 0, 0, 0, 0)),
            (1_767_323_045_678, (2026, 1, 2, 3, 4, 5, 678)),
            (4_102_444_799_999, (2099, 12, 31, 23, 59, 59, 999)),
        ] {
            let (year, month, day, hour, minute, second, millisecond) = civil;
            let c = CivilDateTime {
                year,
                month,
                day,
                hour,
                minute,
                second,
                millisecond,
            };
            assert_eq!(c.to_unix_millis(), ms, "{c:?}");
            assert_eq!(CivilDateTime::from_unix_millis(ms), Some(c), "{ms}");
        }
        assert_eq!(
            CivilDateTime::from_unix_millis(-1_000_000_000_000_000),
            None
        );
        assert_eq!(CivilDateTime::from_unix_millis(i64::MAX), None);
    }

    #[test]
    fn february_has_29_days_in_leap_years_only() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2023, 4), 30);
        assert_eq!(days_in_month(2023, 12), 31);
    }
}
