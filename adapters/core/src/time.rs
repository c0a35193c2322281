//! Timestamps as the bridge publishes them: UTC, RFC 3339, milliseconds (design brief §3).

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;
use time::OffsetDateTime;

/// A point in time, UTC, kept to the nanosecond and published to the millisecond.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        Timestamp(OffsetDateTime::now_utc())
    }

    /// From milliseconds since the Unix epoch; `None` when out of range.
    pub fn from_unix_millis(ms: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .ok()
            .map(Timestamp)
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1_000_000) as i64
    }

    /// From a date-time in any offset; kept as UTC.
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        Timestamp(dt.to_offset(time::UtcOffset::UTC))
    }

    /// The date-time, UTC.
    pub fn datetime(self) -> OffsetDateTime {
        self.0
    }

    /// RFC 3339 with exactly three fractional digits and `Z`, e.g. `2026-11-24T21:00:00.123Z`.
    pub fn to_rfc3339_millis(self) -> String {
        let d = self.0;
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
            d.millisecond()
        )
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        Timestamp(OffsetDateTime::from(t))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_millis())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339_millis())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_three_fractional_digits_and_z() {
        let t = Timestamp::from_unix_millis(1_764_018_000_007).map(Timestamp::to_rfc3339_millis);
        assert_eq!(t.as_deref(), Some("2025-11-24T21:00:00.007Z"));
    }

    #[test]
    fn millis_round_trip() {
        let t = Timestamp::from_unix_millis(-1).map(Timestamp::unix_millis);
        assert_eq!(t, Some(-1));
    }
}
