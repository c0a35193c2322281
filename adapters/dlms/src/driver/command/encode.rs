//! A command's JSON value as the A-XDR value of a SET (IEC 62056-6-2 clause 4.1.5): in the type
//! the attribute holds, learnt by reading it first, with a register's scaler_unit applied in
//! reverse (clause 4.3.2: value = raw × 10^scaler, so raw = value × 10^−scaler).
//!
//! Scaling is exact: a JSON number is taken as the decimal it was written as (`230.15` is
//! 23015 × 10^−2, not the nearest double), so a value that is not a whole number of the
//! register's steps is refused rather than rounded, and a value that does not fit the type is
//! refused with the type's range.
//!
//! | attribute type | JSON value |
//! | --- | --- |
//! | integer, long, double-long, long64, unsigned, long-unsigned, double-long-unsigned, long64-unsigned | a number, an integer after the scaler |
//! | enum | a number 0 to 255 |
//! | float32, float64 | a number, the scaler applied |
//! | boolean | `true` / `false` |
//! | visible-string | a string of printable ASCII |
//! | utf8-string | a string |
//! | octet-string | a string: its UTF-8 octets, or `"0x"` and hex digits for any octets |
//!
//! Any other type (structures, arrays, dates, bit-strings, bcd, ...) is refused.

use fieldbridge_core::command::CommandValue;
use fieldbridge_dlms::axdr::Data;

/// Why a command's value cannot be written to the attribute, in the sender's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ValueError {
    /// The JSON type does not suit the attribute's type.
    #[error("expected {expected} for a {data_type} attribute, got {found}")]
    WrongKind {
        /// What the attribute takes.
        expected: &'static str,
        /// The attribute's A-XDR type.
        data_type: &'static str,
        /// The JSON type sent.
        found: &'static str,
    },
    /// An attribute type commands do not write.
    #[error("a {0} attribute is not written by commands (numbers, booleans and strings are)")]
    Unsupported(&'static str),
    /// The value, the register's scaler reversed, is not an integer.
    #[error("value {value} with scaler {scaler} gives {raw}, not an integer as {data_type} needs")]
    NotWhole {
        /// The value as sent.
        value: String,
        /// The register's scaler.
        scaler: i8,
        /// The raw value it gives.
        raw: String,
        /// The attribute's type.
        data_type: &'static str,
    },
    /// The raw value is outside the type's range.
    #[error("value {value}{scaled} does not fit {data_type} ({min} to {max})")]
    DoesNotFit {
        /// The value as sent.
        value: String,
        /// `" (raw R with scaler S)"` when a scaler applies, else empty.
        scaled: String,
        /// The attribute's type.
        data_type: &'static str,
        /// The type's least value.
        min: String,
        /// The type's greatest value.
        max: String,
    },
    /// A string that the string type cannot hold.
    #[error("{0}")]
    BadText(String),
}

/// The A-XDR value that writes `value` to an attribute whose current value is `current`, with
/// a register's `scaler` applied in reverse.
///
/// # Errors
/// A [`ValueError`] naming the type and what was expected; nothing is to be sent then.
pub(crate) fn to_data(
    value: &CommandValue,
    current: &Data,
    scaler: Option<i8>,
) -> Result<Data, ValueError> {
    let data_type = current.data_type().name();
    let wrong = |expected| ValueError::WrongKind {
        expected,
        data_type,
        found: value.kind(),
    };
    match current {
        Data::Boolean(_) => match value {
            CommandValue::Bool(b) => Ok(Data::Boolean(*b)),
            _ => Err(wrong("true or false")),
        },
        Data::Float32(_) | Data::Float64(_) => {
            let CommandValue::Number(n) = value else {
                return Err(wrong("a number"));
            };
            let raw = unscale_float(n.as_f64().unwrap_or(f64::NAN), scaler.unwrap_or(0));
            match current {
                Data::Float32(_) if raw.is_finite() && raw.abs() <= f64::from(f32::MAX) => {
                    Ok(Data::Float32(raw as f32))
                }
                Data::Float64(_) if raw.is_finite() => Ok(Data::Float64(raw)),
                _ => Err(ValueError::DoesNotFit {
                    value: n.to_string(),
                    scaled: scaled_note(raw.to_string(), scaler),
                    data_type,
                    min: if matches!(current, Data::Float32(_)) {
                        f32::MIN.to_string()
                    } else {
                        f64::MIN.to_string()
                    },
                    max: if matches!(current, Data::Float32(_)) {
                        f32::MAX.to_string()
                    } else {
                        f64::MAX.to_string()
                    },
                }),
            }
        }
        Data::VisibleString(_) | Data::Utf8String(_) | Data::OctetString(_) => {
            let CommandValue::String(text) = value else {
                return Err(wrong("a string"));
            };
            text_data(current, text)
        }
        _ => match IntegerType::of(current) {
            Some(kind) => {
                let CommandValue::Number(n) = value else {
                    return Err(wrong("a number"));
                };
                integer_data(kind, &n.to_string(), scaler, data_type)
            }
            None => Err(ValueError::Unsupported(data_type)),
        },
    }
}

/// The integer types and their ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IntegerType {
    Integer,
    Long,
    DoubleLong,
    Long64,
    Unsigned,
    LongUnsigned,
    DoubleLongUnsigned,
    Long64Unsigned,
    Enum,
}

impl IntegerType {
    fn of(data: &Data) -> Option<Self> {
        Some(match data {
            Data::Integer(_) => IntegerType::Integer,
            Data::Long(_) => IntegerType::Long,
            Data::DoubleLong(_) => IntegerType::DoubleLong,
            Data::Long64(_) => IntegerType::Long64,
            Data::Unsigned(_) => IntegerType::Unsigned,
            Data::LongUnsigned(_) => IntegerType::LongUnsigned,
            Data::DoubleLongUnsigned(_) => IntegerType::DoubleLongUnsigned,
            Data::Long64Unsigned(_) => IntegerType::Long64Unsigned,
            Data::Enum(_) => IntegerType::Enum,
            _ => return None,
        })
    }

    fn range(self) -> (i128, i128) {
        match self {
            IntegerType::Integer => (i8::MIN.into(), i8::MAX.into()),
            IntegerType::Long => (i16::MIN.into(), i16::MAX.into()),
            IntegerType::DoubleLong => (i32::MIN.into(), i32::MAX.into()),
            IntegerType::Long64 => (i64::MIN.into(), i64::MAX.into()),
            IntegerType::Unsigned | IntegerType::Enum => (0, u8::MAX.into()),
            IntegerType::LongUnsigned => (0, u16::MAX.into()),
            IntegerType::DoubleLongUnsigned => (0, u32::MAX.into()),
            IntegerType::Long64Unsigned => (0, u64::MAX.into()),
        }
    }

    /// The value as this type, once it is known to be in range.
    fn data(self, raw: i128) -> Option<Data> {
        Some(match self {
            IntegerType::Integer => Data::Integer(i8::try_from(raw).ok()?),
            IntegerType::Long => Data::Long(i16::try_from(raw).ok()?),
            IntegerType::DoubleLong => Data::DoubleLong(i32::try_from(raw).ok()?),
            IntegerType::Long64 => Data::Long64(i64::try_from(raw).ok()?),
            IntegerType::Unsigned => Data::Unsigned(u8::try_from(raw).ok()?),
            IntegerType::Enum => Data::Enum(u8::try_from(raw).ok()?),
            IntegerType::LongUnsigned => Data::LongUnsigned(u16::try_from(raw).ok()?),
            IntegerType::DoubleLongUnsigned => Data::DoubleLongUnsigned(u32::try_from(raw).ok()?),
            IntegerType::Long64Unsigned => Data::Long64Unsigned(u64::try_from(raw).ok()?),
        })
    }
}

/// An integer attribute's value from the decimal `text` of a JSON number.
fn integer_data(
    kind: IntegerType,
    text: &str,
    scaler: Option<i8>,
    data_type: &'static str,
) -> Result<Data, ValueError> {
    let scaler = scaler.unwrap_or(0);
    let (min, max) = kind.range();
    let does_not_fit = |raw: String| ValueError::DoesNotFit {
        value: text.to_owned(),
        scaled: if scaler == 0 {
            String::new()
        } else {
            scaled_note(raw, Some(scaler))
        },
        data_type,
        min: min.to_string(),
        max: max.to_string(),
    };
    let Some(decimal) = Decimal::parse(text) else {
        return Err(does_not_fit(text.to_owned()));
    };
    let shifted = decimal.shifted(-i32::from(scaler));
    let raw = match shifted.integer() {
        Whole::Integer(raw) => raw,
        Whole::Fraction => {
            return Err(ValueError::NotWhole {
                value: text.to_owned(),
                scaler,
                raw: shifted.to_string(),
                data_type,
            })
        }
        Whole::TooLarge => return Err(does_not_fit(shifted.to_string())),
    };
    if raw < min || raw > max {
        return Err(does_not_fit(raw.to_string()));
    }
    kind.data(raw).ok_or_else(|| does_not_fit(raw.to_string()))
}

/// `" (raw R with scaler S)"`.
fn scaled_note(raw: String, scaler: Option<i8>) -> String {
    match scaler {
        Some(s) if s != 0 => format!(" (raw {raw} with scaler {s})"),
        _ => String::new(),
    }
}

/// value × 10^−scaler, the inverse of [`crate::convert::ScalerUnit::apply`].
fn unscale_float(value: f64, scaler: i8) -> f64 {
    let power = 10f64.powi(i32::from(scaler.unsigned_abs()));
    match scaler {
        0 => value,
        s if s < 0 => value * power,
        _ => value / power,
    }
}

/// A string attribute's value.
fn text_data(current: &Data, text: &str) -> Result<Data, ValueError> {
    match current {
        Data::VisibleString(_) => {
            if text.bytes().all(|b| (0x20..0x7F).contains(&b)) {
                Ok(Data::VisibleString(text.as_bytes().to_vec()))
            } else {
                Err(ValueError::BadText(
                    "a visible-string holds printable ASCII only".to_owned(),
                ))
            }
        }
        Data::Utf8String(_) => Ok(Data::Utf8String(text.as_bytes().to_vec())),
        _ => match text.strip_prefix("0x") {
            Some(hex) => octets_from_hex(hex).map(Data::OctetString),
            None => Ok(Data::OctetString(text.as_bytes().to_vec())),
        },
    }
}

fn octets_from_hex(hex: &str) -> Result<Vec<u8>, ValueError> {
    let bad = || {
        ValueError::BadText(format!(
            "\"0x{hex}\" is not an even number of hex digits (octet-strings take text, or 0x and hex)"
        ))
    };
    if !hex.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// A decimal number: `digits` × 10^`exponent`, negative or not. `digits` has no leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i32,
}

/// Whether a decimal is an integer.
enum Whole {
    Integer(i128),
    Fraction,
    TooLarge,
}

impl Decimal {
    /// Parses a JSON number's text: `-?digits(.digits)?([eE][+-]?digits)?`.
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => {
                let exponent: i32 = rest.get(at + 1..)?.parse().ok()?;
                (rest.get(..at)?, exponent)
            }
            None => (rest, 0),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((w, f)) => (w, f),
            None => (mantissa, ""),
        };
        if whole.is_empty()
            || !whole
                .bytes()
                .chain(fraction.bytes())
                .all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let fraction_len = i32::try_from(fraction.len()).ok()?;
        let digits = format!("{whole}{fraction}")
            .trim_start_matches('0')
            .to_owned();
        Some(Decimal {
            negative: negative && !digits.is_empty(),
            digits,
            exponent: exponent.checked_sub(fraction_len)?,
        })
    }

    /// The number × 10^`by`.
    fn shifted(&self, by: i32) -> Decimal {
        Decimal {
            exponent: self.exponent.saturating_add(by),
            ..self.clone()
        }
    }

    /// The number as an integer, when it is one and fits 38 digits.
    fn integer(&self) -> Whole {
        let mut digits = self.digits.clone();
        if self.exponent < 0 {
            let drop = usize::try_from(self.exponent.unsigned_abs()).unwrap_or(usize::MAX);
            let keep = digits.len().saturating_sub(drop);
            if digits
                .get(keep..)
                .is_some_and(|t| t.bytes().any(|b| b != b'0'))
            {
                return Whole::Fraction;
            }
            digits.truncate(keep);
        } else if !digits.is_empty() {
            let zeros = usize::try_from(self.exponent).unwrap_or(usize::MAX);
            if digits.len().saturating_add(zeros) > 38 {
                return Whole::TooLarge;
            }
            digits.push_str(&"0".repeat(zeros));
        }
        if digits.len() > 38 {
            return Whole::TooLarge;
        }
        let magnitude: i128 = if digits.is_empty() {
            0
        } else {
            match digits.parse() {
                Ok(m) => m,
                Err(_) => return Whole::TooLarge,
            }
        };
        Whole::Integer(if self.negative { -magnitude } else { magnitude })
    }
}

impl std::fmt::Display for Decimal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        if self.negative {
            f.write_str("-")?;
        }
        if self.exponent >= 0 {
            f.write_str(&self.digits)?;
            let zeros = usize::try_from(self.exponent).unwrap_or(0).min(64);
            return f.write_str(&"0".repeat(zeros));
        }
        let point = usize::try_from(self.exponent.unsigned_abs()).unwrap_or(usize::MAX);
        let padded = if self.digits.len() <= point {
            format!(
                "{}{}",
                "0".repeat(point - self.digits.len() + 1),
                self.digits
            )
        } else {
            self.digits.clone()
        };
        let (whole, fraction) = padded.split_at(padded.len() - point);
        write!(f, "{whole}.{fraction}")
    }
}

/// A short text of an A-XDR value for reasons: numbers as numbers, strings quoted, octets in
/// hex; other types by their name.
pub(crate) fn describe(data: &Data) -> String {
    match data {
        Data::Boolean(b) => b.to_string(),
        Data::Integer(v) => v.to_string(),
        Data::Long(v) => v.to_string(),
        Data::DoubleLong(v) => v.to_string(),
        Data::Long64(v) => v.to_string(),
        Data::Unsigned(v) | Data::Enum(v) => v.to_string(),
        Data::LongUnsigned(v) => v.to_string(),
        Data::DoubleLongUnsigned(v) => v.to_string(),
        Data::Long64Unsigned(v) => v.to_string(),
        Data::Float32(v) => v.to_string(),
        Data::Float64(v) => v.to_string(),
        Data::VisibleString(t) | Data::Utf8String(t) => {
            format!("\"{}\"", String::from_utf8_lossy(t))
        }
        Data::OctetString(o) if !o.is_empty() && o.iter().all(|b| (0x20..0x7F).contains(b)) => {
            format!("\"{}\"", String::from_utf8_lossy(o))
        }
        Data::OctetString(o) => {
            let hex: String = o.iter().map(|b| format!("{b:02x}")).collect();
            format!("0x{hex}")
        }
        other => format!("a {}", other.data_type().name()),
    }
}
