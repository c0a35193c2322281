//! The output: JSON objects whose fields keep the order they were put in, one per line.

use std::time::Duration;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// A JSON object that keeps its fields in insertion order (serde_json's `Map` sorts them), so
/// every line reads in the same order: where, then the header, then the data. Objects nest
/// ([`Obj::put_obj`], [`Obj::put_list`]) and keep their order inside too.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Obj(Vec<(&'static str, Field)>);

/// One field's value: plain JSON, or objects that keep their own field order.
#[derive(Debug, Clone, PartialEq)]
enum Field {
    Value(Value),
    Obj(Obj),
    List(Vec<Obj>),
}

impl Obj {
    /// An empty object.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a field (the caller never adds the same name twice).
    pub(crate) fn put(&mut self, name: &'static str, value: impl Into<Value>) -> &mut Self {
        self.0.push((name, Field::Value(value.into())));
        self
    }

    /// Adds an object as a field.
    pub(crate) fn put_obj(&mut self, name: &'static str, value: Obj) -> &mut Self {
        self.0.push((name, Field::Obj(value)));
        self
    }

    /// Adds a list of objects as a field.
    pub(crate) fn put_list(&mut self, name: &'static str, values: Vec<Obj>) -> &mut Self {
        self.0.push((name, Field::List(values)));
        self
    }

    /// The object as one line of JSON.
    pub(crate) fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            match value {
                Field::Value(v) => map.serialize_entry(name, v)?,
                Field::Obj(o) => map.serialize_entry(name, o)?,
                Field::List(l) => map.serialize_entry(name, l)?,
            }
        }
        map.end()
    }
}

/// Bytes as lower-case hex without separators.
pub(crate) fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// A time since the Unix epoch in RFC 3339, UTC, with microseconds (truncated, as tcpdump and
/// Wireshark show them): `2026-11-24T21:12:45.350098Z`.
pub(crate) fn rfc3339(since_epoch: Duration) -> String {
    let secs = since_epoch.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

/// The proleptic Gregorian date of a day number counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_microseconds() {
        assert_eq!(rfc3339(Duration::ZERO), "1970-01-01T00:00:00.000000Z");
        let t = Duration::new(1_795_554_765, 350_098_826);
        assert_eq!(rfc3339(t), "2026-11-24T21:12:45.350098Z");
        assert_eq!(
            rfc3339(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn fields_keep_their_order() {
        let mut o = Obj::new();
        o.put("z", 1).put("a", "x");
        assert_eq!(o.to_line(), r#"{"z":1,"a":"x"}"#);
        let mut inner = Obj::new();
        inner.put("y", true).put("b", 2);
        o.put_obj("o", inner.clone()).put_list("l", vec![inner]);
        assert_eq!(
            o.to_line(),
            r#"{"z":1,"a":"x","o":{"y":true,"b":2},"l":[{"y":true,"b":2}]}"#
        );
    }
}
