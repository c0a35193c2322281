//! Command values to registers and bits: the write direction of [`convert`](crate::convert).
//!
//! A [`CommandValue`] is checked against the point's type and limits and turned into what goes on
//! the wire, before anything is sent:
//!
//! - `bool` points (coils and `holding:N.bit`) take JSON `true`/`false` only;
//! - numeric points take JSON numbers only; the point's `min`/`max` apply to the engineering value
//!   the sender gave; the raw value is `(value - offset) / scale`, rounded to the nearest integer
//!   for integer types, and must be finite and fit the type (with scale 1 and offset 0 integers are
//!   taken exactly, beyond 2^53 too);
//! - `string(N)` points take a JSON string of at most `N` bytes, padded with NUL.
//!
//! Registers come out in the point's word order through [`WordOrder::split`], the inverse of the
//! [`WordOrder::assemble`] the read direction uses, so a value written and read back decodes to
//! itself. Everything here is pure.

use fieldbridge_core::command::CommandValue;
use fieldbridge_core::config::{ModbusPoint, ModbusType, WordOrder};
use fieldbridge_core::point::ModbusTable;

/// What to write for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encoded {
    /// One coil.
    Coil(bool),
    /// One bit of a holding register (0 = least significant); the other bits must stay as they are.
    RegisterBit {
        /// The bit.
        bit: u8,
        /// Its new state.
        value: bool,
    },
    /// Holding registers from the point's address, in address order.
    Registers(Vec<u16>),
}

/// Why a command value cannot be written to a point. The text is the reason of a `refused` result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The JSON type does not match the point's type.
    #[error("{} {ty} point takes {expected}, not a JSON {got}", article(ty))]
    WrongType {
        /// The point's type, as configured (`u16`, `string(8)`, ...).
        ty: String,
        /// What it takes (`a JSON number`, ...).
        expected: &'static str,
        /// The JSON type received (`bool`, `number`, `string`).
        got: &'static str,
    },
    /// The value is below the point's configured `min`.
    #[error("value {value} is below the minimum {min} configured for this {ty} point")]
    BelowMin {
        /// The value sent.
        value: String,
        /// The configured limit.
        min: f64,
        /// The point's type.
        ty: String,
    },
    /// The value is above the point's configured `max`.
    #[error("value {value} is above the maximum {max} configured for this {ty} point")]
    AboveMax {
        /// The value sent.
        value: String,
        /// The configured limit.
        max: f64,
        /// The point's type.
        ty: String,
    },
    /// The raw value, after scale and offset were reversed, is NaN or infinite.
    #[error("value {value} gives a raw value that is not finite ({raw}) for this {ty} point")]
    NotFinite {
        /// The value sent.
        value: String,
        /// The raw value computed.
        raw: f64,
        /// The point's type.
        ty: String,
    },
    /// The raw value does not fit the point's type.
    #[error("{} does not fit {ty} ({range})", describe_raw(value, raw.as_deref()))]
    OutOfRange {
        /// The value sent.
        value: String,
        /// The raw value, when scale or offset changed it.
        raw: Option<String>,
        /// The point's type.
        ty: String,
        /// The range of the type (`0 to 65535`).
        range: &'static str,
    },
    /// A string longer than the point holds.
    #[error("a string of {len} bytes does not fit {ty} (at most {max} bytes)")]
    TooLong {
        /// Bytes in the UTF-8 text sent.
        len: usize,
        /// Bytes the point holds.
        max: u16,
        /// The point's type.
        ty: String,
    },
    /// A point of a table Modbus cannot write (discrete inputs, input registers: Modbus
    /// Application Protocol V1.1b3 §4.3), or a type the table cannot hold.
    #[error("{0}")]
    NotWritable(String),
}

/// "an" before the types read with a vowel sound (`f32` "eff", `i16` "eye"), else "a".
fn article(ty: &str) -> &'static str {
    if ty.starts_with(['f', 'i']) {
        "an"
    } else {
        "a"
    }
}

fn describe_raw(value: &str, raw: Option<&str>) -> String {
    match raw {
        Some(raw) => format!("value {value} (raw value {raw} after scale and offset)"),
        None => format!("value {value}"),
    }
}

/// The range of an integer type, for reasons.
fn range_text(ty: ModbusType) -> &'static str {
    match ty {
        ModbusType::U16 => "0 to 65535",
        ModbusType::I16 => "-32768 to 32767",
        ModbusType::U32 => "0 to 4294967295",
        ModbusType::I32 => "-2147483648 to 2147483647",
        ModbusType::U64 => "0 to 18446744073709551615",
        ModbusType::I64 => "-9223372036854775808 to 9223372036854775807",
        ModbusType::F32 => "finite f32, magnitude at most 3.4028235e38",
        _ => "",
    }
}

/// The inclusive bounds of an integer type.
fn int_bounds(ty: ModbusType) -> Option<(i128, i128)> {
    Some(match ty {
        ModbusType::U16 => (0, i128::from(u16::MAX)),
        ModbusType::I16 => (i128::from(i16::MIN), i128::from(i16::MAX)),
        ModbusType::U32 => (0, i128::from(u32::MAX)),
        ModbusType::I32 => (i128::from(i32::MIN), i128::from(i32::MAX)),
        ModbusType::U64 => (0, i128::from(u64::MAX)),
        ModbusType::I64 => (i128::from(i64::MIN), i128::from(i64::MAX)),
        _ => return None,
    })
}

/// The registers holding the low `16 × n` bits of `bits` in `order` (`n` = 1, 2 or 4).
fn split(bits: u64, n: usize, order: WordOrder) -> Vec<u16> {
    let mut out = vec![0u16; n];
    order.split(bits, &mut out);
    out
}

/// Checks `value` against `point` and returns what to write (see the module documentation).
pub fn encode(point: &ModbusPoint, value: &CommandValue) -> Result<Encoded, EncodeError> {
    let ty = point.data_type;
    let r = point.register;
    if matches!(r.table, ModbusTable::Discrete | ModbusTable::Input) {
        return Err(EncodeError::NotWritable(format!(
            "{} is read-only in Modbus",
            r.table.as_str()
        )));
    }
    let wrong = |expected| EncodeError::WrongType {
        ty: ty.name(),
        expected,
        got: value.kind(),
    };
    match ty {
        ModbusType::Bool => {
            let CommandValue::Bool(b) = value else {
                return Err(wrong("a JSON bool (true or false)"));
            };
            match (r.table, r.bit) {
                (ModbusTable::Coil, _) => Ok(Encoded::Coil(*b)),
                (ModbusTable::Holding, Some(bit)) if bit < 16 => {
                    Ok(Encoded::RegisterBit { bit, value: *b })
                }
                _ => Err(EncodeError::NotWritable(
                    "a bool point must be a coil or a holding register bit".into(),
                )),
            }
        }
        ModbusType::String(n) => {
            let CommandValue::String(s) = value else {
                return Err(wrong("a JSON string"));
            };
            if r.table != ModbusTable::Holding {
                return Err(EncodeError::NotWritable(
                    "a string point must be in holding registers".into(),
                ));
            }
            encode_string(s, n, point.word_order).map(Encoded::Registers)
        }
        _ => {
            let CommandValue::Number(number) = value else {
                return Err(wrong("a JSON number"));
            };
            if r.table != ModbusTable::Holding || r.bit.is_some() {
                return Err(EncodeError::NotWritable(
                    "a numeric point must be in holding registers".into(),
                ));
            }
            encode_number(point, number).map(Encoded::Registers)
        }
    }
}

/// The registers of `text` in a `string(n)` point: two bytes per register, high byte first
/// (`badc`/`dcba`: low byte first, as [`WordOrder::split`] swaps them), NUL padded.
pub fn encode_string(text: &str, n: u16, order: WordOrder) -> Result<Vec<u16>, EncodeError> {
    let bytes = text.as_bytes();
    if bytes.len() > usize::from(n) {
        return Err(EncodeError::TooLong {
            len: bytes.len(),
            max: n,
            ty: ModbusType::String(n).name(),
        });
    }
    let registers = usize::from(n).div_ceil(2);
    let mut padded = bytes.to_vec();
    padded.resize(registers * 2, 0);
    Ok(padded
        .chunks_exact(2)
        .flat_map(|pair| split(u64::from(u16::from_be_bytes([pair[0], pair[1]])), 1, order))
        .collect())
}

/// The registers of a numeric command value (see the module documentation).
fn encode_number(
    point: &ModbusPoint,
    number: &serde_json::Number,
) -> Result<Vec<u16>, EncodeError> {
    let ty = point.data_type;
    let shown = number.to_string();
    // `as_f64` is always Some for a Number without arbitrary precision; a Number that is neither
    // cannot come from JSON.
    let Some(engineering) = number.as_f64() else {
        return Err(EncodeError::NotFinite {
            value: shown,
            raw: f64::NAN,
            ty: ty.name(),
        });
    };
    if let Some(min) = point.min {
        if engineering < min {
            return Err(EncodeError::BelowMin {
                value: shown,
                min,
                ty: ty.name(),
            });
        }
    }
    if let Some(max) = point.max {
        if engineering > max {
            return Err(EncodeError::AboveMax {
                value: shown,
                max,
                ty: ty.name(),
            });
        }
    }
    let identity = point.scale == 1.0 && point.offset == 0.0;
    let raw = if identity {
        engineering
    } else {
        (engineering - point.offset) / point.scale
    };
    if !raw.is_finite() {
        return Err(EncodeError::NotFinite {
            value: shown,
            raw,
            ty: ty.name(),
        });
    }
    let out_of_range = |raw_text: Option<String>| EncodeError::OutOfRange {
        value: number.to_string(),
        raw: raw_text,
        ty: ty.name(),
        range: range_text(ty),
    };
    let order = point.word_order;
    match ty {
        ModbusType::F32 => {
            let f = raw as f32;
            if !f.is_finite() {
                return Err(out_of_range((!identity).then(|| raw.to_string())));
            }
            Ok(split(u64::from(f.to_bits()), 2, order))
        }
        ModbusType::F64 => Ok(split(raw.to_bits(), 4, order)),
        _ => {
            let Some((lo, hi)) = int_bounds(ty) else {
                return Err(EncodeError::NotWritable(format!(
                    "{} points cannot be written",
                    ty.name()
                )));
            };
            // Exact integers when nothing changes them; otherwise the nearest integer.
            let exact = if identity {
                number
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| number.as_u64().map(i128::from))
            } else {
                None
            };
            let (int, raw_text) = match exact {
                Some(i) => (i, None),
                None => {
                    let rounded = raw.round();
                    let raw_text = (!identity).then(|| rounded.to_string());
                    // 2^127 bounds every 64-bit type with room; `as` saturates beyond it.
                    if rounded.abs() >= 1.7e38 {
                        return Err(out_of_range(raw_text));
                    }
                    (rounded as i128, raw_text)
                }
            };
            if int < lo || int > hi {
                return Err(out_of_range(raw_text));
            }
            // In range: the two's complement bits of the type, truncated to its width by `split`.
            let bits = int as u64;
            Ok(split(bits, usize::from(ty.registers()), order))
        }
    }
}

#[cfg(test)]
#[path = "encode_tests.rs"]
mod tests;
