//! The BER subset on its own: tags, lengths, OBJECT IDENTIFIER, BIT STRING, INTEGER.

use fieldbridge_dlms::apdu::ber::{
    decode_integer, length_len, put_integer, put_length, put_tlv, BitString, Class, Oid, Tag, Tlv,
};
use fieldbridge_dlms::Error;

#[test]
fn lengths_use_the_short_form_below_128_and_the_fewest_octets_above() {
    for (len, wire) in [
        (0usize, vec![0x00]),
        (0x7F, vec![0x7F]),
        (0x80, vec![0x81, 0x80]),
        (0xFF, vec![0x81, 0xFF]),
        (0x100, vec![0x82, 0x01, 0x00]),
        (0x1_0000, vec![0x83, 0x01, 0x00, 0x00]),
    ] {
        let mut out = Vec::new();
        put_length(&mut out, len);
        assert_eq!(out, wire, "{len}");
        assert_eq!(length_len(len), wire.len());
    }
}

#[test]
fn a_tlv_with_a_long_form_length_decodes() {
    let mut wire = Vec::new();
    put_tlv(&mut wire, Tag::OCTET_STRING, &[0x55; 300]);
    assert_eq!(&wire[..4], &[0x04, 0x82, 0x01, 0x2C]);
    let (tlv, used) = Tlv::decode(&wire).unwrap();
    assert_eq!(used, 304);
    assert_eq!(tlv.tag, Tag::OCTET_STRING);
    assert_eq!(tlv.value.len(), 300);
    assert_eq!(tlv.value_offset, 4);
}

#[test]
fn a_non_minimal_long_form_length_is_accepted_on_decode() {
    // BER allows 0x81 0x03 for 3; DLMS encoders never send it, so ours writes 0x03.
    let (tlv, used) = Tlv::decode(&[0x04, 0x81, 0x03, 1, 2, 3]).unwrap();
    assert_eq!((tlv.value, used), (&[1u8, 2, 3][..], 6));
}

#[test]
fn tags_carry_class_constructed_bit_and_number() {
    let (tlv, _) = Tlv::decode(&[0xBE, 0x00]).unwrap();
    assert_eq!(tlv.tag, Tag::context(30, true));
    assert_eq!(tlv.tag.class, Class::Context);
    let (tlv, _) = Tlv::decode(&[0x5F, 0x1F, 0x00]).unwrap();
    assert_eq!(tlv.tag, Tag::application(31, false));
    assert_eq!(Tag::application(31, false).encoded_len(), 2);
    let mut out = Vec::new();
    Tag::application(31, false).encode(&mut out);
    assert_eq!(out, [0x5F, 0x1F]);
    assert_eq!(Tag::application(0, true).first_octet(), 0x60);
}

#[test]
fn the_dlms_object_identifiers_print_as_dotted_arcs() {
    let context = Oid::new(&[0x60, 0x85, 0x74, 0x05, 0x08, 0x01, 0x01], 0).unwrap();
    assert_eq!(context.to_string(), "2.16.756.5.8.1.1");
    let mechanism = Oid::new(&[0x60, 0x85, 0x74, 0x05, 0x08, 0x02, 0x05], 0).unwrap();
    assert_eq!(
        mechanism.arcs().collect::<Vec<_>>(),
        [2, 16, 756, 5, 8, 2, 5]
    );
    assert_eq!(Oid::new(&[0x2B, 0x06], 0).unwrap().to_string(), "1.3.6");
}

#[test]
fn object_identifier_errors_name_the_octet() {
    assert!(matches!(
        Oid::new(&[], 9),
        Err(Error::BadLength {
            offset: 9,
            found: 0,
            ..
        })
    ));
    assert!(matches!(
        Oid::new(&[0x60, 0x80, 0x01], 0),
        Err(Error::BadByte {
            offset: 1,
            found: 0x80,
            ..
        })
    ));
    assert!(matches!(
        Oid::new(&[0xFF; 10], 0),
        Err(Error::BadValue { offset: 9, .. })
    ));
    assert_eq!(
        Oid::new(&[0x60, 0x85], 4),
        Err(Error::Truncated {
            offset: 6,
            what: "OBJECT IDENTIFIER",
            needed: 1
        })
    );
}

#[test]
fn bit_strings_count_their_unused_bits() {
    let bits = BitString::new(&[0x07, 0x80], 0).unwrap();
    assert_eq!(bits.len(), 1);
    assert!(bits.bit(0));
    assert!(!bits.bit(1));
    assert!(BitString::new(&[0x00], 0).unwrap().is_empty());
    assert!(matches!(
        BitString::new(&[], 3),
        Err(Error::BadLength { offset: 3, .. })
    ));
    assert!(matches!(
        BitString::new(&[0x01], 3),
        Err(Error::BadValue {
            offset: 3,
            found: 1,
            ..
        })
    ));
}

#[test]
fn integers_are_signed_and_in_the_fewest_octets() {
    let mut out = Vec::new();
    put_integer(&mut out, Tag::INTEGER, 200);
    assert_eq!(out, [0x02, 0x02, 0x00, 0xC8]);
    assert_eq!(decode_integer(&[0x00, 0xC8], 0, 8, "INTEGER"), Ok(200));
    assert_eq!(decode_integer(&[0xFF], 0, 8, "INTEGER"), Ok(-1));
    assert!(matches!(
        decode_integer(&[0xFF, 0x80], 0, 8, "INTEGER"),
        Err(Error::BadByte { found: 0xFF, .. })
    ));
    assert!(matches!(
        decode_integer(&[1; 9], 0, 8, "INTEGER"),
        Err(Error::BadLength {
            found: 9,
            max: 8,
            ..
        })
    ));
}
