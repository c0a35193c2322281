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
