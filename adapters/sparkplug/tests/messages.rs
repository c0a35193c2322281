//! Every message an edge node sends, checked field by field (Sparkplug 3.0, 4.2, 5.4 to 5.7,
//! 6.4.19 to 6.4.26).

mod common;

use common::*;
use fieldbridge_sparkplug::proto::{metric::Value, property_value};
use fieldbridge_sparkplug::{
    keys, DataType, EdgeNode, Error, MessageType, MetricValue, NodeMetric, Quality, BD_SEQ, REBIRTH,
};

#[test]
fn the_first_connection_has_bdseq_zero_and_each_new_one_adds_one() {
    let mut node = EdgeNode::new("g", "n", None).unwrap();
    assert_eq!(node.bd_seq(), 0);
    let will = node.next_connection();
    assert_eq!(node.bd_seq(), 0);
    assert_eq!(will.topic, "spBv1.0/g/NDEATH/n");
    node.next_connection();
    assert_eq!(node.bd_seq(), 1);
    let mut node = EdgeNode::new("g", "n", Some(41)).unwrap();
    node.next_connection();
    assert_eq!(node.bd_seq(), 42);
}

#[test]
fn bdseq_wraps_from_255_to_0() {
    let mut node = EdgeNode::new("g", "n", Some(254)).unwrap();
    node.next_connection();
    assert_eq!(node.bd_seq(), 255);
    let will = node.next_connection();
    assert_eq!(node.bd_seq(), 0);
    let p = payload(&will);
    assert_eq!(p.metrics[0].value, Some(Value::LongValue(0)));
}

#[test]
fn ndeath_holds_only_the_bdseq_metric_as_int64_and_no_seq() {
    let mut node = EdgeNode::new("g", "n", Some(6)).unwrap();
    let will = node.next_connection();
    assert_eq!(will.message_type, MessageType::NDeath);
    assert_eq!(will.seq, None);
    let p = payload(&will);
    assert_eq!(p.seq, None);
    assert_eq!(p.metrics.len(), 1);
    let m = &p.metrics[0];
    assert_eq!(m.name.as_deref(), Some(BD_SEQ));
    assert_eq!(m.datatype, Some(DataType::Int64.code()));
    assert_eq!(m.value, Some(Value::LongValue(7)));
    assert_eq!(m.alias, None);
    // death() repeats the will for an orderly disconnect
    assert_eq!(node.death(), will);
}

#[test]
fn nbirth_has_seq_zero_the_bdseq_the_rebirth_metric_and_the_node_metrics() {
    let mut node = EdgeNode::new("plant-a", "bridge1", Some(2)).unwrap();
    node.next_connection();
    let node_metrics = [
        NodeMetric {
            name: "Properties/Config Version".into(),
            value: MetricValue::String("v7".into()),
            datatype: None,
        },
        NodeMetric {
            name: "Properties/Broker".into(),
            value: MetricValue::String("mqtt://10.0.0.1:1883".into()),
            datatype: Some(DataType::Text),
        },
    ];
    let msgs = node.birth(1234, &node_metrics);
    assert_eq!(msgs.len(), 1, "no device, no DBIRTH");
    let nbirth = &msgs[0];
    assert_eq!(nbirth.topic, "spBv1.0/plant-a/NBIRTH/bridge1");
    assert_eq!(nbirth.message_type, MessageType::NBirth);
    assert_eq!(nbirth.seq, Some(0));
    let p = payload(nbirth);
    assert_eq!(p.seq, Some(0));
    assert_eq!(p.timestamp, Some(1234));
    let bd = metric_named(&p, BD_SEQ);
    assert_eq!(bd.datatype, Some(DataType::Int64.code()));
    assert_eq!(bd.value, Some(Value::LongValue(3)));
    let rebirth = metric_named(&p, REBIRTH);
    assert_eq!(rebirth.datatype, Some(DataType::Boolean.code()));
    assert_eq!(rebirth.value, Some(Value::BooleanValue(false)));
    assert_eq!(rebirth.alias, None, "5.17: no alias on the rebirth metric");
    let cfg = metric_named(&p, "Properties/Config Version");
    assert_eq!(cfg.datatype, Some(DataType::String.code()));
    assert_eq!(cfg.value, Some(Value::StringValue("v7".into())));
    assert!(cfg.alias.is_some());
    let broker = metric_named(&p, "Properties/Broker");
    assert_eq!(broker.datatype, Some(DataType::Text.code()));
    for m in &p.metrics {
        assert_eq!(
            m.timestamp,
            Some(1234),
            "every birth metric has a timestamp"
        );
    }
    assert!(node.is_born());
}

#[test]
fn dbirth_carries_names_aliases_datatypes_null_values_and_properties() {
    let (_node, births) = born_node();
    assert_eq!(births.len(), 2);
    let dbirth = &births[1];
    assert_eq!(dbirth.topic, "spBv1.0/g/DBIRTH/n/plc1");
    assert_eq!(dbirth.seq, Some(1));
    let p = payload(dbirth);
    assert_eq!(p.seq, Some(1));
    assert_eq!(p.timestamp, Some(1000));
    let names: Vec<_> = p.metrics.iter().map(|m| m.name.clone().unwrap()).collect();
    assert_eq!(names, ["flow", "temp"], "the point list's order");
    let flow = &p.metrics[0];
    assert_eq!(flow.datatype, Some(DataType::UInt16.code()));
    assert_eq!(flow.is_null, Some(true), "no value yet: is_null");
    assert_eq!(flow.value, None);
    assert_eq!(prop_str(flow, keys::ENG_UNIT).as_deref(), Some("m3/h"));
    assert_eq!(prop_str(flow, keys::ADDRESS).as_deref(), Some("holding:4"));
    let ro = prop(flow, keys::READ_ONLY).unwrap();
    assert_eq!(ro.r#type, Some(DataType::Boolean.code()));
    assert_eq!(ro.value, Some(property_value::Value::BooleanValue(false)));
    let temp = &p.metrics[1];
    assert_eq!(temp.datatype, Some(DataType::Float.code()));
    assert_eq!(
        prop(temp, keys::READ_ONLY).unwrap().value,
        Some(property_value::Value::BooleanValue(true))
    );
    assert_ne!(flow.alias, temp.alias);
}

#[test]
fn ddata_holds_one_metric_by_alias_only_with_timestamp_and_the_seq_property() {
    let (mut node, births) = born_node();
    let flow_alias = payload(&births[1]).metrics[0].alias.unwrap();
    let mut s = sample("plc1", "flow", MetricValue::UInt(300));
    s.seq = 9_000_000_001;
    s.timestamp_ms = 777;
    let data = node.data(&s, 2000).unwrap();
    assert!(data.births.is_empty());
    let d = &data.ddata;
    assert_eq!(d.topic, "spBv1.0/g/DDATA/n/plc1");
    assert_eq!(d.message_type, MessageType::DData);
    assert_eq!(d.seq, Some(2));
    let p = payload(d);
    assert_eq!(p.seq, Some(2));
    assert_eq!(p.timestamp, Some(2000));
    assert_eq!(p.metrics.len(), 1);
    let m = &p.metrics[0];
    assert_eq!(m.name, None, "6.4.6: no name once aliased");
    assert_eq!(m.datatype, None, "6.4.6: no datatype in DATA");
    assert_eq!(m.alias, Some(flow_alias));
    assert_eq!(m.timestamp, Some(777));
    assert_eq!(m.is_historical, None);
    assert_eq!(m.value, Some(Value::IntValue(300)));
    let seq = prop(m, keys::SEQ).unwrap();
    assert_eq!(seq.r#type, Some(DataType::UInt64.code()));
    assert_eq!(
        seq.value,
        Some(property_value::Value::LongValue(9_000_000_001))
    );
    let props = m.properties.as_ref().unwrap();
    assert_eq!(
        props.keys,
        [keys::SEQ],
        "a good sample carries no quality property"
    );
}

#[test]
fn bad_and_uncertain_samples_carry_quality_properties() {
    let (mut node, _) = born_node();
    let mut s = sample("plc1", "temp", MetricValue::Float(1.5));
    s.quality = Quality::Bad;
    s.flags = vec!["invalid".into(), "not_topical".into()];
    let p = payload(&node.data(&s, 2000).unwrap().ddata);
    let m = &p.metrics[0];
    let q = prop(m, keys::QUALITY).unwrap();
    assert_eq!(q.r#type, Some(3), "6.4.9.1: Quality is an Int32");
    assert_eq!(q.value, Some(property_value::Value::IntValue(0)));
    assert_eq!(prop_str(m, keys::QUALITY_LEVEL).as_deref(), Some("bad"));
    assert_eq!(
        prop_str(m, keys::QUALITY_FLAGS).as_deref(),
        Some("invalid,not_topical")
    );
    s.quality = Quality::Uncertain;
    s.flags = vec!["substituted".into()];
    let p = payload(&node.data(&s, 2001).unwrap().ddata);
    let m = &p.metrics[0];
    assert!(
        prop(m, keys::QUALITY).is_none(),
        "no Sparkplug code for uncertain"
    );
    assert_eq!(
        prop_str(m, keys::QUALITY_LEVEL).as_deref(),
        Some("uncertain")
    );
    assert_eq!(
        prop_str(m, keys::QUALITY_FLAGS).as_deref(),
        Some("substituted")
    );
}

#[test]
fn a_historical_sample_is_flagged_and_does_not_replace_a_newer_value_in_births() {
    let (mut node, _) = born_node();
    let mut live = sample("plc1", "flow", MetricValue::UInt(2));
    live.timestamp_ms = 900;
    node.data(&live, 2000).unwrap();
    let mut old = sample("plc1", "flow", MetricValue::UInt(1));
    old.timestamp_ms = 100;
    old.historical = true;
    let p = payload(&node.data(&old, 2001).unwrap().ddata);
    assert_eq!(p.metrics[0].is_historical, Some(true));
    assert_eq!(p.metrics[0].timestamp, Some(100));
    let births = node.birth(3000, &[]);
    let flow = &payload(&births[1]).metrics[0];
    assert_eq!(
        flow.value,
        Some(Value::IntValue(2)),
        "the birth holds the newest value"
    );
    assert_eq!(flow.timestamp, Some(900));
}

#[test]
fn seq_wraps_from_255_to_0() {
    let (mut node, _) = born_node();
    let mut seqs = Vec::new();
    for i in 0..300u64 {
        let d = node.data(&sample("plc1", "flow", MetricValue::UInt(i % 7)), 2000 + i);
        seqs.push(d.unwrap().ddata.seq.unwrap());
    }
    // NBIRTH 0, DBIRTH 1, then 2..=255, 0, 1, ...
    assert_eq!(seqs[0], 2);
    assert_eq!(seqs[253], 255);
    assert_eq!(seqs[254], 0);
    assert_eq!(seqs[255], 1);
    for w in seqs.windows(2) {
        assert_eq!(w[1], w[0].wrapping_add(1));
    }
}

#[test]
fn after_a_disconnection_the_next_birth_starts_again_at_seq_zero_with_the_same_aliases() {
    let (mut node, births) = born_node();
    let aliases: Vec<_> = payload(&births[1])
        .metrics
        .iter()
        .map(|m| m.alias)
        .collect();
    node.data(&sample("plc1", "flow", MetricValue::UInt(5)), 2000)
        .unwrap();
    node.disconnected();
    assert!(!node.is_born());
    assert!(matches!(
        node.data(&sample("plc1", "flow", MetricValue::UInt(6)), 2001),
        Err(Error::NotBorn)
    ));
    let will = node.next_connection();
    assert_eq!(payload(&will).metrics[0].value, Some(Value::LongValue(1)));
    let births = node.birth(3000, &[]);
    assert_eq!(births.len(), 2);
    assert_eq!(births[0].seq, Some(0));
    assert_eq!(births[1].seq, Some(1));
    let again: Vec<_> = payload(&births[1])
        .metrics
        .iter()
        .map(|m| m.alias)
        .collect();
    assert_eq!(again, aliases, "aliases are stable for the process's life");
    let bd = metric_named(&payload(&births[0]), BD_SEQ).value.clone();
    assert_eq!(bd, Some(Value::LongValue(1)));
}

#[test]
fn a_rebirth_keeps_the_bdseq_and_restarts_seq() {
    let (mut node, _) = born_node();
    node.data(&sample("plc1", "flow", MetricValue::UInt(5)), 2000)
        .unwrap();
    let births = node.birth(3000, &[]);
    assert_eq!(births[0].seq, Some(0));
    let bd = metric_named(&payload(&births[0]), BD_SEQ).value.clone();
    assert_eq!(bd, Some(Value::LongValue(0)));
    // the birth carries the current value
    assert_eq!(
        payload(&births[1]).metrics[0].value,
        Some(Value::IntValue(5))
    );
}

#[test]
fn a_point_missing_from_the_birth_brings_a_fresh_dbirth_before_the_ddata() {
    let (mut node, _) = born_node();
    let data = node
        .data(&sample("plc1", "status", MetricValue::Bool(true)), 2000)
        .unwrap();
    assert_eq!(data.births.len(), 1);
    assert_eq!(data.births[0].message_type, MessageType::DBirth);
    assert_eq!(data.births[0].seq, Some(2));
    assert_eq!(data.ddata.seq, Some(3));
    let p = payload(&data.births[0]);
    let status = metric_named(&p, "status");
    assert_eq!(status.datatype, Some(DataType::Boolean.code()));
    assert_eq!(status.value, Some(Value::BooleanValue(true)));
    let d = payload(&data.ddata);
    assert_eq!(d.metrics[0].alias, status.alias);
    assert_eq!(d.metrics[0].name, None);
    // next sample of the same point: no birth
    let data = node
        .data(&sample("plc1", "status", MetricValue::Bool(false)), 2001)
        .unwrap();
    assert!(data.births.is_empty());
}

#[test]
fn a_value_that_no_longer_fits_the_born_datatype_rebirths_with_a_learnt_one() {
    let (mut node, _) = born_node();
    // flow is hinted UInt16: 70000 does not fit, UInt learns UInt64
    let data = node
        .data(&sample("plc1", "flow", MetricValue::UInt(70_000)), 2000)
        .unwrap();
    assert_eq!(data.births.len(), 1);
    let flow = metric_named(&payload(&data.births[0]), "flow").clone();
    assert_eq!(flow.datatype, Some(DataType::UInt64.code()));
    assert_eq!(
        payload(&data.ddata).metrics[0].value,
        Some(Value::LongValue(70_000))
    );
    assert_eq!(node.born_datatype("plc1", "flow"), Some(DataType::UInt64));
    // an integer then a fraction: Int64 then Double; integers then fit Double without rebirth
    let data = node
        .data(&sample("plc1", "x", MetricValue::Int(-3)), 2001)
        .unwrap();
    assert_eq!(node.born_datatype("plc1", "x"), Some(DataType::Int64));
    assert_eq!(data.births.len(), 1);
    let data = node
        .data(&sample("plc1", "x", MetricValue::Float(2.5)), 2002)
        .unwrap();
    assert_eq!(data.births.len(), 1);
    assert_eq!(node.born_datatype("plc1", "x"), Some(DataType::Double));
    let data = node
        .data(&sample("plc1", "x", MetricValue::Int(4)), 2003)
        .unwrap();
    assert!(data.births.is_empty());
    assert_eq!(
        payload(&data.ddata).metrics[0].value,
        Some(Value::DoubleValue(4.0))
    );
}

#[test]
fn a_hint_that_holds_the_value_wins_over_the_values_own_datatype() {
    let mut node = EdgeNode::new("g", "n", None).unwrap();
    node.next_connection();
    node.set_device_points(
        "d",
        vec![point("v", None), point("w", Some(DataType::Int16))],
        1,
    )
    .unwrap();
    node.device_online("d", 1).unwrap();
    let births = node.birth(1, &[]);
    let p = payload(&births[1]);
    assert_eq!(
        p.metrics.len(),
        1,
        "a point without datatype stays out of the birth"
    );
    assert_eq!(p.metrics[0].name.as_deref(), Some("w"));
    let data = node
        .data(&sample("d", "w", MetricValue::Int(-5)), 2)
        .unwrap();
    assert!(data.births.is_empty());
    assert_eq!(
        payload(&data.ddata).metrics[0].value,
        Some(Value::IntValue(65531))
    );
    let data = node
        .data(&sample("d", "v", MetricValue::UInt(5)), 3)
        .unwrap();
    assert_eq!(
        metric_named(&payload(&data.births[0]), "v").datatype,
        Some(8)
    );
}

#[test]
fn an_offline_device_gets_ddata_without_dbirth_by_alias_if_born_else_by_name() {
    let (mut node, births) = born_node();
    let flow_alias = payload(&births[1]).metrics[0].alias;
    let ddeath = node.device_offline("plc1", 1500).unwrap().unwrap();
    assert_eq!(ddeath.topic, "spBv1.0/g/DDEATH/n/plc1");
    assert_eq!(ddeath.seq, Some(2));
    let p = payload(&ddeath);
    assert_eq!(p.seq, Some(2));
    assert_eq!(p.timestamp, Some(1500));
    assert!(p.metrics.is_empty());
    assert_eq!(
        node.device_offline("plc1", 1501).unwrap(),
        None,
        "already dead"
    );
    let mut s = sample("plc1", "flow", MetricValue::UInt(1));
    s.historical = true;
    let data = node.data(&s, 2000).unwrap();
    assert!(data.births.is_empty(), "no DBIRTH for a dead device");
    let m = &payload(&data.ddata).metrics[0];
    assert_eq!(m.alias, flow_alias);
    assert_eq!(m.name, None);
    // a point this session's birth never held goes by name and datatype
    let data = node
        .data(&sample("plc1", "new", MetricValue::Int(1)), 2001)
        .unwrap();
    assert!(data.births.is_empty());
    let m = &payload(&data.ddata).metrics[0];
    assert_eq!(m.name.as_deref(), Some("new"));
    assert_eq!(m.datatype, Some(DataType::Int64.code()));
    assert_eq!(m.alias, None);
    // and a device never seen online the same way
    let data = node
        .data(&sample("meter9", "e", MetricValue::Float(0.5)), 2002)
        .unwrap();
    assert!(data.births.is_empty());
    assert_eq!(data.ddata.topic, "spBv1.0/g/DDATA/n/meter9");
    assert_eq!(payload(&data.ddata).metrics[0].name.as_deref(), Some("e"));
}

#[test]
fn a_device_coming_back_online_is_born_again_with_its_current_values() {
    let (mut node, _) = born_node();
    node.data(&sample("plc1", "flow", MetricValue::UInt(8)), 1100)
        .unwrap();
    node.device_offline("plc1", 1200).unwrap().unwrap();
    let dbirth = node.device_online("plc1", 1300).unwrap().unwrap();
    assert_eq!(dbirth.message_type, MessageType::DBirth);
    assert_eq!(payload(&dbirth).metrics[0].value, Some(Value::IntValue(8)));
    assert_eq!(
        node.device_online("plc1", 1301).unwrap(),
        None,
        "already born"
    );
}

#[test]
fn devices_are_born_in_a_stable_order_and_only_when_online_with_metrics() {
    let mut node = EdgeNode::new("g", "n", None).unwrap();
    node.next_connection();
    for d in ["zeta", "alpha", "mid"] {
        node.set_device_points(d, vec![point("p", Some(DataType::Boolean))], 1)
            .unwrap();
        assert_eq!(node.device_online(d, 1).unwrap(), None, "node not born yet");
    }
    node.device_online("empty", 1).unwrap();
    node.set_device_points("down", vec![point("p", Some(DataType::Boolean))], 1)
        .unwrap();
    let births = node.birth(2, &[]);
    let topics: Vec<_> = births.iter().map(|m| m.topic.as_str()).collect();
    assert_eq!(
        topics,
        [
            "spBv1.0/g/NBIRTH/n",
            "spBv1.0/g/DBIRTH/n/alpha",
            "spBv1.0/g/DBIRTH/n/mid",
            "spBv1.0/g/DBIRTH/n/zeta",
        ]
    );
    let seqs: Vec<_> = births.iter().map(|m| m.seq.unwrap()).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
}

#[test]
fn aliases_are_unique_across_the_edge_node() {
    let mut node = EdgeNode::new("g", "n", None).unwrap();
    node.next_connection();
    for d in ["a", "b"] {
        node.set_device_points(
            d,
            vec![
                point("p", Some(DataType::Int32)),
                point("q", Some(DataType::Int32)),
            ],
            1,
        )
        .unwrap();
        node.device_online(d, 1).unwrap();
    }
    let nm = [NodeMetric {
        name: "p".into(),
        value: MetricValue::Bool(true),
        datatype: None,
    }];
    let births = node.birth(2, &nm);
    let mut aliases: Vec<u64> = births
        .iter()
        .flat_map(|m| payload(m).metrics)
        .filter_map(|m| m.alias)
        .collect();
    assert_eq!(aliases.len(), 5);
    aliases.sort();
    aliases.dedup();
    assert_eq!(aliases.len(), 5, "no alias repeats");
}

#[test]
fn a_changed_point_list_rebirths_a_born_device_and_an_unchanged_one_does_not() {
    let (mut node, _) = born_node();
    let same = vec![
        fieldbridge_sparkplug::PointInfo {
            name: "flow".into(),
            datatype: Some(DataType::UInt16),
            unit: Some("m3/h".into()),
            address: Some("holding:4".into()),
            writable: true,
        },
        point("temp", Some(DataType::Float)),
    ];
    assert_eq!(
        node.set_device_points("plc1", same.clone(), 5).unwrap(),
        None
    );
    let mut changed = same;
    changed.push(point("level", Some(DataType::Double)));
    let dbirth = node.set_device_points("plc1", changed, 6).unwrap().unwrap();
    let names: Vec<_> = payload(&dbirth)
        .metrics
        .into_iter()
        .map(|m| m.name.unwrap())
        .collect();
    assert_eq!(names, ["flow", "temp", "level"]);
}

#[test]
fn node_data_goes_by_alias_for_metrics_of_the_nbirth() {
    let mut node = EdgeNode::new("g", "n", None).unwrap();
    node.next_connection();
    let nm = NodeMetric {
        name: "Properties/Config Version".into(),
        value: MetricValue::String("v1".into()),
        datatype: None,
    };
    let births = node.birth(1, std::slice::from_ref(&nm));
    let alias = metric_named(&payload(&births[0]), "Properties/Config Version").alias;
    let ndata = node.node_data(
        &[NodeMetric {
            value: MetricValue::String("v2".into()),
            ..nm
        }],
        5,
    );
    assert_eq!(ndata.topic, "spBv1.0/g/NDATA/n");
    assert_eq!(ndata.seq, Some(1));
    let p = payload(&ndata);
    assert_eq!(p.metrics[0].alias, alias);
    assert_eq!(p.metrics[0].name, None);
    assert_eq!(p.metrics[0].timestamp, Some(5));
    assert_eq!(p.metrics[0].value, Some(Value::StringValue("v2".into())));
}

#[test]
fn a_null_for_a_point_of_unknown_datatype_is_refused_by_name() {
    let (mut node, _) = born_node();
    let err = node
        .data(&sample("plc1", "mystery", MetricValue::Null), 2)
        .unwrap_err();
    assert!(matches!(err, Error::NullWithoutDatatype { .. }));
    assert!(err.to_string().contains("mystery"), "{err}");
    // a null for a typed point is is_null
    let d = node
        .data(&sample("plc1", "flow", MetricValue::Null), 3)
        .unwrap();
    let m = &payload(&d.ddata).metrics[0];
    assert_eq!(m.is_null, Some(true));
    assert_eq!(m.value, None);
}

#[test]
fn device_and_node_ids_with_reserved_characters_are_refused() {
    assert!(matches!(
        EdgeNode::new("g/1", "n", None),
        Err(Error::InvalidId { kind: "group", .. })
    ));
    assert!(EdgeNode::new("g", "n+", None).is_err());
    let (mut node, _) = born_node();
    assert!(matches!(
        node.device_online("a#b", 1),
        Err(Error::InvalidId { kind: "device", .. })
    ));
    assert!(node
        .data(&sample("a/b", "p", MetricValue::Bool(true)), 1)
        .is_err());
}

#[test]
fn node_metrics_with_the_reserved_names_do_not_duplicate_bdseq_or_rebirth() {
    let mut node = EdgeNode::new("g", "n", None).unwrap();
    node.next_connection();
    let nm = [
        NodeMetric {
            name: BD_SEQ.into(),
            value: MetricValue::Int(9),
            datatype: None,
        },
        NodeMetric {
            name: REBIRTH.into(),
            value: MetricValue::Bool(true),
            datatype: None,
        },
    ];
    let p = payload(&node.birth(1, &nm)[0]);
    assert_eq!(p.metrics.len(), 2);
    assert_eq!(metric_named(&p, BD_SEQ).value, Some(Value::LongValue(0)));
    assert_eq!(
        metric_named(&p, REBIRTH).value,
        Some(Value::BooleanValue(false))
    );
}
