//! NCMD and DCMD as host applications send them (Sparkplug 3.0, 5.17, 6.4.23, 6.4.24).

mod common;

use common::*;
use fieldbridge_sparkplug::proto::{metric::Value, Metric, Payload};
use fieldbridge_sparkplug::{Command, DataType, Error, MetricValue, Write, REBIRTH};
use prost::Message as _;

fn cmd(metrics: Vec<Metric>) -> Vec<u8> {
    Payload {
        timestamp: Some(1),
        metrics,
        ..Payload::default()
    }
    .encode_to_vec()
}

fn by_name(name: &str, value: Value) -> Metric {
    Metric {
        name: Some(name.into()),
        value: Some(value),
        ..Metric::default()
    }
}

const NCMD: &str = "spBv1.0/g/NCMD/n";
const DCMD: &str = "spBv1.0/g/DCMD/n/plc1";

#[test]
fn an_ncmd_rebirth_true_is_a_rebirth_request() {
    let (node, _) = born_node();
    let mut m = by_name(REBIRTH, Value::BooleanValue(true));
    assert_eq!(
        node.decode_command(NCMD, &cmd(vec![m.clone()])).unwrap(),
        Command::Rebirth
    );
    // with the datatype, as the specification's example has it
    m.datatype = Some(DataType::Boolean.code());
    assert_eq!(
        node.decode_command(NCMD, &cmd(vec![m])).unwrap(),
        Command::Rebirth
    );
}

#[test]
fn an_ncmd_rebirth_false_or_another_metric_is_refused_by_name() {
    let (node, _) = born_node();
    let err = node
        .decode_command(
            NCMD,
            &cmd(vec![by_name(REBIRTH, Value::BooleanValue(false))]),
        )
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedNodeCommand { .. }), "{err}");
    let err = node
        .decode_command(
            NCMD,
            &cmd(vec![by_name(
                "Node Control/Reboot",
                Value::BooleanValue(true),
            )]),
        )
        .unwrap_err();
    assert!(err.to_string().contains("Node Control/Reboot"), "{err}");
    let err = node
        .decode_command(NCMD, &cmd(vec![by_name(REBIRTH, Value::IntValue(1))]))
        .unwrap_err();
    assert!(err.to_string().contains("boolean_value"), "{err}");
    assert!(matches!(
        node.decode_command(NCMD, &cmd(vec![])),
        Err(Error::EmptyCommand { verb: "NCMD", .. })
    ));
}

#[test]
fn a_dcmd_by_name_resolves_to_writes_read_as_the_born_datatype() {
    let (node, _) = born_node();
    let payload = cmd(vec![
        by_name("flow", Value::IntValue(1234)),
        by_name("temp", Value::FloatValue(-2.5)),
    ]);
    assert_eq!(
        node.decode_command(DCMD, &payload).unwrap(),
        Command::Writes {
            device: "plc1".into(),
            writes: vec![
                Write {
                    point: "flow".into(),
                    value: MetricValue::UInt(1234),
                    datatype: DataType::UInt16,
                },
                Write {
                    point: "temp".into(),
                    value: MetricValue::Float(-2.5),
                    datatype: DataType::Float,
                },
            ],
        }
    );
}

#[test]
fn a_dcmd_by_alias_resolves_through_the_dbirth() {
    let (node, births) = born_node();
    let alias = payload(&births[1]).metrics[0].alias.unwrap();
    let m = Metric {
        alias: Some(alias),
        value: Some(Value::IntValue(7)),
        ..Metric::default()
    };
    let Command::Writes { writes, .. } = node.decode_command(DCMD, &cmd(vec![m.clone()])).unwrap()
    else {
        panic!("not writes");
    };
    assert_eq!(writes[0].point, "flow");
    assert_eq!(writes[0].value, MetricValue::UInt(7));
    // name and alias together must agree
    let mut both = m;
    both.name = Some("temp".into());
    assert!(matches!(
        node.decode_command(DCMD, &cmd(vec![both])),
        Err(Error::AliasNameMismatch { .. })
    ));
}

#[test]
fn a_negative_int16_is_read_in_either_encoding() {
    let mut node = fieldbridge_sparkplug::EdgeNode::new("g", "n", None).unwrap();
    node.next_connection();
    node.set_device_points("plc1", vec![point("sp", Some(DataType::Int16))], 1)
        .unwrap();
    node.device_online("plc1", 1).unwrap();
    node.birth(1, &[]);
    for raw in [65531u32, 0xFFFF_FFFB] {
        let Command::Writes { writes, .. } = node
            .decode_command(DCMD, &cmd(vec![by_name("sp", Value::IntValue(raw))]))
            .unwrap()
        else {
            panic!("not writes");
        };
        assert_eq!(writes[0].value, MetricValue::Int(-5));
    }
}

#[test]
fn unknown_devices_aliases_and_names_are_errors_naming_them() {
    let (node, _) = born_node();
    let err = node
        .decode_command(
            "spBv1.0/g/DCMD/n/plc9",
            &cmd(vec![by_name("flow", Value::IntValue(1))]),
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::UnknownDevice { device } if device == "plc9"),
        "{err}"
    );
    let m = Metric {
        alias: Some(999),
        value: Some(Value::IntValue(1)),
        ..Metric::default()
    };
    let err = node.decode_command(DCMD, &cmd(vec![m])).unwrap_err();
    assert!(
        matches!(err, Error::UnknownAlias { alias: 999, .. }),
        "{err}"
    );
    let err = node
        .decode_command(DCMD, &cmd(vec![by_name("nope", Value::IntValue(1))]))
        .unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
    let err = node
        .decode_command(DCMD, &cmd(vec![Metric::default()]))
        .unwrap_err();
    assert!(matches!(err, Error::MetricWithoutNameOrAlias { index: 0 }));
}

#[test]
fn a_value_or_datatype_that_does_not_match_the_birth_is_refused() {
    let (node, _) = born_node();
    let err = node
        .decode_command(DCMD, &cmd(vec![by_name("flow", Value::BooleanValue(true))]))
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("flow") && msg.contains("UInt16"), "{msg}");
    let err = node
        .decode_command(DCMD, &cmd(vec![by_name("flow", Value::IntValue(70_000))]))
        .unwrap_err();
    assert!(matches!(err, Error::InMetric { .. }), "{err}");
    let mut m = by_name("flow", Value::IntValue(1));
    m.datatype = Some(DataType::Int32.code());
    let err = node.decode_command(DCMD, &cmd(vec![m])).unwrap_err();
    assert!(
        matches!(
            err,
            Error::DatatypeMismatch {
                born: DataType::UInt16,
                found: 3,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn commands_for_others_and_non_commands_are_refused() {
    let (node, _) = born_node();
    let body = cmd(vec![by_name(REBIRTH, Value::BooleanValue(true))]);
    assert!(matches!(
        node.decode_command("spBv1.0/other/NCMD/n", &body),
        Err(Error::NotThisEdgeNode { .. })
    ));
    assert!(matches!(
        node.decode_command("spBv1.0/g/NDATA/n", &body),
        Err(Error::NotACommand { .. })
    ));
    assert!(matches!(
        node.decode_command("spBv1.0/STATE/host", br#"{"online":true,"timestamp":1}"#),
        Err(Error::NotACommand { .. })
    ));
    assert!(matches!(
        node.decode_command("a/b", &body),
        Err(Error::BadTopic { .. })
    ));
}

#[test]
fn a_payload_that_is_not_protobuf_is_a_decode_error_with_topic_and_length() {
    let (node, _) = born_node();
    let err = node.decode_command(NCMD, &[0x0a, 0xff, 0x01]).unwrap_err();
    assert!(matches!(err, Error::Decode { len: 3, .. }), "{err}");
    assert!(err.to_string().contains(NCMD), "{err}");
}

#[test]
fn after_a_disconnection_no_device_is_known_until_it_is_born_again() {
    let (mut node, _) = born_node();
    node.disconnected();
    assert!(matches!(
        node.decode_command(DCMD, &cmd(vec![by_name("flow", Value::IntValue(1))])),
        Err(Error::UnknownDevice { .. })
    ));
    node.birth(5, &[]);
    assert!(node
        .decode_command(DCMD, &cmd(vec![by_name("flow", Value::IntValue(1))]))
        .is_ok());
}
