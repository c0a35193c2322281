//! Oracle: pysparkplug 0.6.1 (software nobody here wrote) decodes what this crate encodes.
//!
//! `tests/peers/sparkplug/decode.py` decodes a whole session (NDEATH will, NBIRTH, DBIRTH with
//! every scalar datatype, DDATA by alias, a rebirth, DDEATH, DDATA of a dead device by name)
//! and prints JSON; names, aliases, datatypes, values, seq and properties must match. The
//! properties are read there from pysparkplug's generated protobuf classes, since its Metric
//! drops them (and they are checked with prost in `messages.rs`).
//!
//! Python: `$FIELDBRIDGE_SPARKPLUG_PYTHON`, else `<workspace>/.venv-sparkplug/bin/python`
//! (see `tests/peers/sparkplug/README.md`).

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::*;
use fieldbridge_sparkplug::{
    DataType, EdgeNode, Message, MetricValue, NodeMetric, PointInfo, Quality, SampleIn,
};
use serde_json::Value as Json;

fn workspace_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn python() -> PathBuf {
    let default = workspace_root().join(".venv-sparkplug/bin/python");
    if let Some(p) = std::env::var_os("FIELDBRIDGE_SPARKPLUG_PYTHON") {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "FIELDBRIDGE_SPARKPLUG_PYTHON={} does not exist; unset it to use {}",
            p.display(),
            default.display()
        );
        return p;
    }
    assert!(
        default.exists(),
        "no Python with pysparkplug: set FIELDBRIDGE_SPARKPLUG_PYTHON or create {} \
         (python3.11 -m venv .venv-sparkplug && .venv-sparkplug/bin/pip install -r \
         tests/peers/sparkplug/requirements.txt)",
        default.display()
    );
    default
}

/// Runs decode.py over the messages, in order; one JSON object per message.
fn decode_with_pysparkplug(messages: &[Message]) -> Vec<Json> {
    let script = workspace_root().join("tests/peers/sparkplug/decode.py");
    let mut child = Command::new(python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("decode.py starts");
    let mut input = String::new();
    for m in messages {
        let hex: String = m.payload.iter().map(|b| format!("{b:02x}")).collect();
        input.push_str(&serde_json::json!({"topic": m.topic, "payload": hex}).to_string());
        input.push('\n');
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "decode.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = std::str::from_utf8(&out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).unwrap());
    let header = lines.next().expect("version line");
    assert_eq!(header["pysparkplug"], "0.6.1", "pin pysparkplug 0.6.1");
    let decoded: Vec<Json> = lines.collect();
    assert_eq!(decoded.len(), messages.len());
    for (d, m) in decoded.iter().zip(messages) {
        assert!(
            d.get("error").is_none(),
            "pysparkplug refused {}: {d}",
            m.topic
        );
    }
    decoded
}

/// Every scalar datatype with a value that exercises it, and that value as pysparkplug prints it.
fn cases() -> Vec<(&'static str, DataType, MetricValue, Json)> {
    use serde_json::json;
    use MetricValue as V;
    vec![
        ("i8", DataType::Int8, V::Int(-5), json!(-5)),
        ("i16", DataType::Int16, V::Int(-12_345), json!(-12_345)),
        (
            "i32",
            DataType::Int32,
            V::Int(-2_000_000_000),
            json!(-2_000_000_000),
        ),
        (
            "i64",
            DataType::Int64,
            V::Int(-9_000_000_000_000),
            json!(-9_000_000_000_000i64),
        ),
        ("u8", DataType::UInt8, V::UInt(200), json!(200)),
        ("u16", DataType::UInt16, V::UInt(65_535), json!(65_535)),
        (
            "u32",
            DataType::UInt32,
            V::UInt(4_000_000_000),
            json!(4_000_000_000u64),
        ),
        ("u64", DataType::UInt64, V::UInt(u64::MAX), json!(u64::MAX)),
        ("f32", DataType::Float, V::Float(-0.15625), json!(-0.15625)),
        ("f64", DataType::Double, V::Float(0.1), json!(0.1)),
        ("flag", DataType::Boolean, V::Bool(true), json!(true)),
        (
            "name",
            DataType::String,
            V::String("héllo".into()),
            json!("héllo"),
        ),
        (
            "note",
            DataType::Text,
            V::String("text".into()),
            json!("text"),
        ),
        (
            "raw",
            DataType::Bytes,
            V::Bytes(vec![0, 1, 0xfe, 0xff]),
            json!("0001feff"),
        ),
        (
            "when",
            DataType::DateTime,
            V::DateTime(1_700_000_000_123),
            json!(1_700_000_000_123u64),
        ),
    ]
}

fn find<'a>(metrics: &'a Json, name: &str) -> &'a Json {
    metrics
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name} in {metrics}"))
}

#[test]
fn pysparkplug_decodes_a_whole_session_as_we_meant_it() {
    let cases = cases();
    let mut node = EdgeNode::new("plant-a", "bridge1", None).unwrap();
    let mut msgs = vec![node.next_connection()];
    let points: Vec<PointInfo> = cases
        .iter()
        .map(|(name, dt, _, _)| PointInfo {
            name: (*name).into(),
            datatype: Some(*dt),
            unit: Some("m".into()),
            address: Some(format!("reg:{name}")),
            writable: *name == "u16",
        })
        .collect();
    node.set_device_points("plc1", points, 1).unwrap();
    node.device_online("plc1", 1).unwrap();
    let node_metrics = [NodeMetric {
        name: "Properties/Config Version".into(),
        value: MetricValue::String("v7".into()),
        datatype: None,
    }];
    msgs.extend(node.birth(1000, &node_metrics)); // NBIRTH 0, DBIRTH 1 (nulls)
    for (i, (name, _, value, _)) in cases.iter().enumerate() {
        let data = node
            .data(
                &SampleIn {
                    device: "plc1".into(),
                    point: (*name).into(),
                    value: value.clone(),
                    timestamp_ms: 2000 + i as u64,
                    quality: if *name == "i8" {
                        Quality::Bad
                    } else {
                        Quality::Good
                    },
                    flags: if *name == "i8" {
                        vec!["invalid".into()]
                    } else {
                        vec![]
                    },
                    seq: 100 + i as u64,
                    historical: *name == "u64",
                },
                3000,
            )
            .unwrap();
        assert!(data.births.is_empty());
        msgs.push(data.ddata);
    }
    let rebirth = node.birth(4000, &node_metrics); // NBIRTH 0, DBIRTH 1 (values)
    msgs.extend(rebirth);
    msgs.push(node.device_offline("plc1", 5000).unwrap().unwrap()); // DDEATH 2
    let late = sample("plc1", "late", MetricValue::Int(-7));
    msgs.push(node.data(&late, 5001).unwrap().ddata); // DDATA 3, by name

    let decoded = decode_with_pysparkplug(&msgs);
    let n = cases.len();

    // NDEATH: bdSeq 0 as Int64
    let ndeath = &decoded[0];
    assert_eq!(ndeath["type"], "NDEATH");
    assert_eq!(ndeath["metrics"][0]["name"], "bdSeq");
    assert_eq!(ndeath["metrics"][0]["datatype"], "Int64");
    assert_eq!(ndeath["metrics"][0]["value"], 0);
    assert_eq!(ndeath["seq"], Json::Null, "6.4.25: no seq on NDEATH");
    assert_eq!(ndeath["metrics"].as_array().unwrap().len(), 1);

    // NBIRTH: seq 0, bdSeq 0, rebirth false, the node metric with its alias
    for nbirth in [&decoded[1], &decoded[3 + n]] {
        assert_eq!(nbirth["type"], "NBIRTH");
        assert_eq!(nbirth["seq"], 0);
        let m = &nbirth["metrics"];
        assert_eq!(find(m, "bdSeq")["value"], 0);
        assert_eq!(find(m, "Node Control/Rebirth")["datatype"], "Boolean");
        assert_eq!(find(m, "Node Control/Rebirth")["value"], false);
        assert_eq!(find(m, "Node Control/Rebirth")["alias"], Json::Null);
        let cfg = find(m, "Properties/Config Version");
        assert_eq!(cfg["value"], "v7");
        assert_eq!(
            cfg["alias"],
            node.alias_of(None, "Properties/Config Version").unwrap()
        );
    }

    // DBIRTH: every datatype, first null, after the rebirth with the current values
    for (dbirth, with_values) in [(&decoded[2], false), (&decoded[4 + n], true)] {
        assert_eq!(dbirth["type"], "DBIRTH");
        assert_eq!(dbirth["device"], "plc1");
        assert_eq!(dbirth["seq"], 1);
        for (name, dt, _, expected) in &cases {
            let m = find(&dbirth["metrics"], name);
            assert_eq!(m["datatype"], dt.name(), "{name}");
            assert_eq!(
                m["alias"],
                node.alias_of(Some("plc1"), name).unwrap(),
                "{name}"
            );
            if with_values {
                assert_eq!(&m["value"], expected, "{name}");
                assert_eq!(m["is_null"], false, "{name}");
            } else {
                assert_eq!(m["is_null"], true, "{name}");
                assert_eq!(m["value"], Json::Null, "{name}");
            }
            let props = &m["properties"];
            assert_eq!(props["engUnit"]["value"], "m", "{name}");
            assert_eq!(props["address"]["value"], format!("reg:{name}"));
            assert_eq!(props["readOnly"]["value"], *name != "u16");
        }
    }

    // DDATA by alias: pysparkplug resolves names and datatypes through the DBIRTH
    for (i, (name, dt, _, expected)) in cases.iter().enumerate() {
        let ddata = &decoded[3 + i];
        assert_eq!(ddata["type"], "DDATA");
        assert_eq!(ddata["seq"], 2 + i as u64);
        assert_eq!(ddata["timestamp"], 3000);
        let m = &ddata["metrics"][0];
        assert_eq!(ddata["metrics"].as_array().unwrap().len(), 1);
        assert_eq!(m["name"], *name, "the name came from the birth");
        assert_eq!(m["alias"], node.alias_of(Some("plc1"), name).unwrap());
        assert_eq!(m["datatype"], dt.name());
        assert_eq!(&m["value"], expected, "{name}");
        assert_eq!(m["timestamp"], 2000 + i as u64);
        assert_eq!(m["is_historical"], *name == "u64");
        let props = &m["properties"];
        assert_eq!(props["seq"]["type"], "UInt64");
        assert_eq!(props["seq"]["value"], 100 + i as u64);
        if *name == "i8" {
            assert_eq!(props["Quality"]["type"], "Int32");
            assert_eq!(props["Quality"]["value"], 0);
            assert_eq!(props["qualityLevel"]["value"], "bad");
            assert_eq!(props["qualityFlags"]["value"], "invalid");
        } else {
            assert_eq!(props.as_object().unwrap().len(), 1, "{name}: {props}");
        }
    }

    // DDEATH, then a dead device's DDATA by name and datatype
    let ddeath = &decoded[5 + n];
    assert_eq!(ddeath["type"], "DDEATH");
    assert_eq!(ddeath["seq"], 2);
    assert_eq!(ddeath["timestamp"], 5000);
    let late = &decoded[6 + n];
    assert_eq!(late["seq"], 3);
    assert_eq!(late["metrics"][0]["name"], "late");
    assert_eq!(late["metrics"][0]["datatype"], "Int64");
    assert_eq!(late["metrics"][0]["value"], -7);
}

#[test]
fn pysparkplug_reads_the_seq_and_bdseq_wrap() {
    let mut node = EdgeNode::new("g", "n", Some(255)).unwrap();
    let will = node.next_connection();
    node.set_device_points("d", vec![point("p", Some(DataType::Int16))], 1)
        .unwrap();
    node.device_online("d", 1).unwrap();
    let mut msgs = vec![will];
    msgs.extend(node.birth(1, &[]));
    for i in 0..260i64 {
        let d = node
            .data(&sample("d", "p", MetricValue::Int(-i)), 2)
            .unwrap();
        msgs.push(d.ddata);
    }
    let decoded = decode_with_pysparkplug(&msgs);
    assert_eq!(decoded[0]["metrics"][0]["value"], 0, "bdSeq 255 wraps to 0");
    assert_eq!(decoded[1]["metrics"][0]["value"], 0);
    let seqs: Vec<u64> = decoded[1..]
        .iter()
        .map(|d| d["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(&seqs[..3], [0, 1, 2]);
    assert_eq!(seqs[256], 0);
    assert_eq!(seqs[257], 1);
    // negative Int16 values all the way, in the metric's own width
    for (i, d) in decoded[3..].iter().enumerate() {
        assert_eq!(d["metrics"][0]["name"], "p");
        assert_eq!(d["metrics"][0]["value"], -(i as i64));
    }
}
