//! The bridge's readings and records as Sparkplug metrics, and back for commands.

use fieldbridge_sparkplug::{DataType, MetricValue, PointInfo, Quality, SampleIn};
use serde::Deserialize;

use crate::event::PointMeta;
use crate::point::{Reading, SourceAddress, Value};

/// IEC 60870-5-101 §7.2.1.1 type identifications whose value is a 16-bit scaled value
/// (`M_ME_NB_1`, `M_ME_TE_1`), a 32-bit counter (`M_IT_NA_1`, `M_IT_TB_1`) or a short float
/// (`M_ME_NC_1`, `M_ME_TF_1`, and the normalized `M_ME_NA_1`, `M_ME_TD_1` after scaling).
const IEC_SCALED: [u8; 2] = [11, 35];
const IEC_COUNTER: [u8; 2] = [15, 37];
const IEC_FLOAT: [u8; 4] = [13, 36, 9, 34];

/// The Sparkplug datatype of a reading's value (Sparkplug 3.0 §6.4.16): as narrow as the
/// protocol says it is (a Modbus `u16` register is UInt16, an IEC short float is Float),
/// otherwise the value's own (Int64, Double, ...). Learnt as readings are numbered, so a batch of
/// new points is born in one DBIRTH.
pub(crate) fn datatype_of(reading: &Reading) -> Option<DataType> {
    let modbus = match &reading.source {
        SourceAddress::Modbus { data_type, .. } => Some(&**data_type),
        _ => None,
    };
    let type_id = reading.facts.type_id;
    let iec = |ids: &[u8]| type_id.is_some_and(|t| ids.contains(&t));
    Some(match &reading.value {
        Value::Bool(_) => DataType::Boolean,
        Value::Int(_) => match modbus {
            Some("u16") => DataType::UInt16,
            Some("i16") => DataType::Int16,
            Some("u32") => DataType::UInt32,
            Some("i32") => DataType::Int32,
            Some("u64") => DataType::UInt64,
            _ if iec(&IEC_SCALED) => DataType::Int16,
            _ if iec(&IEC_COUNTER) => DataType::Int32,
            _ => DataType::Int64,
        },
        Value::UInt(_) => DataType::UInt64,
        Value::Float(_) => match modbus {
            Some("f32") => DataType::Float,
            _ if iec(&IEC_FLOAT) => DataType::Float,
            _ => DataType::Double,
        },
        Value::String(_) | Value::DoublePoint(_) => DataType::String,
        Value::Bytes(_) => DataType::Bytes,
        Value::DateTime(_) => DataType::DateTime,
    })
}

/// A point of a device's `$meta` as a Sparkplug point: its unit, its protocol address (the
/// `source` object of the JSON form) and whether it takes writes. The datatype comes from the
/// readings ([`datatype_of`]).
pub(crate) fn point_info(meta: &PointMeta) -> PointInfo {
    PointInfo {
        name: meta.name.to_string(),
        datatype: None,
        unit: meta.unit.as_deref().map(str::to_owned),
        address: serde_json::to_string(&meta.source).ok(),
        writable: meta.writable,
    }
}

/// The fields of a JSON sample (`topic::sample_payload`) that a metric carries.
#[derive(Debug, Deserialize)]
struct Record {
    seq: u64,
    value: serde_json::Value,
    quality: String,
    #[serde(default)]
    flags: Vec<String>,
    ts: Option<String>,
    received: String,
    #[serde(default)]
    historical: bool,
}

/// An outbox record (its JSON-form topic and sample) as a Sparkplug sample; `datatype` is what
/// the edge node knows of the point (a hex string is Bytes, an RFC 3339 string a DateTime).
/// `None` when the record is not a sample.
pub(crate) fn sample_in(
    topic: &str,
    json: &[u8],
    historical: bool,
    datatype: impl FnOnce(&str, &str) -> Option<DataType>,
) -> Option<SampleIn> {
    let mut levels = topic.rsplit('/');
    let point = levels.next()?.to_owned();
    let device = levels.next()?.to_owned();
    let record: Record = serde_json::from_slice(json).ok()?;
    let born = datatype(&device, &point);
    let time = record.ts.as_deref().unwrap_or(&record.received);
    Some(SampleIn {
        value: metric_value(record.value, born),
        timestamp_ms: unix_millis(time)
            .and_then(|ms| u64::try_from(ms).ok())
            .unwrap_or(0),
        quality: match record.quality.as_str() {
            "good" => Quality::Good,
            "uncertain" => Quality::Uncertain,
            _ => Quality::Bad,
        },
        flags: record.flags,
        seq: record.seq,
        historical: historical || record.historical,
        device,
        point,
    })
}

/// A JSON value as a metric value of `datatype` where the JSON form is a string for it.
fn metric_value(value: serde_json::Value, datatype: Option<DataType>) -> MetricValue {
    match value {
        serde_json::Value::Null => MetricValue::Null,
        serde_json::Value::Bool(b) => MetricValue::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64().filter(|_| !n.is_f64()) {
                MetricValue::Int(i)
            } else if let Some(u) = n.as_u64().filter(|_| !n.is_f64()) {
                MetricValue::UInt(u)
            } else {
                MetricValue::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => match datatype {
            Some(DataType::Bytes) => match hex::decode(&s) {
                Ok(bytes) => MetricValue::Bytes(bytes),
                Err(_) => MetricValue::String(s),
            },
            Some(DataType::DateTime) => match unix_millis(&s).and_then(|ms| u64::try_from(ms).ok())
            {
                Some(ms) => MetricValue::DateTime(ms),
                None => MetricValue::String(s),
            },
            _ => MetricValue::String(s),
        },
        other => MetricValue::String(other.to_string()),
    }
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn unix_millis(text: &str) -> Option<i64> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A DCMD metric's value as the JSON `value` of a command (`docs/commands.md`).
pub(crate) fn command_value(value: &MetricValue) -> serde_json::Value {
    match value {
        MetricValue::Bool(b) => serde_json::Value::Bool(*b),
        MetricValue::Int(i) => serde_json::Value::from(*i),
        MetricValue::UInt(u) => serde_json::Value::from(*u),
        MetricValue::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        MetricValue::String(s) => serde_json::Value::String(s.clone()),
        MetricValue::Bytes(b) => serde_json::Value::String(hex::encode(b)),
        MetricValue::DateTime(ms) => i64::try_from(*ms)
            .ok()
            .and_then(crate::time::Timestamp::from_unix_millis)
            .map_or(serde_json::Value::Null, |t| {
                serde_json::Value::String(t.to_rfc3339_millis())
            }),
        MetricValue::Null => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_sample_becomes_a_sparkplug_sample() {
        let json = br#"{"seq":42,"value":-5,"quality":"uncertain","flags":["substituted"],"ts":"2026-12-07T10:00:00.250Z","received":"2026-12-07T10:00:01Z","source":{"device":"plc"}}"#;
        let s = sample_in("fb/site/plc/level", json, false, |d, p| {
            assert_eq!((d, p), ("plc", "level"));
            Some(DataType::Int16)
        })
        .expect("a sample");
        assert_eq!(s.device, "plc");
        assert_eq!(s.point, "level");
        assert_eq!(s.value, MetricValue::Int(-5));
        assert_eq!(s.seq, 42);
        assert_eq!(s.quality, Quality::Uncertain);
        assert_eq!(s.flags, ["substituted"]);
        assert_eq!(s.timestamp_ms, 1_796_637_600_250);
        assert!(!s.historical);
        let late = sample_in("fb/site/plc/level", json, true, |_, _| None).expect("a sample");
        assert!(late.historical);
    }

    #[test]
    fn strings_are_bytes_or_times_when_the_point_is_born_so() {
        assert_eq!(
            metric_value(serde_json::json!("00ff"), Some(DataType::Bytes)),
            MetricValue::Bytes(vec![0, 255])
        );
        assert_eq!(
            metric_value(
                serde_json::json!("2026-12-07T10:00:00Z"),
                Some(DataType::DateTime)
            ),
            MetricValue::DateTime(1_796_637_600_000)
        );
        assert_eq!(
            metric_value(serde_json::json!("00ff"), Some(DataType::String)),
            MetricValue::String("00ff".into())
        );
        assert_eq!(
            metric_value(serde_json::json!(2.0), None),
            MetricValue::Float(2.0)
        );
        assert_eq!(
            metric_value(serde_json::json!(2), None),
            MetricValue::Int(2)
        );
        assert_eq!(
            metric_value(serde_json::json!(u64::MAX), None),
            MetricValue::UInt(u64::MAX)
        );
        assert_eq!(
            metric_value(serde_json::Value::Null, None),
            MetricValue::Null
        );
    }

    #[test]
    fn a_record_that_is_not_a_sample_is_none() {
        assert!(sample_in("fb/site/plc/level", b"not json", false, |_, _| None).is_none());
        assert!(sample_in("level", br#"{"seq":1}"#, false, |_, _| None).is_none());
    }

    #[test]
    fn command_values_take_their_json_form() {
        assert_eq!(command_value(&MetricValue::Int(-3)), serde_json::json!(-3));
        assert_eq!(
            command_value(&MetricValue::Float(1.5)),
            serde_json::json!(1.5)
        );
        assert_eq!(
            command_value(&MetricValue::Bool(true)),
            serde_json::json!(true)
        );
        assert_eq!(
            command_value(&MetricValue::Bytes(vec![1, 2])),
            serde_json::json!("0102")
        );
    }
}
