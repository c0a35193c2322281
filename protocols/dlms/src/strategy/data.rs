//! Strategies for A-XDR Data ([`crate::axdr`]): every CHOICE alternative, nested arrays and
//! structures of bounded depth and size, and compact-arrays whose contents match their
//! description.
//!
//! Floats are never NaN, so that generated trees compare equal to themselves after a round trip
//! (`-0.0` and the infinities are generated). Bit-strings may carry non-zero unused bits, which
//! the codec keeps as sent.

use crate::axdr::{
    BitStr, BitString, ClockStatus, Data, DataType, Date, DateTime, Time, TypeDescription,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Octets of a string: mostly short, sometimes past 127 so that the A-XDR length takes two or
/// three octets.
fn octets() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        8 => vec(any::<u8>(), 0..16),
        1 => vec(any::<u8>(), 120..300),
    ]
    .boxed()
}

/// A bit-string of 0..=40 bits, unused low bits of the last octet arbitrary.
pub fn bit_string() -> impl Strategy<Value = BitString> {
    (0usize..=40).prop_flat_map(|len| {
        vec(any::<u8>(), len.div_ceil(8))
            .prop_map(move |bytes| BitString::from_bits(BitStr { len, bytes: &bytes }))
    })
}

/// Any 5 octets as a date (decoding never checks the fields).
pub fn date() -> impl Strategy<Value = Date> {
    any::<[u8; 5]>().prop_map(Date::from_bytes)
}

/// Any 4 octets as a time.
pub fn time() -> impl Strategy<Value = Time> {
    any::<[u8; 4]>().prop_map(Time::from_bytes)
}

/// Any 12 octets as a date-time.
pub fn date_time() -> impl Strategy<Value = DateTime> {
    any::<[u8; 12]>().prop_map(DateTime::from_bytes)
}

/// A date-time whose fields are all specified and in range, with a deviation in -720..=720
/// and a consistent day of week: one that [`DateTime::to_utc`] converts.
pub fn specified_date_time() -> impl Strategy<Value = DateTime> {
    (
        // 1900-01-01 .. 2200-01-01 in days from 1970-01-01.
        -25_567i64..84_006,
        0u8..24,
        0u8..60,
        0u8..60,
        0u8..100,
        -720i16..=720,
        any::<u8>(),
    )
        .prop_filter_map(
            "year fits",
            |(days, hour, minute, second, hundredths, deviation, status)| {
                Some(DateTime {
                    date: Date::from_days(days)?,
                    time: Time {
                        hour,
                        minute,
                        second,
                        hundredths,
                    },
                    deviation,
                    clock_status: ClockStatus(status),
                })
            },
        )
}

/// Every type a value can have alone: all but array, structure and compact-array.
pub fn simple_type() -> impl Strategy<Value = DataType> {
    let simple: Vec<DataType> = DataType::ALL
        .into_iter()
        .filter(|t| {
            !matches!(
                t,
                DataType::Array | DataType::Structure | DataType::CompactArray
            )
        })
        .collect();
    proptest::sample::select(simple)
}

/// A value of the simple type `t` (array, structure and compact-array give null-data).
pub fn simple_of(t: DataType) -> BoxedStrategy<Data> {
    fn float32() -> impl Strategy<Value = f32> {
        any::<f32>().prop_filter("not NaN", |v| !v.is_nan())
    }
    fn float64() -> impl Strategy<Value = f64> {
        any::<f64>().prop_filter("not NaN", |v| !v.is_nan())
    }
    match t {
        DataType::Null | DataType::Array | DataType::Structure | DataType::CompactArray => {
            Just(Data::Null).boxed()
        }
        DataType::DontCare => Just(Data::DontCare).boxed(),
        DataType::Boolean => any::<bool>().prop_map(Data::Boolean).boxed(),
        DataType::BitString => bit_string().prop_map(Data::BitString).boxed(),
        DataType::DoubleLong => any::<i32>().prop_map(Data::DoubleLong).boxed(),
        DataType::DoubleLongUnsigned => any::<u32>().prop_map(Data::DoubleLongUnsigned).boxed(),
        DataType::OctetString => octets().prop_map(Data::OctetString).boxed(),
        DataType::VisibleString => octets().prop_map(Data::VisibleString).boxed(),
        DataType::Utf8String => octets().prop_map(Data::Utf8String).boxed(),
        DataType::Bcd => any::<u8>().prop_map(Data::Bcd).boxed(),
        DataType::Integer => any::<i8>().prop_map(Data::Integer).boxed(),
        DataType::Long => any::<i16>().prop_map(Data::Long).boxed(),
        DataType::Unsigned => any::<u8>().prop_map(Data::Unsigned).boxed(),
        DataType::LongUnsigned => any::<u16>().prop_map(Data::LongUnsigned).boxed(),
        DataType::Long64 => any::<i64>().prop_map(Data::Long64).boxed(),
        DataType::Long64Unsigned => any::<u64>().prop_map(Data::Long64Unsigned).boxed(),
        DataType::Enum => any::<u8>().prop_map(Data::Enum).boxed(),
        DataType::Float32 => float32().prop_map(Data::Float32).boxed(),
        DataType::Float64 => float64().prop_map(Data::Float64).boxed(),
        DataType::DateTime => date_time().prop_map(Data::DateTime).boxed(),
        DataType::Date => date().prop_map(Data::Date).boxed(),
        DataType::Time => time().prop_map(Data::Time).boxed(),
        DataType::DeltaInteger => any::<i8>().prop_map(Data::DeltaInteger).boxed(),
        DataType::DeltaLong => any::<i16>().prop_map(Data::DeltaLong).boxed(),
        DataType::DeltaDoubleLong => any::<i32>().prop_map(Data::DeltaDoubleLong).boxed(),
        DataType::DeltaUnsigned => any::<u8>().prop_map(Data::DeltaUnsigned).boxed(),
        DataType::DeltaLongUnsigned => any::<u16>().prop_map(Data::DeltaLongUnsigned).boxed(),
        DataType::DeltaDoubleLongUnsigned => {
            any::<u32>().prop_map(Data::DeltaDoubleLongUnsigned).boxed()
        }
    }
}

/// A value of any simple type.
pub fn simple() -> BoxedStrategy<Data> {
    simple_type().prop_flat_map(simple_of).boxed()
}

/// A compact-array type description: nested at most 3 deep, arrays of 0..=3 elements,
/// structures of 0..=4 fields.
pub fn type_description() -> BoxedStrategy<TypeDescription> {
    simple_type()
        .prop_map(TypeDescription::Simple)
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                (0u16..=3, inner.clone()).prop_map(|(count, element)| TypeDescription::Array {
                    count,
                    element: Box::new(element),
                }),
                vec(inner, 0..=4).prop_map(TypeDescription::Structure),
            ]
        })
        .boxed()
}

/// One value described by `desc`, as [`crate::axdr::CompactArrayRef::values`] yields it.
pub fn value_of(desc: &TypeDescription) -> BoxedStrategy<Data> {
    match desc {
        TypeDescription::Simple(t) => simple_of(*t),
        TypeDescription::Array { count, element } => vec(value_of(element), usize::from(*count))
            .prop_map(Data::Array)
            .boxed(),
        TypeDescription::Structure(fields) => fields
            .iter()
            .map(value_of)
            .collect::<Vec<_>>()
            .prop_map(Data::Structure)
            .boxed(),
    }
}

/// Appends `value` as compact-array contents carry it: without tags or element counts.
pub fn put_contents(value: &Data, out: &mut Vec<u8>) {
    match value {
        Data::Array(items) | Data::Structure(items) => {
            for item in items {
                put_contents(item, out);
            }
        }
        other => {
            let encoded = other.to_vec();
            out.extend_from_slice(encoded.get(1..).unwrap_or(&[]));
        }
    }
}

/// A compact-array and the values its contents hold (0..=4 of them).
pub fn compact_array() -> BoxedStrategy<(Data, Vec<Data>)> {
    type_description()
        .prop_flat_map(|description| {
            let values = vec(value_of(&description), 0..=4);
            (Just(description), values)
        })
        .prop_map(|(description, values)| {
            let mut contents = Vec::new();
            for value in &values {
                put_contents(value, &mut contents);
            }
            // Values that take no octets leave no trace in the contents.
            let values = if contents.is_empty() {
                Vec::new()
            } else {
                values
            };
            (
                Data::CompactArray {
                    description,
                    contents,
                },
                values,
            )
        })
        .boxed()
}

/// Any Data tree nested at most `depth` levels, of about `size` elements, containers of at most
/// 6 elements; leaves are any simple value or a compact-array.
pub fn data_tree(depth: u32, size: u32) -> BoxedStrategy<Data> {
    prop_oneof![
        9 => simple(),
        1 => compact_array().prop_map(|(compact, _)| compact),
    ]
    .prop_recursive(depth, size, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Data::Array),
            vec(inner, 0..6).prop_map(Data::Structure),
        ]
    })
    .boxed()
}

/// Any Data tree: [`data_tree`] 4 levels deep, about 48 elements.
pub fn data() -> BoxedStrategy<Data> {
    data_tree(4, 48)
}
