//! A scripted edge node session, for trying `tests/peers/sparkplug/host.py` by hand.
//!
//! `session dump` prints the messages of a session (NDEATH will first) as JSON lines
//! `{"topic", "payload": hex}`; `session decode` reads such lines (NCMD/DCMD received by
//! `tests/peers/sparkplug/edge_stub.py`) and prints what `decode_command` makes of them, with
//! the edge node in the same state.

use std::io::BufRead;

use fieldbridge_sparkplug::{
    DataType, EdgeNode, Message, MetricValue, NodeMetric, PointInfo, Quality, SampleIn,
};

fn session() -> (EdgeNode, Vec<Message>) {
    let mut node = EdgeNode::new("plant-a", "bridge1", None).expect("valid ids");
    let mut out = vec![node.next_connection()];
    let point = |name: &str, dt, writable| PointInfo {
        name: name.into(),
        datatype: Some(dt),
        unit: Some("bar".into()),
        address: Some(format!("holding:{name}")),
        writable,
    };
    node.set_device_points(
        "plc1",
        vec![
            point("sp", DataType::Int16, true),
            point("pv", DataType::Float, false),
        ],
        1,
    )
    .expect("valid device");
    node.device_online("plc1", 1).expect("valid device");
    let cfg = [NodeMetric {
        name: "Properties/Config Version".into(),
        value: MetricValue::String("v1".into()),
        datatype: None,
    }];
    out.extend(node.birth(1_000, &cfg));
    for (i, (point, value)) in [
        ("sp", MetricValue::Int(-5)),
        ("pv", MetricValue::Float(2.5)),
    ]
    .into_iter()
    .enumerate()
    {
        let sample = SampleIn {
            device: "plc1".into(),
            point: point.into(),
            value,
            timestamp_ms: 1_500,
            quality: if i == 1 {
                Quality::Uncertain
            } else {
                Quality::Good
            },
            flags: vec![],
            seq: 10 + i as u64,
            historical: false,
        };
        let data = node.data(&sample, 2_000).expect("born");
        out.extend(data.births);
        out.push(data.ddata);
    }
    (node, out)
}

fn main() {
    let (node, messages) = session();
    match std::env::args().nth(1).as_deref() {
        Some("dump") => {
            for m in messages {
                let hex: String = m.payload.iter().map(|b| format!("{b:02x}")).collect();
                println!("{}", serde_json::json!({"topic": m.topic, "payload": hex}));
            }
        }
        Some("decode") => {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                let topic = v["topic"].as_str().unwrap_or_default();
                let hex = v["payload"].as_str().unwrap_or_default();
                let bytes: Vec<u8> = (0..hex.len() / 2)
                    .filter_map(|i| hex.get(2 * i..2 * i + 2))
                    .filter_map(|h| u8::from_str_radix(h, 16).ok())
                    .collect();
                println!("{topic}: {:?}", node.decode_command(topic, &bytes));
            }
        }
        _ => eprintln!("usage: session dump | session decode"),
    }
}
