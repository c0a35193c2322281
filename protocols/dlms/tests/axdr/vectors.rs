//! Every Data choice decoded from a commented byte vector and re-encoded byte for byte.

use fieldbridge_dlms::axdr::{
    BitStr, BitString, ClockStatus, Data, DataRef, DataType, Date, DateTime, Time, TypeDescription,
    Value,
};

/// Decodes `bytes` as one element, checks its type and owned value, and re-encodes it.
fn check(bytes: &[u8], expected: Data) {
    let view = DataRef::decode_all(bytes).unwrap_or_else(|e| panic!("{bytes:02X?}: {e}"));
    assert_eq!(view.as_bytes(), bytes);
    assert_eq!(view.data_type(), expected.data_type(), "{bytes:02X?}");
    assert_eq!(view.value().data_type(), expected.data_type());
    assert_eq!(view.to_owned(), expected, "{bytes:02X?}");
    assert_eq!(expected.to_vec(), bytes, "{expected:?}");
    assert_eq!(expected.encoded_len(), bytes.len(), "{expected:?}");
}

#[test]
fn every_choice_decodes_and_reencodes_byte_for_byte() {
    let clock = vec![0x00, 0x00, 0x01, 0x00, 0x00, 0xFF];
    let cases: Vec<(Vec<u8>, Data)> = vec![
        // null-data [0]
        (vec![0x00], Data::Null),
        // array [1] of 2: unsigned 1, unsigned 2
        (
            vec![0x01, 0x02, 0x11, 0x01, 0x11, 0x02],
            Data::Array(vec![Data::Unsigned(1), Data::Unsigned(2)]),
        ),
        // structure [2] of 2: octet-string(6) 0.0.1.0.0.255 (the clock's logical name),
        // long-unsigned 8 (its class id)
        (
            vec![
                0x02, 0x02, 0x09, 0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x12, 0x00, 0x08,
            ],
            Data::Structure(vec![Data::OctetString(clock), Data::LongUnsigned(8)]),
        ),
        // boolean [3] false, true
        (vec![0x03, 0x00], Data::Boolean(false)),
        (vec![0x03, 0x01], Data::Boolean(true)),
        // bit-string [4]: 10 bits (the length counts bits), 1010 0000 11 in two octets
        (
            vec![0x04, 0x0A, 0b1010_0000, 0b1100_0000],
            Data::BitString(BitString::from_bools(&[
                true, false, true, false, false, false, false, false, true, true,
            ])),
        ),
        // double-long [5] -2
        (vec![0x05, 0xFF, 0xFF, 0xFF, 0xFE], Data::DoubleLong(-2)),
        // double-long-unsigned [6] 2342 (a Kamstrup HAN port reading, dlms-cosem
        // tests/test_dlms_data.py)
        (
            vec![0x06, 0x00, 0x00, 0x09, 0x26],
            Data::DoubleLongUnsigned(2342),
        ),
        // octet-string [9] of 6: OBIS 1.1.0.0.5.255 (same Kamstrup frame)
        (
            vec![0x09, 0x06, 0x01, 0x01, 0x00, 0x00, 0x05, 0xFF],
            Data::OctetString(vec![0x01, 0x01, 0x00, 0x00, 0x05, 0xFF]),
        ),
        // visible-string [10] of 14: "Kamstrup_V0001" (same frame)
        (
            [&[0x0A, 0x0E][..], b"Kamstrup_V0001"].concat(),
            Data::VisibleString(b"Kamstrup_V0001".to_vec()),
        ),
        // utf8-string [12] of 2: "é"
        (
            vec![0x0C, 0x02, 0xC3, 0xA9],
            Data::Utf8String("é".as_bytes().to_vec()),
        ),
        // bcd [13] 0x12
        (vec![0x0D, 0x12], Data::Bcd(0x12)),
        // integer [15] -3 (a scaler)
        (vec![0x0F, 0xFD], Data::Integer(-3)),
        // long [16] -200
        (vec![0x10, 0xFF, 0x38], Data::Long(-200)),
        // unsigned [17] 255
        (vec![0x11, 0xFF], Data::Unsigned(255)),
        // long-unsigned [18] 230 (a voltage in the Kamstrup frame)
        (vec![0x12, 0x00, 0xE6], Data::LongUnsigned(230)),
        // compact-array [19]: description long-unsigned, contents of 4 octets: 1, 2
        (
            vec![0x13, 0x12, 0x04, 0x00, 0x01, 0x00, 0x02],
            Data::CompactArray {
                description: TypeDescription::Simple(DataType::LongUnsigned),
                contents: vec![0x00, 0x01, 0x00, 0x02],
            },
        ),
        // long64 [20] i64::MIN
        (
            vec![0x14, 0x80, 0, 0, 0, 0, 0, 0, 0],
            Data::Long64(i64::MIN),
        ),
        // long64-unsigned [21] 12345
        (
            vec![0x15, 0, 0, 0, 0, 0, 0, 0x30, 0x39],
            Data::Long64Unsigned(12345),
        ),
        // enum [22] 27 (unit W)
        (vec![0x16, 0x1B], Data::Enum(27)),
        // float32 [23] 1.5
        (vec![0x17, 0x3F, 0xC0, 0x00, 0x00], Data::Float32(1.5)),
        // float64 [24] pi
        (
            vec![0x18, 0x40, 0x09, 0x21, 0xFB, 0x54, 0x44, 0x2D, 0x18],
            Data::Float64(std::f64::consts::PI),
        ),
        // date-time [25]: 2020-01-01, day of week not specified, 00:03:00.00, deviation -120,
        // status 0 (dlms-cosem tests/test_time.py)
        (
            vec![
                0x19, 0x07, 0xE4, 0x01, 0x01, 0xFF, 0x00, 0x03, 0x00, 0x00, 0xFF, 0x88, 0x00,
            ],
            Data::DateTime(DateTime {
                date: Date {
                    year: 2020,
                    month: 1,
                    day: 1,
                    day_of_week: 0xFF,
                },
                time: Time {
                    hour: 0,
                    minute: 3,
                    second: 0,
                    hundredths: 0,
                },
                deviation: -120,
                clock_status: ClockStatus(0),
            }),
        ),
        // date [26] 2024-11-21, day of week not specified (dlms-cosem
        // tests/test_dlms_date_time_data.py)
        (
            vec![0x1A, 0x07, 0xE8, 0x0B, 0x15, 0xFF],
            Data::Date(Date::from_bytes([0x07, 0xE8, 0x0B, 0x15, 0xFF])),
        ),
        // time [27] 08:30:15.23 (same file)
        (
            vec![0x1B, 0x08, 0x1E, 0x0F, 0x17],
            Data::Time(Time {
                hour: 8,
                minute: 30,
                second: 15,
                hundredths: 23,
            }),
        ),
        // delta-integer [28] -5
        (vec![0x1C, 0xFB], Data::DeltaInteger(-5)),
        // delta-long [29] 256
        (vec![0x1D, 0x01, 0x00], Data::DeltaLong(256)),
        // delta-double-long [30] -1
        (
            vec![0x1E, 0xFF, 0xFF, 0xFF, 0xFF],
            Data::DeltaDoubleLong(-1),
        ),
        // delta-unsigned [31] 7
        (vec![0x1F, 0x07], Data::DeltaUnsigned(7)),
        // delta-long-unsigned [32] 250
        (vec![0x20, 0x00, 0xFA], Data::DeltaLongUnsigned(250)),
        // delta-double-long-unsigned [33] 300
        (
            vec![0x21, 0x00, 0x00, 0x01, 0x2C],
            Data::DeltaDoubleLongUnsigned(300),
        ),
        // dont-care [255]
        (vec![0xFF], Data::DontCare),
    ];
    let mut seen: Vec<DataType> = cases.iter().map(|(_, d)| d.data_type()).collect();
    seen.dedup();
    assert_eq!(seen, DataType::ALL, "one case per choice, in tag order");
    for (bytes, expected) in cases {
        check(&bytes, expected);
    }
}

#[test]
fn lengths_of_two_and_three_octets_round_trip() {
    // octet-string, length 0x81 0xC8 = 200, then 200 octets
    let mut long = vec![0x09, 0x81, 0xC8];
    long.extend([0xAB; 200]);
    check(&long, Data::OctetString(vec![0xAB; 200]));
    // visible-string, length 0x82 0x01 0x2C = 300
    let mut longer = vec![0x0A, 0x82, 0x01, 0x2C];
    longer.extend([b'x'; 300]);
    check(&longer, Data::VisibleString(vec![b'x'; 300]));
    // array, count 0x81 0x82 = 130, of null-data
    let mut array = vec![0x01, 0x81, 0x82];
    array.extend([0x00; 130]);
    check(&array, Data::Array(vec![Data::Null; 130]));
}

#[test]
fn a_non_zero_boolean_octet_decodes_as_true() {
    // boolean 0xFF: A-XDR reads any non-zero octet as TRUE (Gurux and Wireshark do too).
    let view = DataRef::decode_all(&[0x03, 0xFF]).unwrap();
    assert_eq!(view.value(), Value::Boolean(true));
    assert_eq!(
        view.as_bytes(),
        [0x03, 0xFF],
        "the view keeps the octet as sent"
    );
    assert_eq!(
        view.to_owned().to_vec(),
        [0x03, 0x01],
        "the encoder writes 0x01"
    );
    let view = DataRef::decode_all(&[0x03, 0x02]).unwrap();
    assert_eq!(view.value(), Value::Boolean(true));
}

#[test]
fn a_bit_string_keeps_its_unused_bits_and_reads_bits_from_the_top() {
    // bit-string of 3 bits: 101, the 5 unused low bits sent as 1s
    let view = DataRef::decode_all(&[0x04, 0x03, 0b1011_1111]).unwrap();
    let Value::BitString(bits) = view.value() else {
        panic!("not a bit-string")
    };
    assert_eq!(
        bits,
        BitStr {
            len: 3,
            bytes: &[0b1011_1111]
        }
    );
    let read: Vec<_> = (0..4).map(|i| bits.get(i)).collect();
    assert_eq!(read, [Some(true), Some(false), Some(true), None]);
    assert_eq!(view.to_owned().to_vec(), [0x04, 0x03, 0b1011_1111]);
    // An owned bit-string built from a view whose octets do not match its length is made whole.
    let odd = BitString::from_bits(BitStr {
        len: 9,
        bytes: &[0xFF],
    });
    assert_eq!(Data::BitString(odd).to_vec(), [0x04, 0x09, 0xFF, 0x00]);
}

#[test]
fn a_kamstrup_han_frame_of_25_elements_decodes() {
    // Kamstrup HAN port list (dlms-cosem tests/test_dlms_data.py): structure of 25 elements,
    // visible-strings, OBIS octet-strings and double-long-unsigned / long-unsigned readings.
    let frame: &[u8] = b"\x02\x19\n\x0eKamstrup_V0001\t\x06\x01\x01\x00\x00\x05\xff\n\x105706567196382485\t\x06\x01\x01`\x01\x01\xff\n\x126841131BN143101090\t\x06\x01\x01\x01\x07\x00\xff\x06\x00\x00\t&\t\x06\x01\x01\x02\x07\x00\xff\x06\x00\x00\x00\x00\t\x06\x01\x01\x03\x07\x00\xff\x06\x00\x00\x00\x00\t\x06\x01\x01\x04\x07\x00\xff\x06\x00\x00\x00\xdf\t\x06\x01\x01\x1f\x07\x00\xff\x06\x00\x00\x00\\\t\x06\x01\x013\x07\x00\xff\x06\x00\x00\x00\x8d\t\x06\x01\x01G\x07\x00\xff\x06\x00\x00\x03r\t\x06\x01\x01 \x07\x00\xff\x12\x00\xe6\t\x06\x01\x014\x07\x00\xff\x12\x00\xe6\t\x06\x01\x01H\x07\x00\xff\x12\x00\xe4";
    let view = DataRef::decode_all(frame).unwrap();
    let Value::Structure(items) = view.value() else {
        panic!("not a structure")
    };
    assert_eq!(items.len(), 25);
    let values: Vec<_> = items.map(|i| i.value()).collect();
    assert_eq!(values[0], Value::VisibleString(b"Kamstrup_V0001"));
    assert_eq!(values[6], Value::DoubleLongUnsigned(2342));
    assert_eq!(values[24], Value::LongUnsigned(228));
    assert_eq!(view.to_owned().to_vec(), frame);
}

#[test]
fn values_render_on_one_line_for_logs() {
    let profile = [
        0x01, 0x01, // array of 1
        0x02, 0x04, // structure of 4
        0x19, 0x07, 0xEA, 0x0C, 0x07, 0x01, 0x0A, 0x0F, 0x00, 0x00, 0xFF, 0xC4,
        0x00, // date-time 2026-12-07 Monday 10:15:00.00, deviation -60, status 0
        0x06, 0x00, 0x00, 0x04, 0xD2, // double-long-unsigned 1234
        0x09, 0x02, 0x01, 0xFF, // octet-string 01 FF
        0x0A, 0x02, b'o', b'k', // visible-string "ok"
    ];
    let view = DataRef::decode_all(&profile).unwrap();
    let line = "[{2026-12-07T10:15:00.00+01:00 status 0x00, 1234, '01FF'H, \"ok\"}]";
    assert_eq!(view.to_string(), line);
    assert_eq!(view.to_owned().to_string(), line);
    let leaves = [
        (Data::Null, "null"),
        (Data::DontCare, "dont-care"),
        (Data::Boolean(true), "true"),
        (Data::Integer(-5), "-5"),
        (Data::Float32(1.5), "1.5"),
        (Data::Enum(3), "enum(3)"),
        (Data::Bcd(0x12), "bcd(0x12)"),
        (Data::DeltaLong(-4), "delta(-4)"),
        (Data::DeltaLongUnsigned(250), "delta(+250)"),
        (
            Data::BitString(BitString::from_bools(&[true, false, true, false])),
            "bits'1010'",
        ),
        (Data::VisibleString(vec![b'a', 0x00, b'"']), "\"a\\0\\\"\""),
        (Data::Utf8String(vec![0xFF, b'a']), "\"\\xFFa\""),
        (Data::OctetString(vec![]), "''H"),
        (Data::Structure(vec![]), "{}"),
    ];
    for (data, text) in leaves {
        assert_eq!(data.to_string(), text);
    }
    let compact = Data::CompactArray {
        description: TypeDescription::Structure(vec![
            TypeDescription::Simple(DataType::LongUnsigned),
            TypeDescription::Simple(DataType::Boolean),
        ]),
        contents: vec![0x00, 0x01, 0x01, 0x00, 0x02, 0x00],
    };
    assert_eq!(
        compact.to_string(),
        "compact-array<structure{long-unsigned, boolean}>[{1, true}, {2, false}]"
    );
}
