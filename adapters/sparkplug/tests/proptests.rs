//! Property tests: payloads survive encode/decode, and no input makes command decoding panic.

mod common;

use common::*;
use fieldbridge_sparkplug::proto::{
    metric, property_value, Metric, Payload, PropertySet, PropertyValue,
};
use fieldbridge_sparkplug::{MetricValue, Quality};
use proptest::prelude::*;
use prost::Message as _;

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |f| f.is_finite())
}

fn metric_value() -> impl Strategy<Value = metric::Value> {
    prop_oneof![
        any::<u32>().prop_map(metric::Value::IntValue),
        any::<u64>().prop_map(metric::Value::LongValue),
        any::<f32>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(metric::Value::FloatValue),
        finite().prop_map(metric::Value::DoubleValue),
        any::<bool>().prop_map(metric::Value::BooleanValue),
        ".{0,12}".prop_map(metric::Value::StringValue),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(metric::Value::BytesValue),
    ]
}

fn property_set() -> impl Strategy<Value = PropertySet> {
    proptest::collection::vec(
        (
            "[a-zA-Z]{1,8}",
            proptest::option::of(0u32..35),
            prop_oneof![
                any::<u32>().prop_map(property_value::Value::IntValue),
                any::<u64>().prop_map(property_value::Value::LongValue),
                any::<bool>().prop_map(property_value::Value::BooleanValue),
                ".{0,8}".prop_map(property_value::Value::StringValue),
            ],
        ),
        0..4,
    )
    .prop_map(|kvs| {
        let mut set = PropertySet::default();
        for (k, t, v) in kvs {
            set.keys.push(k);
            set.values.push(PropertyValue {
                r#type: t,
                is_null: None,
                value: Some(v),
            });
        }
        set
    })
}

prop_compose! {
    fn arb_metric()(
        name in proptest::option::of(".{0,16}"),
        alias in proptest::option::of(any::<u64>()),
        timestamp in proptest::option::of(any::<u64>()),
        datatype in proptest::option::of(0u32..40),
        is_historical in proptest::option::of(any::<bool>()),
        is_null in proptest::option::of(any::<bool>()),
        properties in proptest::option::of(property_set()),
        value in proptest::option::of(metric_value()),
    ) -> Metric {
        Metric { name, alias, timestamp, datatype, is_historical, is_transient: None, is_null,
                 metadata: None, properties, value }
    }
}

prop_compose! {
    fn arb_payload()(
        timestamp in proptest::option::of(any::<u64>()),
        seq in proptest::option::of(0u64..256),
        metrics in proptest::collection::vec(arb_metric(), 0..6),
    ) -> Payload {
        Payload { timestamp, metrics, seq, uuid: None, body: None }
    }
}

proptest! {
    #[test]
    fn any_payload_decodes_to_itself_after_encoding(p in arb_payload()) {
        let bytes = p.encode_to_vec();
        let back = Payload::decode(&bytes[..]).unwrap();
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(back.encode_to_vec(), bytes);
    }

    #[test]
    fn decode_command_never_panics_on_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        device in prop_oneof![Just(None), Just(Some("plc1")), Just(Some("x"))],
    ) {
        let (node, _) = born_node();
        let topic = match device {
            Some(d) => format!("spBv1.0/g/DCMD/n/{d}"),
            None => "spBv1.0/g/NCMD/n".to_string(),
        };
        let _ = node.decode_command(&topic, &bytes);
    }

    #[test]
    fn decode_command_never_panics_on_arbitrary_payloads(p in arb_payload(), ncmd in any::<bool>()) {
        let (node, births) = born_node();
        // aim some aliases at the born ones
        let mut p = p;
        let born: Vec<u64> = payload(&births[1]).metrics.iter().filter_map(|m| m.alias).collect();
        for (i, m) in p.metrics.iter_mut().enumerate() {
            if i % 2 == 0 {
                m.alias = born.get(i % born.len()).copied();
            }
        }
        let topic = if ncmd { "spBv1.0/g/NCMD/n" } else { "spBv1.0/g/DCMD/n/plc1" };
        let _ = node.decode_command(topic, &p.encode_to_vec());
    }

    #[test]
    fn data_always_yields_one_ddata_with_one_metric_and_consecutive_seqs(
        values in proptest::collection::vec(
            (prop_oneof![Just("flow"), Just("temp"), Just("new")],
             prop_oneof![
                 any::<i64>().prop_map(MetricValue::Int),
                 any::<u64>().prop_map(MetricValue::UInt),
                 finite().prop_map(MetricValue::Float),
                 any::<bool>().prop_map(MetricValue::Bool),
             ],
             any::<bool>()),
            1..40),
    ) {
        let (mut node, _) = born_node();
        let mut last_seq = 1u8;
        for (i, (point, value, offline)) in values.into_iter().enumerate() {
            if offline {
                if let Some(m) = node.device_offline("plc1", i as u64).unwrap() {
                    prop_assert_eq!(m.seq, Some(last_seq.wrapping_add(1)));
                    last_seq = m.seq.unwrap();
                }
            } else if let Some(m) = node.device_online("plc1", i as u64).unwrap() {
                prop_assert_eq!(m.seq, Some(last_seq.wrapping_add(1)));
                last_seq = m.seq.unwrap();
            }
            let mut s = sample("plc1", point, value);
            s.quality = if i % 3 == 0 { Quality::Bad } else { Quality::Good };
            let data = node.data(&s, 10_000 + i as u64).unwrap();
            for m in data.births.iter().chain(std::iter::once(&data.ddata)) {
                prop_assert_eq!(m.seq, Some(last_seq.wrapping_add(1)));
                last_seq = m.seq.unwrap();
            }
            let p = payload(&data.ddata);
            prop_assert_eq!(p.metrics.len(), 1);
            prop_assert_eq!(p.seq, Some(u64::from(last_seq)));
            let m = &p.metrics[0];
            // by alias exactly when a birth of this session bound the point
            prop_assert_eq!(m.alias.is_some(), m.name.is_none());
            prop_assert!(m.value.is_some());
            prop_assert_eq!(prop(m, "seq").is_some(), true);
        }
    }
}

fn wrap(tag: u32, inner: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(tag, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(inner.len() as u64, &mut out);
    out.extend_from_slice(inner);
    out
}

#[test]
fn a_deeply_nested_template_is_a_decode_error_not_a_stack_overflow() {
    // Metric.template_value (18) -> Template.metrics (2) -> Metric ... 5,000 levels deep,
    // inside Payload.metrics (2).
    let mut bytes = Vec::new();
    for _ in 0..5_000 {
        bytes = wrap(2, &wrap(18, &bytes));
    }
    let (node, _) = born_node();
    let err = node.decode_command("spBv1.0/g/NCMD/n", &bytes).unwrap_err();
    assert!(
        matches!(err, fieldbridge_sparkplug::Error::Decode { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("recursion"), "{err}");
}
