use fieldbridge_dlms::obis::{self, ObisCode};
use fieldbridge_dlms::Error;

#[test]
fn the_standard_form_parses_and_displays_the_same() {
    let code: ObisCode = "1-0:1.8.0*255".parse().unwrap();
    assert_eq!(code, ObisCode::new(1, 0, 1, 8, 0, 255));
    assert_eq!(code.to_string(), "1-0:1.8.0*255");
    assert_eq!(format!("{code:?}"), "ObisCode(1-0:1.8.0*255)");
}

#[test]
fn a_missing_f_means_255() {
    assert_eq!(
        "0-0:96.3.10".parse::<ObisCode>().unwrap(),
        ObisCode::DISCONNECT_CONTROL
    );
}

#[test]
fn the_dotted_form_of_configurations_parses() {
    let code: ObisCode = "1.0.1.8.0.255".parse().unwrap();
    assert_eq!(code, ObisCode::ACTIVE_ENERGY_IMPORT);
    assert_eq!(code.to_string(), "1-0:1.8.0*255");
    assert_eq!(
        "0.0.1.0.0.255".parse::<ObisCode>().unwrap(),
        ObisCode::CLOCK
    );
}

#[test]
fn an_ampersand_before_f_is_read_like_a_star() {
    assert_eq!(
        "1-0:1.8.0&3".parse::<ObisCode>().unwrap(),
        ObisCode::ACTIVE_ENERGY_IMPORT.with_f(3)
    );
}

#[test]
fn leading_zeros_and_the_extremes_parse() {
    assert_eq!(
        "000-255:0.255.001*0".parse::<ObisCode>().unwrap(),
        ObisCode::new(0, 255, 0, 255, 1, 0)
    );
}

#[test]
fn the_value_groups_are_the_octets_in_order() {
    let code = ObisCode::from_bytes([1, 2, 3, 4, 5, 6]);
    assert_eq!(
        [code.a(), code.b(), code.c(), code.d(), code.e(), code.f()],
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(code.to_bytes(), [1, 2, 3, 4, 5, 6]);
    assert_eq!(<[u8; 6]>::from(code), [1, 2, 3, 4, 5, 6]);
    assert_eq!(ObisCode::from([1, 2, 3, 4, 5, 6]), code);
}

#[test]
fn a_logical_name_decodes_from_six_octets_and_encodes_back() {
    // 0-0:1.0.0*255, the clock, as in an attribute descriptor; a seventh octet follows.
    let bytes = [0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x02];
    let code = ObisCode::decode(&bytes).unwrap();
    assert_eq!(code, ObisCode::CLOCK);
    let mut out = Vec::new();
    code.encode(&mut out);
    assert_eq!(out, &bytes[..6]);
    assert_eq!(code.encoded_len(), 6);
    assert_eq!(ObisCode::try_from(&bytes[..6]).unwrap(), code);
}

#[test]
fn a_short_logical_name_is_truncated() {
    assert_eq!(
        ObisCode::decode(&[0, 0, 1]),
        Err(Error::Truncated {
            offset: 0,
            what: "logical_name",
            needed: 3
        })
    );
    assert_eq!(
        ObisCode::try_from(&[0u8, 0, 1][..]),
        Err(Error::BadLength {
            offset: 0,
            what: "logical_name",
            min: 6,
            max: 6,
            found: 3
        })
    );
}

proptest::proptest! {
    #[test]
    fn any_code_round_trips_through_its_text(code in obis::strategy::obis_code()) {
        proptest::prop_assert_eq!(code.to_string().parse::<ObisCode>().unwrap(), code);
        let [a, b, c, d, e, f] = code.to_bytes();
        let dotted = format!("{a}.{b}.{c}.{d}.{e}.{f}");
        proptest::prop_assert_eq!(dotted.parse::<ObisCode>().unwrap(), code);
        let mut out = Vec::new();
        code.encode(&mut out);
        proptest::prop_assert_eq!(ObisCode::decode(&out).unwrap(), code);
    }

    #[test]
    fn any_string_parses_or_fails_without_panicking(s in "[-0-9.:*&a ]{0,24}") {
        if let Err(error) = s.parse::<ObisCode>() {
            proptest::prop_assert!(error.offset() <= s.len());
        }
    }

    #[test]
    fn any_code_can_be_named_without_panicking(code in obis::strategy::obis_code()) {
        if let Some(name) = code.name() {
            proptest::prop_assert!(!name.to_string().is_empty());
        }
    }
}
