//! The borrowed, validated view of one Data element.

use super::compact::CompactArrayRef;
use super::datetime::{Date, DateTime, Time};
use super::owned::{BitString, Data};
use super::tag::DataType;
use super::walk::{element_len, Limits, DEPTH_CEILING};
use crate::reader::Reader;
use crate::Error;

/// One encoded Data element (tag and body), validated to its last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRef<'a> {
    bytes: &'a [u8],
}

/// The value of a [`DataRef`], borrowing strings and containers from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// null-data.
    Null,
    /// array: elements of one type.
    Array(Items<'a>),
    /// structure.
    Structure(Items<'a>),
    /// boolean (any non-zero octet is true).
    Boolean(bool),
    /// bit-string.
    BitString(BitStr<'a>),
    /// double-long.
    DoubleLong(i32),
    /// double-long-unsigned.
    DoubleLongUnsigned(u32),
    /// octet-string.
    OctetString(&'a [u8]),
    /// visible-string: the octets as sent (ISO 646 by the standard, not checked).
    VisibleString(&'a [u8]),
    /// utf8-string: the octets as sent (not checked to be UTF-8).
    Utf8String(&'a [u8]),
    /// bcd: the octet as sent.
    Bcd(u8),
    /// integer.
    Integer(i8),
    /// long.
    Long(i16),
    /// unsigned.
    Unsigned(u8),
    /// long-unsigned.
    LongUnsigned(u16),
    /// compact-array.
    CompactArray(CompactArrayRef<'a>),
    /// long64.
    Long64(i64),
    /// long64-unsigned.
    Long64Unsigned(u64),
    /// enum.
    Enum(u8),
    /// float32.
    Float32(f32),
    /// float64.
    Float64(f64),
    /// date-time.
    DateTime(DateTime),
    /// date.
    Date(Date),
    /// time.
    Time(Time),
    /// delta-integer: a difference to the value before it.
    DeltaInteger(i8),
    /// delta-long.
    DeltaLong(i16),
    /// delta-double-long.
    DeltaDoubleLong(i32),
    /// delta-unsigned.
    DeltaUnsigned(u8),
    /// delta-long-unsigned.
    DeltaLongUnsigned(u16),
    /// delta-double-long-unsigned.
    DeltaDoubleLongUnsigned(u32),
    /// dont-care.
    DontCare,
}

/// A bit-string's bits: `len` bits, most significant bit of the first octet first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitStr<'a> {
    /// The number of bits.
    pub len: usize,
    /// The octets that hold them (the unused low bits of the last octet as sent).
    pub bytes: &'a [u8],
}

impl BitStr<'_> {
    /// Bit `i` (0 = most significant bit of the first octet), if `i < len`.
    pub fn get(&self, i: usize) -> Option<bool> {
        if i >= self.len {
            return None;
        }
        let byte = self.bytes.get(i / 8)?;
        Some(byte & (0x80 >> (i % 8)) != 0)
    }
}

/// The elements of an array or structure, in order. `len()` (from [`ExactSizeIterator`]) is
/// the number the container announced, without consuming anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = DataRef<'a>;

    fn next(&mut self) -> Option<DataRef<'a>> {
        if self.left == 0 {
            return None;
        }
        let limits = Limits {
            max_depth: DEPTH_CEILING,
        };
        // The container was validated: the walk cannot fail here; if it did, the iterator ends.
        let Ok(len) = element_len(self.rest, 0, limits) else {
            self.left = 0;
            return None;
        };
        let (element, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        self.left -= 1;
        Some(DataRef { bytes: element })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Items<'_> {}

impl<'a> DataRef<'a> {
    /// Decodes the element at the start of `input` with the default [`Limits`], returning it and
    /// its length. Bytes after it are left to the caller.
    pub fn decode(input: &'a [u8]) -> Result<(DataRef<'a>, usize), Error> {
        DataRef::decode_with(input, 0, Limits::default())
    }

    /// As [`decode`](Self::decode), with errors' offsets counted from `base` and the given limits.
    pub fn decode_with(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(DataRef<'a>, usize), Error> {
        let len = element_len(input, base, limits)?;
        let bytes = input.get(..len).ok_or(Error::Truncated {
            offset: base + input.len(),
            what: "Data",
            needed: len.saturating_sub(input.len()),
        })?;
        Ok((DataRef { bytes }, len))
    }

    /// Decodes an element that must fill `input` exactly.
    pub fn decode_all(input: &'a [u8]) -> Result<DataRef<'a>, Error> {
        let (data, len) = DataRef::decode(input)?;
        if len < input.len() {
            return Err(Error::TrailingBytes {
                offset: len,
                what: "Data",
                count: input.len() - len,
            });
        }
        Ok(data)
    }

    /// The encoded element, tag included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The element's type.
    pub fn data_type(&self) -> DataType {
        self.bytes
            .first()
            .and_then(|&tag| DataType::from_tag(tag))
            .unwrap_or(DataType::Null)
    }

    /// The element's value.
    pub fn value(&self) -> Value<'a> {
        body_value(self.data_type(), self.bytes.get(1..).unwrap_or(&[]))
    }

    /// The owned tree of this element.
    pub fn to_owned(&self) -> Data {
        self.value().to_data()
    }
}

/// The value of a validated body of `data_type`: the bytes after a Data element's tag, or the
/// bytes of one value inside compact-array contents. Nothing here allocates.
pub(crate) fn body_value(data_type: DataType, body: &[u8]) -> Value<'_> {
    let mut r = Reader::new(body);
    fn fixed<const N: usize>(r: &mut Reader<'_>) -> [u8; N] {
        r.array::<N>("").unwrap_or([0; N])
    }
    fn octet(r: &mut Reader<'_>) -> u8 {
        let [b] = fixed::<1>(r);
        b
    }
    match data_type {
        DataType::Null => Value::Null,
        DataType::DontCare => Value::DontCare,
        t @ (DataType::Array | DataType::Structure) => {
            let left = r.length("", 1).unwrap_or(0);
            let items = Items {
                rest: r.rest(),
                left,
            };
            if t == DataType::Array {
                Value::Array(items)
            } else {
                Value::Structure(items)
            }
        }
        DataType::Boolean => Value::Boolean(octet(&mut r) != 0),
        DataType::BitString => {
            let len = r.length("", 0).unwrap_or(0);
            Value::BitString(BitStr {
                len,
                bytes: r.rest(),
            })
        }
        DataType::DoubleLong => Value::DoubleLong(i32::from_be_bytes(fixed(&mut r))),
        DataType::DoubleLongUnsigned => {
            Value::DoubleLongUnsigned(u32::from_be_bytes(fixed(&mut r)))
        }
        t @ (DataType::OctetString | DataType::VisibleString | DataType::Utf8String) => {
            let _ = r.length("", 1);
            let s = r.rest();
            match t {
                DataType::OctetString => Value::OctetString(s),
                DataType::VisibleString => Value::VisibleString(s),
                _ => Value::Utf8String(s),
            }
        }
        DataType::Bcd => Value::Bcd(octet(&mut r)),
        DataType::Integer => Value::Integer(i8::from_be_bytes(fixed(&mut r))),
        DataType::Long => Value::Long(i16::from_be_bytes(fixed(&mut r))),
        DataType::Unsigned => Value::Unsigned(octet(&mut r)),
        DataType::LongUnsigned => Value::LongUnsigned(u16::from_be_bytes(fixed(&mut r))),
        DataType::CompactArray => Value::CompactArray(CompactArrayRef::from_validated(body)),
        DataType::Long64 => Value::Long64(i64::from_be_bytes(fixed(&mut r))),
        DataType::Long64Unsigned => Value::Long64Unsigned(u64::from_be_bytes(fixed(&mut r))),
        DataType::Enum => Value::Enum(octet(&mut r)),
        DataType::Float32 => Value::Float32(f32::from_be_bytes(fixed(&mut r))),
        DataType::Float64 => Value::Float64(f64::from_be_bytes(fixed(&mut r))),
        DataType::DateTime => Value::DateTime(DateTime::from_bytes(fixed(&mut r))),
        DataType::Date => Value::Date(Date::from_bytes(fixed(&mut r))),
        DataType::Time => Value::Time(Time::from_bytes(fixed(&mut r))),
        DataType::DeltaInteger => Value::DeltaInteger(i8::from_be_bytes(fixed(&mut r))),
        DataType::DeltaLong => Value::DeltaLong(i16::from_be_bytes(fixed(&mut r))),
        DataType::DeltaDoubleLong => Value::DeltaDoubleLong(i32::from_be_bytes(fixed(&mut r))),
        DataType::DeltaUnsigned => Value::DeltaUnsigned(octet(&mut r)),
        DataType::DeltaLongUnsigned => Value::DeltaLongUnsigned(u16::from_be_bytes(fixed(&mut r))),
        DataType::DeltaDoubleLongUnsigned => {
            Value::DeltaDoubleLongUnsigned(u32::from_be_bytes(fixed(&mut r)))
        }
    }
}

impl Value<'_> {
    /// The value's type.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Array(_) => DataType::Array,
            Value::Structure(_) => DataType::Structure,
            Value::Boolean(_) => DataType::Boolean,
            Value::BitString(_) => DataType::BitString,
            Value::DoubleLong(_) => DataType::DoubleLong,
            Value::DoubleLongUnsigned(_) => DataType::DoubleLongUnsigned,
            Value::OctetString(_) => DataType::OctetString,
            Value::VisibleString(_) => DataType::VisibleString,
            Value::Utf8String(_) => DataType::Utf8String,
            Value::Bcd(_) => DataType::Bcd,
            Value::Integer(_) => DataType::Integer,
            Value::Long(_) => DataType::Long,
            Value::Unsigned(_) => DataType::Unsigned,
            Value::LongUnsigned(_) => DataType::LongUnsigned,
            Value::CompactArray(_) => DataType::CompactArray,
            Value::Long64(_) => DataType::Long64,
            Value::Long64Unsigned(_) => DataType::Long64Unsigned,
            Value::Enum(_) => DataType::Enum,
            Value::Float32(_) => DataType::Float32,
            Value::Float64(_) => DataType::Float64,
            Value::DateTime(_) => DataType::DateTime,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::DeltaInteger(_) => DataType::DeltaInteger,
            Value::DeltaLong(_) => DataType::DeltaLong,
            Value::DeltaDoubleLong(_) => DataType::DeltaDoubleLong,
            Value::DeltaUnsigned(_) => DataType::DeltaUnsigned,
            Value::DeltaLongUnsigned(_) => DataType::DeltaLongUnsigned,
            Value::DeltaDoubleLongUnsigned(_) => DataType::DeltaDoubleLongUnsigned,
            Value::DontCare => DataType::DontCare,
        }
    }

    /// The owned form (copies strings, walks containers).
    pub fn to_data(&self) -> Data {
        match self {
            Value::Null => Data::Null,
            Value::Array(items) => Data::Array(items.clone().map(|d| d.to_owned()).collect()),
            Value::Structure(items) => {
                Data::Structure(items.clone().map(|d| d.to_owned()).collect())
            }
            Value::Boolean(b) => Data::Boolean(*b),
            Value::BitString(bits) => Data::BitString(BitString::from_bits(*bits)),
            Value::DoubleLong(v) => Data::DoubleLong(*v),
            Value::DoubleLongUnsigned(v) => Data::DoubleLongUnsigned(*v),
            Value::OctetString(s) => Data::OctetString(s.to_vec()),
            Value::VisibleString(s) => Data::VisibleString(s.to_vec()),
            Value::Utf8String(s) => Data::Utf8String(s.to_vec()),
            Value::Bcd(v) => Data::Bcd(*v),
            Value::Integer(v) => Data::Integer(*v),
            Value::Long(v) => Data::Long(*v),
            Value::Unsigned(v) => Data::Unsigned(*v),
            Value::LongUnsigned(v) => Data::LongUnsigned(*v),
            Value::CompactArray(c) => Data::CompactArray {
                description: c.description(),
                contents: c.contents().to_vec(),
            },
            Value::Long64(v) => Data::Long64(*v),
            Value::Long64Unsigned(v) => Data::Long64Unsigned(*v),
            Value::Enum(v) => Data::Enum(*v),
            Value::Float32(v) => Data::Float32(*v),
            Value::Float64(v) => Data::Float64(*v),
            Value::DateTime(v) => Data::DateTime(*v),
            Value::Date(v) => Data::Date(*v),
            Value::Time(v) => Data::Time(*v),
            Value::DeltaInteger(v) => Data::DeltaInteger(*v),
            Value::DeltaLong(v) => Data::DeltaLong(*v),
            Value::DeltaDoubleLong(v) => Data::DeltaDoubleLong(*v),
            Value::DeltaUnsigned(v) => Data::DeltaUnsigned(*v),
            Value::DeltaLongUnsigned(v) => Data::DeltaLongUnsigned(*v),
            Value::DeltaDoubleLongUnsigned(v) => Data::DeltaDoubleLongUnsigned(*v),
            Value::DontCare => Data::DontCare,
        }
    }
}
