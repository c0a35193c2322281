//! DLMS A-XDR Data (IEC 62056-6-2 clause 4.1.5): the whole input is one Data element followed by
//! anything. `DataRef::decode_with` under depth limits 2, 16 (the default) and 64 never panics and
//! agrees with itself: a deeper limit accepts what a shallower one accepts with the same length,
//! fails with the same error unless that was `TooDeep`, and `base` only shifts error offsets.
//! Whatever decodes is walked fully (every accessor, every container yields exactly the count it
//! announced and its elements tile its bytes, bit-strings bit by bit, compact-array contents
//! value by value against their type description by an independent walker), and
//! `to_owned().encode()` gives the input's bytes after normalising the two things A-XDR lets a
//! sender write in more than one way: a boolean octet other than 0 or 1 (re-encoded as 1) and an
//! A-XDR length in a longer form than needed (re-encoded in the fewest octets). `encoded_len` is
//! the encoding's length, and the encoding decodes back to the same tree (compared through Debug,
//! so that NaN floats compare). The input is also read as a lone compact-array type description
//! (`TypeDescription::decode` with depth 16 and `usize::MAX`), which re-encodes to its bytes.
#![no_main]
use fieldbridge_dlms::axdr::{Data, DataRef, DataType, Limits, TypeDescription, Value};
use fieldbridge_dlms::Error;

#[path = "../common/dlms_axdr_canon.rs"]
mod canon;
use canon::{fixed, length, normalise, normalise_description, take};

/// The fewest content octets one value of `desc` takes.
fn min_size(desc: &TypeDescription) -> usize {
    match desc {
        TypeDescription::Simple(DataType::OctetString)
        | TypeDescription::Simple(DataType::VisibleString)
        | TypeDescription::Simple(DataType::Utf8String)
        | TypeDescription::Simple(DataType::BitString) => 1,
        TypeDescription::Simple(t) => fixed(t.tag()).expect("a simple type in a description"),
        TypeDescription::Array { count, element } => {
            usize::from(*count).saturating_mul(min_size(element))
        }
        TypeDescription::Structure(fields) => fields
            .iter()
            .fold(0usize, |acc, f| acc.saturating_add(min_size(f))),
    }
}

/// Consumes one value of `desc` from validated compact-array contents; returns how many simple
/// values it held.
fn compact_value(desc: &TypeDescription, r: &mut &[u8]) -> usize {
    match desc {
        TypeDescription::Simple(
            DataType::OctetString | DataType::VisibleString | DataType::Utf8String,
        ) => {
            let n = length(r);
            take(r, n);
            1
        }
        TypeDescription::Simple(DataType::BitString) => {
            let bits = length(r);
            take(r, bits.div_ceil(8));
            1
        }
        TypeDescription::Simple(t) => {
            take(r, fixed(t.tag()).expect("a simple type"));
            1
        }
        TypeDescription::Array { count, element } => {
            if min_size(element) == 0 {
                return usize::from(*count);
            }
            (0..*count).map(|_| compact_value(element, r)).sum()
        }
        TypeDescription::Structure(fields) => fields.iter().map(|f| compact_value(f, r)).sum(),
    }
}

/// Walks one validated element: every accessor, every child; returns the number of elements.
fn walk(data: DataRef<'_>) -> usize {
    let bytes = data.as_bytes();
    let data_type = data.data_type();
    assert_eq!(data_type.tag(), bytes[0], "the type is the tag");
    assert_eq!(DataType::from_tag(bytes[0]), Some(data_type));
    assert!(!data_type.name().is_empty());
    assert_eq!(data_type.to_string(), data_type.name());
    let body = &bytes[1..];
    match data.value() {
        Value::Null | Value::DontCare => assert!(body.is_empty()),
        Value::Array(items) | Value::Structure(items) => {
            let announced = items.len();
            assert_eq!(items.clone().count(), announced, "Iterator::count agrees");
            assert_eq!(items.size_hint(), (announced, Some(announced)));
            let mut rest = body;
            let count = length(&mut rest);
            assert_eq!(count, announced, "the count as sent");
            let mut seen = 0;
            let mut elements = 1;
            for item in items {
                let item_bytes = item.as_bytes();
                assert!(
                    rest.starts_with(item_bytes),
                    "the elements follow each other"
                );
                rest = &rest[item_bytes.len()..];
                elements += walk(item);
                seen += 1;
            }
            assert_eq!(seen, announced, "Items yields the announced count");
            assert!(rest.is_empty(), "the elements fill the container");
            return elements;
        }
        Value::Boolean(b) => assert_eq!(b, body[0] != 0),
        Value::BitString(bits) => {
            assert_eq!(bits.bytes.len(), bits.len.div_ceil(8));
            assert!(body.ends_with(bits.bytes));
            for i in 0..bits.len {
                assert_eq!(
                    bits.get(i),
                    Some(bits.bytes[i / 8] & (0x80 >> (i % 8)) != 0)
                );
            }
            assert_eq!(bits.get(bits.len), None);
            assert_eq!(bits.get(usize::MAX), None);
        }
        Value::OctetString(s) | Value::VisibleString(s) | Value::Utf8String(s) => {
            let mut rest = body;
            let n = length(&mut rest);
            assert_eq!(s.len(), n);
            assert_eq!(s, rest);
        }
        Value::DoubleLong(v) => assert_eq!(v.to_be_bytes(), body),
        Value::DoubleLongUnsigned(v) => assert_eq!(v.to_be_bytes(), body),
        Value::Bcd(v) | Value::Unsigned(v) | Value::Enum(v) => assert_eq!([v], body),
        Value::Integer(v) | Value::DeltaInteger(v) => assert_eq!(v.to_be_bytes(), body),
        Value::DeltaUnsigned(v) => assert_eq!([v], body),
        Value::DeltaLong(v) => assert_eq!(v.to_be_bytes(), body),
        Value::DeltaDoubleLong(v) => assert_eq!(v.to_be_bytes(), body),
        Value::DeltaLongUnsigned(v) => assert_eq!(v.to_be_bytes(), body),
        Value::DeltaDoubleLongUnsigned(v) => assert_eq!(v.to_be_bytes(), body),
        Value::Long(v) => assert_eq!(v.to_be_bytes(), body),
        Value::LongUnsigned(v) => assert_eq!(v.to_be_bytes(), body),
        Value::Long64(v) => assert_eq!(v.to_be_bytes(), body),
        Value::Long64Unsigned(v) => assert_eq!(v.to_be_bytes(), body),
        Value::Float32(v) => assert_eq!(v.to_bits().to_be_bytes(), body),
        Value::Float64(v) => assert_eq!(v.to_bits().to_be_bytes(), body),
        Value::DateTime(v) => {
            assert_eq!(v.to_bytes(), body);
            let _ = (v.is_valid(), v.clock_status.has(0x80));
            assert_eq!(v.date.to_bytes(), body[..5]);
            assert_eq!(v.time.to_bytes(), body[5..9]);
        }
        Value::Date(v) => {
            assert_eq!(v.to_bytes(), body);
            let _ = v.is_valid();
        }
        Value::Time(v) => {
            assert_eq!(v.to_bytes(), body);
            let _ = v.is_valid();
        }
        Value::CompactArray(c) => {
            let desc_bytes = c.description_bytes();
            assert!(body.starts_with(desc_bytes));
            let description = c.description();
            assert_eq!(
                TypeDescription::decode(desc_bytes, 64),
                Ok((description.clone(), desc_bytes.len())),
                "the description decodes alone"
            );
            let mut canonical = Vec::new();
            normalise_description(&mut &desc_bytes[..], &mut canonical);
            let mut encoded = Vec::new();
            description.encode(&mut encoded);
            assert_eq!(encoded, canonical, "the description re-encodes");
            let mut rest = &body[desc_bytes.len()..];
            let n = length(&mut rest);
            assert_eq!(rest, c.contents());
            assert_eq!(n, c.contents().len());
            // The contents hold whole values of the description, and nothing else.
            let mut contents = c.contents();
            if min_size(&description) == 0 {
                assert!(contents.is_empty(), "zero-size values take no contents");
            } else {
                while !contents.is_empty() {
                    compact_value(&description, &mut contents);
                }
            }
        }
    }
    1
}

fn check(input: &[u8], limits: Limits) -> Result<(DataRef<'_>, usize), Error> {
    let result = DataRef::decode_with(input, 0, limits);
    // `base` only moves the error offsets.
    let based = DataRef::decode_with(input, 1000, limits);
    match (&result, &based) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => {
            assert_eq!(a.clone().shifted(1000), *b, "base shifts the offsets");
            assert!(a.offset() <= input.len(), "{a:?} points into the input");
        }
        _ => panic!("base changed the outcome: {result:?} {based:?}"),
    }
    result
}

/// A compact-array type description at the start of the input, decoded alone: its encoding is
/// its bytes, normalised, and a larger `max_depth` changes nothing but `TooDeep`. With
/// `usize::MAX` the decoder's recursion is bounded only by the input.
fn description(input: &[u8]) {
    let bounded = TypeDescription::decode(input, 16);
    let unbounded = TypeDescription::decode(input, usize::MAX);
    match &bounded {
        Ok((desc, len)) => {
            assert_eq!(unbounded, bounded);
            let mut canonical = Vec::new();
            normalise_description(&mut &input[..*len], &mut canonical);
            let mut encoded = Vec::new();
            desc.encode(&mut encoded);
            assert_eq!(encoded, canonical, "a description re-encodes to its bytes");
        }
        Err(Error::TooDeep { .. }) => {}
        Err(e) => {
            assert_eq!(unbounded, bounded);
            assert!(e.offset() <= input.len());
        }
    }
}

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    description(input);
    let small = check(input, Limits { max_depth: 2 });
    let default = check(input, Limits::default());
    let deepest = check(input, Limits { max_depth: 64 });
    // A deeper limit accepts what a shallower one accepts, and fails the same way unless the
    // shallower one hit its depth.
    for (shallow, deep) in [(&small, &default), (&default, &deepest)] {
        match shallow {
            Ok(_) => assert_eq!(shallow, deep),
            Err(Error::TooDeep { .. }) => {}
            Err(_) => assert_eq!(shallow, deep),
        }
    }
    assert_eq!(
        DataRef::decode(input),
        default,
        "decode is the default limits"
    );
    match (DataRef::decode_all(input), &default) {
        (Ok(all), Ok((data, len))) => {
            assert_eq!(*len, input.len());
            assert_eq!(all, *data);
        }
        (Err(Error::TrailingBytes { offset, count, .. }), Ok((_, len))) => {
            assert_eq!(offset, *len);
            assert_eq!(offset + count, input.len());
        }
        (Err(e), Err(d)) => assert_eq!(e, *d),
        (all, _) => panic!("decode_all {all:?} against decode {default:?}"),
    }

    for (result, limits) in [
        (small, Limits { max_depth: 2 }),
        (deepest, Limits { max_depth: 64 }),
    ] {
        let Ok((data, len)) = result else {
            continue;
        };
        let bytes = &input[..len];
        assert_eq!(data.as_bytes(), bytes);
        walk(data);

        let mut canonical = Vec::with_capacity(len);
        let mut rest = bytes;
        normalise(&mut rest, &mut canonical);
        assert!(rest.is_empty(), "the normaliser read the whole element");

        let owned: Data = data.to_owned();
        assert_eq!(owned.data_type(), data.data_type());
        let encoded = owned.to_vec();
        assert_eq!(
            encoded, canonical,
            "to_owned().encode() is the input, normalised"
        );
        assert_eq!(owned.encoded_len(), encoded.len(), "encoded_len");
        let mut appended = vec![0xEE];
        owned.encode(&mut appended);
        assert_eq!(appended[1..], encoded[..], "encode appends");

        let (again, again_len) =
            DataRef::decode_with(&encoded, 0, limits).expect("the encoding decodes");
        assert_eq!(again_len, encoded.len());
        let back = again.to_owned();
        assert_eq!(
            format!("{back:?}"),
            format!("{owned:?}"),
            "decode(encode(x)) == x"
        );
        assert_eq!(back.to_vec(), encoded, "and encodes the same again");
    }
});
