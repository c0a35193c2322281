//! One test per error the Data decoder returns, truncation at every position, and `Limits`.

use fieldbridge_dlms::axdr::{DataRef, Limits};
use fieldbridge_dlms::Error;

fn decode(input: &[u8]) -> Result<usize, Error> {
    DataRef::decode(input).map(|(_, len)| len)
}

#[test]
fn an_unknown_type_tag_is_refused_where_it_stands() {
    // tag 7 (floating-point, not used by COSEM)
    assert_eq!(
        decode(&[0x07, 0x00]),
        Err(Error::UnknownChoice {
            offset: 0,
            what: "Data type tag",
            found: 7
        })
    );
    // structure of 1 whose element has tag 0x22, the first one past the delta types
    assert_eq!(
        decode(&[0x02, 0x01, 0x22]),
        Err(Error::UnknownChoice {
            offset: 2,
            what: "Data type tag",
            found: 0x22
        })
    );
}

#[test]
fn truncation_names_the_element_and_what_is_missing() {
    let cases: [(&[u8], Error); 6] = [
        // empty input: no tag
        (
            &[],
            Error::Truncated {
                offset: 0,
                what: "Data type tag",
                needed: 1,
            },
        ),
        // long-unsigned with one of its two octets
        (
            &[0x12, 0x00],
            Error::Truncated {
                offset: 1,
                what: "long-unsigned",
                needed: 1,
            },
        ),
        // date-time with 11 of 12 octets
        (
            &[
                0x19, 0x07, 0xEA, 0x0C, 0x07, 0x01, 0x0A, 0x0F, 0x00, 0x00, 0xFF, 0xC4,
            ],
            Error::Truncated {
                offset: 1,
                what: "date-time",
                needed: 1,
            },
        ),
        // octet-string without its length
        (
            &[0x09],
            Error::Truncated {
                offset: 1,
                what: "octet-string",
                needed: 1,
            },
        ),
        // visible-string whose two-octet length (0x82) has one octet
        (
            &[0x0A, 0x82, 0x01],
            Error::Truncated {
                offset: 2,
                what: "visible-string",
                needed: 1,
            },
        ),
        // structure of 2: unsigned 5, then nothing where the second tag should be
        (
            &[0x02, 0x02, 0x11, 0x05],
            Error::Truncated {
                offset: 4,
                what: "Data type tag",
                needed: 1,
            },
        ),
    ];
    for (input, error) in cases {
        assert_eq!(decode(input), Err(error), "{input:02X?}");
    }
    // array without its count
    assert!(matches!(
        decode(&[0x01]),
        Err(Error::Truncated {
            offset: 1,
            what: "array",
            ..
        })
    ));
}

#[test]
fn a_count_larger_than_the_bytes_left_is_a_bad_length() {
    // array of 5 with one octet left: each element takes at least its tag
    assert_eq!(
        decode(&[0x01, 0x05, 0x00]),
        Err(Error::BadLength {
            offset: 1,
            what: "array",
            min: 0,
            max: 1,
            found: 5
        })
    );
    // octet-string of 3 with one octet left
    assert_eq!(
        decode(&[0x09, 0x03, 0xAA]),
        Err(Error::BadLength {
            offset: 1,
            what: "octet-string",
            min: 0,
            max: 1,
            found: 3
        })
    );
}

#[test]
fn a_declared_4_gib_length_costs_nothing() {
    // utf8-string, length 0x84 FF FF FF FF
    assert_eq!(
        decode(&[0x0C, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x41]),
        Err(Error::BadLength {
            offset: 1,
            what: "utf8-string",
            min: 0,
            max: 1,
            found: 0xFFFF_FFFF
        })
    );
    // structure with a count of 0x84 FF FF FF FF
    assert!(matches!(
        decode(&[0x02, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
        Err(Error::BadLength {
            offset: 1,
            found: 0xFFFF_FFFF,
            ..
        })
    ));
    // bit-string of 0xFFFFFFFF bits
    assert!(matches!(
        decode(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]),
        Err(Error::BadLength {
            offset: 1,
            what: "bit-string length",
            max: 8,
            ..
        })
    ));
}

#[test]
fn a_length_of_more_than_four_octets_or_none_is_a_bad_byte() {
    for first in [0x80, 0x85, 0xFF] {
        assert!(matches!(
            decode(&[0x09, first, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
            Err(Error::BadByte { offset: 1, what: "octet-string", found, .. }) if found == first
        ));
    }
}

#[test]
fn a_bit_string_whose_octets_are_missing_is_a_bad_length() {
    // bit-string of 16 bits with one octet: the length is checked in bits against 8 bits left
    assert_eq!(
        decode(&[0x04, 0x10, 0xFF]),
        Err(Error::BadLength {
            offset: 1,
            what: "bit-string length",
            min: 0,
            max: 8,
            found: 16
        })
    );
    // 9 bits need 2 octets
    assert!(matches!(
        decode(&[0x04, 0x09, 0xFF]),
        Err(Error::BadLength { .. })
    ));
    // 8 bits fit one octet
    assert_eq!(decode(&[0x04, 0x08, 0xFF]), Ok(3));
}

#[test]
fn trailing_bytes_after_a_whole_element_are_refused_by_decode_all() {
    assert_eq!(
        DataRef::decode_all(&[0x11, 0x01, 0xEE, 0xEE]),
        Err(Error::TrailingBytes {
            offset: 2,
            what: "Data",
            count: 2
        })
    );
    assert_eq!(decode(&[0x11, 0x01, 0xEE, 0xEE]), Ok(2));
}

/// `n` arrays of one element around a null-data.
fn nested(n: usize) -> Vec<u8> {
    let mut input = [0x01, 0x01].repeat(n);
    input.push(0x00);
    input
}

#[test]
fn nesting_at_the_limit_decodes_and_one_over_is_too_deep() {
    let limits = Limits { max_depth: 5 };
    assert_eq!(
        DataRef::decode_with(&nested(5), 0, limits).map(|(_, n)| n),
        Ok(11)
    );
    assert_eq!(
        DataRef::decode_with(&nested(6), 0, limits),
        Err(Error::TooDeep { offset: 10, max: 5 })
    );
    // The default is 16.
    assert_eq!(decode(&nested(16)), Ok(33));
    assert_eq!(
        decode(&nested(17)),
        Err(Error::TooDeep {
            offset: 32,
            max: 16
        })
    );
}

#[test]
fn limits_above_64_are_taken_as_64_and_zero_allows_only_flat_elements() {
    let deep = Limits { max_depth: 1000 };
    assert!(DataRef::decode_with(&nested(64), 0, deep).is_ok());
    assert_eq!(
        DataRef::decode_with(&nested(65), 0, deep),
        Err(Error::TooDeep {
            offset: 128,
            max: 64
        })
    );
    let flat = Limits { max_depth: 0 };
    assert!(DataRef::decode_with(&[0x12, 0x00, 0x01], 0, flat).is_ok());
    assert!(
        DataRef::decode_with(&[0x01, 0x00], 0, flat).is_ok(),
        "an empty array"
    );
    assert_eq!(
        DataRef::decode_with(&[0x01, 0x01, 0x00], 0, flat),
        Err(Error::TooDeep { offset: 0, max: 0 })
    );
}

#[test]
fn errors_inside_a_frame_count_from_the_given_base() {
    assert_eq!(
        DataRef::decode_with(&[0x12, 0x00], 100, Limits::default()),
        Err(Error::Truncated {
            offset: 101,
            what: "long-unsigned",
            needed: 1
        })
    );
    assert_eq!(
        DataRef::decode_with(&[0x02, 0x01, 0x07], 40, Limits::default()),
        Err(Error::UnknownChoice {
            offset: 42,
            what: "Data type tag",
            found: 7
        })
    );
}

/// Valid elements of every shape, for the truncation test.
pub fn samples() -> Vec<Vec<u8>> {
    let mut long = vec![0x09, 0x81, 0x90];
    long.extend([0x55; 0x90]);
    vec![
        vec![0x12, 0x00, 0xE6],
        vec![
            0x19, 0x07, 0xEA, 0x0C, 0x07, 0x01, 0x0A, 0x0F, 0x00, 0x00, 0xFF, 0xC4, 0x00,
        ],
        vec![0x04, 0x0A, 0xA0, 0xC0],
        vec![0x0A, 0x03, b'a', b'b', b'c'],
        long,
        // array of 2 structures { long-unsigned, octet-string(1) }
        vec![
            0x01, 0x02, 0x02, 0x02, 0x12, 0x00, 0x01, 0x09, 0x01, 0xAA, 0x02, 0x02, 0x12, 0x00,
            0x02, 0x09, 0x01, 0xBB,
        ],
        // compact-array of structure { long-unsigned, visible-string }: {1, "a"}, {2, ""}
        vec![
            0x13, 0x02, 0x02, 0x12, 0x0A, 0x07, 0x00, 0x01, 0x01, b'a', 0x00, 0x02, 0x00,
        ],
        // compact-array of array[2] of unsigned: two values
        vec![0x13, 0x01, 0x00, 0x02, 0x11, 0x04, 0x01, 0x02, 0x03, 0x04],
    ]
}

#[test]
fn input_truncated_at_every_position_is_truncated_or_a_bad_length_never_a_panic() {
    for sample in samples() {
        assert_eq!(decode(&sample), Ok(sample.len()), "{sample:02X?}");
        for cut in 0..sample.len() {
            match decode(&sample[..cut]) {
                Err(Error::Truncated { .. } | Error::BadLength { .. }) => {}
                other => panic!("{:02X?} cut at {cut}: {other:?}", sample),
            }
        }
    }
}
