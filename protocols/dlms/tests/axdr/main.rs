//! A-XDR Data: decoding, the view's values and owned round trips.

mod compact;
mod datetime;
mod errors;
mod events;
mod roundtrip;
mod vectors;

use fieldbridge_dlms::axdr::{Data, DataRef, DataType, Value};

#[test]
fn a_profile_entry_decodes_and_reencodes_byte_for_byte() {
    let input = [
        0x01, 0x01, // array of 1
        0x02, 0x03, // structure of 3
        0x09, 0x0C, 0x07, 0xEA, 0x0C, 0x07, 0x01, 0x0A, 0x0F, 0x00, 0x00, 0x80, 0x00,
        0x00, // octet-string(12): a date-time as profiles carry it
        0x06, 0x00, 0x00, 0x04, 0xD2, // double-long-unsigned 1234
        0x12, 0x00, 0x2A, // long-unsigned 42
    ];
    let data = DataRef::decode_all(&input).unwrap();
    assert_eq!(data.data_type(), DataType::Array);
    let Value::Array(mut rows) = data.value() else {
        panic!("not an array")
    };
    assert_eq!(rows.len(), 1);
    let Value::Structure(columns) = rows.next().unwrap().value() else {
        panic!("not a structure")
    };
    let values: Vec<_> = columns.map(|c| c.value()).collect();
    assert_eq!(values[1], Value::DoubleLongUnsigned(1234));
    assert_eq!(values[2], Value::LongUnsigned(42));
    assert_eq!(data.to_owned().to_vec(), input);
    assert_eq!(data.to_owned().encoded_len(), input.len());
}

#[test]
fn a_data_tree_nested_10000_deep_is_refused_without_recursion() {
    let mut input = [0x01, 0x01].repeat(10_000);
    input.push(0x00);
    let err = DataRef::decode(&input).unwrap_err();
    assert_eq!(
        err,
        fieldbridge_dlms::Error::TooDeep {
            offset: 32,
            max: 16
        }
    );
}

#[test]
fn a_declared_4_gib_octet_string_is_refused_before_any_allocation() {
    let input = [0x09, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    assert!(matches!(
        DataRef::decode(&input),
        Err(fieldbridge_dlms::Error::BadLength {
            offset: 1,
            found: 0xFFFF_FFFF,
            ..
        })
    ));
    let owned = Data::OctetString(vec![1, 2, 3]);
    assert_eq!(owned.to_vec(), [0x09, 0x03, 1, 2, 3]);
}
