//! Helpers shared by the integration tests.
#![allow(dead_code)]

use fieldbridge_sparkplug::proto::{property_value, Metric, Payload, PropertyValue};
use fieldbridge_sparkplug::{
    DataType, EdgeNode, Message, MetricValue, PointInfo, Quality, SampleIn,
};
use prost::Message as _;

pub fn payload(msg: &Message) -> Payload {
    Payload::decode(&msg.payload[..]).expect("our own payload decodes")
}

pub fn point(name: &str, datatype: Option<DataType>) -> PointInfo {
    PointInfo {
        name: name.into(),
        datatype,
        unit: None,
        address: None,
        writable: false,
    }
}

pub fn sample(device: &str, point: &str, value: MetricValue) -> SampleIn {
    SampleIn {
        device: device.into(),
        point: point.into(),
        value,
        timestamp_ms: 500,
        quality: Quality::Good,
        flags: vec![],
        seq: 1,
        historical: false,
    }
}

/// An edge node "g"/"n", connected, with device "plc1" online holding points
/// `flow` (UInt16) and `temp` (Float), born: NBIRTH seq 0, DBIRTH seq 1.
pub fn born_node() -> (EdgeNode, Vec<Message>) {
    let mut node = EdgeNode::new("g", "n", None).unwrap();
    node.next_connection();
    node.set_device_points(
        "plc1",
        vec![
            PointInfo {
                name: "flow".into(),
                datatype: Some(DataType::UInt16),
                unit: Some("m3/h".into()),
                address: Some("holding:4".into()),
                writable: true,
            },
            point("temp", Some(DataType::Float)),
        ],
        10,
    )
    .unwrap();
    node.device_online("plc1", 10).unwrap();
    let births = node.birth(1000, &[]);
    (node, births)
}

pub fn prop<'a>(metric: &'a Metric, key: &str) -> Option<&'a PropertyValue> {
    metric.properties.as_ref().and_then(|p| p.get(key))
}

pub fn prop_str(metric: &Metric, key: &str) -> Option<String> {
    match prop(metric, key)?.value.as_ref()? {
        property_value::Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

pub fn metric_named<'a>(p: &'a Payload, name: &str) -> &'a Metric {
    p.metrics
        .iter()
        .find(|m| m.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no metric {name:?} in {p:?}"))
}
