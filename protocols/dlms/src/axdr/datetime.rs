//! COSEM date, time and date-time (IEC 62056-6-2 clause 4.1.6.1, DLMS UA 1000-1 "Blue Book"
//! 4.1.6.1): octet strings of 5, 4 and 12 octets whose fields may each be "not specified".
//!
//! ```text
//! date       YY YY MM DD WD          year (0xFFFF not specified), month (0xFD DST end,
//!                                    0xFE DST begin, 0xFF), day of month (0xFD second last,
//!                                    0xFE last, 0xFF), day of week (1 = Monday .. 7, 0xFF)
//! time       hh mm ss cc             hour, minute, second, hundredths (each 0xFF not specified)
//! date-time  date time DV DV CS      deviation in minutes (i16, 0x8000 not specified), clock status
//! ```
//!
//! Decoding never fails on the values: a monitoring tool must show a meter's odd clock as it is.
//! [`DateTime::is_valid`] says whether every specified field is in its range.

/// The "not specified" value of the one-octet fields.
pub const NOT_SPECIFIED: u8 = 0xFF;
/// The "not specified" deviation.
pub const DEVIATION_NOT_SPECIFIED: i16 = i16::MIN;

/// A COSEM date (5 octets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Date {
    /// Year, or 0xFFFF.
    pub year: u16,
    /// 1..=12, 0xFD (daylight saving end), 0xFE (daylight saving begin) or 0xFF.
    pub month: u8,
    /// 1..=31, 0xFD (second last day), 0xFE (last day) or 0xFF.
    pub day: u8,
    /// 1 (Monday) ..= 7, or 0xFF.
    pub day_of_week: u8,
}

/// A COSEM time (4 octets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Time {
    /// 0..=23 or 0xFF.
    pub hour: u8,
    /// 0..=59 or 0xFF.
    pub minute: u8,
    /// 0..=59 or 0xFF.
    pub second: u8,
    /// 0..=99 or 0xFF.
    pub hundredths: u8,
}

/// The clock status octet of a date-time (IEC 62056-6-2 clause 4.1.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockStatus(pub u8);

impl ClockStatus {
    /// Bit 0: invalid value.
    pub const INVALID: u8 = 0x01;
    /// Bit 1: doubtful value.
    pub const DOUBTFUL: u8 = 0x02;
    /// Bit 2: different clock base.
    pub const DIFFERENT_BASE: u8 = 0x04;
    /// Bit 3: invalid clock status.
    pub const INVALID_STATUS: u8 = 0x08;
    /// Bit 7: daylight saving active.
    pub const DAYLIGHT_SAVING: u8 = 0x80;
    /// The "not specified" status.
    pub const NOT_SPECIFIED: ClockStatus = ClockStatus(0xFF);

    /// Whether a bit is set (and the status is specified).
    pub fn has(self, bit: u8) -> bool {
        self.0 != 0xFF && self.0 & bit != 0
    }
}

/// A COSEM date-time (12 octets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// The date.
    pub date: Date,
    /// The time.
    pub time: Time,
    /// Minutes between local time and UTC, -720..=720, or [`DEVIATION_NOT_SPECIFIED`].
    pub deviation: i16,
    /// The clock status.
    pub clock_status: ClockStatus,
}

impl Date {
    /// Splits the 5 octets.
    pub fn from_bytes(b: [u8; 5]) -> Date {
        let [y0, y1, month, day, day_of_week] = b;
        Date {
            year: u16::from_be_bytes([y0, y1]),
            month,
            day,
            day_of_week,
        }
    }

    /// The 5 octets.
    pub fn to_bytes(self) -> [u8; 5] {
        let [y0, y1] = self.year.to_be_bytes();
        [y0, y1, self.month, self.day, self.day_of_week]
    }

    /// Whether every specified field is in its range.
    pub fn is_valid(self) -> bool {
        (self.month == 0xFF || (1..=12).contains(&self.month) || self.month >= 0xFD)
            && (self.day == 0xFF || (1..=31).contains(&self.day) || self.day >= 0xFD)
            && (self.day_of_week == 0xFF || (1..=7).contains(&self.day_of_week))
    }
}

impl Time {
    /// Splits the 4 octets.
    pub fn from_bytes(b: [u8; 4]) -> Time {
        let [hour, minute, second, hundredths] = b;
        Time {
            hour,
            minute,
            second,
            hundredths,
        }
    }

    /// The 4 octets.
    pub fn to_bytes(self) -> [u8; 4] {
        [self.hour, self.minute, self.second, self.hundredths]
    }

    /// Whether every specified field is in its range.
    pub fn is_valid(self) -> bool {
        (self.hour == 0xFF || self.hour <= 23)
            && (self.minute == 0xFF || self.minute <= 59)
            && (self.second == 0xFF || self.second <= 59)
            && (self.hundredths == 0xFF || self.hundredths <= 99)
    }
}

impl DateTime {
    /// Splits the 12 octets.
    pub fn from_bytes(b: [u8; 12]) -> DateTime {
        let [y0, y1, mo, d, wd, h, mi, s, c, dv0, dv1, cs] = b;
        DateTime {
            date: Date::from_bytes([y0, y1, mo, d, wd]),
            time: Time::from_bytes([h, mi, s, c]),
            deviation: i16::from_be_bytes([dv0, dv1]),
            clock_status: ClockStatus(cs),
        }
    }

    /// The 12 octets.
    pub fn to_bytes(self) -> [u8; 12] {
        let [y0, y1, mo, d, wd] = self.date.to_bytes();
        let [h, mi, s, c] = self.time.to_bytes();
        let [dv0, dv1] = self.deviation.to_be_bytes();
        [
            y0,
            y1,
            mo,
            d,
            wd,
            h,
            mi,
            s,
            c,
            dv0,
            dv1,
            self.clock_status.0,
        ]
    }

    /// Whether every specified field is in its range.
    pub fn is_valid(self) -> bool {
        self.date.is_valid()
            && self.time.is_valid()
            && (self.deviation == DEVIATION_NOT_SPECIFIED || (-720..=720).contains(&self.deviation))
    }
}

/// A UTC instant as plain integers: seconds since 1970-01-01T00:00:00Z (negative before) and
/// hundredths of a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime {
    /// Seconds since the Unix epoch, leap seconds not counted.
    pub seconds: i64,
    /// 0..=99.
    pub hundredths: u8,
}

/// Which way a date-time's deviation counts.
///
/// The Blue Book (4.1.6.1) defines the deviation as the minutes from local time to UTC: UTC is
/// local time plus the deviation, so a meter on UTC+01:00 sends -60. dlms-cosem reads it so
/// (`dlms_cosem/time.py`, `utc_offset_minutes` negates it) and so does Gurux by default
/// (`GXCommon.getDateTime` takes `-deviation` as the UTC offset); Gurux's `useUtc2NormalTime`
/// option, which its examples set for the Indian, Italian and Saudi companion specifications,
/// reads the opposite sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DeviationSign {
    /// The Blue Book's: minutes from local time to UTC (UTC+01:00 is -60).
    #[default]
    LocalToUtc,
    /// Some companion specifications': minutes from UTC to local time (UTC+01:00 is +60).
    UtcToLocal,
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count from 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The days of a month of a year.
fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Date {
    /// The date of a day count from 1970-01-01, with its day of week, if its year fits
    /// (0..=0xFFFE).
    pub fn from_days(days: i64) -> Option<Date> {
        let (year, month, day) = civil_from_days(days);
        Some(Date {
            year: u16::try_from(year).ok().filter(|&y| y != 0xFFFF)?,
            month,
            day,
            // 1970-01-01 was a Thursday (4); 1 is Monday.
            day_of_week: (days + 3).rem_euclid(7) as u8 + 1,
        })
    }

    /// Days from 1970-01-01, if year, month and day are specified and form a real date (the
    /// day of week is not checked).
    pub fn to_days(self) -> Option<i64> {
        let year = i64::from(self.year);
        let real = self.year != 0xFFFF
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(year, self.month);
        real.then(|| days_from_civil(year, self.month, self.day))
    }
}

impl DateTime {
    /// The offset of local time from UTC in minutes (the ISO 8601 sign: +60 for UTC+01:00) under
    /// the Blue Book's convention, if the deviation is specified.
    pub fn utc_offset_minutes(self) -> Option<i16> {
        self.utc_offset_minutes_with(DeviationSign::LocalToUtc)
    }

    /// As [`utc_offset_minutes`](Self::utc_offset_minutes), for a deviation that counts `sign`.
    pub fn utc_offset_minutes_with(self, sign: DeviationSign) -> Option<i16> {
        if self.deviation == DEVIATION_NOT_SPECIFIED {
            return None;
        }
        Some(match sign {
            DeviationSign::LocalToUtc => -self.deviation,
            DeviationSign::UtcToLocal => self.deviation,
        })
    }

    /// The UTC instant, under the Blue Book's deviation convention, if the date, the hour,
    /// minute and second, and the deviation are specified and in range (unspecified hundredths
    /// count as 0; the day of week and the clock status are not looked at: check
    /// [`ClockStatus::INVALID`] yourself).
    pub fn to_utc(self) -> Option<UtcTime> {
        self.to_utc_with(DeviationSign::LocalToUtc)
    }

    /// As [`to_utc`](Self::to_utc), for a deviation that counts `sign`.
    pub fn to_utc_with(self, sign: DeviationSign) -> Option<UtcTime> {
        let days = self.date.to_days()?;
        let Time {
            hour,
            minute,
            second,
            hundredths,
        } = self.time;
        if hour > 23 || minute > 59 || second > 59 || (hundredths > 99 && hundredths != 0xFF) {
            return None;
        }
        let offset = self.utc_offset_minutes_with(sign)?;
        let local =
            days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
        Some(UtcTime {
            seconds: local - i64::from(offset) * 60,
            hundredths: if hundredths == 0xFF { 0 } else { hundredths },
        })
    }

    /// The local date-time of a UTC instant for a meter whose deviation is `deviation` (Blue
    /// Book convention: -60 for UTC+01:00), with the day of week filled in. A deviation of
    /// [`DEVIATION_NOT_SPECIFIED`] gives the UTC time with the deviation left not specified.
    /// `None` if the hundredths are above 99 or the year does not fit.
    pub fn from_utc(utc: UtcTime, deviation: i16, clock_status: ClockStatus) -> Option<DateTime> {
        DateTime::from_utc_with(utc, deviation, clock_status, DeviationSign::LocalToUtc)
    }

    /// As [`from_utc`](Self::from_utc), for a deviation that counts `sign`.
    pub fn from_utc_with(
        utc: UtcTime,
        deviation: i16,
        clock_status: ClockStatus,
        sign: DeviationSign,
    ) -> Option<DateTime> {
        if utc.hundredths > 99 {
            return None;
        }
        let probe = DateTime {
            date: Date::from_bytes([0; 5]),
            time: Time::from_bytes([0; 4]),
            deviation,
            clock_status,
        };
        let offset = i64::from(probe.utc_offset_minutes_with(sign).unwrap_or(0));
        let local = utc.seconds.checked_add(offset * 60)?;
        let date = Date::from_days(local.div_euclid(86_400))?;
        let secs = local.rem_euclid(86_400);
        Some(DateTime {
            date,
            time: Time {
                hour: (secs / 3600) as u8,
                minute: (secs / 60 % 60) as u8,
                second: (secs % 60) as u8,
                hundredths: utc.hundredths,
            },
            deviation,
            clock_status,
        })
    }
}

/// Writes a field: `width` stars when not specified (0xFF), the number when at most `max`,
/// else the octet in hex (0xFD/0xFE in a month or day are the daylight-saving and last-day
/// markers).
fn field(f: &mut std::fmt::Formatter<'_>, value: u8, max: u8) -> std::fmt::Result {
    match value {
        0xFF => f.write_str("**"),
        v if v <= max => write!(f, "{v:02}"),
        v => write!(f, "{v:02X}"),
    }
}

impl std::fmt::Display for Date {
    /// `2026-12-07`; `****-**-**` for not specified fields; `FE` (last day), `FD` (second last
    /// day, or daylight saving end as a month), other out-of-range octets in hex. The day of
    /// week is not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.year == 0xFFFF {
            f.write_str("****")?;
        } else {
            write!(f, "{:04}", self.year)?;
        }
        f.write_str("-")?;
        field(f, self.month, 12)?;
        f.write_str("-")?;
        field(f, self.day, 31)
    }
}

impl std::fmt::Display for Time {
    /// `10:15:00.00`, with `**` for not specified fields and out-of-range octets in hex.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        field(f, self.hour, 23)?;
        f.write_str(":")?;
        field(f, self.minute, 59)?;
        f.write_str(":")?;
        field(f, self.second, 59)?;
        f.write_str(".")?;
        field(f, self.hundredths, 99)
    }
}

impl std::fmt::Display for DateTime {
    /// `2026-12-07T10:15:00.00+01:00 status 0x00`: the date and time as [`Date`] and [`Time`]
    /// show them, the UTC offset in ISO 8601 form under the Blue Book's convention (`+**:**`
    /// when not specified), then the clock status octet.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}T{}", self.date, self.time)?;
        match self.utc_offset_minutes() {
            None => f.write_str("+**:**")?,
            Some(offset) => {
                let sign = if offset < 0 { '-' } else { '+' };
                let abs = offset.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", abs / 60, abs % 60)?;
            }
        }
        write!(f, " status {:#04x}", self.clock_status.0)
    }
}
