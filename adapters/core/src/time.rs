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

/// An IANA time zone (`Europe/Berlin`), for devices that keep local time.
#[derive(Clone)]
pub struct Zone {
    name: std::sync::Arc<str>,
    tz: jiff::tz::TimeZone,
}

impl Zone {
    /// The zone of an IANA name; the error says why it is not one.
    pub fn named(name: &str) -> Result<Zone, String> {
        jiff::tz::TimeZone::get(name)
            .map(|tz| Zone {
                name: std::sync::Arc::from(name),
                tz,
            })
            .map_err(|e| format!("\"{name}\" is not an IANA time zone ({e})"))
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instant of a wall-clock time of this zone.
    ///
    /// `summer` is the device's own daylight-saving flag where its time tag has one (the SU bit of
    /// CP56Time2a, IEC 60870-5-101 §7.2.6.18; the DLMS clock status bit 7, IEC 62056-6-2 §4.1.6.1):
    /// it picks between the two instants of the hour that repeats when summer time ends. Without it
    /// the earlier instant is taken. A time in the hour skipped when summer time starts is read
    /// with the offset before the change.
    pub fn instant(
        &self,
        local: time::PrimitiveDateTime,
        summer: Option<bool>,
    ) -> Option<Timestamp> {
        let civil = jiff::civil::DateTime::new(
            i16::try_from(local.year()).ok()?,
            i8::try_from(u8::from(local.month())).ok()?,
            i8::try_from(local.day()).ok()?,
            i8::try_from(local.hour()).ok()?,
            i8::try_from(local.minute()).ok()?,
            i8::try_from(local.second()).ok()?,
            i32::try_from(local.nanosecond()).ok()?,
        )
        .ok()?;
        let ambiguous = self.tz.to_ambiguous_timestamp(civil);
        let chosen = match (ambiguous.offset(), summer) {
            (jiff::tz::AmbiguousOffset::Fold { before, after }, Some(summer)) => {
                // Before the fold the clock shows summer time; after it, standard time.
                let offset = if summer { before } else { after };
                offset.to_timestamp(civil).ok()?
            }
            _ => ambiguous.compatible().ok()?,
        };
        let nanos = chosen.as_nanosecond();
        OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .ok()
            .map(Timestamp)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin(text: &str, summer: Option<bool>) -> Option<String> {
        let format =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
        let local = time::PrimitiveDateTime::parse(text, format).ok()?;
        let zone = Zone::named("Europe/Berlin").ok()?;
        zone.instant(local, summer)
            .map(Timestamp::to_rfc3339_millis)
    }

    #[test]
    fn local_wall_clock_times_become_utc_with_the_zone_rules() {
        assert_eq!(
            berlin("2026-01-15 12:00:00", None).as_deref(),
            Some("2026-01-15T11:00:00.000Z")
        );
        assert_eq!(
            berlin("2026-07-15 12:00:00", None).as_deref(),
            Some("2026-07-15T10:00:00.000Z")
        );
    }

    #[test]
    fn the_summer_flag_picks_the_instant_of_the_repeated_hour() {
        // 25 October 2026, 02:30 happens twice in Berlin: first in CEST (+2), then in CET (+1).
        let cest = berlin("2026-10-25 02:30:00", Some(true));
        let cet = berlin("2026-10-25 02:30:00", Some(false));
        assert_eq!(cest.as_deref(), Some("2026-10-25T00:30:00.000Z"));
        assert_eq!(cet.as_deref(), Some("2026-10-25T01:30:00.000Z"));
        assert_eq!(berlin("2026-10-25 02:30:00", None), cest);
    }

    #[test]
    fn an_unknown_zone_is_named_in_the_error() {
        let e = Zone::named("Europe/Atlantis").err().unwrap_or_default();
        assert!(e.contains("Europe/Atlantis"), "{e}");
    }

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
