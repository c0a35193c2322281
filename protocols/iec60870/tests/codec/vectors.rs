//! Spec vectors decode to the expected structure and re-encode to the same bytes.

use crate::common::{APDUS, FT12, ONE};
use fieldbridge_iec60870::apci::{self, Apdu};
use fieldbridge_iec60870::ft12::{self, Frame};
use fieldbridge_iec60870::{CivilDateTime, Cp16Time2a, Cp24Time2a, Cp56Time2a};

#[test]
fn apdu_vectors_decode_to_their_control_field_and_asdu() {
    for v in APDUS {
        let (apdu, len) = apci::decode(v.bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name))
            .unwrap_or_else(|| panic!("{}: incomplete", v.name));
        assert_eq!(len, v.bytes.len(), "{}", v.name);
        assert_eq!(apdu.apci, v.apci, "{}", v.name);
        assert_eq!(apdu.asdu, &v.bytes[6..], "{}", v.name);
        assert_eq!(apdu.asdu.len(), v.asdu_len, "{}", v.name);
    }
}

#[test]
fn apdu_vectors_re_encode_to_the_same_bytes() {
    for v in APDUS {
        let apdu = Apdu {
            apci: v.apci,
            asdu: &v.bytes[6..],
        };
        let mut out = Vec::new();
        apdu.encode(&mut out).unwrap();
        assert_eq!(out, v.bytes, "{}", v.name);
        assert_eq!(apdu.encoded_len(), v.bytes.len(), "{}", v.name);
    }
}

#[test]
fn ft12_vectors_decode_to_their_frame() {
    for v in FT12 {
        assert_eq!(
            ft12::decode(v.bytes, &v.config),
            Ok(Some((v.frame, v.bytes.len()))),
            "{}",
            v.name
        );
    }
}

#[test]
fn ft12_vectors_re_encode_to_the_same_bytes() {
    for v in FT12 {
        let mut out = Vec::new();
        v.frame.encode(&v.config, &mut out).unwrap();
        assert_eq!(out, v.bytes, "{}", v.name);
        assert_eq!(v.frame.encoded_len(&v.config), v.bytes.len(), "{}", v.name);
    }
}

#[test]
fn ft12_checksum_is_the_sum_modulo_256() {
    assert_eq!(ft12::checksum(&[]), 0);
    assert_eq!(ft12::checksum(&[0x49, 0x01]), 0x4A);
    assert_eq!(ft12::checksum(&[0xFF, 0x02]), 0x01);
}

#[test]
fn an_e5_followed_by_a_frame_decodes_as_the_single_character_alone() {
    let bytes = [0xE5, 0x10, 0x49, 0x01, 0x4A, 0x16];
    assert_eq!(ft12::decode(&bytes, &ONE), Ok(Some((Frame::SingleChar, 1))));
}

#[test]
fn cp56time2a_from_a_real_i_frame_is_2021_06_16_20_29_57_775() {
    // AF E1: 57775 ms | 1D: minute 29, RES1 0, IV 0 | 14: hour 20, SU 0 |
    // 70: day 16, day of week 3 (Wednesday) | 06: June | 15: year 21
    let tag = Cp56Time2a::decode(&[0xAF, 0xE1, 0x1D, 0x14, 0x70, 0x06, 0x15]).unwrap();
    assert_eq!(
        tag,
        Cp56Time2a {
            millisecond: 57775,
            minute: 29,
            hour: 20,
            day: 16,
            day_of_week: 3,
            month: 6,
            year: 21,
            ..Cp56Time2a::default()
        }
    );
    assert_eq!(
        tag.to_civil(),
        Ok(CivilDateTime {
            year: 2021,
            month: 6,
            day: 16,
            hour: 20,
            minute: 29,
            second: 57,
            millisecond: 775,
        })
    );
    // from_civil computes the same day of week.
    assert_eq!(Cp56Time2a::from_civil(&tag.to_civil().unwrap()), Ok(tag));
}

#[test]
fn cp56time2a_flags_and_reserved_bits_are_kept() {
    // 08 7F: 32520 ms | CE: IV 1, RES1 1, minute 14 | E9: SU 1, RES2 3, hour 9 |
    // 96: day of week 4, day 22 | F4: RES3 15, month 4 | 95: RES4 1, year 21
    let bytes = [0x08, 0x7F, 0xCE, 0xE9, 0x96, 0xF4, 0x95];
    let tag = Cp56Time2a::decode(&bytes).unwrap();
    assert!(tag.invalid && tag.res1 && tag.summer_time && tag.res4);
    assert_eq!((tag.res2, tag.res3), (3, 15));
    assert_eq!((tag.minute, tag.hour, tag.day, tag.month), (14, 9, 22, 4));
    assert_eq!(tag.day_of_week, 4);
    assert_eq!(tag.to_bytes(), Ok(bytes));
    assert!(tag.in_range());
}

#[test]
fn cp24time2a_and_cp16time2a_read_milliseconds_little_endian() {
    // 10 27: 10000 ms | 85: IV 1, minute 5
    let tag = Cp24Time2a::decode(&[0x10, 0x27, 0x85]).unwrap();
    assert_eq!(
        tag,
        Cp24Time2a {
            millisecond: 10_000,
            minute: 5,
            res1: false,
            invalid: true
        }
    );
    assert_eq!(tag.to_bytes(), Ok([0x10, 0x27, 0x85]));
    // 5F EA: 59999 ms, the largest
    let elapsed = Cp16Time2a::decode(&[0x5F, 0xEA]).unwrap();
    assert_eq!(elapsed.millisecond, 59_999);
    assert!(elapsed.in_range());
    let mut out = Vec::new();
    elapsed.encode(&mut out).unwrap();
    assert_eq!(out, [0x5F, 0xEA]);
}

#[test]
fn time_decoders_read_only_their_own_length() {
    let tag = Cp24Time2a::decode(&[0x10, 0x27, 0x05, 0xFF]).unwrap();
    assert_eq!(tag.minute, 5);
}
