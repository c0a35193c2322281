//! Metric values and how each datatype carries them (Sparkplug 3.0, 6.4.16 and 6.4.17).
//!
//! Encoding never wraps or truncates: a value outside its datatype's range is
//! [`Error::ValueDoesNotFit`]. The signed types of 8, 16 and 32 bits go in `int_value` as two's
//! complement in their own width (-5 as Int16 is 65531), which is what both pysparkplug and
//! Eclipse Tahu decode; Tahu's Java encoder writes them sign-extended to 32 bits instead
//! (0xFFFF_FFFB), so decoding accepts that form too.

use std::fmt;

use crate::proto::{metric::Value, DataType, Metric};
use crate::Error;

/// A scalar metric value as the bridge has it.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricValue {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// UTF-8 text.
    String(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A point in time, milliseconds since 1970-01-01 UTC.
    DateTime(u64),
    /// No value (`is_null`, 6.4.6).
    Null,
}

impl MetricValue {
    /// The datatype a value of this kind is born with when nothing says more (Bool is Boolean,
    /// Int is Int64, UInt is UInt64, Float is Double, String is String, Bytes is Bytes, DateTime
    /// is DateTime); `None` for Null.
    pub fn natural_datatype(&self) -> Option<DataType> {
        Some(match self {
            MetricValue::Bool(_) => DataType::Boolean,
            MetricValue::Int(_) => DataType::Int64,
            MetricValue::UInt(_) => DataType::UInt64,
            MetricValue::Float(_) => DataType::Double,
            MetricValue::String(_) => DataType::String,
            MetricValue::Bytes(_) => DataType::Bytes,
            MetricValue::DateTime(_) => DataType::DateTime,
            MetricValue::Null => return None,
        })
    }

    /// True when [`MetricValue::encode`] would accept this value for `datatype`.
    pub fn fits(&self, datatype: DataType) -> bool {
        self.encode(datatype).is_ok()
    }

    /// The value field that carries this value as `datatype` (6.4.17); `None` for Null, which
    /// travels as `is_null` without a value.
    ///
    /// Integers go to any integer type whose range holds them, and to Float or Double when the
    /// float holds them exactly; floats go to Double, and to Float when the f32 holds them
    /// exactly (NaN and infinities included) or when they are the shortest decimal of an f32
    /// (12345.679 is how an f32 register reading of 12345.6787109375 is written in JSON, and
    /// means that f32); DateTime goes to DateTime only; text to String,
    /// Text and UUID; bytes to Bytes and File. Anything else is [`Error::ValueDoesNotFit`] or,
    /// for arrays, DataSet, Template, PropertySet and Unknown, [`Error::UnsupportedDataType`].
    pub fn encode(&self, datatype: DataType) -> Result<Option<Value>, Error> {
        use DataType as D;
        use MetricValue as V;
        let no_fit = |expected: &'static str| Error::ValueDoesNotFit {
            datatype,
            value: self.to_string(),
            expected,
        };
        if matches!(self, V::Null) {
            return match datatype {
                _ if is_scalar(datatype) => Ok(None),
                _ => Err(Error::UnsupportedDataType(datatype)),
            };
        }
        let wide = self.as_i128();
        let int_in = |lo: i128, hi: i128, expected| match wide {
            Some(v) if (lo..=hi).contains(&v) => Ok(v),
            _ => Err(no_fit(expected)),
        };
        // Every cast below is of a value just checked to lie in the target's range.
        let value = match datatype {
            D::Int8 => Value::IntValue(u32::from(
                int_in(-128, 127, "an integer in -128..=127")? as i8 as u8
            )),
            D::Int16 => {
                Value::IntValue(u32::from(
                    int_in(-32_768, 32_767, "an integer in -32768..=32767")? as i16 as u16,
                ))
            }
            D::Int32 => Value::IntValue(int_in(
                i32::MIN.into(),
                i32::MAX.into(),
                "an integer in the Int32 range",
            )? as i32 as u32),
            D::Int64 => Value::LongValue(int_in(
                i64::MIN.into(),
                i64::MAX.into(),
                "an integer in the Int64 range",
            )? as i64 as u64),
            D::UInt8 => Value::IntValue(int_in(0, 255, "an integer in 0..=255")? as u32),
            D::UInt16 => Value::IntValue(int_in(0, 65_535, "an integer in 0..=65535")? as u32),
            D::UInt32 => {
                Value::IntValue(int_in(0, u32::MAX.into(), "an integer in 0..=4294967295")? as u32)
            }
            D::UInt64 => Value::LongValue(int_in(
                0,
                u64::MAX.into(),
                "an integer in 0..=18446744073709551615",
            )? as u64),
            D::Float => match self {
                V::Float(f) if f.is_nan() || f64::from(*f as f32) == *f || is_f32_text(*f) => {
                    Value::FloatValue(*f as f32)
                }
                V::Int(_) | V::UInt(_) => match wide {
                    Some(v) if exact_in_f32(v) => Value::FloatValue(v as f32),
                    _ => return Err(no_fit("a number an f32 holds exactly")),
                },
                _ => return Err(no_fit("a number an f32 holds exactly")),
            },
            D::Double => match self {
                V::Float(f) => Value::DoubleValue(*f),
                V::Int(_) | V::UInt(_) => match wide {
                    Some(v) if exact_in_f64(v) => Value::DoubleValue(v as f64),
                    _ => return Err(no_fit("a number an f64 holds exactly")),
                },
                _ => return Err(no_fit("a number an f64 holds exactly")),
            },
            D::Boolean => match self {
                V::Bool(b) => Value::BooleanValue(*b),
                _ => return Err(no_fit("a boolean")),
            },
            D::String | D::Text | D::Uuid => match self {
                V::String(s) => Value::StringValue(s.clone()),
                _ => return Err(no_fit("text")),
            },
            D::Bytes | D::File => match self {
                V::Bytes(b) => Value::BytesValue(b.clone()),
                _ => return Err(no_fit("bytes")),
            },
            D::DateTime => match self {
                V::DateTime(ms) => Value::LongValue(*ms),
                _ => return Err(no_fit("a date and time (ms since the epoch)")),
            },
            _ => return Err(Error::UnsupportedDataType(datatype)),
        };
        Ok(Some(value))
    }

    /// Sets `metric`'s value (or `is_null`) to this value as `datatype`; leaves it unchanged on
    /// error.
    pub fn encode_into(&self, datatype: DataType, metric: &mut Metric) -> Result<(), Error> {
        match self.encode(datatype)? {
            Some(v) => {
                metric.value = Some(v);
                metric.is_null = None;
            }
            None => {
                metric.value = None;
                metric.is_null = Some(true);
            }
        }
        Ok(())
    }

    /// Reads a value as `datatype` from a metric's value field and `is_null` flag (6.4.17):
    /// the inverse of [`MetricValue::encode`]. Signed types come back as Int, unsigned as UInt,
    /// Float and Double as Float, DateTime as DateTime.
    ///
    /// Integer types accept either integer field when the value is in range; Int8 and Int16
    /// accept their own-width two's complement and the 32-bit sign-extended form.
    pub fn decode(
        datatype: DataType,
        value: Option<&Value>,
        is_null: bool,
    ) -> Result<MetricValue, Error> {
        use DataType as D;
        if !is_scalar(datatype) {
            return Err(Error::UnsupportedDataType(datatype));
        }
        if is_null {
            return Ok(MetricValue::Null);
        }
        let Some(value) = value else {
            return Err(Error::WrongValue {
                datatype,
                expected: expected_field(datatype),
                found: "no value and is_null not set".into(),
            });
        };
        let wrong = || Error::WrongValue {
            datatype,
            expected: expected_field(datatype),
            found: describe(value),
        };
        let int = match value {
            Value::IntValue(v) => Some(u64::from(*v)),
            Value::LongValue(v) => Some(*v),
            _ => None,
        };
        Ok(match datatype {
            D::Int8 | D::Int16 => {
                let bits = if datatype == D::Int8 { 8 } else { 16 };
                let raw = int.ok_or_else(wrong)?;
                if raw < 1 << bits {
                    // own width: sign-extend from `bits`
                    let shift = 64 - bits;
                    MetricValue::Int(((raw << shift) as i64) >> shift)
                } else {
                    // 32-bit sign-extended (Tahu's encoder), negative and in range
                    let v = i64::from(u32::try_from(raw).map_err(|_| wrong())? as i32);
                    let lo = -(1i64 << (bits - 1));
                    if (lo..0).contains(&v) {
                        MetricValue::Int(v)
                    } else {
                        return Err(wrong());
                    }
                }
            }
            D::Int32 => {
                let raw = u32::try_from(int.ok_or_else(wrong)?).map_err(|_| wrong())?;
                MetricValue::Int(i64::from(raw as i32))
            }
            D::Int64 => MetricValue::Int(int.ok_or_else(wrong)? as i64),
            D::UInt8 | D::UInt16 | D::UInt32 => {
                let max = match datatype {
                    D::UInt8 => 0xff,
                    D::UInt16 => 0xffff,
                    _ => 0xffff_ffff,
                };
                match int {
                    Some(v) if v <= max => MetricValue::UInt(v),
                    _ => return Err(wrong()),
                }
            }
            D::UInt64 => MetricValue::UInt(int.ok_or_else(wrong)?),
            D::Float => match value {
                Value::FloatValue(f) => MetricValue::Float(f64::from(*f)),
                _ => return Err(wrong()),
            },
            D::Double => match value {
                Value::DoubleValue(f) => MetricValue::Float(*f),
                _ => return Err(wrong()),
            },
            D::Boolean => match value {
                Value::BooleanValue(b) => MetricValue::Bool(*b),
                _ => return Err(wrong()),
            },
            D::String | D::Text | D::Uuid => match value {
                Value::StringValue(s) => MetricValue::String(s.clone()),
                _ => return Err(wrong()),
            },
            D::Bytes | D::File => match value {
                Value::BytesValue(b) => MetricValue::Bytes(b.clone()),
                _ => return Err(wrong()),
            },
            D::DateTime => match value {
                Value::LongValue(ms) => MetricValue::DateTime(*ms),
                _ => return Err(wrong()),
            },
            _ => return Err(Error::UnsupportedDataType(datatype)),
        })
    }

    /// Reads a metric's value as `datatype` (see [`MetricValue::decode`]).
    pub fn from_metric(datatype: DataType, metric: &Metric) -> Result<MetricValue, Error> {
        MetricValue::decode(
            datatype,
            metric.value.as_ref(),
            metric.is_null.unwrap_or(false),
        )
    }

    fn as_i128(&self) -> Option<i128> {
        match self {
            MetricValue::Int(i) => Some(i128::from(*i)),
            MetricValue::UInt(u) => Some(i128::from(*u)),
            _ => None,
        }
    }
}

/// The datatypes a [`MetricValue`] can travel as.
pub fn is_scalar(datatype: DataType) -> bool {
    use DataType as D;
    matches!(
        datatype,
        D::Int8
            | D::Int16
            | D::Int32
            | D::Int64
            | D::UInt8
            | D::UInt16
            | D::UInt32
            | D::UInt64
            | D::Float
            | D::Double
            | D::Boolean
            | D::String
            | D::DateTime
            | D::Text
            | D::Uuid
            | D::Bytes
            | D::File
    )
}

fn exact_in_f32(v: i128) -> bool {
    // |v| <= 2^64 here, far inside f32's range, so the round trip through f64 is exact.
    let f = v as f32;
    f64::from(f) as i128 == v
}

fn exact_in_f64(v: i128) -> bool {
    let f = v as f64;
    f as i128 == v
}

fn expected_field(datatype: DataType) -> &'static str {
    use DataType as D;
    match datatype {
        D::Int8 => "int_value holding an Int8 (own-width or 32-bit two's complement)",
        D::Int16 => "int_value holding an Int16 (own-width or 32-bit two's complement)",
        D::Int32 => "int_value holding an Int32",
        D::Int64 => "long_value",
        D::UInt8 => "int_value in 0..=255",
        D::UInt16 => "int_value in 0..=65535",
        D::UInt32 => "int_value",
        D::UInt64 | D::DateTime => "long_value",
        D::Float => "float_value",
        D::Double => "double_value",
        D::Boolean => "boolean_value",
        D::String | D::Text | D::Uuid => "string_value",
        D::Bytes | D::File => "bytes_value",
        _ => "a scalar datatype",
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::IntValue(v) => format!("int_value {v}"),
        Value::LongValue(v) => format!("long_value {v}"),
        Value::FloatValue(v) => format!("float_value {v}"),
        Value::DoubleValue(v) => format!("double_value {v}"),
        Value::BooleanValue(v) => format!("boolean_value {v}"),
        Value::StringValue(v) => format!("string_value of {} bytes", v.len()),
        Value::BytesValue(v) => format!("bytes_value of {} bytes", v.len()),
        Value::DatasetValue(_) => "dataset_value".into(),
        Value::TemplateValue(_) => "template_value".into(),
        Value::ExtensionValue(_) => "extension_value".into(),
    }
}

impl fmt::Display for MetricValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricValue::Bool(b) => write!(f, "Bool({b})"),
            MetricValue::Int(i) => write!(f, "Int({i})"),
            MetricValue::UInt(u) => write!(f, "UInt({u})"),
            MetricValue::Float(x) => write!(f, "Float({x})"),
            MetricValue::String(s) if s.len() > 32 => write!(f, "String of {} bytes", s.len()),
            MetricValue::String(s) => write!(f, "String({s:?})"),
            MetricValue::Bytes(b) => write!(f, "Bytes of {} bytes", b.len()),
            MetricValue::DateTime(ms) => write!(f, "DateTime({ms} ms)"),
            MetricValue::Null => f.write_str("Null"),
        }
    }
}

/// Whether `f` is the shortest decimal form of the f32 nearest to it: a value that went through
/// text (JSON) from an f32, which that f32 and no other stands for.
fn is_f32_text(f: f64) -> bool {
    let narrow = f as f32;
    narrow.is_finite() && format!("{narrow}").parse::<f64>() == Ok(f)
}
