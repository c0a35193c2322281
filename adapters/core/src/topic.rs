//! The JSON topic scheme and payloads (design brief §3; documented in `docs/topics.md`).
//!
//! - `<prefix>/<site>/<device>/<point>`: samples, QoS 1;
//! - `<prefix>/<site>/<device>/$state` and `$meta`: retained;
//! - `<prefix>/<site>/$bridge/<id>/state`: retained, and the MQTT last will.

use serde::Serialize;

use crate::event::{DeviceMeta, DeviceState};
use crate::point::{QualityFlags, QualityLevel, Sample, SampleFacts, SourceAddress, Value};
use crate::time::Timestamp;

/// Builds the topics of one bridge.
#[derive(Debug, Clone)]
pub struct Topics {
    base: String,
    bridge_id: String,
}

impl Topics {
    /// Topics under `<prefix>/<site>` for the bridge `bridge_id`.
    pub fn new(prefix: &str, site: &str, bridge_id: &str) -> Self {
        Topics {
            base: format!("{prefix}/{site}"),
            bridge_id: bridge_id.to_owned(),
        }
    }

    /// `<prefix>/<site>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `<prefix>/<site>/<device>/<point>`: where samples of a point go.
    pub fn sample(&self, device: &str, point: &str) -> String {
        format!("{}/{device}/{point}", self.base)
    }

    /// `<prefix>/<site>/<device>/$state`.
    pub fn device_state(&self, device: &str) -> String {
        format!("{}/{device}/$state", self.base)
    }

    /// `<prefix>/<site>/<device>/$meta`.
    pub fn device_meta(&self, device: &str) -> String {
        format!("{}/{device}/$meta", self.base)
    }

    /// `<prefix>/<site>/$bridge/<id>/state`.
    pub fn bridge_state(&self) -> String {
        format!("{}/$bridge/{}/state", self.base, self.bridge_id)
    }
}

#[derive(Serialize)]
struct SourceJson<'a> {
    device: &'a str,
    #[serde(flatten)]
    address: &'a SourceAddress,
    #[serde(flatten)]
    facts: &'a SampleFacts,
}

#[derive(Serialize)]
struct SamplePayload<'a> {
    seq: u64,
    value: &'a Value,
    quality: QualityLevel,
    #[serde(skip_serializing_if = "QualityFlags::is_empty")]
    flags: QualityFlags,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<Timestamp>,
    received: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
    #[serde(skip_serializing_if = "is_false")]
    historical: bool,
    source: SourceJson<'a>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The JSON payload of a sample.
pub fn sample_payload(sample: &Sample) -> Vec<u8> {
    let r = &sample.reading;
    let payload = SamplePayload {
        seq: sample.seq,
        value: &r.value,
        quality: r.quality.level,
        flags: r.published_flags(),
        ts: r.ts,
        received: r.received,
        unit: r.unit.as_deref(),
        historical: sample.historical,
        source: SourceJson {
            device: &r.device,
            address: &r.source,
            facts: &r.facts,
        },
    };
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// The JSON payload of `<device>/$state`.
pub fn device_state_payload(state: &DeviceState) -> Vec<u8> {
    serde_json::to_vec(state).unwrap_or_default()
}

/// The JSON payload of `<device>/$meta`.
pub fn device_meta_payload(meta: &DeviceMeta) -> Vec<u8> {
    serde_json::to_vec(meta).unwrap_or_default()
}

/// What the bridge's state topic says about delivery (the same figures as the metrics endpoint).
#[derive(Debug, Clone, Serialize)]
pub struct BridgeSummary {
    /// Samples in the outbox not yet acknowledged.
    pub outbox_pending: u64,
    /// Their bytes.
    pub outbox_bytes: u64,
    /// Age of the oldest of them.
    pub oldest_age_seconds: f64,
    /// Samples dropped unacknowledged because the outbox was full.
    pub dropped: u64,
    /// Readings written to the outbox since start.
    pub samples_in: u64,
    /// Samples acknowledged by the broker since start.
    pub samples_acked: u64,
    /// What is wrong with `data_dir` while a disk operation keeps failing (a full, read-only or
    /// vanished disk); absent while the disk takes every write.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<crate::publisher::StorageProblem>,
}

/// Which configuration the bridge runs and where it publishes, for the bridge's state topic.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct BridgeInfo<'a> {
    /// The running configuration's version (`Config::version`): a fleet operator sees which
    /// bridge runs which file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<&'a str>,
    /// The broker (cluster node) the bridge is connected to, `host:port`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broker: Option<&'a str>,
}

/// The JSON payload of the bridge's own state topic.
pub fn bridge_state_payload(
    online: bool,
    since: Timestamp,
    info: &BridgeInfo<'_>,
    summary: Option<&BridgeSummary>,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct BridgeState<'a> {
        state: &'a str,
        version: &'a str,
        since: Timestamp,
        #[serde(flatten)]
        info: &'a BridgeInfo<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        delivery: Option<&'a BridgeSummary>,
    }
    let state = BridgeState {
        state: if online { "online" } else { "offline" },
        version: env!("CARGO_PKG_VERSION"),
        since,
        info,
        delivery: summary,
    };
    serde_json::to_vec(&state).unwrap_or_default()
}

/// The last will: what the broker publishes on the bridge's state topic when the bridge vanishes.
pub fn bridge_will_payload() -> Vec<u8> {
    br#"{"state":"offline"}"#.to_vec()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::point::{IecAddress, ModbusTable, Quality, QualityFlag, Reading};

    fn sample() -> Sample {
        Sample {
            seq: 42,
            historical: false,
            reading: Reading {
                device: Arc::from("plc1"),
                point: Arc::from("tank_level"),
                value: Value::Float(7.25),
                quality: Quality::GOOD,
                ts: None,
                received: Timestamp::from_unix_millis(1_795_554_000_123)
                    .unwrap_or_else(Timestamp::now),
                unit: Some(Arc::from("m")),
                source: SourceAddress::Modbus {
                    unit: 1,
                    table: ModbusTable::Holding,
                    address: 100,
                    bit: None,
                    data_type: Arc::from("f32"),
                    word_order: Some("cdab"),
                },
                facts: SampleFacts::default(),
            },
        }
    }

    #[test]
    fn topics_follow_the_design_brief() {
        let t = Topics::new("fieldbridge", "plant-a", "gw1");
        assert_eq!(
            t.sample("plc1", "tank_level"),
            "fieldbridge/plant-a/plc1/tank_level"
        );
        assert_eq!(t.device_state("plc1"), "fieldbridge/plant-a/plc1/$state");
        assert_eq!(t.device_meta("plc1"), "fieldbridge/plant-a/plc1/$meta");
        assert_eq!(t.bridge_state(), "fieldbridge/plant-a/$bridge/gw1/state");
    }

    #[test]
    fn a_good_live_sample_has_the_documented_shape() {
        let json = String::from_utf8(sample_payload(&sample())).unwrap_or_default();
        assert_eq!(
            json,
            r#"{"seq":42,"value":7.25,"quality":"good","received":"2026-11-24T21:00:00.123Z","unit":"m","source":{"device":"plc1","protocol":"modbus","unit":1,"table":"holding","address":100,"type":"f32","word_order":"cdab"}}"#
        );
    }

    #[test]
    fn a_bad_historical_sample_carries_its_flags_and_device_time() {
        let mut s = sample();
        s.historical = true;
        s.reading.quality = Quality::new(QualityLevel::Bad, [QualityFlag::CommFailure]);
        s.reading.ts = Timestamp::from_unix_millis(1_764_018_000_000);
        let v: serde_json::Value = serde_json::from_slice(&sample_payload(&s)).unwrap_or_default();
        assert_eq!(v["quality"], "bad");
        assert_eq!(v["flags"], serde_json::json!(["comm_failure"]));
        assert_eq!(v["ts"], "2025-11-24T21:00:00.000Z");
        assert_eq!(v["historical"], true);
    }

    #[test]
    fn a_sample_received_before_the_clock_was_set_says_so_and_keeps_its_quality() {
        let mut s = sample();
        s.reading.received = Timestamp::from_unix_millis(12_345).unwrap_or_else(Timestamp::now);
        let v: serde_json::Value = serde_json::from_slice(&sample_payload(&s)).unwrap_or_default();
        assert_eq!(v["received"], "1970-01-01T00:00:12.345Z");
        assert_eq!(v["quality"], "good");
        assert_eq!(v["flags"], serde_json::json!(["bridge_clock_unset"]));
        s.reading.quality = Quality::comm_failure();
        let v: serde_json::Value = serde_json::from_slice(&sample_payload(&s)).unwrap_or_default();
        assert_eq!(v["quality"], "bad");
        assert_eq!(
            v["flags"],
            serde_json::json!(["comm_failure", "bridge_clock_unset"])
        );
        // Once the clock is set, the flag is gone.
        s.reading.received = crate::clock::floor();
        let v: serde_json::Value = serde_json::from_slice(&sample_payload(&s)).unwrap_or_default();
        assert_eq!(v["flags"], serde_json::json!(["comm_failure"]));
    }

    #[test]
    fn iec_and_dlms_addresses_serialize_with_their_protocol_and_the_samples_facts() {
        let iec = SourceAddress::Iec104(IecAddress {
            common_address: 1,
            ioa: 1001,
        });
        let facts = SampleFacts {
            type_id: Some(37),
            cot: Some(37),
            test: false,
            counter_sequence: Some(4),
            ..SampleFacts::default()
        };
        let v = serde_json::to_value(SourceJson {
            device: "rtu7",
            address: &iec,
            facts: &facts,
        })
        .unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"device":"rtu7","protocol":"iec104","common_address":1,"ioa":1001,"type_id":37,"cot":37,"counter_sequence":4})
        );
        // The point's address alone, as `$meta` shows it, carries no per-sample fact.
        assert_eq!(
            serde_json::to_value(iec).unwrap_or_default(),
            serde_json::json!({"protocol":"iec104","common_address":1,"ioa":1001})
        );
        let column = SourceAddress::Dlms {
            obis: Arc::from("1.0.1.8.0.255"),
            class: 3,
            attribute: 2,
            profile: Some(Arc::from("1.0.99.1.0.255")),
        };
        let v = serde_json::to_value(SourceJson {
            device: "meter12",
            address: &column,
            facts: &SampleFacts {
                raw: Some(123_456),
                scaler: Some(-3),
                late: true,
                ..SampleFacts::default()
            },
        })
        .unwrap_or_default();
        // `late` is not a fact of the source: it makes the sample `historical`.
        assert_eq!(
            v,
            serde_json::json!({"device":"meter12","protocol":"dlms","obis":"1.0.1.8.0.255","class":3,"attribute":2,"profile":"1.0.99.1.0.255","raw":123456,"scaler":-3})
        );
    }
}
