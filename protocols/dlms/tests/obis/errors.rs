use fieldbridge_dlms::obis::ObisCode;
use fieldbridge_dlms::Error;

fn parse(s: &str) -> Result<ObisCode, Error> {
    s.parse()
}

#[test]
fn a_group_above_255_names_the_group_and_its_offset() {
    assert_eq!(
        parse("1-0:256.8.0*255"),
        Err(Error::BadValue {
            offset: 4,
            what: "OBIS value group C",
            expected: "0..=255",
            found: 256
        })
    );
    assert_eq!(
        parse("1.0.1.8.0.99999999999999999999999"),
        Err(Error::BadValue {
            offset: 10,
            what: "OBIS value group F",
            expected: "0..=255",
            found: u64::MAX
        })
    );
}

#[test]
fn a_letter_where_a_number_belongs_is_a_bad_byte() {
    assert_eq!(
        parse("1-0:x.8.0"),
        Err(Error::BadByte {
            offset: 4,
            what: "OBIS value group C",
            expected: "a decimal number 0..=255",
            found: b'x'
        })
    );
}

#[test]
fn a_wrong_separator_says_which_one_was_expected() {
    assert_eq!(
        parse("1-0.1.8.0"),
        Err(Error::BadByte {
            offset: 3,
            what: "OBIS code separator",
            expected: "':' after value group B",
            found: b'.'
        })
    );
    assert_eq!(
        parse("1:0"),
        Err(Error::BadByte {
            offset: 1,
            what: "OBIS code separator",
            expected: "'-' (A-B:C.D.E*F) or '.' (A.B.C.D.E.F) after value group A",
            found: b':'
        })
    );
    assert_eq!(
        parse("1-0:1.8.0/255"),
        Err(Error::BadByte {
            offset: 9,
            what: "OBIS code separator",
            expected: "'*' or '&' before value group F, or the end",
            found: b'/'
        })
    );
}

#[test]
fn a_string_that_ends_early_names_the_missing_group() {
    assert_eq!(
        parse("1-0:1.8"),
        Err(Error::Truncated {
            offset: 7,
            what: "OBIS value group E",
            needed: 1
        })
    );
    // Five dotted groups: the dotted form always has F.
    assert_eq!(
        parse("1.0.1.8.0"),
        Err(Error::Truncated {
            offset: 9,
            what: "OBIS value group F",
            needed: 1
        })
    );
    assert_eq!(
        parse(""),
        Err(Error::Truncated {
            offset: 0,
            what: "OBIS value group A",
            needed: 1
        })
    );
    assert_eq!(
        parse("1-0:1.8.0*"),
        Err(Error::Truncated {
            offset: 10,
            what: "OBIS value group F",
            needed: 1
        })
    );
}

#[test]
fn anything_after_f_is_refused() {
    assert_eq!(
        parse("1-0:1.8.0*255 "),
        Err(Error::BadByte {
            offset: 13,
            what: "OBIS code",
            expected: "the end after value group F",
            found: b' '
        })
    );
    assert_eq!(
        parse("1.0.1.8.0.255.7"),
        Err(Error::BadByte {
            offset: 13,
            what: "OBIS code",
            expected: "the end after value group F",
            found: b'.'
        })
    );
}

#[test]
fn errors_read_clearly() {
    let error = parse("1-0:1.8.0*256").unwrap_err();
    assert_eq!(
        error.to_string(),
        "OBIS value group F 256 at byte 10: expected 0..=255"
    );
}
