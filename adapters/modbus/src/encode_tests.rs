//! Tests of [`super::encode`]: every type in every word order, scale and offset, type boundaries
//! and one beyond, configured limits, wrong JSON types, non-finite values, strings.

use fieldbridge_core::command::CommandValue;
use fieldbridge_core::config::{ModbusPoint, ModbusType, RegisterRef, WordOrder};
use fieldbridge_core::point::ModbusTable;
use proptest::prelude::*;

use super::*;
use crate::convert::{decode_registers, Raw};

use ModbusType as T;
use WordOrder::{Abcd, Badc, Cdab, Dcba};

fn point(table: ModbusTable, bit: Option<u8>, ty: ModbusType, order: WordOrder) -> ModbusPoint {
    let register = RegisterRef {
        table,
        address: 10,
        bit,
    };
    ModbusPoint {
        word_order: order,
        writable: true,
        ..ModbusPoint::new("p", register, ty)
    }
}

fn holding(ty: ModbusType, order: WordOrder) -> ModbusPoint {
    point(ModbusTable::Holding, None, ty, order)
}

fn scaled(ty: ModbusType, scale: f64, offset: f64) -> ModbusPoint {
    ModbusPoint {
        scale,
        offset,
        ..holding(ty, Abcd)
    }
}

fn int(v: i64) -> CommandValue {
    CommandValue::Number(v.into())
}

fn uint(v: u64) -> CommandValue {
    CommandValue::Number(v.into())
}

fn float(v: f64) -> CommandValue {
    match serde_json::Number::from_f64(v) {
        Some(n) => CommandValue::Number(n),
        None => panic!("{v} is not a JSON number"),
    }
}

fn regs(point: &ModbusPoint, value: &CommandValue) -> Result<Vec<u16>, EncodeError> {
    match encode(point, value)? {
        Encoded::Registers(r) => Ok(r),
        other => panic!("registers expected, got {other:?}"),
    }
}

#[test]
fn every_register_type_lands_in_every_word_order_as_documented() {
    // The expected registers are spelled out from the word order table (WordOrder docs): the bytes
    // a b c d ... of the big-endian value, as they appear register by register.
    #[rustfmt::skip]
    let cases: Vec<(ModbusType, CommandValue, [Vec<u16>; 4])> = vec![
        (T::U16, uint(0x1234), [vec![0x1234], vec![0x1234], vec![0x3412], vec![0x3412]]),
        (T::I16, int(-2), [vec![0xFFFE], vec![0xFFFE], vec![0xFEFF], vec![0xFEFF]]),
        (T::U32, uint(0x1122_3344), [
            vec![0x1122, 0x3344], vec![0x3344, 0x1122], vec![0x2211, 0x4433], vec![0x4433, 0x2211]]),
        (T::I32, int(-2), [
            vec![0xFFFF, 0xFFFE], vec![0xFFFE, 0xFFFF], vec![0xFFFF, 0xFEFF], vec![0xFEFF, 0xFFFF]]),
        (T::U64, uint(0x1122_3344_5566_7788), [
            vec![0x1122, 0x3344, 0x5566, 0x7788], vec![0x7788, 0x5566, 0x3344, 0x1122],
            vec![0x2211, 0x4433, 0x6655, 0x8877], vec![0x8877, 0x6655, 0x4433, 0x2211]]),
        (T::I64, int(-2), [
            vec![0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE], vec![0xFFFE, 0xFFFF, 0xFFFF, 0xFFFF],
            vec![0xFFFF, 0xFFFF, 0xFFFF, 0xFEFF], vec![0xFEFF, 0xFFFF, 0xFFFF, 0xFFFF]]),
        // 3.25f32 = 0x40500000.
        (T::F32, float(3.25), [
            vec![0x4050, 0x0000], vec![0x0000, 0x4050], vec![0x5040, 0x0000], vec![0x0000, 0x5040]]),
        // -2.5f64 = 0xC004000000000000.
        (T::F64, float(-2.5), [
            vec![0xC004, 0, 0, 0], vec![0, 0, 0, 0xC004], vec![0x04C0, 0, 0, 0], vec![0, 0, 0, 0x04C0]]),
        // "ABC" in string(5): 41 42 43 00 00 00; only badc/dcba swap the bytes of each register.
        (T::String(5), CommandValue::String("ABC".into()), [
            vec![0x4142, 0x4300, 0x0000], vec![0x4142, 0x4300, 0x0000],
            vec![0x4241, 0x0043, 0x0000], vec![0x4241, 0x0043, 0x0000]]),
    ];
    for (ty, value, expected) in cases {
        for (order, expected) in [Abcd, Cdab, Badc, Dcba].into_iter().zip(expected) {
            let p = holding(ty, order);
            let got = regs(&p, &value);
            assert_eq!(got.as_ref().ok(), Some(&expected), "{} {order}", ty.name());
            // And the read direction gives the value back.
            let back = decode_registers(&expected, ty, order, None).ok();
            let want = match &value {
                CommandValue::Number(n) if ty == T::F32 || ty == T::F64 => {
                    n.as_f64().map(Raw::Float)
                }
                CommandValue::Number(n) => n
                    .as_u64()
                    .filter(|_| matches!(ty, T::U16 | T::U32 | T::U64))
                    .map(Raw::Unsigned)
                    .or_else(|| n.as_i64().map(Raw::Signed)),
                CommandValue::String(s) => Some(Raw::Text(s.clone())),
                CommandValue::Bool(b) => Some(Raw::Bool(*b)),
                CommandValue::None | CommandValue::Structured(_) => None,
            };
            assert_eq!(back, want, "{} {order} read back", ty.name());
        }
    }
}

#[test]
fn integer_types_accept_their_bounds_and_refuse_one_beyond() {
    #[rustfmt::skip]
    let cases: Vec<(ModbusType, CommandValue, Option<Vec<u16>>)> = vec![
        (T::U16, int(0), Some(vec![0])),
        (T::U16, int(65535), Some(vec![0xFFFF])),
        (T::U16, int(65536), None),
        (T::U16, int(-1), None),
        (T::I16, int(-32768), Some(vec![0x8000])),
        (T::I16, int(32767), Some(vec![0x7FFF])),
        (T::I16, int(-32769), None),
        (T::I16, int(32768), None),
        (T::U32, uint(u64::from(u32::MAX)), Some(vec![0xFFFF, 0xFFFF])),
        (T::U32, uint(u64::from(u32::MAX) + 1), None),
        (T::U32, int(-1), None),
        (T::I32, int(i64::from(i32::MIN)), Some(vec![0x8000, 0x0000])),
        (T::I32, int(i64::from(i32::MAX)), Some(vec![0x7FFF, 0xFFFF])),
        (T::I32, int(i64::from(i32::MIN) - 1), None),
        (T::I32, int(i64::from(i32::MAX) + 1), None),
        (T::U64, uint(u64::MAX), Some(vec![0xFFFF; 4])),
        // 2^64: only a float can say it.
        (T::U64, float(18_446_744_073_709_551_616.0), None),
        (T::U64, int(-1), None),
        // 2^53 + 1 is exact, not rounded to an even float.
        (T::U64, uint((1 << 53) + 1), Some(vec![0x0020, 0x0000, 0x0000, 0x0001])),
        (T::I64, int(i64::MIN), Some(vec![0x8000, 0, 0, 0])),
        (T::I64, int(i64::MAX), Some(vec![0x7FFF, 0xFFFF, 0xFFFF, 0xFFFF])),
        (T::I64, uint(i64::MAX as u64 + 1), None),
        (T::I64, float(-9.3e18), None),
        // A fractional number is rounded to the nearest integer.
        (T::U16, float(2.5), Some(vec![3])),
        (T::I16, float(-2.4), Some(vec![0xFFFE])),
        (T::U16, float(65535.4), Some(vec![0xFFFF])),
        (T::U16, float(65535.5), None),
    ];
    for (ty, value, expected) in cases {
        let got = regs(&holding(ty, Abcd), &value);
        match expected {
            Some(r) => assert_eq!(got.ok(), Some(r), "{} {value:?}", ty.name()),
            None => assert!(
                matches!(&got, Err(EncodeError::OutOfRange { .. })),
                "{} {value:?}: {got:?}",
                ty.name()
            ),
        }
    }
}

#[test]
fn out_of_range_reasons_name_the_type_its_range_and_the_raw_value() {
    let err = regs(&holding(T::U16, Abcd), &int(70000))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("value 70000 does not fit u16 (0 to 65535)")
    );
    let err = regs(&scaled(T::I16, 0.1, 0.0), &float(3276.8))
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("value 3276.8 (raw value 32768 after scale and offset) does not fit i16 (-32768 to 32767)")
    );
}

#[test]
fn scale_and_offset_are_reversed_before_encoding() {
    #[rustfmt::skip]
    let cases: Vec<(&str, ModbusPoint, CommandValue, Vec<u16>)> = vec![
        ("u16 tenths", scaled(T::U16, 0.1, 0.0), float(12.3), vec![123]),
        ("u16 tenths with an offset", scaled(T::U16, 0.1, -20.0), float(5.3), vec![253]),
        ("i16 halves with an offset go negative", scaled(T::I16, 0.5, 10.0), int(-5), vec![(-30i16) as u16]),
        ("rounded to the nearest raw integer", scaled(T::U16, 0.1, 0.0), float(0.06), vec![1]),
        ("and down when nearer", scaled(T::U16, 0.1, 0.0), float(0.04), vec![0]),
        ("u32 thousandths", scaled(T::U32, 0.001, 0.0), float(70000.001), vec![0x042C, 0x1D81]),
        // 12.5 / 0.1 = 125.0 = 0x42FA0000.
        ("f32 tenths", scaled(T::F32, 0.1, 0.0), float(12.5), vec![0x42FA, 0x0000]),
        // (68 - 32) / 1.8 = 20 = 0x4034000000000000.
        ("f64 Fahrenheit", scaled(T::F64, 1.8, 32.0), float(68.0), vec![0x4034, 0, 0, 0]),
        ("u16 upper bound after scale", scaled(T::U16, 0.1, 0.0), float(6553.5), vec![0xFFFF]),
    ];
    for (name, p, value, expected) in cases {
        assert_eq!(regs(&p, &value).ok(), Some(expected), "{name}");
    }
    assert!(matches!(
        regs(&scaled(T::U16, 0.1, 0.0), &float(6553.6)),
        Err(EncodeError::OutOfRange { .. })
    ));
    assert!(matches!(
        regs(&scaled(T::U16, 0.1, 10.0), &float(9.9)),
        Err(EncodeError::OutOfRange { .. })
    ));
}

#[test]
fn floats_must_be_finite_and_within_their_type() {
    assert_eq!(
        regs(&holding(T::F32, Abcd), &float(f64::from(f32::MAX))).ok(),
        Some(vec![0x7F7F, 0xFFFF])
    );
    for v in [3.5e38, -3.5e38, f64::MAX] {
        assert!(
            matches!(
                regs(&holding(T::F32, Abcd), &float(v)),
                Err(EncodeError::OutOfRange { .. })
            ),
            "{v}"
        );
    }
    assert_eq!(
        regs(&holding(T::F64, Abcd), &float(f64::MAX)).ok(),
        Some(vec![0x7FEF, 0xFFFF, 0xFFFF, 0xFFFF])
    );
    // Reversing the scale overflows to infinity.
    let err = regs(&scaled(T::F64, 1e-10, 0.0), &float(1e300));
    assert!(matches!(err, Err(EncodeError::NotFinite { .. })), "{err:?}");
    let err = regs(&scaled(T::I64, 1e-300, 0.0), &float(1e300));
    assert!(matches!(err, Err(EncodeError::NotFinite { .. })), "{err:?}");
    // JSON has no NaN or infinity: such a value cannot even reach a command.
    assert!(serde_json::Number::from_f64(f64::NAN).is_none());
    assert!(serde_json::Number::from_f64(f64::INFINITY).is_none());
}

#[test]
fn configured_limits_apply_to_the_value_sent_not_the_raw_value() {
    let p = ModbusPoint {
        min: Some(0.0),
        max: Some(12.0),
        word_order: Cdab,
        ..scaled(T::F32, 0.1, 0.0)
    };
    // 12 m at a scale of 0.1 is raw 120 = 0x42F00000, word swapped.
    assert_eq!(regs(&p, &int(12)).ok(), Some(vec![0x0000, 0x42F0]));
    assert_eq!(regs(&p, &int(0)).ok(), Some(vec![0, 0]));
    let above = regs(&p, &float(12.01)).err().map(|e| e.to_string());
    assert_eq!(
        above.as_deref(),
        Some("value 12.01 is above the maximum 12 configured for this f32 point")
    );
    let below = regs(&p, &float(-0.5)).err().map(|e| e.to_string());
    assert_eq!(
        below.as_deref(),
        Some("value -0.5 is below the minimum 0 configured for this f32 point")
    );
    let p = ModbusPoint {
        min: Some(-10.0),
        max: Some(10.0),
        ..holding(T::I16, Abcd)
    };
    assert_eq!(regs(&p, &int(-10)).ok(), Some(vec![0xFFF6]));
    assert!(matches!(
        regs(&p, &int(11)),
        Err(EncodeError::AboveMax { .. })
    ));
    assert!(matches!(
        regs(&p, &int(-11)),
        Err(EncodeError::BelowMin { .. })
    ));
}

#[test]
fn json_types_must_match_the_point_type() {
    let coil = point(ModbusTable::Coil, None, T::Bool, Abcd);
    let bit = point(ModbusTable::Holding, Some(3), T::Bool, Abcd);
    let text = holding(T::String(4), Abcd);
    #[rustfmt::skip]
    let cases: Vec<(ModbusPoint, CommandValue, &str)> = vec![
        (coil.clone(), int(1), "a bool point takes a JSON bool (true or false), not a JSON number"),
        (coil, CommandValue::String("true".into()), "a bool point takes a JSON bool (true or false), not a JSON string"),
        (bit, int(0), "a bool point takes a JSON bool (true or false), not a JSON number"),
        (holding(T::U16, Abcd), CommandValue::Bool(true), "a u16 point takes a JSON number, not a JSON bool"),
        (holding(T::I16, Abcd), CommandValue::Bool(true), "an i16 point takes a JSON number, not a JSON bool"),
        (holding(T::F32, Abcd), CommandValue::String("1.5".into()), "an f32 point takes a JSON number, not a JSON string"),
        (text.clone(), int(5), "a string(4) point takes a JSON string, not a JSON number"),
        (text, CommandValue::Bool(false), "a string(4) point takes a JSON string, not a JSON bool"),
    ];
    for (p, value, reason) in cases {
        let got = encode(&p, &value);
        assert!(matches!(got, Err(EncodeError::WrongType { .. })), "{got:?}");
        assert_eq!(got.err().map(|e| e.to_string()).as_deref(), Some(reason));
    }
}

#[test]
fn bits_become_coils_or_register_bits() {
    let coil = point(ModbusTable::Coil, None, T::Bool, Abcd);
    assert_eq!(
        encode(&coil, &CommandValue::Bool(true)),
        Ok(Encoded::Coil(true))
    );
    let bit = point(ModbusTable::Holding, Some(15), T::Bool, Abcd);
    assert_eq!(
        encode(&bit, &CommandValue::Bool(false)),
        Ok(Encoded::RegisterBit {
            bit: 15,
            value: false
        })
    );
}

#[test]
fn read_only_tables_are_never_written() {
    for (table, ty) in [
        (ModbusTable::Input, T::U16),
        (ModbusTable::Discrete, T::Bool),
    ] {
        let got = encode(&point(table, None, ty, Abcd), &int(1));
        assert!(matches!(got, Err(EncodeError::NotWritable(_))), "{got:?}");
    }
}

#[test]
fn strings_are_nul_padded_and_limited_to_their_bytes() {
    let p = holding(T::String(4), Abcd);
    let s = |t: &str| CommandValue::String(t.into());
    assert_eq!(regs(&p, &s("ABCD")).ok(), Some(vec![0x4142, 0x4344]));
    assert_eq!(regs(&p, &s("")).ok(), Some(vec![0, 0]));
    assert_eq!(regs(&p, &s("é")).ok(), Some(vec![0xC3A9, 0]));
    let long = regs(&p, &s("ABCDE")).err().map(|e| e.to_string());
    assert_eq!(
        long.as_deref(),
        Some("a string of 5 bytes does not fit string(4) (at most 4 bytes)")
    );
    // Bytes, not characters: "éé" is 4 bytes, "ééé" 6.
    assert!(regs(&p, &s("éé")).is_ok());
    assert!(matches!(
        regs(&p, &s("ééé")),
        Err(EncodeError::TooLong { len: 6, .. })
    ));
    // An odd length: the last register's low byte is padding.
    let odd = holding(T::String(3), Badc);
    assert_eq!(regs(&odd, &s("XYZ")).ok(), Some(vec![0x5958, 0x005A]));
    assert_eq!(
        crate::convert::decode_string(&[0x5958, 0x005A], 3, Badc)
            .ok()
            .as_deref(),
        Some("XYZ")
    );
}

proptest! {
    #[test]
    fn what_is_written_reads_back_as_the_same_value(
        v: u64,
        f in proptest::num::f64::NORMAL | proptest::num::f64::ZERO | proptest::num::f64::SUBNORMAL,
        order in 0usize..4,
    ) {
        let order = WordOrder::ALL[order];
        let u = regs(&holding(T::U64, order), &uint(v)).ok();
        prop_assert_eq!(u.and_then(|r| decode_registers(&r, T::U64, order, None).ok()), Some(Raw::Unsigned(v)));
        let i = v as i64;
        let r = regs(&holding(T::I64, order), &int(i)).ok();
        prop_assert_eq!(r.and_then(|r| decode_registers(&r, T::I64, order, None).ok()), Some(Raw::Signed(i)));
        let r = regs(&holding(T::U32, order), &uint(v & 0xFFFF_FFFF)).ok();
        prop_assert_eq!(r.and_then(|r| decode_registers(&r, T::U32, order, None).ok()), Some(Raw::Unsigned(v & 0xFFFF_FFFF)));
        let r = regs(&holding(T::F64, order), &float(f)).ok();
        prop_assert_eq!(r.and_then(|r| decode_registers(&r, T::F64, order, None).ok()), Some(Raw::Float(f)));
        let narrow = f as f32;
        if narrow.is_finite() {
            let r = regs(&holding(T::F32, order), &float(f)).ok();
            let back = r.and_then(|r| decode_registers(&r, T::F32, order, None).ok());
            prop_assert_eq!(back.map(|raw| match raw { Raw::Float(x) => x as f32, _ => f32::NAN }), Some(narrow));
        }
    }
}
