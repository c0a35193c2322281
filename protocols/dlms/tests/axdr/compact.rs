//! compact-array: descriptions, contents checked against them, and the values as Data.
//!
//! The layout (description, then an A-XDR length and the tagless values until the contents end)
//! is the one Wireshark's DLMS dissector (`dlms_dissect_compact_array_content`) and Gurux
//! (`GXCommon.getCompactArray`) read.

use fieldbridge_dlms::axdr::{
    CompactArrayRef, Data, DataRef, DataType, Limits, TypeDescription, Value,
};
use fieldbridge_dlms::Error;

fn compact(input: &[u8]) -> CompactArrayRef<'_> {
    let view = DataRef::decode_all(input).unwrap_or_else(|e| panic!("{input:02X?}: {e}"));
    let Value::CompactArray(c) = view.value() else {
        panic!("not a compact-array")
    };
    c
}

fn values(input: &[u8]) -> Vec<Data> {
    compact(input).values().unwrap().collect()
}

#[test]
fn a_compact_array_of_a_simple_type_yields_one_value_per_element() {
    let input = [
        0x13, // compact-array
        0x12, // description: long-unsigned
        0x06, // contents: 6 octets
        0x00, 0x01, 0x00, 0x02, 0x00, 0x03, // 1, 2, 3
    ];
    let c = compact(&input);
    assert_eq!(
        c.description(),
        TypeDescription::Simple(DataType::LongUnsigned)
    );
    assert_eq!(c.description_bytes(), [0x12]);
    assert_eq!(c.contents(), &input[3..]);
    assert_eq!(
        values(&input),
        [
            Data::LongUnsigned(1),
            Data::LongUnsigned(2),
            Data::LongUnsigned(3)
        ]
    );
}

#[test]
fn a_profile_as_a_compact_array_of_structures_yields_rows() {
    let input = [
        0x13, // compact-array
        0x02, 0x02, // description: structure of 2 fields
        0x19, // date-time
        0x06, // double-long-unsigned
        0x20, // contents: 32 octets, two rows of 16
        0x07, 0xEA, 0x0C, 0x07, 0x01, 0x0A, 0x00, 0x00, 0x00, 0xFF, 0xC4,
        0x00, // 2026-12-07 10:00:00.00 UTC+01:00
        0x00, 0x00, 0x04, 0xD2, // 1234
        0x07, 0xEA, 0x0C, 0x07, 0x01, 0x0A, 0x0F, 0x00, 0x00, 0xFF, 0xC4, 0x00, // 10:15
        0x00, 0x00, 0x04, 0xE0, // 1248
    ];
    let rows = values(&input);
    assert_eq!(rows.len(), 2);
    let Data::Structure(row) = &rows[1] else {
        panic!("not a row")
    };
    assert_eq!(row[1], Data::DoubleLongUnsigned(1248));
    let Data::DateTime(at) = row[0] else {
        panic!("not a date-time")
    };
    assert_eq!(at.to_string(), "2026-12-07T10:15:00.00+01:00 status 0x00");
    assert_eq!(
        DataRef::decode_all(&input).unwrap().to_owned().to_vec(),
        input,
        "the owned compact-array keeps its contents as sent"
    );
}

#[test]
fn strings_bit_strings_and_described_arrays_carry_their_lengths_but_no_counts() {
    let input = [
        0x13, // compact-array
        0x02,
        0x03, // structure of 3
        0x0A, // visible-string
        0x01,
        0x00,
        0x02,
        0x11, // array of 2 unsigned
        0x04, // bit-string
        0x0B, // contents: 11 octets
        0x02,
        b'h',
        b'i', // "hi"
        0x07,
        0x08, // [7, 8] without a count
        0x03,
        0b1010_0000, // 3 bits 101
        0x00,        // ""
        0x09,
        0x0A, // [9, 10]
        0x00, // no bits
    ];
    let rows = values(&input);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].to_string(),
        "{\"hi\", [7, 8], bits'101'}",
        "{rows:?}"
    );
    assert_eq!(rows[1].to_string(), "{\"\", [9, 10], bits''}");
}

#[test]
fn a_bad_description_is_refused_where_it_stands() {
    // a compact-array inside a description
    assert_eq!(
        DataRef::decode(&[0x13, 0x13, 0x12, 0x00]),
        Err(Error::BadByte {
            offset: 1,
            what: "type description",
            expected: "a type other than compact-array",
            found: 0x13
        })
    );
    // an unknown type in a structure description
    assert_eq!(
        DataRef::decode(&[0x13, 0x02, 0x01, 0x07, 0x00]),
        Err(Error::UnknownChoice {
            offset: 3,
            what: "Data type tag",
            found: 7
        })
    );
    // an array description cut inside its number-of-elements
    assert_eq!(
        DataRef::decode(&[0x13, 0x01, 0x00]),
        Err(Error::Truncated {
            offset: 2,
            what: "number-of-elements",
            needed: 1
        })
    );
    // a structure description of 5 fields with 2 octets left
    assert!(matches!(
        DataRef::decode(&[0x13, 0x02, 0x05, 0x11, 0x00]),
        Err(Error::BadLength {
            offset: 2,
            what: "structure description",
            found: 5,
            ..
        })
    ));
}

#[test]
fn contents_that_do_not_fit_the_description_are_refused() {
    // long-unsigned values in 3 octets: the second value lacks one
    assert_eq!(
        DataRef::decode(&[0x13, 0x12, 0x03, 0x00, 0x01, 0x00]),
        Err(Error::Truncated {
            offset: 6,
            what: "compact-array contents",
            needed: 1
        })
    );
    // contents longer than the input
    assert!(matches!(
        DataRef::decode(&[0x13, 0x11, 0x05, 0x01]),
        Err(Error::BadLength {
            offset: 2,
            what: "compact-array contents",
            found: 5,
            ..
        })
    ));
    // an octet-string value whose length runs past the contents
    assert!(matches!(
        DataRef::decode(&[0x13, 0x09, 0x02, 0x05, 0x01]),
        Err(Error::BadLength {
            offset: 3,
            what: "octet-string",
            found: 5,
            max: 1,
            ..
        })
    ));
    // values that take no octets, with contents
    assert_eq!(
        DataRef::decode(&[0x13, 0x00, 0x01, 0xAA]),
        Err(Error::TrailingBytes {
            offset: 3,
            what: "compact-array of values that take no octets",
            count: 1
        })
    );
}

#[test]
fn a_description_counts_towards_the_depth_limit() {
    // compact-array of structure { structure { unsigned } }: the compact-array is at depth 0,
    // its description's nodes at 1, 2 and 3.
    let input = [0x13, 0x02, 0x01, 0x02, 0x01, 0x11, 0x01, 0x05];
    assert!(DataRef::decode_with(&input, 0, Limits { max_depth: 3 }).is_ok());
    assert_eq!(
        DataRef::decode_with(&input, 0, Limits { max_depth: 2 }),
        Err(Error::TooDeep { offset: 5, max: 2 })
    );
}

#[test]
fn a_crafted_60_kb_compact_array_of_zero_size_fields_decodes() {
    // Inside a described array of 65535 elements, structures of 250 null-data fields and one
    // octet-string: 60,000 octets of empty strings. The check is linear in the input (the
    // description table steps over the nulls; the unit tests in `shape` count the work).
    let mut input = vec![0x13, 0x01, 0xFF, 0xFF, 0x02, 0x81, 251];
    input.extend([0x00; 250]);
    input.push(0x09);
    let contents = 65_535usize;
    input.extend([0x83, 0x00, 0xFF, 0xFF]);
    input.extend(std::iter::repeat_n(0x00, contents));
    assert_eq!(DataRef::decode(&input).map(|(_, n)| n), Ok(input.len()));
    // Its values would expand to 16 million null-data: refused rather than allocated.
    let c = compact(&input);
    assert!(matches!(
        c.values(),
        Err(Error::Unsupported { offset: 0, .. })
    ));
}

#[test]
fn values_of_zero_size_types_are_bounded_by_the_contents() {
    // structure { array[3] of null-data, unsigned }: each value takes one octet
    let input = [
        0x13, 0x02, 0x02, 0x01, 0x00, 0x03, 0x00, 0x11, 0x02, 0x01, 0x02,
    ];
    let rows = values(&input);
    assert_eq!(
        rows,
        [
            Data::Structure(vec![Data::Array(vec![Data::Null; 3]), Data::Unsigned(1)]),
            Data::Structure(vec![Data::Array(vec![Data::Null; 3]), Data::Unsigned(2)]),
        ]
    );
    // An empty compact-array of a zero-size description has no values at all.
    assert_eq!(values(&[0x13, 0xFF, 0x00]), []);
}
