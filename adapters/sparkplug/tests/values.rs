//! Metric values in every scalar datatype (Sparkplug 3.0, 6.4.16 and 6.4.17).

use fieldbridge_sparkplug::proto::metric::Value;
use fieldbridge_sparkplug::{is_scalar, DataType, Error, MetricValue};
use proptest::prelude::*;

fn enc(v: MetricValue, dt: DataType) -> Result<Option<Value>, Error> {
    v.encode(dt)
}

#[test]
fn negative_small_integers_are_twos_complement_in_their_own_width() {
    use MetricValue::Int;
    assert_eq!(
        enc(Int(-5), DataType::Int8).unwrap(),
        Some(Value::IntValue(251))
    );
    assert_eq!(
        enc(Int(-128), DataType::Int8).unwrap(),
        Some(Value::IntValue(128))
    );
    assert_eq!(
        enc(Int(-5), DataType::Int16).unwrap(),
        Some(Value::IntValue(65531))
    );
    assert_eq!(
        enc(Int(-32768), DataType::Int16).unwrap(),
        Some(Value::IntValue(32768))
    );
    assert_eq!(
        enc(Int(-5), DataType::Int32).unwrap(),
        Some(Value::IntValue(0xFFFF_FFFB))
    );
    assert_eq!(
        enc(Int(-1), DataType::Int64).unwrap(),
        Some(Value::LongValue(u64::MAX))
    );
    for (dt, raw, v) in [
        (DataType::Int8, 251u32, -5i64),
        (DataType::Int8, 127, 127),
        (DataType::Int16, 65531, -5),
        (DataType::Int32, 0xFFFF_FFFB, -5),
    ] {
        assert_eq!(
            MetricValue::decode(dt, Some(&Value::IntValue(raw)), false).unwrap(),
            Int(v)
        );
    }
}

#[test]
fn the_sign_extended_form_of_tahus_encoder_decodes_too() {
    // Tahu's Java encoder writes -5 as Int8 or Int16 sign-extended to 32 bits.
    for dt in [DataType::Int8, DataType::Int16] {
        assert_eq!(
            MetricValue::decode(dt, Some(&Value::IntValue(0xFFFF_FFFB)), false).unwrap(),
            MetricValue::Int(-5)
        );
    }
    // but not a value outside the type's range
    assert!(
        MetricValue::decode(DataType::Int8, Some(&Value::IntValue(0xFFFF_FF00)), false).is_err()
    );
    assert!(MetricValue::decode(DataType::Int8, Some(&Value::IntValue(300)), false).is_err());
    assert!(MetricValue::decode(DataType::Int16, Some(&Value::IntValue(70_000)), false).is_err());
}

#[test]
fn values_out_of_range_are_errors_never_wrapped() {
    use MetricValue::{Int, UInt};
    for (v, dt) in [
        (Int(128), DataType::Int8),
        (Int(-129), DataType::Int8),
        (Int(32768), DataType::Int16),
        (Int(i64::from(i32::MAX) + 1), DataType::Int32),
        (UInt(u64::MAX), DataType::Int64),
        (Int(-1), DataType::UInt8),
        (UInt(256), DataType::UInt8),
        (UInt(65536), DataType::UInt16),
        (UInt(1 << 32), DataType::UInt32),
        (Int(-1), DataType::UInt64),
        (Int(-1), DataType::DateTime),
    ] {
        let err = enc(v.clone(), dt).unwrap_err();
        assert!(
            matches!(err, Error::ValueDoesNotFit { datatype, .. } if datatype == dt),
            "{v} as {dt}: {err}"
        );
    }
    let msg = enc(Int(300), DataType::UInt8).unwrap_err().to_string();
    assert!(msg.contains("0..=255") && msg.contains("300"), "{msg}");
}

#[test]
fn floats_go_to_float_only_when_an_f32_holds_them_or_is_written_so() {
    use MetricValue::{Float, Int, UInt};
    assert_eq!(
        enc(Float(1.5), DataType::Float).unwrap(),
        Some(Value::FloatValue(1.5))
    );
    assert!(enc(Float(0.123_456_789_123), DataType::Float).is_err());
    assert_eq!(
        enc(Float(0.1), DataType::Double).unwrap(),
        Some(Value::DoubleValue(0.1))
    );
    assert!(matches!(
        enc(Float(f64::NAN), DataType::Float).unwrap(),
        Some(Value::FloatValue(f)) if f.is_nan()
    ));
    assert_eq!(
        enc(Float(f64::INFINITY), DataType::Float).unwrap(),
        Some(Value::FloatValue(f32::INFINITY))
    );
    assert_eq!(
        enc(Int(16_777_216), DataType::Float).unwrap(),
        Some(Value::FloatValue(16_777_216.0))
    );
    assert!(enc(Int(16_777_217), DataType::Float).is_err());
    assert!(enc(UInt(u64::MAX), DataType::Double).is_err());
    assert_eq!(
        enc(UInt(1 << 53), DataType::Double).unwrap(),
        Some(Value::DoubleValue(9_007_199_254_740_992.0))
    );
    assert!(
        enc(Float(1.0), DataType::Int64).is_err(),
        "a float is not an integer"
    );
}

#[test]
fn each_kind_goes_only_to_its_own_datatypes() {
    use MetricValue as V;
    assert!(enc(V::Bool(true), DataType::Int8).is_err());
    assert!(enc(V::String("1".into()), DataType::Int8).is_err());
    assert_eq!(
        enc(V::String("x".into()), DataType::Text).unwrap(),
        Some(Value::StringValue("x".into()))
    );
    assert_eq!(
        enc(V::Bytes(vec![1]), DataType::File).unwrap(),
        Some(Value::BytesValue(vec![1]))
    );
    assert!(enc(V::Bytes(vec![1]), DataType::String).is_err());
    assert_eq!(
        enc(V::DateTime(5), DataType::DateTime).unwrap(),
        Some(Value::LongValue(5))
    );
    assert!(enc(V::DateTime(5), DataType::UInt64).is_err());
    assert_eq!(enc(V::Null, DataType::Int8).unwrap(), None);
    for dt in [
        DataType::Unknown,
        DataType::Int8Array,
        DataType::Template,
        DataType::DataSet,
    ] {
        assert!(matches!(enc(V::Null, dt), Err(Error::UnsupportedDataType(d)) if d == dt));
        assert!(matches!(
            enc(V::Int(1), dt),
            Err(Error::UnsupportedDataType(_))
        ));
    }
}

#[test]
fn decoding_names_the_field_it_expected() {
    let err = MetricValue::decode(DataType::Boolean, Some(&Value::IntValue(1)), false).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("boolean_value") && msg.contains("int_value 1"),
        "{msg}"
    );
    let err = MetricValue::decode(DataType::UInt16, None, false).unwrap_err();
    assert!(err.to_string().contains("no value"), "{err}");
    assert_eq!(
        MetricValue::decode(DataType::UInt16, None, true).unwrap(),
        MetricValue::Null
    );
}

fn datatype() -> impl Strategy<Value = DataType> {
    (0u32..=34).prop_map(|c| DataType::from_code(c).unwrap())
}

fn metric_value() -> impl Strategy<Value = MetricValue> {
    prop_oneof![
        any::<bool>().prop_map(MetricValue::Bool),
        any::<i64>().prop_map(MetricValue::Int),
        (-70_000i64..70_000).prop_map(MetricValue::Int),
        any::<u64>().prop_map(MetricValue::UInt),
        (0u64..70_000).prop_map(MetricValue::UInt),
        any::<f64>().prop_map(MetricValue::Float),
        any::<f32>().prop_map(|f| MetricValue::Float(f64::from(f))),
        ".{0,8}".prop_map(MetricValue::String),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(MetricValue::Bytes),
        any::<u64>().prop_map(MetricValue::DateTime),
        Just(MetricValue::Null),
    ]
}

/// Same value, whatever the variant that carries a number.
fn same(a: &MetricValue, b: &MetricValue) -> bool {
    use MetricValue as V;
    let num = |v: &V| match v {
        V::Int(i) => Some(*i as f64),
        V::UInt(u) => Some(*u as f64),
        V::Float(f) => Some(*f),
        _ => None,
    };
    let int = |v: &V| match v {
        V::Int(i) => Some(i128::from(*i)),
        V::UInt(u) => Some(i128::from(*u)),
        _ => None,
    };
    match (a, b) {
        (V::Float(x), V::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ if int(a).is_some() && int(b).is_some() => int(a) == int(b),
        _ if num(a).is_some() && num(b).is_some() => num(a) == num(b),
        _ => a == b,
    }
}

proptest! {
    #[test]
    fn every_value_that_encodes_decodes_back_to_the_same_value(v in metric_value(), dt in datatype()) {
        match v.encode(dt) {
            Ok(field) => {
                prop_assert!(is_scalar(dt));
                let back = MetricValue::decode(dt, field.as_ref(), field.is_none()).unwrap();
                prop_assert!(same(&v, &back), "{v} as {dt} came back as {back}");
                // and the decoded value encodes to the same field
                prop_assert_eq!(format!("{:?}", back.encode(dt).unwrap()), format!("{field:?}"));
            }
            Err(Error::UnsupportedDataType(d)) => prop_assert!(!is_scalar(d)),
            Err(Error::ValueDoesNotFit { datatype, .. }) => prop_assert_eq!(datatype, dt),
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn decoding_any_field_as_any_datatype_never_panics(
        dt in datatype(),
        field in prop_oneof![
            any::<u32>().prop_map(Value::IntValue),
            any::<u64>().prop_map(Value::LongValue),
            any::<f32>().prop_map(Value::FloatValue),
            any::<f64>().prop_map(Value::DoubleValue),
            any::<bool>().prop_map(Value::BooleanValue),
            ".{0,4}".prop_map(Value::StringValue),
        ],
        is_null in any::<bool>(),
    ) {
        if let Ok(v) = MetricValue::decode(dt, Some(&field), is_null) {
            prop_assert!(is_null || v.fits(dt) || matches!((dt, &field), (DataType::Int8 | DataType::Int16, Value::IntValue(_))));
        }
    }
}

#[test]
fn an_f32_written_as_its_shortest_decimal_fits_float_and_a_true_double_does_not() {
    // 12345.679 is how JSON writes the f32 12345.6787109375.
    assert!(MetricValue::Float(12345.679).fits(DataType::Float));
    assert!(MetricValue::Float(0.1).fits(DataType::Float));
    assert!(!MetricValue::Float(0.123_456_789_123).fits(DataType::Float));
    assert!(!MetricValue::Float(1e300).fits(DataType::Float));
}
