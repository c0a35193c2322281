//! Registers and bits to [`Value`]s: data types, word orders, scale and offset.
//!
//! Word orders follow [`WordOrder`]: the bytes `a b c d` of a big-endian value land in the registers
//! read in address order as named. Generalised: `cdab` and `dcba` reverse the register order,
//! `badc` and `dcba` swap the two bytes inside each register. For 16-bit types only the byte swap
//! applies; for strings `badc` and `dcba` swap the bytes of each register and registers stay in
//! address order. Everything here is pure.

use fieldbridge_core::config::{ModbusPoint, ModbusType, WordOrder};
use fieldbridge_core::point::{Quality, QualityFlag, QualityLevel, Value};

use crate::error::Error;

/// A value as the device holds it, before scale and offset.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// A bit.
    Bool(bool),
    /// A signed integer (`i16`, `i32`, `i64`).
    Signed(i64),
    /// An unsigned integer (`u16`, `u32`, `u64`).
    Unsigned(u64),
    /// A float (`f64`, or an `f32` as the `f64` nearest its shortest decimal form, see [`widen_f32`]).
    Float(f64),
    /// Text.
    Text(String),
}

/// An `f32` as the `f64` nearest to its shortest decimal representation: 1.1f32 becomes 1.1, not
/// 1.100000023841858. Consumers read JSON numbers as `f64`; this publishes what the device meant,
/// and converting the published number back to `f32` gives the identical `f32`.
pub fn widen_f32(v: f32) -> f64 {
    if !v.is_finite() {
        return f64::from(v);
    }
    v.to_string().parse::<f64>().unwrap_or(f64::from(v))
}

/// The bytes of a `string(n)` point: `n` bytes, two per register, high byte first (`badc`/`dcba`:
/// low byte first), cut at the first NUL, trailing spaces trimmed.
fn string_bytes(regs: &[u16], n: u16, order: WordOrder) -> Result<Vec<u8>, Error> {
    let needed = usize::from(n).div_ceil(2);
    let regs = regs.get(..needed).ok_or(Error::MissingData {
        needed,
        got: regs.len(),
    })?;
    let mut bytes: Vec<u8> = regs
        .iter()
        .flat_map(|&w| {
            if order.swaps_bytes() {
                w.to_le_bytes()
            } else {
                w.to_be_bytes()
            }
        })
        .take(usize::from(n))
        .collect();
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    while bytes.last() == Some(&b' ') {
        bytes.pop();
    }
    Ok(bytes)
}

/// The text of a `string(n)` point (see [`string_bytes`]); invalid UTF-8 is an error.
pub fn decode_string(regs: &[u16], n: u16, order: WordOrder) -> Result<String, Error> {
    String::from_utf8(string_bytes(regs, n, order)?).map_err(|_| Error::InvalidUtf8)
}

/// Decodes a register-table value. `bit` selects one bit (0 = least significant) of the first
/// register for `holding:N.bit` points.
pub fn decode_registers(
    regs: &[u16],
    ty: ModbusType,
    order: WordOrder,
    bit: Option<u8>,
) -> Result<Raw, Error> {
    let needed = if ty == ModbusType::Bool {
        1
    } else {
        usize::from(ty.registers())
    };
    if regs.len() < needed {
        return Err(Error::MissingData {
            needed,
            got: regs.len(),
        });
    }
    let r = &regs[..needed];
    Ok(match ty {
        ModbusType::Bool => match bit {
            Some(b) => Raw::Bool(r[0].checked_shr(u32::from(b)).unwrap_or(0) & 1 == 1),
            None => Raw::Bool(r[0] != 0),
        },
        ModbusType::U16 => Raw::Unsigned(order.assemble(r)),
        ModbusType::I16 => Raw::Signed(i64::from(order.assemble(r) as u16 as i16)),
        ModbusType::U32 => Raw::Unsigned(order.assemble(r)),
        ModbusType::I32 => Raw::Signed(i64::from(order.assemble(r) as u32 as i32)),
        ModbusType::U64 => Raw::Unsigned(order.assemble(r)),
        ModbusType::I64 => Raw::Signed(order.assemble(r) as i64),
        ModbusType::F32 => Raw::Float(widen_f32(f32::from_bits(order.assemble(r) as u32))),
        ModbusType::F64 => Raw::Float(f64::from_bits(order.assemble(r))),
        ModbusType::String(n) => Raw::Text(decode_string(r, n, order)?),
    })
}

/// Applies `value = raw × scale + offset`. With scale 1 and offset 0 integers stay integers
/// (`u64` above `i64::MAX` becomes [`Value::UInt`]); otherwise numbers become [`Value::Float`].
/// A NaN or infinite result is an error.
pub fn scale(raw: Raw, scale: f64, offset: f64) -> Result<Value, Error> {
    let identity = scale == 1.0 && offset == 0.0;
    let float = |x: f64| -> Result<Value, Error> {
        let v = if identity {
            x
        } else {
            round_15(x * scale + offset)
        };
        if v.is_finite() {
            Ok(Value::Float(v))
        } else {
            Err(Error::NotFinite(v))
        }
    };
    match raw {
        Raw::Bool(b) => Ok(Value::Bool(b)),
        Raw::Text(t) => Ok(Value::String(t)),
        Raw::Signed(i) if identity => Ok(Value::Int(i)),
        Raw::Unsigned(u) if identity => Ok(i64::try_from(u).map_or(Value::UInt(u), Value::Int)),
        Raw::Signed(i) => float(i as f64),
        Raw::Unsigned(u) => float(u as f64),
        Raw::Float(f) => float(f),
    }
}

/// Rounds to 15 significant digits, the precision an `f64` always holds, so that binary noise of
/// the multiplication does not reach the cloud: 20.3 × 1.8 + 32 is published as 68.54, not
/// 68.53999999999999.
fn round_15(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    format!("{v:.14e}").parse().unwrap_or(v)
}

/// A point's value and quality as decoded from one answer.
#[derive(Debug)]
pub struct Decoded {
    /// The value; after a decode error the best that can be shown (`null` for a NaN, the text with
    /// replacement characters for bad UTF-8).
    pub value: Value,
    /// Good, or bad with `decode_error`.
    pub quality: Quality,
    /// Why the quality is bad.
    pub error: Option<Error>,
}

impl Decoded {
    fn good(value: Value) -> Self {
        Decoded {
            value,
            quality: Quality::GOOD,
            error: None,
        }
    }

    fn bad(value: Value, error: Error) -> Self {
        Decoded {
            value,
            quality: Quality::new(QualityLevel::Bad, [QualityFlag::DecodeError]),
            error: Some(error),
        }
    }
}

/// Decodes a point from the registers starting at its own address.
pub fn decode_point_registers(point: &ModbusPoint, regs: &[u16]) -> Decoded {
    let raw = match decode_registers(regs, point.data_type, point.word_order, point.register.bit) {
        Ok(raw) => raw,
        Err(Error::InvalidUtf8) => {
            let n = match point.data_type {
                ModbusType::String(n) => n,
                _ => 0,
            };
            let bytes = string_bytes(regs, n, point.word_order).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            return Decoded::bad(Value::String(text), Error::InvalidUtf8);
        }
        Err(e) => return Decoded::bad(Value::Float(f64::NAN), e),
    };
    finish(point, raw)
}

/// Decodes a coil or discrete input point from its bit.
pub fn decode_point_bit(point: &ModbusPoint, bit: Option<bool>) -> Decoded {
    match bit {
        Some(b) => finish(point, Raw::Bool(b)),
        None => Decoded::bad(
            Value::Float(f64::NAN),
            Error::MissingData { needed: 1, got: 0 },
        ),
    }
}

fn finish(point: &ModbusPoint, raw: Raw) -> Decoded {
    match scale(raw, point.scale, point.offset) {
        Ok(v) => Decoded::good(v),
        Err(e @ Error::NotFinite(v)) => Decoded::bad(Value::Float(v), e),
        Err(e) => Decoded::bad(Value::Float(f64::NAN), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbridge_core::config::RegisterRef;
    use fieldbridge_core::point::ModbusTable;
    use proptest::prelude::*;

    use ModbusType as T;
    use WordOrder::{Abcd, Badc, Cdab, Dcba};

    fn dec(regs: &[u16], ty: ModbusType, order: WordOrder) -> Result<Raw, Error> {
        decode_registers(regs, ty, order, None)
    }

    /// The registers holding big-endian `bytes` in `order` (the inverse of the decoder, spelled out
    /// from the WordOrder documentation for 2 and 4 registers).
    fn encode(bytes: &[u8], order: WordOrder) -> Vec<u16> {
        let mut words: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        if order.reverses_registers() {
            words.reverse();
        }
        if order.swaps_bytes() {
            words.iter_mut().for_each(|w| *w = w.swap_bytes());
        }
        words
    }

    #[test]
    fn thirty_two_bit_word_orders_match_the_documented_byte_positions() {
        // 0x11223344: a=11 b=22 c=33 d=44.
        #[rustfmt::skip]
        let cases = [
            (Abcd, [0x1122, 0x3344]),
            (Cdab, [0x3344, 0x1122]),
            (Badc, [0x2211, 0x4433]),
            (Dcba, [0x4433, 0x2211]),
        ];
        for (order, regs) in cases {
            assert_eq!(
                dec(&regs, T::U32, order).ok(),
                Some(Raw::Unsigned(0x1122_3344)),
                "{order:?}"
            );
        }
    }

    #[test]
    fn sixty_four_bit_word_orders_generalise_to_four_registers() {
        // 0x1122334455667788: a..h.
        #[rustfmt::skip]
        let cases = [
            (Abcd, [0x1122, 0x3344, 0x5566, 0x7788]),
            (Cdab, [0x7788, 0x5566, 0x3344, 0x1122]),
            (Badc, [0x2211, 0x4433, 0x6655, 0x8877]),
            (Dcba, [0x8877, 0x6655, 0x4433, 0x2211]),
        ];
        for (order, regs) in cases {
            assert_eq!(
                dec(&regs, T::U64, order).ok(),
                Some(Raw::Unsigned(0x1122_3344_5566_7788)),
                "{order:?}"
            );
        }
    }

    #[test]
    fn sixteen_bit_types_swap_bytes_for_badc_and_dcba_only() {
        #[rustfmt::skip]
        let cases = [
            (Abcd, 0x1234),
            (Cdab, 0x1234),
            (Badc, 0x3412),
            (Dcba, 0x3412),
        ];
        for (order, expected) in cases {
            assert_eq!(
                dec(&[0x1234], T::U16, order).ok(),
                Some(Raw::Unsigned(expected)),
                "{order:?}"
            );
        }
    }

    #[test]
    fn every_type_decodes_its_reference_value() {
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<u16>, ModbusType, WordOrder, Raw)> = vec![
            ("u16 max", vec![0xFFFF], T::U16, Abcd, Raw::Unsigned(65535)),
            ("i16 minus one", vec![0xFFFF], T::I16, Abcd, Raw::Signed(-1)),
            ("i16 minimum", vec![0x8000], T::I16, Abcd, Raw::Signed(-32768)),
            ("i16 byte swapped", vec![0xFEFF], T::I16, Badc, Raw::Signed(-2)),
            ("u32 above i32", vec![0xFFFF, 0xFFFE], T::U32, Abcd, Raw::Unsigned(0xFFFF_FFFE)),
            ("i32 negative", vec![0xFFFF, 0xFFFE], T::I32, Abcd, Raw::Signed(-2)),
            ("i32 word swapped", vec![0xFFFE, 0xFFFF], T::I32, Cdab, Raw::Signed(-2)),
            ("i64 minimum", vec![0x8000, 0, 0, 0], T::I64, Abcd, Raw::Signed(i64::MIN)),
            ("i64 little endian", vec![0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF], T::I64, Dcba, Raw::Signed(-1)),
            ("u64 max", vec![0xFFFF; 4], T::U64, Abcd, Raw::Unsigned(u64::MAX)),
            ("f32 1.5", vec![0x3FC0, 0x0000], T::F32, Abcd, Raw::Float(1.5)),
            ("f32 word swapped", vec![0x0000, 0x3FC0], T::F32, Cdab, Raw::Float(1.5)),
            ("f32 keeps its shortest decimal form", vec![0x3F8C, 0xCCCD], T::F32, Abcd, Raw::Float(1.1)),
            ("f32 negative", vec![0xC2F6, 0xE979], T::F32, Abcd, Raw::Float(-123.456)),
            ("f64 pi", vec![0x4009, 0x21FB, 0x5444, 0x2D18], T::F64, Abcd, Raw::Float(std::f64::consts::PI)),
            ("f64 pi word swapped", vec![0x2D18, 0x5444, 0x21FB, 0x4009], T::F64, Cdab, Raw::Float(std::f64::consts::PI)),
            ("bool register nonzero", vec![0x0100], T::Bool, Abcd, Raw::Bool(true)),
            ("extra registers are ignored", vec![7, 8, 9], T::U16, Abcd, Raw::Unsigned(7)),
        ];
        for (name, regs, ty, order, expected) in cases {
            assert_eq!(dec(&regs, ty, order).ok(), Some(expected), "{name}");
        }
    }

    #[test]
    fn register_bits_count_from_the_least_significant_bit() {
        for (bit, expected) in [(0, true), (1, false), (3, true), (15, true), (14, false)] {
            let raw = decode_registers(&[0b1000_0000_0000_1001], T::Bool, Abcd, Some(bit)).ok();
            assert_eq!(raw, Some(Raw::Bool(expected)), "bit {bit}");
        }
    }

    #[test]
    fn strings_read_high_byte_first_and_trim_padding() {
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<u16>, u16, WordOrder, &str)> = vec![
            ("plain", vec![0x4142, 0x4344], 4, Abcd, "ABCD"),
            ("odd length takes the high byte of the last register", vec![0x4142, 0x4344], 3, Abcd, "ABC"),
            ("trailing spaces are trimmed", vec![0x4142, 0x2020], 4, Abcd, "AB"),
            ("the text ends at the first NUL", vec![0x4100, 0x4344], 4, Abcd, "A"),
            ("leading spaces are kept", vec![0x2041, 0x0000], 4, Abcd, " A"),
            ("badc swaps the bytes of each register", vec![0x4241, 0x4443], 4, Badc, "ABCD"),
            ("dcba swaps the bytes of each register", vec![0x4241, 0x4443], 4, Dcba, "ABCD"),
            ("cdab leaves strings alone", vec![0x4142, 0x4344], 4, Cdab, "ABCD"),
            ("utf-8 across registers", vec![0xC3A9, 0x0000], 4, Abcd, "é"),
            ("all padding is empty", vec![0x0000, 0x2020], 4, Abcd, ""),
        ];
        for (name, regs, n, order, expected) in cases {
            assert_eq!(
                decode_string(&regs, n, order).ok().as_deref(),
                Some(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn invalid_utf8_and_short_input_are_errors() {
        assert!(matches!(
            decode_string(&[0xFF41], 2, Abcd),
            Err(Error::InvalidUtf8)
        ));
        assert!(matches!(
            decode_string(&[0x4141], 4, Abcd),
            Err(Error::MissingData { needed: 2, got: 1 })
        ));
        assert!(matches!(
            dec(&[1], T::F64, Abcd),
            Err(Error::MissingData { needed: 4, got: 1 })
        ));
    }

    #[test]
    fn scale_and_offset_turn_integers_into_floats_only_when_they_change_something() {
        #[rustfmt::skip]
        let cases: Vec<(&str, Raw, f64, f64, Value)> = vec![
            ("identity keeps signed", Raw::Signed(-5), 1.0, 0.0, Value::Int(-5)),
            ("identity keeps unsigned", Raw::Unsigned(7), 1.0, 0.0, Value::Int(7)),
            ("i64::MAX is still Int", Raw::Unsigned(i64::MAX as u64), 1.0, 0.0, Value::Int(i64::MAX)),
            ("u64 beyond i64 is UInt", Raw::Unsigned(u64::MAX), 1.0, 0.0, Value::UInt(u64::MAX)),
            ("scale makes a float", Raw::Signed(123), 0.5, 0.0, Value::Float(61.5)),
            ("offset makes a float", Raw::Unsigned(10), 1.0, -20.0, Value::Float(-10.0)),
            ("both apply scale first", Raw::Signed(4), 2.5, 1.0, Value::Float(11.0)),
            ("floats are scaled", Raw::Float(1.5), 2.0, 0.0, Value::Float(3.0)),
            ("binary noise is rounded away", Raw::Float(20.3), 1.8, 32.0, Value::Float(68.54)),
            ("tenths stay tenths", Raw::Signed(1234), 0.1, 0.0, Value::Float(123.4)),
            ("identity float unchanged", Raw::Float(-0.25), 1.0, 0.0, Value::Float(-0.25)),
            ("bools ignore scale", Raw::Bool(true), 3.0, 1.0, Value::Bool(true)),
            ("text ignores scale", Raw::Text("x".into()), 3.0, 1.0, Value::String("x".into())),
        ];
        for (name, raw, s, o, expected) in cases {
            assert_eq!(scale(raw, s, o).ok(), Some(expected), "{name}");
        }
    }

    #[test]
    fn non_finite_values_are_errors_before_or_after_scaling() {
        assert!(matches!(
            scale(Raw::Float(f64::NAN), 1.0, 0.0),
            Err(Error::NotFinite(_))
        ));
        assert!(matches!(
            scale(Raw::Float(f64::INFINITY), 1.0, 0.0),
            Err(Error::NotFinite(_))
        ));
        assert!(matches!(
            scale(Raw::Float(f64::MAX), 10.0, 0.0),
            Err(Error::NotFinite(_))
        ));
    }

    fn point(ty: ModbusType, order: WordOrder) -> ModbusPoint {
        let register = RegisterRef {
            table: ModbusTable::Holding,
            address: 0,
            bit: None,
        };
        ModbusPoint {
            word_order: order,
            ..ModbusPoint::new("p", register, ty)
        }
    }

    #[test]
    fn a_nan_float_point_is_bad_with_decode_error() {
        let d = decode_point_registers(&point(T::F32, Abcd), &[0x7FC0, 0x0000]);
        assert_eq!(d.quality.level, QualityLevel::Bad);
        assert!(d.quality.flags.contains(QualityFlag::DecodeError));
        assert!(matches!(d.value, Value::Float(f) if f.is_nan()));
        let inf = decode_point_registers(&point(T::F32, Abcd), &[0x7F80, 0x0000]);
        assert!(inf.quality.flags.contains(QualityFlag::DecodeError));
    }

    #[test]
    fn a_string_point_with_bad_utf8_is_bad_with_decode_error_and_shows_the_text() {
        let d = decode_point_registers(&point(T::String(4), Abcd), &[0x41FF, 0x2020]);
        assert!(d.quality.flags.contains(QualityFlag::DecodeError));
        assert_eq!(d.value, Value::String("A\u{FFFD}".into()));
    }

    #[test]
    fn a_good_point_has_good_quality() {
        let mut p = point(T::I16, Abcd);
        p.scale = 0.1;
        let d = decode_point_registers(&p, &[0xFFF6]);
        assert_eq!(d.quality, Quality::GOOD);
        assert_eq!(d.value, Value::Float(-1.0));
        assert_eq!(
            decode_point_bit(&point(T::Bool, Abcd), Some(true)).value,
            Value::Bool(true)
        );
    }

    fn arb_order() -> impl Strategy<Value = WordOrder> {
        prop_oneof![Just(Abcd), Just(Cdab), Just(Badc), Just(Dcba)]
    }

    proptest! {
        #[test]
        fn u32_and_i32_round_trip_in_every_word_order(v: u32, order in arb_order()) {
            let regs = encode(&v.to_be_bytes(), order);
            prop_assert_eq!(dec(&regs, T::U32, order).ok(), Some(Raw::Unsigned(u64::from(v))));
            prop_assert_eq!(dec(&regs, T::I32, order).ok(), Some(Raw::Signed(i64::from(v as i32))));
        }

        #[test]
        fn u64_and_i64_round_trip_in_every_word_order(v: u64, order in arb_order()) {
            let regs = encode(&v.to_be_bytes(), order);
            prop_assert_eq!(dec(&regs, T::U64, order).ok(), Some(Raw::Unsigned(v)));
            prop_assert_eq!(dec(&regs, T::I64, order).ok(), Some(Raw::Signed(v as i64)));
        }

        #[test]
        fn f64_round_trips_bit_exactly_in_every_word_order(v: f64, order in arb_order()) {
            let regs = encode(&v.to_be_bytes(), order);
            match dec(&regs, T::F64, order) {
                Ok(Raw::Float(f)) => prop_assert!(f.to_bits() == v.to_bits() || (f.is_nan() && v.is_nan())),
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn scaling_never_moves_a_value_by_more_than_its_last_significant_digit(raw in -1.0e9f64..1.0e9, scale in 0.001f64..1000.0, offset in -100.0f64..100.0) {
            match super::scale(Raw::Float(raw), scale, offset) {
                Ok(Value::Float(v)) => {
                    let exact = raw * scale + offset;
                    prop_assert!((v - exact).abs() <= exact.abs() * 1e-14 + 1e-300, "{v} vs {exact}");
                }
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn f32_converts_back_to_the_identical_f32_in_every_word_order(v: f32, order in arb_order()) {
            let regs = encode(&v.to_be_bytes(), order);
            match dec(&regs, T::F32, order) {
                Ok(Raw::Float(f)) if v.is_nan() => prop_assert!(f.is_nan()),
                Ok(Raw::Float(f)) => prop_assert_eq!((f as f32).to_bits(), v.to_bits()),
                other => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn i16_round_trips_in_every_word_order(v: i16, order in arb_order()) {
            let mut w = v as u16;
            if order.swaps_bytes() { w = w.swap_bytes(); }
            prop_assert_eq!(dec(&[w], T::I16, order).ok(), Some(Raw::Signed(i64::from(v))));
        }

        #[test]
        fn ascii_strings_round_trip_modulo_trailing_padding(s in "[ -~]{0,20}", order in arb_order()) {
            let n = 20u16;
            let mut bytes = s.clone().into_bytes();
            bytes.resize(20, 0);
            let mut regs: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            if order.swaps_bytes() { regs.iter_mut().for_each(|w| *w = w.swap_bytes()); }
            prop_assert_eq!(decode_string(&regs, n, order).ok(), Some(s.trim_end_matches(' ').to_owned()));
        }

        #[test]
        fn decoding_never_panics_on_any_registers(
            regs in proptest::collection::vec(any::<u16>(), 0..8),
            n in 1u16..20,
            bit in proptest::option::of(0u8..16),
            order in arb_order(),
        ) {
            for ty in [T::Bool, T::U16, T::I16, T::U32, T::I32, T::U64, T::I64, T::F32, T::F64, T::String(n)] {
                let _ = decode_registers(&regs, ty, order, bit);
                let _ = decode_point_registers(&point(ty, order), &regs);
            }
        }
    }

    #[test]
    fn invalid_utf8_is_shown_lossily_but_cut_at_the_first_nul_like_valid_text() {
        // "\xFFA" then NUL then "B": the text ends at the NUL on both paths.
        let d = decode_point_registers(&point(T::String(4), Abcd), &[0xFF41, 0x0042]);
        assert_eq!(d.value, Value::String("\u{FFFD}A".into()));
        assert_eq!(d.quality.level, fieldbridge_core::point::QualityLevel::Bad);
    }
}
