//! SNRM/UA parameters: defaults, any value length, the fewest octets, negotiation, errors.

use fieldbridge_dlms::hdlc::Parameters;
use fieldbridge_dlms::Error;
use proptest::strategy::Strategy;

#[test]
fn gurux_style_four_octet_windows_are_read() {
    // 81 80 12 | 05 01 9A | 06 01 9A | 07 04 00 00 00 01 | 08 04 00 00 00 01 (the UA vector)
    let info = hex::decode("81801205019A06019A070400000001080400000001").unwrap();
    let p = Parameters::decode(&info).unwrap();
    assert_eq!(
        (p.max_info_tx, p.max_info_rx, p.window_tx, p.window_rx),
        (154, 154, 1, 1)
    );
    // Re-encoded in the fewest octets: 81 80 0C | 05 01 9A | 06 01 9A | 07 01 01 | 08 01 01
    assert_eq!(
        hex::encode_upper(p.to_bytes()),
        "81800C05019A06019A070101080101"
    );
    assert_eq!(p.encoded_len(), 15);
}

#[test]
fn two_octet_lengths_and_missing_parameters_take_their_defaults() {
    // 81 80 08 | 05 02 04 00: transmit 1024 | 08 01 07: window receive 7
    let p =
        Parameters::decode(&[0x81, 0x80, 0x07, 0x05, 0x02, 0x04, 0x00, 0x08, 0x01, 0x07]).unwrap();
    assert_eq!(
        p,
        Parameters {
            max_info_tx: 1024,
            max_info_rx: 128,
            window_tx: 1,
            window_rx: 7
        }
    );
    assert_eq!(Parameters::decode(&[]), Ok(Parameters::default()));
    assert_eq!(
        Parameters::decode(&[0x81, 0x80, 0x00]),
        Ok(Parameters::default())
    );
}

#[test]
fn other_parameter_identifiers_are_skipped() {
    // 81 80 07 | 01 03 AA BB CC: not an HDLC parameter DLMS uses | 07 01 03
    let p = Parameters::decode(&[
        0x81, 0x80, 0x08, 0x01, 0x03, 0xAA, 0xBB, 0xCC, 0x07, 0x01, 0x03,
    ])
    .unwrap();
    assert_eq!(p.window_tx, 3);
}

#[test]
fn each_side_takes_the_minimum() {
    let client = Parameters {
        max_info_tx: 512,
        max_info_rx: 1024,
        window_tx: 7,
        window_rx: 1,
    };
    let server = Parameters {
        max_info_tx: 256,
        max_info_rx: 2000,
        window_tx: 3,
        window_rx: 4,
    };
    assert_eq!(
        client.negotiate(&server),
        Parameters {
            max_info_tx: 512,
            max_info_rx: 256,
            window_tx: 4,
            window_rx: 1
        }
    );
    assert_eq!(
        server.negotiate(&client),
        Parameters {
            max_info_tx: 256,
            max_info_rx: 512,
            window_tx: 1,
            window_rx: 4
        }
    );
}

#[test]
fn a_wrong_format_identifier_is_refused() {
    assert_eq!(
        Parameters::decode(&[0x82, 0x80, 0x00]),
        Err(Error::BadByte {
            offset: 0,
            what: "HDLC parameter format identifier",
            expected: "0x81",
            found: 0x82
        })
    );
}

#[test]
fn a_wrong_group_identifier_is_refused() {
    assert_eq!(
        Parameters::decode(&[0x81, 0xF0, 0x00]),
        Err(Error::BadByte {
            offset: 1,
            what: "HDLC parameter group identifier",
            expected: "0x80",
            found: 0xF0
        })
    );
}

#[test]
fn a_group_length_beyond_the_field_is_refused() {
    assert_eq!(
        Parameters::decode(&[0x81, 0x80, 0x04, 0x07, 0x01, 0x01]),
        Err(Error::BadLength {
            offset: 2,
            what: "HDLC parameter group length",
            min: 0,
            max: 3,
            found: 4
        })
    );
}

#[test]
fn bytes_after_the_group_are_refused() {
    assert_eq!(
        Parameters::decode(&[0x81, 0x80, 0x03, 0x07, 0x01, 0x01, 0xFF]),
        Err(Error::TrailingBytes {
            offset: 6,
            what: "HDLC parameter group",
            count: 1
        })
    );
}

#[test]
fn a_parameter_cut_short_is_truncated() {
    assert_eq!(
        Parameters::decode(&[0x81, 0x80, 0x03, 0x05, 0x02, 0x01]),
        Err(Error::Truncated {
            offset: 5,
            what: "HDLC parameter value",
            needed: 1
        })
    );
}

#[test]
fn a_three_octet_value_is_refused() {
    assert_eq!(
        Parameters::decode(&[0x81, 0x80, 0x05, 0x05, 0x03, 0x00, 0x01, 0x00]),
        Err(Error::BadValue {
            offset: 4,
            what: "HDLC parameter length",
            expected: "1, 2 or 4 octets",
            found: 3
        })
    );
}

#[test]
fn a_window_outside_one_to_seven_is_refused() {
    assert_eq!(
        Parameters::decode(&[0x81, 0x80, 0x03, 0x08, 0x01, 0x08]),
        Err(Error::BadValue {
            offset: 5,
            what: "HDLC window size",
            expected: "1..=7",
            found: 8
        })
    );
}

#[test]
fn a_maximum_information_length_of_zero_is_refused() {
    assert_eq!(
        Parameters::decode(&[0x81, 0x80, 0x03, 0x06, 0x01, 0x00]),
        Err(Error::BadValue {
            offset: 5,
            what: "HDLC maximum information field length",
            expected: "1 or more",
            found: 0
        })
    );
}

#[test]
fn the_lenient_reading_clamps_windows_and_short_lengths_into_range() {
    // 81 80 0C | 05 01 00 (tx 0) | 06 01 10 (rx 16) | 07 01 00 (window 0) | 08 01 09 (window 9)
    let info = [
        0x81, 0x80, 0x0C, 0x05, 0x01, 0x00, 0x06, 0x01, 0x10, 0x07, 0x01, 0x00, 0x08, 0x01, 0x09,
    ];
    assert!(Parameters::decode(&info).is_err());
    assert_eq!(
        Parameters::decode_lenient(&info),
        Ok(Parameters {
            max_info_tx: 32,
            max_info_rx: 32,
            window_tx: 1,
            window_rx: 7,
        })
    );
}

#[test]
fn the_lenient_reading_still_refuses_a_broken_structure() {
    // 81 80 05 | 07 03 00 00 01: a three-octet value
    let info = [0x81, 0x80, 0x05, 0x07, 0x03, 0x00, 0x00, 0x01];
    assert!(matches!(
        Parameters::decode_lenient(&info),
        Err(Error::BadValue { offset: 4, .. })
    ));
}

proptest::proptest! {
    #[test]
    fn the_lenient_reading_agrees_with_the_strict_one_on_values_in_range(
        p in fieldbridge_dlms::strategy::hdlc::parameters()
            .prop_filter("at least 32", |p| p.max_info_tx >= 32 && p.max_info_rx >= 32),
    ) {
        let bytes = p.to_bytes();
        proptest::prop_assert_eq!(Parameters::decode_lenient(&bytes), Ok(p));
        proptest::prop_assert_eq!(Parameters::decode(&bytes), Ok(p));
    }
}
